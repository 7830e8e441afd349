import type { HrQueueMessage } from '../../shared/domain/hrEvent';
import type { AuditEntry, ProvisioningRecord, ProvisioningStore } from '../../shared/ports';
import { approveHire, type ApproveDeps } from '../../shared/workflows/approveHire';

const NOW = new Date('2026-03-01T10:00:00Z');

/** One joiner record with etags, as the table keeps it. */
function store(initial: ProvisioningRecord): ProvisioningStore & { current(): ProvisioningRecord } {
  let record = { ...initial, etag: '1' };
  return {
    current: () => record,
    get: async () => record,
    list: async () => [record],
    leaversNaming: async (entraUserId) => (record.kind === 'leaver' && record.entraUserId === entraUserId ? [record] : []),
    add: async () => 'exists',
    replace: async (next) => {
      if (next.etag !== record.etag) return 'conflict';
      record = { ...next, etag: String(Number(record.etag) + 1) };
      return record;
    },
  };
}

const refused: ProvisioningRecord = {
  employeeId: 'E9',
  kind: 'joiner',
  status: 'failed',
  refusal: 'privileged_account',
  entraUserId: 'user-9',
  userPrincipalName: 'nine@contoso.com',
  attempts: 0,
  eventIds: ['hire-1'],
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
};

describe('approveHire', () => {
  it('sends the hire again when approved a second time after the first send failed, and audits the approval once', async () => {
    const provisioning = store(refused);
    const sent: HrQueueMessage[] = [];
    const audited: AuditEntry[] = [];
    let sendFails = true;
    const deps: ApproveDeps = {
      provisioning,
      hrEvents: {
        send: async (message) => {
          if (sendFails) throw Object.assign(new Error('queue unavailable'), { statusCode: 503 });
          sent.push(message);
        },
      },
      audit: { record: async (entry) => void audited.push(entry) },
      clock: { now: () => NOW },
    };

    await expect(approveHire(deps, 'E9', { actor: 'admin', correlationId: 'c1' })).rejects.toThrow('queue unavailable');
    expect(provisioning.current()).toMatchObject({ status: 'queued', approvedFor: 'user-9' });
    expect(sent).toEqual([]);

    sendFails = false;
    const again = await approveHire(deps, 'E9', { actor: 'admin', correlationId: 'c2' });
    expect(again).toMatchObject({ outcome: 'approved', record: { status: 'queued', approvedFor: 'user-9' } });
    expect(sent).toEqual([expect.objectContaining({ type: 'employee.hired', employeeId: 'E9', userPrincipalName: 'nine@contoso.com' })]);
    expect(audited.filter((entry) => entry.action === 'provisioning.approved')).toHaveLength(1);
  });

  it('approves nothing once the hire has moved on', async () => {
    const provisioning = store({ ...refused, status: 'completed', refusal: undefined, approvedFor: 'user-9' });
    const sent: HrQueueMessage[] = [];
    const deps: ApproveDeps = { provisioning, hrEvents: { send: async (m) => void sent.push(m) }, audit: { record: async () => undefined }, clock: { now: () => NOW } };
    expect(await approveHire(deps, 'E9', { actor: 'admin', correlationId: 'c3' })).toMatchObject({ outcome: 'not_refused' });
    expect(sent).toEqual([]);
  });
});

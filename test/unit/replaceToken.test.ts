import type { TokenRecord } from '../../shared/domain/token';
import type { AuditEntry, EntraUser, TemporaryAccessPassInfo } from '../../shared/ports';
import { passValidUntil, replaceUserToken, type ReplaceDeps } from '../../shared/workflows/replaceToken';

const NOW = new Date('2026-12-07T10:00:00Z');

/** A lost token, replaced once already (the answer was lost): imported by UPN, so its row has no employeeId. */
const LOST: TokenRecord = {
  serialNumber: 'RT-1',
  manufacturer: 'Token2',
  model: 'C202',
  timeIntervalInSeconds: 30,
  hashFunction: 'hmacsha1',
  seedOrigin: 'vendor',
  pool: '',
  status: 'lost',
  revocationReason: 'lost',
  seedSecretName: 'seed-RT-1',
  entraUserId: 'u-holder',
  userPrincipalName: 'ada@contoso.com',
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
  lastChangeReason: 'lost',
};

/** The holder was renamed; another account took the UPN on the row since. */
const HOLDER: EntraUser = { id: 'u-holder', userPrincipalName: 'ada.lovelace@contoso.com', employeeId: 'E9', userType: 'Member' };
const NEWCOMER: EntraUser = { id: 'u-newcomer', userPrincipalName: 'ada@contoso.com', employeeId: 'E9', userType: 'Member' };

function world(passes: TemporaryAccessPassInfo[] = []) {
  const checked: string[] = [];
  const issuedTo: string[] = [];
  const sent: unknown[] = [];
  const audit: AuditEntry[] = [];
  const deps = {
    inventory: { list: async () => ({ tokens: [LOST] }) },
    directory: { findUserByUpn: async (ref: string) => [HOLDER, NEWCOMER].find((u) => u.id === ref || u.userPrincipalName === ref) },
    provisioning: { list: async () => [] },
    targets: {
      check: async (user: EntraUser) => {
        checked.push(user.id);
        return { ok: true as const, privileged: false };
      },
    },
    hrEvents: { send: async (message: unknown) => void sent.push(message) },
    accessPasses: {
      temporaryAccessPassesOf: async () => passes,
      issueTemporaryAccessPass: async (userId: string, lifetimeInMinutes: number) => {
        issuedTo.push(userId);
        return { id: 'tap-1', temporaryAccessPass: 'S3cr3tPass', startDateTime: NOW.toISOString(), lifetimeInMinutes, isUsableOnce: true };
      },
    },
    audit: { record: async (entry: AuditEntry) => void audit.push(entry) },
    clock: { now: () => NOW },
  } as unknown as ReplaceDeps;
  return { deps, checked, issuedTo, sent, audit };
}

const request = { reason: 'lost' as const, temporaryAccessPass: true, tapEnabled: true, tapLifetimeMinutes: 60 };
const context = { actor: 'admin a-1', correlationId: 'c-1' };

describe('replaceUserToken and its Temporary Access Pass', () => {
  it('checks and gives the pass to the same account, the one the row names by object id, and audits the pass id only', async () => {
    const w = world();
    const result = await replaceUserToken(w.deps, 'ada@contoso.com', request, context);
    expect(result).toMatchObject({ outcome: 'done', temporaryAccessPass: { id: 'tap-1' } });
    expect(w.checked).toEqual(['u-holder']);
    expect(w.issuedTo).toEqual(['u-holder']);
    const issued = w.audit.filter((e) => e.action === 'temporary_access_pass.issued');
    expect(issued).toEqual([expect.objectContaining({ serialNumber: 'RT-1', employeeId: 'E9', detail: expect.stringContaining('pass tap-1 for account u-holder') })]);
    expect(JSON.stringify(w.audit)).not.toContain('S3cr3tPass');
  });

  it('while the last pass is valid, refuses another before touching anything, naming when it expires', async () => {
    const w = world([{ id: 'tap-0', startDateTime: '2026-12-07T09:30:00Z', lifetimeInMinutes: 60, usabilityReason: 'EnabledByPolicy' }]);
    const result = await replaceUserToken(w.deps, 'ada@contoso.com', request, context);
    expect(result).toEqual({ outcome: 'pass_live', serialNumber: 'RT-1', expiresAt: '2026-12-07T10:30:00.000Z', detail: expect.stringContaining('valid until 2026-12-07T10:30:00.000Z') });
    expect(w.issuedTo).toEqual([]);
    expect(w.sent).toEqual([]);
  });

  it('issues a new pass once the last one has expired or been used', async () => {
    for (const pass of [
      { id: 'tap-0', startDateTime: '2026-12-07T08:00:00Z', lifetimeInMinutes: 60 },
      { id: 'tap-0', startDateTime: '2026-12-07T09:30:00Z', lifetimeInMinutes: 60, usabilityReason: 'OneTimeUsed' },
    ]) {
      const w = world([pass]);
      expect(await replaceUserToken(w.deps, 'ada@contoso.com', request, context)).toMatchObject({ outcome: 'done' });
      expect(w.issuedTo).toEqual(['u-holder']);
    }
  });

  it('with TEMPORARY_ACCESS_PASS off, refuses a pass and changes nothing', async () => {
    const w = world();
    const result = await replaceUserToken(w.deps, 'ada@contoso.com', { ...request, tapEnabled: false }, context);
    expect(result).toMatchObject({ outcome: 'not_allowed', detail: expect.stringContaining('TEMPORARY_ACCESS_PASS') });
    expect(w.issuedTo).toEqual([]);
    expect(w.sent).toEqual([]);
  });

  it('passValidUntil: a pass not yet started is live; an expired or spent one is not', () => {
    expect(passValidUntil({ id: 'p', startDateTime: '2026-12-07T11:00:00Z', lifetimeInMinutes: 10, usabilityReason: 'NotYetValid' }, NOW)).toEqual(new Date('2026-12-07T11:10:00Z'));
    expect(passValidUntil({ id: 'p', startDateTime: '2026-12-07T09:00:00Z', lifetimeInMinutes: 60 }, NOW)).toBeUndefined();
    expect(passValidUntil({ id: 'p', startDateTime: '2026-12-07T09:59:00Z', lifetimeInMinutes: 60, usabilityReason: 'Expired' }, NOW)).toBeUndefined();
  });
});

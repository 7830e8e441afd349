import { describeNotification, type Notification } from '../../shared/domain/notification';
import type { HrQueueMessage } from '../../shared/domain/hrEvent';
import type { NotificationLedger, NotificationRecord } from '../../shared/ports';
import { CLAIM_LEASE_MS, deliverNotification, notificationForOutcome, type NotifyDeps } from '../../shared/workflows/notify';

const T0 = new Date('2026-12-01T10:00:00Z');

function ledger(): NotificationLedger & { rows: Map<string, NotificationRecord> } {
  const rows = new Map<string, NotificationRecord>();
  let version = 0;
  return {
    rows,
    get: async (key) => rows.get(key),
    add: async (record) => {
      if (rows.has(record.key)) return 'exists';
      const stored = { ...record, etag: String(++version) };
      rows.set(record.key, stored);
      return stored;
    },
    replace: async (record) => {
      if (rows.get(record.key)?.etag !== record.etag) return 'conflict';
      const stored = { ...record, etag: String(++version) };
      rows.set(record.key, stored);
      return stored;
    },
  };
}

function scene(options: { failMail?: boolean } = {}) {
  let now = T0;
  const sent: { to: string[]; subject: string; text: string }[] = [];
  const cards: object[] = [];
  const requeued: { delaySeconds?: number }[] = [];
  const store = ledger();
  const deps = (claimId: string): NotifyDeps => ({
    ledger: store,
    mailer: {
      send: async (_from, to, subject, text) => {
        if (options.failMail) throw new Error('crashed while sending');
        sent.push({ to, subject, text });
      },
    },
    managers: { managerAddressOf: async (user) => (user === 'ada@contoso.com' ? 'mona@contoso.com' : undefined) },
    teams: { post: async (card) => void cards.push(card) },
    queue: { send: async (_message, sendOptions) => void requeued.push(sendOptions ?? {}) },
    clock: { now: () => now },
    settings: { mailFrom: 'it@contoso.com', sites: { GVA: 'it-gva@contoso.com' } },
    claimId,
  });
  return { deps, sent, cards, requeued, store, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

const waiting: Notification = { kind: 'handover_waiting', key: 'handover_waiting:S1:E1', serialNumber: 'S1', employeeId: 'E1', userPrincipalName: 'ada@contoso.com', site: 'GVA' };

describe('deliverNotification', () => {
  it('mails the site desk and the manager and posts one card; a second delivery sends nothing', async () => {
    const s = scene();
    expect(await deliverNotification(waiting, s.deps('a'))).toEqual({ outcome: 'sent', channels: ['mail', 'teams'], recipients: 2 });
    expect(s.sent).toEqual([expect.objectContaining({ to: ['it-gva@contoso.com', 'mona@contoso.com'], subject: expect.stringContaining('S1') })]);
    expect(await deliverNotification(waiting, s.deps('b'))).toEqual({ outcome: 'already_sent' });
    expect(s.sent).toHaveLength(1);
    expect(s.cards).toHaveLength(1);
  });

  it('puts a delivery back while another holds a fresh claim, and takes over a claim left by a crash once its lease is over', async () => {
    const crashing = scene({ failMail: true });
    await expect(deliverNotification(waiting, crashing.deps('a'))).rejects.toThrow('crashed');
    const s = { ...scene(), store: crashing.store };
    const deps = (id: string) => ({ ...s.deps(id), ledger: crashing.store, clock: { now: () => now } });
    let now = T0;
    expect(await deliverNotification(waiting, deps('b'))).toEqual({ outcome: 'put_back', delaySeconds: CLAIM_LEASE_MS / 1000 + 1 });
    expect(s.sent).toEqual([]);
    now = new Date(T0.getTime() + CLAIM_LEASE_MS + 1);
    expect(await deliverNotification(waiting, deps('b'))).toMatchObject({ outcome: 'sent', channels: ['mail', 'teams'] });
    expect(s.sent).toHaveLength(1);
    expect(crashing.store.rows.get(waiting.key)).toMatchObject({ claimId: 'b', sent: ['mail', 'teams'] });
  });

  it('tells nobody when no channel is set up', async () => {
    const s = scene();
    const deps = { ...s.deps('a'), settings: { sites: {} } };
    delete (deps as Partial<NotifyDeps>).teams;
    expect(await deliverNotification(waiting, deps)).toEqual({ outcome: 'nobody_to_tell' });
    expect(s.store.rows.size).toBe(0);
  });
});

describe('notificationForOutcome', () => {
  const leaver: HrQueueMessage = { eventId: 'evt-l', type: 'employee.terminated', employeeId: 'E1', terminationDate: '2026-11-30', firstSeenAt: T0.toISOString() };
  it('reports a leaver still holding a token after the termination date, from the given try on', () => {
    expect(notificationForOutcome(leaver, { kind: 'retrying', failedTries: 2, delaySeconds: 60, reason: 'x' }, T0, 3)).toBeUndefined();
    expect(notificationForOutcome(leaver, { kind: 'retrying', failedTries: 3, delaySeconds: 60, reason: 'x' }, T0, 3)).toMatchObject({ kind: 'leaver_token_held', key: 'leaver_token_held:E1:2026-11-30' });
    expect(notificationForOutcome({ ...leaver, terminationDate: '2026-12-24' }, { kind: 'retrying', failedTries: 5, delaySeconds: 60, reason: 'x' }, T0, 3)).toBeUndefined();
  });
  it('reports a token awaiting hand-over, not an activated one', () => {
    const hire: HrQueueMessage = { eventId: 'evt-h', type: 'employee.hired', employeeId: 'E1', location: 'GVA', firstSeenAt: T0.toISOString() };
    expect(notificationForOutcome(hire, { kind: 'completed', serialNumber: 'S1', tokenStatus: 'awaiting_handover' }, T0, 3)).toMatchObject({ kind: 'handover_waiting', site: 'GVA' });
    expect(notificationForOutcome(hire, { kind: 'completed', serialNumber: 'S1', tokenStatus: 'active' }, T0, 3)).toBeUndefined();
  });
  it('names the person as Entra showed the hire, else as HR sent them, beside the UPN', () => {
    const hire: HrQueueMessage = { eventId: 'evt-h', type: 'employee.hired', employeeId: 'E1', userPrincipalName: 'ada@contoso.com', displayName: 'Ada (HR)', location: 'GVA', firstSeenAt: T0.toISOString() };
    const waiting = notificationForOutcome(hire, { kind: 'completed', serialNumber: 'S1', tokenStatus: 'awaiting_handover', displayName: 'Ada Lovelace' }, T0, 3);
    expect(waiting).toMatchObject({ displayName: 'Ada Lovelace' });
    expect(describeNotification(waiting as Notification).subject).toBe('Hardware token S1 awaits hand-over to Ada Lovelace (ada@contoso.com) at site GVA');
    const failed = notificationForOutcome(hire, { kind: 'failed', reason: 'no token in stock' }, T0, 3);
    expect(describeNotification(failed as Notification).subject).toBe('No hardware token for Ada (HR) (ada@contoso.com): the hire failed');
    expect(describeNotification({ kind: 'hire_failed', key: 'k', employeeId: 'E1', reason: 'x' }).subject).toBe('No hardware token for employee E1: the hire failed');
  });
});

import { deletedAccountTerminations, signalsFor } from '../../shared/domain/directorySignals';
import type { HrQueueMessage } from '../../shared/domain/hrEvent';
import type { DeliveryClaim, DirectoryChangePage, DirectoryUserChange, WatchedUser } from '../../shared/ports';
import { syncDirectory } from '../../shared/workflows/syncDirectory';

const NOW = new Date('2026-12-01T09:00:00Z');
const settings = { provisionLeadDays: 7, disableGraceHours: 24 };
const user = { userId: 'u1', employeeId: 'E1', userPrincipalName: 'ada@contoso.com' };

describe('signalsFor: what one user\'s Entra attributes say is due', () => {
  it('queues a hire within the lead days, not one further ahead (which stays watched) nor one long past', () => {
    expect(signalsFor({ ...user, hireDate: '2026-12-05T00:00:00Z', location: 'GVA' }, NOW, settings)).toEqual({
      pending: false,
      hire: { eventId: 'entra-hire:u1:2026-12-05T00:00:00Z', type: 'employee.hired', employeeId: 'E1', userPrincipalName: 'ada@contoso.com', hireDate: '2026-12-05T00:00:00Z', location: 'GVA' },
    });
    expect(signalsFor({ ...user, hireDate: '2026-12-20T00:00:00Z' }, NOW, settings)).toEqual({ pending: true });
    expect(signalsFor({ ...user, hireDate: '2019-03-01T00:00:00Z' }, NOW, settings)).toEqual({ pending: false });
  });

  it('drops a location that is not a site code, and keys by the object id when employeeId is empty', () => {
    const signals = signalsFor({ userId: 'u2', hireDate: '2026-12-01T00:00:00Z', location: 'Geneva, 3rd floor' }, NOW, settings);
    expect(signals.hire).toMatchObject({ employeeId: 'u2' });
    expect(signals.hire).not.toHaveProperty('location');
    expect(signalsFor({ userId: 'u3', employeeId: 'has space', hireDate: '2026-12-01T00:00:00Z' }, NOW, settings).skipped).toMatch(/not usable/);
    expect(signalsFor({ userId: 'u4', userType: 'Guest', hireDate: '2026-12-01T00:00:00Z' }, NOW, settings)).toEqual({ pending: false, skipped: 'guest account' });
  });

  it('a leave date reached is a termination at that date, and no hire; one ahead is watched', () => {
    const signals = signalsFor({ ...user, hireDate: '2026-11-30T00:00:00Z', leaveDateTime: '2026-12-01T08:00:00Z' }, NOW, settings);
    expect(signals.leave).toEqual({ eventId: 'entra-leave:u1:2026-12-01T08:00:00Z', type: 'employee.terminated', employeeId: 'E1', userPrincipalName: 'ada@contoso.com', entraUserId: 'u1', terminationDate: '2026-12-01T08:00:00Z', disabled: false });
    expect(signals.hire).toBeUndefined();
    expect(signalsFor({ ...user, leaveDateTime: '2026-12-31T00:00:00Z' }, NOW, settings)).toEqual({ pending: true });
  });

  it('a disabled account is a leaver only after the grace, counted from the hire date at the earliest', () => {
    const disabled = { ...user, accountEnabled: false, disabledSince: '2026-11-30T08:00:00Z' };
    expect(signalsFor(disabled, NOW, settings).leave).toMatchObject({ eventId: 'entra-disabled:u1:2026-11-30T08:00:00Z', terminationDate: '2026-12-01T08:00:00Z', disabled: true });
    expect(signalsFor({ ...disabled, disabledSince: '2026-12-01T00:00:00Z' }, NOW, settings)).toEqual({ pending: true });
    // A pre-hire account that waits disabled is not a leaver before its start.
    expect(signalsFor({ ...disabled, hireDate: '2026-12-03T00:00:00Z' }, NOW, settings).leave).toBeUndefined();
    expect(signalsFor({ ...disabled, disabledNotified: true }, NOW, settings).leave).toBeUndefined();
  });
});

describe('deletedAccountTerminations: the leaver a deleted account holding tokens is', () => {
  const at = '2026-03-02T10:00:00.000Z';
  it('goes under the employeeIds its rows carry, else the one Entra knew, else the object id; always with the object id and one event id', () => {
    const of = (held: (string | undefined)[], known?: string) => deletedAccountTerminations('u-1', held, known, at).map((m) => m.employeeId);
    expect(of(['E1', undefined, 'E1'])).toEqual(['E1']);
    expect(of([undefined], 'E7')).toEqual(['E7']);
    expect(of([], 'not a key!')).toEqual(['u-1']);
    expect(of(['bad id!'])).toEqual(['u-1']);
    expect(deletedAccountTerminations('u-1', ['E1'], undefined, at)).toEqual([{ eventId: 'entra-removed:u-1', type: 'employee.terminated', employeeId: 'E1', entraUserId: 'u-1', terminationDate: at }]);
  });
});

describe('syncDirectory with plain-object ports', () => {
  function fakes(pages: DirectoryChangePage[], members: string[]) {
    const sent: HrQueueMessage[] = [];
    const claimed = new Map<string, DeliveryClaim>();
    const watched = new Map<string, WatchedUser>();
    let cursor: { link?: string; etag?: string } = {};
    const deps = {
      changes: {
        page: async (link: string | undefined) => pages[link === undefined ? 0 : Number(link.split('#')[1])] ?? { users: [], deltaLink: 'delta#99' },
        isMemberOf: async (userId: string) => members.includes(userId),
      },
      store: {
        cursor: async () => cursor,
        saveCursor: async (link: string, etag: string | undefined) => {
          if (etag !== cursor.etag) return 'conflict' as const;
          cursor = { link, etag: `${Number(etag ?? 0) + 1}` };
          return { etag: cursor.etag! };
        },
        watched: async () => [...watched.values()].map((w) => ({ ...w, etag: 'e' })),
        watch: async (w: WatchedUser) => void watched.set(w.userId, w),
        unwatch: async (w: WatchedUser) => void watched.delete(w.userId),
      },
      deliveries: {
        claim: async (eventId: string, facts: { receivedAt: string }) => claimed.get(eventId) ?? { first: true, state: 'received' as const, receivedAt: facts.receivedAt, etag: 'x' },
        markQueued: async (eventId: string) => void claimed.set(eventId, { first: false, state: 'queued', receivedAt: NOW.toISOString(), etag: 'y' }),
        stateOf: async (eventId: string) => claimed.get(eventId)?.state,
      },
      hrEvents: { send: async (message: HrQueueMessage) => void sent.push(message) },
      inventory: { list: async () => ({ tokens: [] }) },
      clock: { now: () => NOW },
      settings: { ...settings, groupId: 'g1' },
    };
    return { deps, sent, watched, cursor: () => cursor };
  }

  const hire = (id: string): DirectoryUserChange => ({ id, employeeId: `E-${id}`, hireDate: '2026-12-01T00:00:00Z' });

  it('pages through nextLinks, keeps the deltaLink, and provisions only members of DIRECTORY_SYNC_GROUP_ID', async () => {
    const { deps, sent, watched, cursor } = fakes([{ users: [hire('a')], nextLink: 'next#1' }, { users: [hire('b')], deltaLink: 'delta#2' }], ['a']);
    const summary = await syncDirectory(deps);
    expect(summary).toMatchObject({ pages: 2, users: 2, hires: 1, leavers: 0 });
    expect(sent.map((m) => m.employeeId)).toEqual(['E-a']);
    expect(cursor().link).toBe('delta#2');
    // The non-member stays watched while the hire window is open: a group membership added later counts.
    expect([...watched.keys()]).toEqual(['b']);
  });

  it('queues a change once however often it is read', async () => {
    const { deps, sent } = fakes([{ users: [hire('a'), hire('a')], deltaLink: 'delta#1' }], ['a']);
    await syncDirectory(deps);
    await syncDirectory({ ...deps, store: { ...deps.store, cursor: async () => ({}) } });
    expect(sent).toHaveLength(1);
  });

  it('stops when another run moved the cursor first', async () => {
    const { deps } = fakes([{ users: [hire('a')], nextLink: 'next#1' }], ['a']);
    const summary = await syncDirectory({ ...deps, store: { ...deps.store, saveCursor: async () => 'conflict' as const } });
    expect(summary.overtaken).toBe(true);
  });
});

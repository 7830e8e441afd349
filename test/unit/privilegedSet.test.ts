import { classifyHolderTarget } from '../../shared/domain/drift';
import type { TokenRecord } from '../../shared/domain/token';
import type { EntraUser, PrivilegedSet } from '../../shared/ports';
import { cachedTargetCheck, type TargetCheck, type TargetVerdict } from '../../shared/workflows/targetCheck';

const ADA: EntraUser = { id: 'U-ADA', userPrincipalName: 'ada@contoso.com', employeeId: 'E1', userType: 'Member' };
const ADMIN: EntraUser = { id: 'u-admin', userPrincipalName: 'admin@contoso.com', employeeId: 'E2', userType: 'Member' };
const REFUSED: TargetVerdict = { ok: false, refusal: 'privileged_account', detail: 'asked Entra' };

function scene(set: PrivilegedSet, options: { maxAgeMs?: number; readMs?: number } = {}) {
  let nowMs = 1_000_000;
  const reads: number[] = [];
  const perAccount: string[] = [];
  const pending: (() => void)[] = [];
  const directory = {
    async readPrivilegedSet() {
      reads.push(nowMs);
      if (options.readMs !== undefined) {
        await new Promise<void>((resolve) => pending.push(resolve));
        nowMs += options.readMs;
      }
      return set;
    },
  };
  const exact: TargetCheck = {
    async check(user) {
      perAccount.push(user.id);
      return REFUSED;
    },
  };
  const check = cachedTargetCheck(exact, directory, { protectedGroupIds: [] }, { maxAgeMs: options.maxAgeMs ?? 60_000, now: () => nowMs });
  return { check, reads, perAccount, advance: (ms: number) => (nowMs += ms), finishReads: () => pending.splice(0).forEach((resolve) => resolve()) };
}

describe('cachedTargetCheck', () => {
  const plain: PrivilegedSet = { privileged: new Set(['u-admin']) };

  it('passes an ordinary member by the set, and reads the set once for every check within its age', async () => {
    const s = scene(plain);
    const verdicts = await Promise.all([1, 2, 3].map(() => s.check.check(ADA, { privilegedAllowed: false })));
    expect(verdicts).toEqual([1, 2, 3].map(() => ({ ok: true, privileged: false })));
    s.advance(60_000);
    await s.check.check(ADA, { privilegedAllowed: false });
    expect(s.reads).toHaveLength(1);
    expect(s.perAccount).toEqual([]);
  });

  it('reads the set again once it is older than the maximum age, counted from when its read began', async () => {
    const s = scene(plain);
    await s.check.check(ADA, { privilegedAllowed: false });
    s.advance(60_001);
    await s.check.check(ADA, { privilegedAllowed: false });
    expect(s.reads).toHaveLength(2);

    // A read slower than the maximum age is stale when it lands: read again rather than trust it.
    const slow = scene(plain, { maxAgeMs: 1000, readMs: 1500 });
    const verdict = slow.check.check(ADA, { privilegedAllowed: false });
    for (let i = 0; i < 3 && slow.reads.length < 2; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      slow.finishReads();
    }
    await new Promise((resolve) => setImmediate(resolve));
    slow.finishReads();
    await verdict;
    expect(slow.reads).toHaveLength(2);
  });

  it('asks Entra about the account whenever the set does not clear it, when asked fresh, and for guests: a refusal is never the set’s alone', async () => {
    const s = scene(plain);
    expect(await s.check.check(ADMIN, { privilegedAllowed: false })).toBe(REFUSED);
    expect(await s.check.check(ADA, { privilegedAllowed: false, fresh: true })).toBe(REFUSED);
    expect(await s.check.check({ ...ADA, userType: 'Guest' }, { privilegedAllowed: false })).toBe(REFUSED);
    expect(s.perAccount).toEqual(['u-admin', 'U-ADA', 'U-ADA']);
  });

  it('with an allowed group, only its members pass by the set', async () => {
    const s = scene({ privileged: new Set(), allowed: new Set(['u-ada']) });
    expect(await s.check.check(ADA, { privilegedAllowed: false })).toEqual({ ok: true, privileged: false });
    expect(await s.check.check(ADMIN, { privilegedAllowed: true })).toBe(REFUSED);
    expect(s.perAccount).toEqual(['u-admin']);
  });

  it('fails the check when the set cannot be read, and reads it again next time', async () => {
    let fail = true;
    const check = cachedTargetCheck({ check: async () => REFUSED }, { readPrivilegedSet: async () => (fail ? Promise.reject(new Error('Graph unavailable')) : plain) }, { protectedGroupIds: [] }, { maxAgeMs: 60_000 });
    await expect(check.check(ADA, { privilegedAllowed: false })).rejects.toThrow('Graph unavailable');
    fail = false;
    expect(await check.check(ADA, { privilegedAllowed: false })).toEqual({ ok: true, privileged: false });
  });
});

describe('classifyHolderTarget', () => {
  const now = new Date('2026-12-07T12:00:00Z');
  const token: TokenRecord = {
    serialNumber: 'S1',
    manufacturer: 'Token2',
    model: 'C202',
    timeIntervalInSeconds: 30,
    hashFunction: 'hmacsha1',
    seedOrigin: 'vendor',
    pool: '',
    status: 'active',
    seedSecretName: 'seed-S1',
    entraDeviceId: 'd-1',
    employeeId: 'E2',
    entraUserId: 'u-admin',
    createdAt: '2026-12-01T00:00:00Z',
    updatedAt: '2026-12-01T00:00:00Z',
    lastChangeReason: 'activated',
  };
  const device = { id: 'd-1', serialNumber: 'S1', status: 'activated' as const, assignedTo: { id: 'u-admin' } };

  it('finds a token held by a privileged account or one outside the allowed group, and leaves an approved administrator’s', () => {
    expect(classifyHolderTarget(device, token, { privileged: true, outsideAllowedGroup: false }, now)).toMatchObject({ kind: 'held_outside_targets', repair: 'take_back', entraUserId: 'u-admin', employeeId: 'E2' });
    expect(classifyHolderTarget(device, { ...token, privilegedApprovedBy: 'admin x' }, { privileged: true, outsideAllowedGroup: false }, now)).toBeUndefined();
    expect(classifyHolderTarget(device, { ...token, privilegedApprovedBy: 'admin x' }, { privileged: true, outsideAllowedGroup: true }, now)).toMatchObject({ repair: 'take_back' });
    expect(classifyHolderTarget(device, token, { privileged: false, outsideAllowedGroup: false }, now)).toBeUndefined();
  });

  it('leaves devices that are not ours, and tokens in flight', () => {
    expect(classifyHolderTarget(device, undefined, { privileged: true, outsideAllowedGroup: false }, now)).toBeUndefined();
    expect(classifyHolderTarget(device, { ...token, updatedAt: now.toISOString() }, { privileged: true, outsideAllowedGroup: false }, now)).toBeUndefined();
  });
});

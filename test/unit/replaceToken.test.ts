import type { TokenRecord } from '../../shared/domain/token';
import type { AuditEntry, EntraUser, ProvisioningRecord, TemporaryAccessPassInfo } from '../../shared/ports';
import { passValidUntil, REPLACE_CLAIM_SECONDS, replaceUserToken, type ReplaceDeps } from '../../shared/workflows/replaceToken';

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

/** One claim per key at a time, as the table gives them; a claim left by a crash lapses when the clock passes it. */
function claims(now: () => Date) {
  const held = new Map<string, number>();
  const released: string[] = [];
  return {
    held,
    released,
    claim: async (key: string) => {
      const until = held.get(key);
      if (until !== undefined && until > now().getTime()) return { ok: false as const, retryAfterSeconds: Math.ceil((until - now().getTime()) / 1000) };
      held.set(key, now().getTime() + REPLACE_CLAIM_SECONDS * 1000);
      return {
        ok: true as const,
        slot: {
          holdAgain: async () => true,
          release: async () => {
            released.push(key);
            held.delete(key);
          },
        },
      };
    },
  };
}

function world(passes: TemporaryAccessPassInfo[] = [], leavers: ProvisioningRecord[] = []) {
  const checked: string[] = [];
  const issuedTo: string[] = [];
  const sent: unknown[] = [];
  const audit: AuditEntry[] = [];
  const deps = {
    inventory: { list: async () => ({ tokens: [LOST] }) },
    directory: { findUserByUpn: async (ref: string) => [HOLDER, NEWCOMER].find((u) => u.id === ref || u.userPrincipalName === ref) },
    provisioning: {
      list: async (employeeId: string) => leavers.filter((r) => r.employeeId === employeeId),
      get: async (employeeId: string, kind: string) => leavers.find((r) => r.employeeId === employeeId && r.kind === kind),
      leaversNaming: async (userId: string) => leavers.filter((r) => r.kind === 'leaver' && r.entraUserId === userId),
    },
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
  const store = claims(() => deps.clock.now());
  Object.assign(deps, { replaceClaims: store });
  return { deps, checked, issuedTo, sent, audit, claims: store };
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

  it('refuses a leaver, also one filed under another employeeId that names the account, before touching anything', async () => {
    const leaver = (employeeId: string): ProvisioningRecord => ({ employeeId, kind: 'leaver', status: 'completed', attempts: 0, eventIds: ['t-1'], entraUserId: 'u-holder', terminationDate: '2026-12-01', createdAt: NOW.toISOString(), updatedAt: NOW.toISOString() });
    for (const filedUnder of ['E9', 'E7']) {
      const w = world([], [leaver(filedUnder)]);
      const result = await replaceUserToken(w.deps, 'ada@contoso.com', request, context);
      expect(result).toEqual({ outcome: 'not_allowed', serialNumber: 'RT-1', detail: expect.stringMatching(/is a leaver \(.*terminated on 2026-12-01\); a leaver gets no replacement$/) });
      expect(w.issuedTo).toEqual([]);
      expect(w.sent).toEqual([]);
    }
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

  describe('two replacements of one person at the same moment', () => {
    /** Entra as the workflow sees it: a pass issued is listed from then on; each call takes its time. */
    function entra(w: ReturnType<typeof world>) {
      const issued: TemporaryAccessPassInfo[] = [];
      const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
      Object.assign(w.deps.accessPasses, {
        temporaryAccessPassesOf: async () => {
          await tick();
          return [...issued];
        },
        issueTemporaryAccessPass: async (userId: string, lifetimeInMinutes: number) => {
          await tick();
          w.issuedTo.push(userId);
          const pass = { id: `tap-${w.issuedTo.length}`, temporaryAccessPass: `S3cr3tPass${w.issuedTo.length}`, startDateTime: NOW.toISOString(), lifetimeInMinutes, isUsableOnce: true };
          issued.push({ id: pass.id, startDateTime: pass.startDateTime, lifetimeInMinutes });
          return pass;
        },
      });
    }

    it('only one mints a pass; the other is refused before it changes anything, and the claim outlives the pass it guarded', async () => {
      const w = world();
      entra(w);
      const store = w.claims;
      const results = await Promise.all([replaceUserToken(w.deps, 'ada@contoso.com', request, context), replaceUserToken(w.deps, 'ada@contoso.com', request, context)]);
      expect(w.issuedTo).toEqual(['u-holder']);
      expect(results.map((r) => r.outcome).sort()).toEqual(['done', 'replace_running']);
      const loser = results.find((r) => r.outcome === 'replace_running');
      expect(loser).toEqual({ outcome: 'replace_running', serialNumber: 'RT-1', detail: expect.stringContaining('another replacement of ada.lovelace@contoso.com') });
      expect(loser?.detail).toContain('lapses 5 minutes after');
      // Nothing of the loser's: one hire queued, one replacement audited.
      expect(w.sent).toHaveLength(1);
      expect(w.audit.filter((e) => e.action === 'token.replaced')).toHaveLength(1);
      expect(store.held.has('u-holder')).toBe(true);
      expect(store.released).toEqual([]);
    });

    it('a claim left by a crashed call holds the person only until it lapses', async () => {
      let now = NOW.getTime();
      const w = world();
      Object.assign(w.deps, { clock: { now: () => new Date(now) } });
      const store = w.claims;
      store.held.set('u-holder', now + REPLACE_CLAIM_SECONDS * 1000);
      expect(await replaceUserToken(w.deps, 'ada@contoso.com', request, context)).toMatchObject({ outcome: 'replace_running' });
      expect(w.issuedTo).toEqual([]);
      now += REPLACE_CLAIM_SECONDS * 1000;
      expect(await replaceUserToken(w.deps, 'ada@contoso.com', request, context)).toMatchObject({ outcome: 'done' });
      expect(w.issuedTo).toEqual(['u-holder']);
    });

    it('a call that ends without a pass gives its claim back at once; one that asks for no pass takes none', async () => {
      const w = world();
      const store = w.claims;
      Object.assign(w.deps.hrEvents, {
        send: async () => {
          throw new Error('queue unavailable');
        },
      });
      await expect(replaceUserToken(w.deps, 'ada@contoso.com', request, context)).rejects.toThrow('queue unavailable');
      expect([store.released, [...store.held.keys()]]).toEqual([['u-holder'], []]);
      const plain = world();
      const none = plain.claims;
      expect(await replaceUserToken(plain.deps, 'ada@contoso.com', { ...request, temporaryAccessPass: false }, context)).toMatchObject({ outcome: 'done' });
      expect(none.held.size + none.released.length).toBe(0);
    });

    it('a call whose claim lapsed while it ran, and was taken by another, mints nothing', async () => {
      const w = world();
      const store = w.claims;
      const claim = store.claim;
      store.claim = async (key: string) => {
        const taken = await claim(key);
        return taken.ok ? { ok: true as const, slot: { ...taken.slot, holdAgain: async () => false } } : taken;
      };
      expect(await replaceUserToken(w.deps, 'ada@contoso.com', request, context)).toMatchObject({ outcome: 'replace_running', detail: expect.stringContaining('no Temporary Access Pass was issued here') });
      expect(w.issuedTo).toEqual([]);
    });
  });

  it('passValidUntil: a pass not yet started is live; an expired or spent one is not', () => {
    expect(passValidUntil({ id: 'p', startDateTime: '2026-12-07T11:00:00Z', lifetimeInMinutes: 10, usabilityReason: 'NotYetValid' }, NOW)).toEqual(new Date('2026-12-07T11:10:00Z'));
    expect(passValidUntil({ id: 'p', startDateTime: '2026-12-07T09:00:00Z', lifetimeInMinutes: 60 }, NOW)).toBeUndefined();
    expect(passValidUntil({ id: 'p', startDateTime: '2026-12-07T09:59:00Z', lifetimeInMinutes: 60, usabilityReason: 'Expired' }, NOW)).toBeUndefined();
  });
});

import { generateSeed, totpCode } from '../../shared/domain/seed';
import type { TokenRecord } from '../../shared/domain/token';
import type { HrQueueMessage } from '../../shared/domain/hrEvent';
import type { AuditEntry, EntraDevice, EntraUser } from '../../shared/ports';
import { HANDOVER, claimCode, confirmInEntra, findToken as findHandedOver, matchShownCode, type HandoverContext, type HandoverDeps } from '../../shared/workflows/handover';
import { REPLACEMENT, checkAccount, findToken, keepOneLivePass, queueReplacement, revokeHeld, type ReplaceContext, type ReplaceDeps } from '../../shared/workflows/replaceToken';

/* The replacement's and the hand-over's steps on their own: each looks at what the steps before found, and ends the call or goes on. */

const NOW = new Date('2026-12-07T10:00:00Z');
const ADA: EntraUser = { id: 'u-ada', userPrincipalName: 'ada@contoso.com', employeeId: 'E1', userType: 'Member' };
const context = { actor: 'admin a-1', correlationId: 'c-1' };

const row = (fields: Partial<TokenRecord>): TokenRecord => ({
  serialNumber: 'S-1',
  manufacturer: 'Token2',
  model: 'C202',
  timeIntervalInSeconds: 30,
  hashFunction: 'hmacsha1',
  seedOrigin: 'vendor',
  pool: 'GVA',
  status: 'active',
  seedSecretName: 'seed-S-1',
  entraDeviceId: 'dev-1',
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
  lastChangeReason: 'test',
  ...fields,
});

describe('the replacement steps', () => {
  function replacing(fields: Partial<ReplaceContext> = {}, options: { tokens?: TokenRecord[]; privileged?: boolean; passes?: { startDateTime: string; lifetimeInMinutes: number }[] } = {}) {
    const sent: HrQueueMessage[] = [];
    const audit: AuditEntry[] = [];
    const deps = {
      inventory: { list: async () => ({ tokens: options.tokens ?? [] }) },
      directory: { findUserByUpn: async (ref: string) => (ref === ADA.id || ref === ADA.userPrincipalName ? ADA : undefined) },
      provisioning: { list: async () => [] },
      targets: {
        check: async (_user: EntraUser, { privilegedAllowed }: { privilegedAllowed: boolean }) =>
          options.privileged && !privilegedAllowed ? { ok: false as const, refusal: 'privileged_account' as const, detail: 'holds a role' } : { ok: true as const, privileged: options.privileged === true },
      },
      hrEvents: { send: async (message: HrQueueMessage) => void sent.push(message) },
      accessPasses: { temporaryAccessPassesOf: async () => (options.passes ?? []).map((p, i) => ({ id: `p${i}`, ...p })) },
      audit: { record: async (entry: AuditEntry) => void audit.push(entry) },
      clock: { now: () => NOW },
    } as unknown as ReplaceDeps;
    const ctx: ReplaceContext = { deps, user: 'ada@contoso.com', request: { reason: 'lost', temporaryAccessPass: false, tapEnabled: true, tapLifetimeMinutes: 60 }, context, ...fields };
    return { ctx, sent, audit };
  }

  it('runs every refusal before the old token is touched', () => {
    expect(REPLACEMENT.map((step) => step.name)).toEqual([
      'find the token',
      'find the holder',
      'refuse a leaver',
      'check the account',
      'keep one live pass',
      'claim the person',
      'revoke the token',
      'queue the replacement hire',
      'issue the pass',
      'audit the replacement',
    ]);
  });

  it('find the token: the one held, a repeat finds the one revoked for this reason, or none', async () => {
    const held = replacing({}, { tokens: [row({ status: 'active' })] });
    expect(await findToken(held.ctx)).toBeUndefined();
    expect(held.ctx.held?.serialNumber).toBe('S-1');
    const repeat = replacing({}, { tokens: [row({ status: 'lost', revocationReason: 'lost' })] });
    expect(await findToken(repeat.ctx)).toBeUndefined();
    expect([repeat.ctx.held, repeat.ctx.target?.serialNumber]).toEqual([undefined, 'S-1']);
    expect(await findToken(replacing({}, { tokens: [row({ status: 'lost', revocationReason: 'stolen' })] }).ctx)).toEqual({ outcome: 'no_token', detail: 'ada@contoso.com holds no token to replace' });
  });

  it('check the account: no pass when passes are off; a privileged account only for a privileged admin, who approves it', async () => {
    const off = replacing({ target: row({}), holderAccount: ADA, request: { reason: 'lost', temporaryAccessPass: true, tapEnabled: false, tapLifetimeMinutes: 60 } });
    expect(await checkAccount(off.ctx)).toMatchObject({ outcome: 'not_allowed', detail: expect.stringContaining('TEMPORARY_ACCESS_PASS') });
    const refused = replacing({ target: row({}), holderAccount: ADA }, { privileged: true });
    expect(await checkAccount(refused.ctx)).toMatchObject({ outcome: 'not_allowed', detail: 'privileged_account: holds a role' });
    const approved = replacing({ target: row({}), holderAccount: ADA, request: { reason: 'lost', temporaryAccessPass: false, tapEnabled: true, tapLifetimeMinutes: 60, privilegedAllowed: true } }, { privileged: true });
    expect(await checkAccount(approved.ctx)).toBeUndefined();
    expect(approved.ctx.privilegedApproval).toEqual({ entraUserId: 'u-ada', approvedBy: 'admin a-1' });
  });

  it('keep one live pass: a pass still valid ends the call; an expired one does not', async () => {
    const request = { reason: 'lost' as const, temporaryAccessPass: true, tapEnabled: true, tapLifetimeMinutes: 60 };
    const live = replacing({ target: row({}), account: ADA, request }, { passes: [{ startDateTime: '2026-12-07T09:30:00Z', lifetimeInMinutes: 60 }] });
    expect(await keepOneLivePass(live.ctx)).toMatchObject({ outcome: 'pass_live', expiresAt: '2026-12-07T10:30:00.000Z' });
    const expired = replacing({ target: row({}), account: ADA, request }, { passes: [{ startDateTime: '2026-12-07T08:00:00Z', lifetimeInMinutes: 60 }] });
    expect(await keepOneLivePass(expired.ctx)).toBeUndefined();
  });

  it('revoke the token: a repeat revokes nothing again; queue the replacement hire: one event per revoked token, from its pool, with the approval', async () => {
    const repeat = replacing({ target: row({ status: 'lost' }) });
    expect(await revokeHeld(repeat.ctx)).toBeUndefined();
    expect(repeat.ctx.revoked).toEqual({ serialNumber: 'S-1', status: 'lost', changed: false });
    const queued = replacing({ target: row({ userPrincipalName: 'ada@contoso.com' }), employeeId: 'E1', privilegedApproval: { entraUserId: 'u-ada', approvedBy: 'admin a-1' } });
    expect(await queueReplacement(queued.ctx)).toBeUndefined();
    expect(queued.sent).toEqual([
      expect.objectContaining({ eventId: 'replace-S-1', type: 'employee.hired', employeeId: 'E1', location: 'GVA', userPrincipalName: 'ada@contoso.com', privilegedApproval: { entraUserId: 'u-ada', approvedBy: 'admin a-1' } }),
    ]);
  });
});

describe('the hand-over steps', () => {
  const seed = generateSeed('hmacsha1');
  function handingOver(token: TokenRecord | undefined, options: { device?: EntraDevice; conflict?: boolean } = {}) {
    const audit: AuditEntry[] = [];
    const deps = {
      inventory: { get: async () => token, replace: async (next: TokenRecord) => (options.conflict ? 'conflict' : next) },
      seeds: { get: async () => seed },
      directory: { findDeviceBySerial: async () => options.device },
      audit: { record: async (entry: AuditEntry) => void audit.push(entry) },
      clock: { now: () => NOW },
    } as unknown as HandoverDeps;
    const ctx: HandoverContext = { deps, serial: 'S-1', code: totpCode(seed, 30, 'hmacsha1', NOW), settings: { driftSteps: 2, alertSteps: 1 }, context };
    return { ctx, audit };
  }
  const waiting = row({ status: 'awaiting_handover', employeeId: 'E1', entraUserId: 'u-ada', userPrincipalName: 'ada@contoso.com', handover: { site: 'GVA', since: NOW.toISOString() } });

  it('runs in the order the desk works', () => {
    expect(HANDOVER.map((step) => step.name)).toEqual(['find the token', 'match the code shown', 'confirm the holder in Entra', 'check the holder again', 'claim the code', 'activate in Entra', 'mark handed over']);
  });

  it('find the token: none, or one that is not awaiting hand-over, ends it', async () => {
    expect(await findHandedOver(handingOver(undefined).ctx)).toEqual({ outcome: 'not_found', detail: 'No token with serial number S-1 in the inventory' });
    expect(await findHandedOver(handingOver(row({ status: 'in_stock' })).ctx)).toMatchObject({ outcome: 'refused', reason: 'not_awaiting_handover' });
    expect(await findHandedOver(handingOver(waiting).ctx)).toBeUndefined();
  });

  it('match the code shown: this token\'s code goes on; another token\'s, or a code already used, is refused and audited', async () => {
    const right = handingOver(waiting);
    right.ctx.token = waiting;
    expect(await matchShownCode(right.ctx)).toBeUndefined();
    expect(right.ctx.match).toEqual({ step: Math.floor(NOW.getTime() / 30_000), driftSteps: 0 });
    const wrong = handingOver(waiting);
    wrong.ctx.token = waiting;
    Object.assign(wrong.ctx, { code: totpCode(generateSeed('hmacsha1'), 30, 'hmacsha1', NOW) });
    expect(await matchShownCode(wrong.ctx)).toMatchObject({ outcome: 'refused', reason: 'wrong_token' });
    expect(wrong.audit).toEqual([expect.objectContaining({ action: 'token.handover', outcome: 'rejected' })]);
    const replay = handingOver(waiting);
    replay.ctx.token = { ...waiting, lastCodeStep: Math.floor(NOW.getTime() / 30_000) };
    expect(await matchShownCode(replay.ctx)).toMatchObject({ outcome: 'refused', reason: 'code_used' });
  });

  it('confirm the holder in Entra, then claim the code: a device on someone else, or a row changed meanwhile, ends it', async () => {
    const device: EntraDevice = { id: 'dev-1', serialNumber: 'S-1', manufacturer: 'Token2', model: 'C202', status: 'assigned', timeIntervalInSeconds: 30, hashFunction: 'hmacsha1', assignedTo: { id: 'u-other' } };
    const elsewhere = handingOver(waiting, { device });
    elsewhere.ctx.token = waiting;
    expect(await confirmInEntra(elsewhere.ctx)).toMatchObject({ outcome: 'refused', reason: 'entra_mismatch' });
    const here = handingOver(waiting, { device: { ...device, assignedTo: { id: 'u-ada' } }, conflict: true });
    Object.assign(here.ctx, { token: waiting, now: NOW, match: { step: 1, driftSteps: 0 } });
    expect(await confirmInEntra(here.ctx)).toBeUndefined();
    expect(await claimCode(here.ctx)).toMatchObject({ outcome: 'refused', reason: 'changed_meanwhile' });
  });
});

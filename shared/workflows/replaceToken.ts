import type { HrQueueMessage } from '../domain/hrEvent';
import { isHeld, serialKey, type RevokeReason, type TokenRecord, type TokenStatus } from '../domain/token';
import type { AccessPasses, ClaimedSlot, EntraUser, ProvisioningRecord, ProvisioningStore, SlotClaims, TemporaryAccessPass, TemporaryAccessPassInfo, WorkQueue } from '../ports';
import { revokeToken, tokensOf, type ActionContext, type RevokeDeps } from './revokeToken';
import { found, runSteps, type Step } from './steps';
import { leaverOf, type TargetCheck } from './targetCheck';

/**
 * Replacement in one call: the held token is revoked for the reason given (Entra first, as a revoke
 * does), and a hire for the same person goes on hr-events, so the joiner saga (with every check it
 * makes, in the configured activation mode) provisions another token from the person's pool. On
 * request a one-time Temporary Access Pass lets the person sign in until the new token is in hand;
 * the pass is handed back to the caller only, never logged, queued or stored. One live pass per person:
 * while the last one Entra lists is still valid, no other is issued (a repeated call would otherwise
 * hand out a new pass each time). Each issuance is audited by the pass's id. Two calls at the same
 * moment would each see no live pass and each mint one (Entra keeps only the newer): a replacement
 * with a pass first claims the person in storage, and only the claim's holder goes on.
 */

export type ReplaceReason = Extract<RevokeReason, 'lost' | 'stolen' | 'damaged'>;
export const REPLACE_REASONS: readonly ReplaceReason[] = ['lost', 'stolen', 'damaged'];

export interface ReplaceDeps extends RevokeDeps {
  provisioning: ProvisioningStore;
  hrEvents: WorkQueue<HrQueueMessage>;
  accessPasses: AccessPasses;
  /** Who may receive a token (and a Temporary Access Pass): asked before the old token is touched. */
  targets: TargetCheck;
  /** One claim per Entra account (limit 1, REPLACE_CLAIM_SECONDS each): one replacement with a pass at a time. */
  replaceClaims: SlotClaims;
}

/**
 * How long a replacement's claim on a person holds: longer than a call runs, so a running call keeps it
 * (and it is taken again right before the pass is minted); a crashed call's claim lapses after this.
 * A call that minted a pass keeps it until then, so a call right behind it sees the pass or the claim.
 */
export const REPLACE_CLAIM_SECONDS = 300;

export type ReplaceResult =
  | {
      outcome: 'done';
      revoked: { serialNumber: string; status: TokenStatus; changed: boolean };
      replacement: { status: 'queued'; eventId: string; employeeId: string };
      temporaryAccessPass?: TemporaryAccessPass;
    }
  | { outcome: 'no_token'; detail: string }
  | { outcome: 'not_allowed'; detail: string; serialNumber?: string }
  /** The person still has a valid pass: nothing was changed. */
  | { outcome: 'pass_live'; detail: string; serialNumber: string; expiresAt: string }
  /** Another replacement with a pass holds the person's claim: nothing was changed. */
  | { outcome: 'replace_running'; detail: string; serialNumber: string };

/** When a listed pass stops being valid, or undefined when it already has (expired, or its one use spent). */
export function passValidUntil(pass: TemporaryAccessPassInfo, now: Date): Date | undefined {
  if (pass.usabilityReason === 'Expired' || pass.usabilityReason === 'OneTimeUsed') return undefined;
  const end = new Date(Date.parse(pass.startDateTime) + pass.lifetimeInMinutes * 60_000);
  return Number.isNaN(end.getTime()) || end <= now ? undefined : end;
}

/** The hire event a replacement sends: one per revoked token, so a repeated call re-sends the same one. */
export const replacementEventId = (serialNumber: string): string => `replace-${serialKey(serialNumber)}`;

export interface ReplaceRequest {
  reason: ReplaceReason;
  note?: string;
  temporaryAccessPass: boolean;
  tapEnabled: boolean;
  tapLifetimeMinutes: number;
  privilegedAllowed?: boolean;
}

/** What the replacement's steps share: the call, and what the steps before have found or done. */
export interface ReplaceContext {
  readonly deps: ReplaceDeps;
  readonly user: string;
  readonly request: ReplaceRequest;
  readonly context: ActionContext;
  /** The token to replace: the one held, or the one a lost answer already revoked for this reason. */
  target?: TokenRecord;
  held?: TokenRecord;
  /** The holder's Entra account as the row names it, and the employee the replacement hire is for. */
  holderAccount?: EntraUser;
  employeeId?: string;
  joiner?: ProvisioningRecord;
  /** The account the target check and the pass are about. */
  account?: EntraUser;
  privilegedApproval?: { entraUserId: string; approvedBy: string };
  /** This call's claim on the person, when it asks for a pass. */
  claim?: ClaimedSlot;
  revoked?: { serialNumber: string; status: TokenStatus; changed: boolean };
  eventId?: string;
  location?: string;
  pass?: TemporaryAccessPass;
}

/** A step answers the call's result when it ends there (a refusal, or done), or undefined to go on. */
export type ReplaceStep = Step<ReplaceContext, ReplaceResult>;

/**
 * The replacement, in the order its steps run. Everything that could refuse it is checked before the
 * old token is touched; each step is defined below in this order.
 */
export const REPLACEMENT: readonly ReplaceStep[] = [
  { name: 'find the token', run: findToken },
  { name: 'find the holder', run: findHolder },
  { name: 'refuse a leaver', run: refuseLeaver },
  { name: 'check the account', run: checkAccount },
  { name: 'keep one live pass', run: keepOneLivePass },
  { name: 'claim the person', run: claimPerson },
  { name: 'revoke the token', run: revokeHeld },
  { name: 'queue the replacement hire', run: queueReplacement },
  { name: 'issue the pass', run: issuePass },
  { name: 'audit the replacement', run: auditReplacement },
];

export async function replaceUserToken(deps: ReplaceDeps, user: string, request: ReplaceRequest, context: ActionContext): Promise<ReplaceResult> {
  const ctx: ReplaceContext = { deps, user, request, context };
  try {
    return await runSteps(REPLACEMENT, ctx);
  } finally {
    // A call that minted no pass frees the person at once; one that did keeps the claim until it lapses.
    if (ctx.claim && !ctx.pass) await ctx.claim.release();
  }
}

/* ---------- the steps, in the order of REPLACEMENT ---------- */

export async function findToken(ctx: ReplaceContext): Promise<ReplaceResult | undefined> {
  const tokens = await tokensOf(ctx.deps.inventory, ctx.user);
  ctx.held = tokens.find((t) => isHeld(t.status));
  // A repeat after the answer was lost: the token is already gone for this very reason.
  const repeat = ctx.held ? undefined : tokens.find((t) => t.revocationReason === ctx.request.reason && (t.status === 'lost' || t.status === 'retired'));
  ctx.target = ctx.held ?? repeat;
  return ctx.target ? undefined : { outcome: 'no_token', detail: `${ctx.user} holds no token to replace` };
}

/** The holder's account: by the object id on the row when it has one (a UPN may have moved to another account since). */
export async function findHolder(ctx: ReplaceContext): Promise<ReplaceResult | undefined> {
  const target = found(ctx.target, 'the token');
  const { directory } = ctx.deps;
  ctx.holderAccount = target.entraUserId ? await directory.findUserByUpn(target.entraUserId) : target.userPrincipalName ? await directory.findUserByUpn(target.userPrincipalName) : undefined;
  ctx.employeeId = target.employeeId ?? ctx.holderAccount?.employeeId;
  if (ctx.employeeId) return undefined;
  return { outcome: 'not_allowed', serialNumber: target.serialNumber, detail: `${target.serialNumber} was not handed out through an HR hire and its holder has no employeeId in Entra; revoke it and send a hire event instead` };
}

export async function refuseLeaver(ctx: ReplaceContext): Promise<ReplaceResult | undefined> {
  const target = found(ctx.target, 'the token');
  const employeeId = found(ctx.employeeId, 'the employee');
  const filed = await ctx.deps.provisioning.list(employeeId);
  ctx.joiner = filed.find((r) => r.kind === 'joiner');
  // By the employeeId and by the account the token is on: a leaver filed under another employeeId counts too.
  const leaver = await leaverOf(ctx.deps, { employeeId, ...(target.entraUserId ? { entraUserId: target.entraUserId } : {}) }, filed);
  return leaver ? { outcome: 'not_allowed', serialNumber: target.serialNumber, detail: `${leaver}; a leaver gets no replacement` } : undefined;
}

/**
 * The account the target check and the pass are about. A replacement gives a sign-in factor (and maybe
 * a pass) to an account that has had time to become privileged since its first token: asked about now,
 * not judged by the shared privileged set.
 */
export async function checkAccount(ctx: ReplaceContext): Promise<ReplaceResult | undefined> {
  const { request, deps, joiner } = ctx;
  const target = found(ctx.target, 'the token');
  if (request.temporaryAccessPass && !request.tapEnabled) {
    return { outcome: 'not_allowed', serialNumber: target.serialNumber, detail: 'Temporary Access Passes are off here (TEMPORARY_ACCESS_PASS); replace without one, or have them turned on' };
  }
  ctx.account = ctx.holderAccount ?? (!target.entraUserId && joiner?.entraUserId ? await deps.directory.findUserByUpn(joiner.entraUserId) : undefined);
  const account = ctx.account;
  if (request.temporaryAccessPass && !account) return { outcome: 'not_allowed', serialNumber: target.serialNumber, detail: `the Entra account of ${ctx.user} is not known, so no Temporary Access Pass can be issued` };
  if (!account) return undefined;
  const verdict = await deps.targets.check(account, { privilegedAllowed: request.privilegedAllowed === true, fresh: true });
  if (!verdict.ok) return { outcome: 'not_allowed', serialNumber: target.serialNumber, detail: `${verdict.refusal}: ${verdict.detail}` };
  // The privileged admin who asks for the replacement approves it for this account, and only this one.
  if (verdict.privileged) ctx.privilegedApproval = { entraUserId: account.id, approvedBy: ctx.context.actor };
  return undefined;
}

/** While the last pass Entra lists is still valid, no other is issued (a repeated call would otherwise hand out a new pass each time). */
export async function keepOneLivePass(ctx: ReplaceContext): Promise<ReplaceResult | undefined> {
  const { request, account, deps } = ctx;
  if (!request.temporaryAccessPass || !account) return undefined;
  const target = found(ctx.target, 'the token');
  const now = deps.clock.now();
  const validUntil = (await deps.accessPasses.temporaryAccessPassesOf(account.id))
    .map((pass) => passValidUntil(pass, now))
    .filter((end): end is Date => end !== undefined)
    .sort((a, b) => b.getTime() - a.getTime())[0];
  if (!validUntil) return undefined;
  const expiresAt = validUntil.toISOString();
  return {
    outcome: 'pass_live',
    serialNumber: target.serialNumber,
    expiresAt,
    detail: `${account.userPrincipalName || ctx.user} already has a Temporary Access Pass, valid until ${expiresAt}; another is issued only after it expires (or is used)`,
  };
}

/**
 * A replacement with a pass claims the person (their Entra account) before anything is changed; a call
 * that finds the claim taken answers so and changes nothing.
 */
export async function claimPerson(ctx: ReplaceContext): Promise<ReplaceResult | undefined> {
  const { request, account, deps } = ctx;
  if (!request.temporaryAccessPass || !account) return undefined;
  const claim = await deps.replaceClaims.claim(account.id);
  if (claim.ok) {
    ctx.claim = claim.slot;
    return undefined;
  }
  return {
    outcome: 'replace_running',
    serialNumber: found(ctx.target, 'the token').serialNumber,
    detail: `another replacement of ${account.userPrincipalName || ctx.user}'s token with a Temporary Access Pass is under way or has just issued one; nothing was changed. Ask again once it has answered (a claim left by a call that failed lapses ${REPLACE_CLAIM_SECONDS / 60} minutes after it was taken)`,
  };
}

/** The held token is revoked for the reason given (Entra first, as a revoke does); a repeat finds it revoked already. */
export async function revokeHeld(ctx: ReplaceContext): Promise<ReplaceResult | undefined> {
  const target = found(ctx.target, 'the token');
  ctx.revoked = { serialNumber: target.serialNumber, status: target.status, changed: false };
  if (!ctx.held) return undefined;
  const result = await revokeToken(ctx.deps, ctx.held, ctx.request.reason, ctx.request.note, ctx.context);
  if (result.outcome !== 'done') return result.outcome === 'no_token' ? result : { outcome: 'not_allowed', serialNumber: target.serialNumber, detail: result.detail };
  ctx.revoked = { serialNumber: result.serialNumber, status: result.status, changed: result.changed };
  return undefined;
}

/** A hire for the same person on hr-events, one per revoked token, so the joiner saga provisions another from the person's pool. */
export async function queueReplacement(ctx: ReplaceContext): Promise<ReplaceResult | undefined> {
  const target = found(ctx.target, 'the token');
  const employeeId = found(ctx.employeeId, 'the employee');
  const { joiner, privilegedApproval, deps } = ctx;
  ctx.eventId = replacementEventId(target.serialNumber);
  const upn = target.userPrincipalName ?? joiner?.userPrincipalName;
  ctx.location = joiner?.location ?? (target.pool !== '' ? target.pool : undefined);
  await deps.hrEvents.send({
    eventId: ctx.eventId,
    type: 'employee.hired',
    employeeId,
    ...(upn ? { userPrincipalName: upn } : {}),
    ...(ctx.location ? { location: ctx.location } : {}),
    ...(privilegedApproval ? { privilegedApproval } : {}),
    firstSeenAt: deps.clock.now().toISOString(),
  });
  return undefined;
}

/** The pass goes back to the caller only, never logged, queued or stored; its issuance is audited by its id. */
export async function issuePass(ctx: ReplaceContext): Promise<ReplaceResult | undefined> {
  const { request, account, deps, context } = ctx;
  if (!request.temporaryAccessPass || !account) return undefined;
  // The claim again, right before minting: a call that ran past its claim, now another's, mints nothing.
  if (!(await found(ctx.claim, 'the claim').holdAgain())) {
    return {
      outcome: 'replace_running',
      serialNumber: found(ctx.target, 'the token').serialNumber,
      detail: `this call ran past its claim on ${account.userPrincipalName || ctx.user} and another replacement holds it now: the token was revoked and the replacement queued, but no Temporary Access Pass was issued here`,
    };
  }
  const pass = await deps.accessPasses.issueTemporaryAccessPass(account.id, request.tapLifetimeMinutes);
  ctx.pass = pass;
  await deps.audit.record({
    actor: context.actor,
    action: 'temporary_access_pass.issued',
    serialNumber: found(ctx.target, 'the token').serialNumber,
    employeeId: found(ctx.employeeId, 'the employee'),
    correlationId: context.correlationId,
    outcome: 'succeeded',
    detail: `pass ${pass.id} for account ${account.id}, from ${pass.startDateTime} for ${pass.lifetimeInMinutes} min${pass.isUsableOnce ? ', one use' : ''}`,
  });
  return undefined;
}

export async function auditReplacement(ctx: ReplaceContext): Promise<ReplaceResult> {
  const { request, context, pass, location } = ctx;
  const target = found(ctx.target, 'the token');
  const employeeId = found(ctx.employeeId, 'the employee');
  const revoked = found(ctx.revoked, 'the revocation');
  const eventId = found(ctx.eventId, 'the replacement hire');
  await ctx.deps.audit.record({
    actor: context.actor,
    action: 'token.replaced',
    serialNumber: target.serialNumber,
    employeeId,
    correlationId: context.correlationId,
    outcome: 'succeeded',
    detail: `${request.reason}: ${target.serialNumber} ${revoked.status}; replacement queued as ${eventId}${location ? ` from pool ${location}` : ''}${pass ? `; Temporary Access Pass ${pass.id} issued (${pass.lifetimeInMinutes} min, one use)` : ''}`,
  });
  return { outcome: 'done', revoked, replacement: { status: 'queued', eventId, employeeId }, ...(pass ? { temporaryAccessPass: pass } : {}) };
}

import { deferralSeconds, instantOf, provisioningDueAt, userWaitSeconds, type HrQueueMessage } from '../domain/hrEvent';
import { holderLabel, withoutHolder, type TokenRecord, type TokenStatus } from '../domain/token';
import { UNSETTLED_HIRE, type EntraUser } from '../ports';
import { activateForHire } from './activation';
import type { Delivery, HrEventOutcome } from './hrEventOutcome';
import {
  fail,
  HireCancelled,
  heldBy,
  heldTokens,
  holderOf,
  joinerContext,
  nameOf,
  newRecord,
  noteCancelled,
  PermanentFailure,
  quarantine,
  release,
  save,
  withoutFields,
  type JoinerContext,
  type JoinerDeps,
  type JoinerStep,
} from './joinerContext';
import { describeFailure, MAX_WRITE_CONFLICTS, withEventId, writeRecord } from './provisioningRecords';
import { found } from './steps';
import { findHireTarget } from './targetCheck';

/**
 * The joiner saga: an HR hire becomes an activated hardware token in Entra. Every step first looks at
 * what is already done (the provisioning record, the token row, Entra), so a redelivered or crashed
 * message resumes instead of repeating, and concurrent deliveries of one hire converge on one token.
 *
 * Expected outcomes (deferred, waiting for the account, no stock, refused by Entra) are results; an
 * unexpected failure throws so the host retries the message, and on the host's last try the hire is
 * failed visibly, with its reserved token back in stock, before the message goes to the poison queue.
 */

/** Thrown on the host's last try, after the hire was failed visibly; the message then goes to poison. */
export class ProvisioningGaveUp extends Error {
  constructor(
    readonly employeeId: string,
    readonly reason: string,
    options: { cause: unknown },
  ) {
    super(`provisioning of ${employeeId} gave up: ${reason}`, options);
    this.name = 'ProvisioningGaveUp';
  }
}

/** What a step answers: go on (its `finishes` hook runs), go on with nothing to do here ('skipped': an earlier delivery did it), take another token, or end the hire. */
export type StepResult = 'next' | 'skipped' | 'another_token' | { outcome: HrEventOutcome };

export interface SagaStep {
  readonly name: string;
  /** The test hook's name for this step, when it has one. */
  readonly finishes?: JoinerStep;
  readonly run: (ctx: JoinerContext) => Promise<StepResult>;
}

/** The joiner, in the order its steps run; each is defined below in this order. */
export const JOINER_SAGA: readonly SagaStep[] = [
  { name: 'read the records', run: readRecords },
  { name: 'cancel for a past termination', run: cancelIfTerminated },
  { name: 'defer until due', run: deferUntilDue },
  { name: 'find the user', finishes: 'user_found', run: findUser },
  { name: 'allocate a token', finishes: 'token_reserved', run: allocateToken },
  { name: 'record the token', finishes: 'token_recorded', run: recordToken },
  { name: 'activate in Entra', finishes: 'activated', run: activateToken },
  { name: 'mark the token', finishes: 'token_marked', run: markToken },
  { name: 'audit the hire', finishes: 'audited', run: auditHire },
  { name: 'complete the record', finishes: 'completed', run: completeRecord },
];

/** Where the saga goes back to when a token proved unusable. */
const ANOTHER_TOKEN_FROM = JOINER_SAGA.findIndex((step) => step.run === allocateToken);

export async function provisionJoiner(message: HrQueueMessage, deps: JoinerDeps, delivery: Delivery): Promise<HrEventOutcome> {
  const ctx = joinerContext(message, deps);
  try {
    return await runSaga(ctx);
  } catch (error) {
    if (error instanceof PermanentFailure) return fail(ctx, error.reason, error.refusal);
    const reason = describeFailure(error);
    if (delivery.dequeueCount >= delivery.maxDequeueCount) {
      const final = `gave up after ${delivery.dequeueCount} tries; the last failed with ${reason}`;
      try {
        await fail(ctx, final);
      } catch {
        // Storage itself may be what fails; the poison message still shows the hire was not done.
      }
      throw new ProvisioningGaveUp(ctx.employeeId, final, { cause: error });
    }
    try {
      await noteRetry(ctx, delivery, reason);
    } catch {
      // Best effort: the host retries the message whether or not the note was written.
    }
    throw error;
  }
}

async function runSaga(ctx: JoinerContext): Promise<HrEventOutcome> {
  for (let index = 0; index < JOINER_SAGA.length; ) {
    const step = JOINER_SAGA[index] as SagaStep;
    const result = await step.run(ctx);
    if (typeof result === 'object') return result.outcome;
    if (result === 'another_token') {
      index = ANOTHER_TOKEN_FROM;
      continue;
    }
    if (result === 'next' && step.finishes) await ctx.deps.afterStep?.(step.finishes);
    index++;
  }
  const token = found(ctx.token, 'the token');
  const user = found(ctx.user, 'the user');
  return { kind: 'completed', serialNumber: token.serialNumber, tokenStatus: ctx.targetStatus, entraUserId: user.id, ...nameOf(ctx, user), ...(ctx.message.location ? { location: ctx.message.location } : {}) };
}

/* ---------- the steps, in the order of JOINER_SAGA ---------- */

/**
 * Reads the hire's records. A settled hire stays settled: a new hire event starts it over only for someone
 * who holds no token any more (a replacement after a loss, a rehire after the termination date); a failed
 * hire stays failed for the deliveries of its own event.
 */
export async function readRecords(ctx: JoinerContext): Promise<StepResult> {
  const { employeeId, eventId, message } = ctx;
  const records = await ctx.deps.provisioning.list(employeeId);
  ctx.record = records.find((r) => r.kind === 'joiner');
  ctx.leaver = records.find((r) => r.kind === 'leaver');
  const { record, leaver } = ctx;
  if (record && (record.status === 'completed' || record.status === 'cancelled')) {
    const settled = record.status;
    const newEvent = !record.eventIds.includes(eventId);
    // A hire cancelled by a revoke (not by a termination) starts over like a completed one.
    const terminated = Boolean(leaver?.terminationDate && instantOf(leaver.terminationDate) <= ctx.now());
    const startOver = newEvent && (settled === 'completed' || !terminated ? (await heldTokens(ctx)).length === 0 : rehired(ctx));
    if (!startOver) return { outcome: { kind: 'already_done', status: settled } };
    await save(ctx, (current) =>
      current.status === settled
        ? {
            ...withoutFields(current, 'serialNumber', 'step', 'reason', 'refusal', 'approvedFor', 'approvedBy'),
            status: 'queued',
            // The new hire date tells reconciliation a rehire from a leaver still holding a token.
            ...(message.hireDate ? { hireDate: message.hireDate } : {}),
            note: `started over on ${ctx.stamp().slice(0, 10)} by event ${eventId}: the ${settled} hire left no token`,
          }
        : undefined,
    );
  }
  if (ctx.record?.status === 'failed' && ctx.record.eventIds.includes(eventId)) return { outcome: { kind: 'already_done', status: 'failed' } };
  return 'next';
}

/** A termination already past cancels a hire that has only reserved; past the reservation the token is in Entra, and the leaver's revocation takes it back. */
export async function cancelIfTerminated(ctx: JoinerContext): Promise<StepResult> {
  const { leaver, employeeId, eventId } = ctx;
  if (!leaver?.terminationDate || instantOf(leaver.terminationDate) > ctx.now() || rehired(ctx)) return 'next';
  const held = await heldTokens(ctx);
  if (!held.every((t) => t.status === 'reserved')) return 'next';
  for (const token of held) await release(ctx, token, `released: ${employeeId} was terminated before the hire finished`, true);
  const reason = `employee terminated on ${leaver.terminationDate}; the hire is not provisioned`;
  await save(ctx, (current) => ({ ...withoutFields(current, 'serialNumber', 'approvedFor', 'approvedBy'), status: 'cancelled', reason }));
  await ctx.deps.audit.record({ actor: 'hr', action: 'token.provisioned', employeeId, correlationId: eventId, outcome: 'rejected', detail: reason });
  return { outcome: { kind: 'cancelled', reason } };
}

/** A hire dated further ahead than the lead days waits on the queue, unless it already holds a token. */
export async function deferUntilDue(ctx: JoinerContext): Promise<StepResult> {
  const { message, deps } = ctx;
  const { provisionLeadDays } = deps.settings;
  const dueAt = provisioningDueAt(message.hireDate, provisionLeadDays);
  if (!dueAt || dueAt <= ctx.now() || ctx.record?.serialNumber) return 'next';
  const delaySeconds = deferralSeconds(dueAt, ctx.now());
  await save(ctx, (current) => ({
    ...current,
    status: 'deferred',
    reason: `hire date ${message.hireDate}; provisioning starts ${provisionLeadDays} days before, on ${dueAt.toISOString().slice(0, 10)}`,
  }));
  await deps.queue.send(message, { delaySeconds });
  return { outcome: { kind: 'deferred', dueAt: dueAt.toISOString(), delaySeconds } };
}

/**
 * The Entra user: the record's, once a token is on it; else looked up (waiting for an account not there
 * yet) and judged by the target check. HR alone never gives a privileged account a token: only a
 * Tokens.PrivilegedAdmin's approval of this account does.
 */
export async function findUser(ctx: JoinerContext): Promise<StepResult> {
  const { record, message, deps, employeeId, eventId } = ctx;
  if (record?.entraUserId && record.userPrincipalName && record.serialNumber) {
    ctx.user = { id: record.entraUserId, userPrincipalName: record.userPrincipalName, ...(record.displayName ? { displayName: record.displayName } : {}) };
    return 'next';
  }
  const target = await findHireTarget(deps.directory, employeeId, message.userPrincipalName);
  if (target.kind === 'refused') throw new PermanentFailure(target.detail, { code: target.refusal });
  if (target.kind === 'missing') return waitForUser(ctx);
  const user = target.user;
  ctx.user = user;
  const approval = approvalFor(ctx, user);
  // A first hire may be judged by the shared privileged set; a person this record knew from another
  // event (a replacement, a rehire, HR sending the hire again) is asked about now: the account has
  // had time to become privileged.
  const verdict = await deps.targets.check(user, { privilegedAllowed: approval !== undefined, fresh: record !== undefined && record.eventIds.some((id) => id !== eventId) });
  if (!verdict.ok) throw new PermanentFailure(verdict.detail, { code: verdict.refusal, user });
  if (verdict.privileged) {
    await deps.audit.record({ actor: approval ?? 'hr', action: 'token.target.privileged', employeeId, correlationId: eventId, outcome: 'succeeded', detail: verdict.detail ?? 'approved' });
  }
  return 'next';
}

/** A token for this hire: the one it already holds (after a crash or a concurrent delivery), else a free one reserved now. */
export async function allocateToken(ctx: JoinerContext): Promise<StepResult> {
  const { employeeId, record, deps } = ctx;
  ctx.replaces = undefined;
  if (record?.serialNumber) {
    const onRecord = await deps.inventory.get(record.serialNumber);
    if (onRecord && heldBy(onRecord, employeeId)) {
      ctx.token = onRecord;
      return 'skipped';
    }
    // The record's token is no longer this hire's (quarantined, or taken back by an admin).
    ctx.replaces = record.serialNumber;
  }
  const [kept, ...extra] = (await heldTokens(ctx)).sort((a, b) => (HOLD_RANK[a.status] ?? 9) - (HOLD_RANK[b.status] ?? 9));
  if (kept) {
    for (const token of extra) {
      if (token.status === 'reserved') await release(ctx, token, `released: ${employeeId} already holds token ${kept.serialNumber}`, false);
    }
    ctx.token = kept;
    return 'skipped';
  }
  ctx.token = await reserveFromStock(ctx);
  return 'next';
}

/**
 * Puts the token on the record, unless it is there already; when a concurrent delivery put another there
 * first, that one wins. This conditional write is the last word before Entra changes: a leaver who
 * cancelled the hire first wins here, and a leaver who comes after sees the hire in progress and waits for it.
 */
export async function recordToken(ctx: JoinerContext): Promise<StepResult> {
  const { employeeId } = ctx;
  const token = found(ctx.token, 'the token');
  const user = found(ctx.user, 'the user');
  if (ctx.record?.serialNumber === token.serialNumber && ctx.record.entraUserId === user.id) return 'next';
  try {
    await save(ctx, (current) => {
      if (current.status === 'cancelled') throw new HireCancelled(current.reason ?? 'the hire was cancelled');
      return current.serialNumber && current.serialNumber !== token.serialNumber && current.serialNumber !== ctx.replaces && current.status !== 'failed'
        ? undefined
        : {
            ...withoutFields(current, 'reason', 'refusal'),
            status: 'in_progress',
            step: 'token_recorded',
            serialNumber: token.serialNumber,
            entraUserId: user.id,
            userPrincipalName: user.userPrincipalName,
            ...nameOf(ctx, user),
          };
    });
  } catch (error) {
    if (!(error instanceof HireCancelled)) throw error;
    await release(ctx, token, `released: the hire of ${employeeId} was cancelled (${error.reason})`, false);
    return noteCancelled(ctx, error.reason);
  }
  const onRecord = ctx.record?.serialNumber;
  if (!onRecord || onRecord === token.serialNumber) return 'next';
  await release(ctx, token, `released: another delivery of the hire of ${employeeId} took token ${onRecord}`, false);
  const winner = await ctx.deps.inventory.get(onRecord);
  if (!winner || !heldBy(winner, employeeId)) throw new Error(`token ${onRecord} on the record of ${employeeId} is not held for this hire`);
  ctx.token = winner;
  return 'next';
}

/**
 * Entra first, then one write: a redelivery finds the device already assigned to this user (activation.ts).
 * An unusable token (no seed, not in Entra, held by someone else there) is quarantined and another taken.
 */
export async function activateToken(ctx: JoinerContext): Promise<StepResult> {
  const { deps, targetStatus } = ctx;
  const token = found(ctx.token, 'the token');
  const user = found(ctx.user, 'the user');
  if (token.status === targetStatus && token.entraUserId === user.id) return 'next';
  const outcome = await activateForHire(
    { directory: deps.directory, clock: deps.clock, ...(deps.sleep ? { sleep: deps.sleep } : {}), seedOf: () => deps.seeds.get(token.seedSecretName) },
    token,
    user,
    // Hand-over mode assigns only: the code is shown at the desk.
    deps.settings.activationMode === 'auto' ? 'auto' : 'user',
  );
  if (outcome.kind === 'refused') throw new PermanentFailure(outcome.reason);
  if (outcome.kind !== 'unusable') return 'next';
  await quarantine(ctx, token, outcome.reason);
  ctx.unusable += 1;
  if (ctx.unusable >= MAX_UNUSABLE_TOKENS) throw new PermanentFailure(`${MAX_UNUSABLE_TOKENS} tokens in a row could not be used; the last: ${outcome.reason}`);
  return 'another_token';
}

/** The token row says the hire is done: active (or assigned, or awaiting hand-over), with its holder. */
export async function markToken(ctx: JoinerContext): Promise<StepResult> {
  const { employeeId, eventId, targetStatus, message, deps } = ctx;
  const token = found(ctx.token, 'the token');
  const user = found(ctx.user, 'the user');
  let current: TokenRecord | undefined = token;
  for (let conflicts = 0; ; conflicts++) {
    if (!current || !heldBy(current, employeeId)) return undoTakenOver(ctx, token, user);
    if (current.status === targetStatus && current.entraUserId === user.id) return 'next';
    if (conflicts > MAX_WRITE_CONFLICTS) throw new Error(`token ${token.serialNumber} kept changing while it was being marked ${targetStatus}`);
    const approvedBy = approvalFor(ctx, user);
    const holder = holderOf(ctx, user);
    const written = await deps.inventory.replace({
      ...current,
      ...(approvedBy ? { privilegedApprovedBy: approvedBy } : {}),
      status: targetStatus,
      employeeId,
      entraUserId: user.id,
      ...holder,
      // Hand-over mode: the token waits at the holder's site (the pool it came from when HR names none).
      ...(targetStatus === 'awaiting_handover' ? { handover: { site: message.location ?? current.pool, since: ctx.stamp() } } : {}),
      ...(targetStatus === 'active' ? { activatedAt: ctx.stamp() } : {}),
      updatedAt: ctx.stamp(),
      lastChangeReason: `${targetStatus === 'active' ? 'activated' : targetStatus === 'assigned' ? 'assigned' : 'assigned, awaiting hand-over'} for ${holderLabel(holder)} (hire of ${employeeId}, event ${eventId})`,
    });
    if (written !== 'conflict') return 'next';
    current = await deps.inventory.get(token.serialNumber);
  }
}

export async function auditHire(ctx: JoinerContext): Promise<StepResult> {
  const { targetStatus } = ctx;
  const token = found(ctx.token, 'the token');
  const user = found(ctx.user, 'the user');
  await ctx.deps.audit.record({
    actor: 'hr',
    action: 'token.provisioned',
    serialNumber: token.serialNumber,
    employeeId: ctx.employeeId,
    correlationId: ctx.eventId,
    outcome: 'succeeded',
    detail: `${targetStatus === 'active' ? 'assigned and activated' : targetStatus === 'assigned' ? 'assigned (the user activates it)' : 'assigned, awaiting hand-over at the desk'} for ${holderLabel(holderOf(ctx, user))}`,
  });
  return 'next';
}

/** The record says completed, unless it settled meanwhile: a revoke that cancelled the hire after the token was marked keeps its word. */
export async function completeRecord(ctx: JoinerContext): Promise<StepResult> {
  const token = found(ctx.token, 'the token');
  await save(ctx, (current) =>
    current.status === 'completed' || current.status === 'cancelled'
      ? undefined
      : { ...withoutFields(current, 'reason', 'approvedFor', 'approvedBy'), status: 'completed', step: 'completed', serialNumber: token.serialNumber },
  );
  return 'next';
}

/* ---------- what the steps share ---------- */

/** How many free tokens one listing offers to pick from: concurrent hires picking at random rarely collide. */
const CANDIDATES_PER_LISTING = 32;
/** Listings of free tokens before contention counts as a transient failure. */
const MAX_LISTINGS = 12;
/** Reservation tries per listing: after a conflict or two the listing is stale, so list again. */
const TRIES_PER_LISTING = 2;
/** Upper bound of the random pause before listing again, per listing already done, to spread colliding workers. */
const RELIST_JITTER_MS = 20;
/** Unusable tokens one hire may run into before it fails. */
const MAX_UNUSABLE_TOKENS = 3;

/** Preference among tokens one employee already holds: the furthest along wins. */
const HOLD_RANK: Partial<Record<TokenStatus, number>> = { active: 0, suspended: 1, assigned: 2, awaiting_handover: 2, reserved: 3 };

/**
 * Who approved a token for this account although it is privileged (a Tokens.PrivilegedAdmin), if anyone.
 * An approval on the record counts only for the hire it was given to, while that hire runs: one that
 * completed, failed or was cancelled is spent.
 */
function approvalFor(ctx: JoinerContext, user: EntraUser): string | undefined {
  const { record, message } = ctx;
  const live = record !== undefined && UNSETTLED_HIRE.includes(record.status);
  return live && record.approvedFor === user.id && record.approvedBy
    ? record.approvedBy
    : message.privilegedApproval?.entraUserId === user.id
      ? message.privilegedApproval.approvedBy
      : undefined;
}

/** A rehire: HR's hire date comes after the leaver's termination date. */
function rehired(ctx: JoinerContext): boolean {
  const terminationDate = ctx.leaver?.terminationDate;
  const hireDate = ctx.message.hireDate;
  return Boolean(terminationDate && hireDate && instantOf(hireDate) > instantOf(terminationDate));
}

/** No Entra account yet: the hire comes back later, until the wait allowed by USER_WAIT_HOURS is over. */
async function waitForUser(ctx: JoinerContext): Promise<StepResult> {
  const { message, deps, who } = ctx;
  const { userWaitHours } = deps.settings;
  const waitingSince = message.waitingSince ?? ctx.stamp();
  const deadline = new Date(instantOf(waitingSince).getTime() + userWaitHours * 3600_000);
  if (ctx.now() >= deadline) throw new PermanentFailure(`no Entra account for ${who} after waiting ${userWaitHours} hours`);
  const attempt = message.attempt ?? 0;
  const delaySeconds = userWaitSeconds(attempt, ctx.now(), deadline);
  await save(ctx, (current) => ({
    ...current,
    status: 'waiting_for_user',
    reason: `no Entra account for ${who} yet; checking again in ${delaySeconds} s, giving up at ${deadline.toISOString()}`,
  }));
  await deps.queue.send({ ...message, attempt: attempt + 1, waitingSince }, { delaySeconds });
  return { outcome: { kind: 'waiting_for_user', delaySeconds, deadline: deadline.toISOString() } };
}

/** Free, registered tokens of one pool (or any pool), in random order. */
async function freeTokens(ctx: JoinerContext, pool: string | undefined): Promise<TokenRecord[]> {
  let continuationToken: string | undefined;
  const found: TokenRecord[] = [];
  // A filtered query may answer empty pages, or pages of rows this hire cannot use, with a
  // continuation token: they are followed to the end of the table rather than given up on.
  for (;;) {
    const answer = await ctx.deps.inventory.list(
      { status: 'in_stock', registered: true, ...(pool !== undefined ? { pool } : {}) },
      { pageSize: CANDIDATES_PER_LISTING, ...(continuationToken ? { continuationToken } : {}) },
    );
    found.push(...answer.tokens.filter((t) => t.status === 'in_stock' && t.entraDeviceId));
    continuationToken = answer.continuationToken;
    if (!continuationToken || found.length > 0) break;
  }
  for (let i = found.length - 1; i > 0; i--) {
    const j = Math.floor(ctx.random() * (i + 1));
    [found[i], found[j]] = [found[j] as TokenRecord, found[i] as TokenRecord];
  }
  return found;
}

/** Reserves a free token: the employee's pool first, then any; ETag-conditional, another on conflict. */
async function reserveFromStock(ctx: JoinerContext): Promise<TokenRecord> {
  const { message, employeeId, eventId } = ctx;
  const pools = message.location ? [message.location, undefined] : [undefined];
  for (const pool of pools) {
    // Ends when a listing finds the pool empty (every conflict meant another hire took that token).
    for (let listing = 0; ; listing++) {
      if (listing >= MAX_LISTINGS) throw new Error('every free token tried was taken by another hire at the same time');
      if (listing > 0) await new Promise((resolve) => setTimeout(resolve, Math.floor(ctx.random() * RELIST_JITTER_MS * listing)));
      const candidates = await freeTokens(ctx, pool);
      if (candidates.length === 0) break;
      for (const candidate of candidates.slice(0, TRIES_PER_LISTING)) {
        const reserved = await ctx.deps.inventory.replace({
          ...withoutHolder(candidate),
          status: 'reserved',
          employeeId,
          updatedAt: ctx.stamp(),
          lastChangeReason: `reserved for the hire of ${employeeId} (event ${eventId})`,
        });
        if (reserved !== 'conflict') return reserved;
      }
    }
  }
  throw new PermanentFailure(message.location ? `no token in stock (pool ${message.location}, nor in any other pool)` : 'no token in stock (any pool)');
}

/**
 * The row was taken from this hire after the token was given in Entra (an admin revoke took it over):
 * the hire undoes its own assignment, since the revoke may have looked at Entra before it was made.
 */
async function undoTakenOver(ctx: JoinerContext, token: TokenRecord, user: EntraUser): Promise<StepResult> {
  const { directory, provisioning } = ctx.deps;
  const device = await directory.findDeviceBySerial(token.serialNumber);
  if (device?.assignedTo?.id === user.id) await directory.unassign(user.id, device.id);
  const joiner = await provisioning.get(ctx.employeeId, 'joiner');
  if (joiner?.status === 'cancelled') return noteCancelled(ctx, joiner.reason ?? `token ${token.serialNumber} was taken back during the hire`);
  throw new Error(`token ${token.serialNumber} stopped being held for ${ctx.employeeId} while it was being provisioned`);
}

/** A failed try that the host retries: counted and explained on the record, unless the hire settled before the failure (a crash after its last write). */
async function noteRetry(ctx: JoinerContext, delivery: Delivery, reason: string): Promise<void> {
  const { employeeId, eventId } = ctx;
  await writeRecord(ctx.deps.provisioning, employeeId, 'joiner', ctx.record, (current) => {
    if (current && (current.status === 'completed' || current.status === 'cancelled' || (current.status === 'failed' && current.eventIds.includes(eventId)))) return undefined;
    const base = current ?? newRecord(ctx);
    return { ...base, eventIds: withEventId(base.eventIds, eventId), attempts: base.attempts + 1, reason: `try ${delivery.dequeueCount} failed, will retry: ${reason}`, updatedAt: ctx.stamp() };
  });
}

/* The joiner's types, and the termination and update records (which live with the leaver), named here too for the callers of this module. */
export { JOINER_STEPS, type JoinerDeps, type JoinerSettings, type JoinerStep } from './joinerContext';
export type { Delivery, HrEventOutcome } from './hrEventOutcome';
export { recordTermination, recordUpdate } from './leaverRecords';

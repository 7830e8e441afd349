import { deferralSeconds, instantOf, provisioningDueAt, userWaitSeconds, type HrQueueMessage } from '../domain/hrEvent';
import { redactSeeds } from '../domain/seed';
import { heldStatusFor, isHeld, withoutHolder, type ActivationMode, type TokenRecord, type TokenStatus } from '../domain/token';
import {
  UNSETTLED_HIRE,
  withoutApproval,
  type AuditLog,
  type Clock,
  type Directory,
  type EntraUser,
  type Inventory,
  type ProvisioningKind,
  type ProvisioningRecord,
  type ProvisioningStatus,
  type ProvisioningStore,
  type SeedVault,
  type WorkQueue,
} from '../ports';
import { activateForHire } from './activation';
import { findHireTarget, type TargetCheck, type TargetRefusal } from './targetCheck';

/**
 * The joiner saga: an HR hire becomes an activated hardware token in Entra. Every step first looks at
 * what is already done (the provisioning record, the token row, Entra), so a redelivered or crashed
 * message resumes instead of repeating, and concurrent deliveries of one hire converge on one token.
 *
 * Expected outcomes (deferred, waiting for the account, no stock, refused by Entra) are results; an
 * unexpected failure throws so the host retries the message, and on the host's last try the hire is
 * failed visibly, with its reserved token back in stock, before the message goes to the poison queue.
 */

/** Steps in the order they finish; the test hook `afterStep` is called after each. */
export const JOINER_STEPS = ['user_found', 'token_reserved', 'token_recorded', 'activated', 'token_marked', 'audited', 'completed'] as const;
export type JoinerStep = (typeof JOINER_STEPS)[number];

export interface JoinerSettings {
  activationMode: ActivationMode;
  provisionLeadDays: number;
  userWaitHours: number;
}

export interface JoinerDeps {
  provisioning: ProvisioningStore;
  inventory: Inventory;
  seeds: SeedVault;
  directory: Directory;
  /** Who may receive a token: asked before anything is reserved. */
  targets: TargetCheck;
  audit: AuditLog;
  /** The hr-events queue, to put back a hire that must wait. */
  queue: WorkQueue<HrQueueMessage>;
  clock: Clock;
  settings: JoinerSettings;
  /** Picks among free tokens; Math.random unless given. */
  random?: () => number;
  /** Waits for the next TOTP step when Entra refused the current code; setTimeout unless given. */
  sleep?: (ms: number) => Promise<void>;
  /** Tests only: called after each step, e.g. to simulate a crash there. */
  afterStep?: (step: JoinerStep) => void | Promise<void>;
}

/** How the host delivered the message: its try number and the host's limit (host.json maxDequeueCount). */
export interface Delivery {
  dequeueCount: number;
  maxDequeueCount: number;
}

export type HrEventOutcome =
  | { kind: 'completed'; serialNumber: string; tokenStatus: 'active' | 'assigned' | 'awaiting_handover'; location?: string; entraUserId?: string }
  | { kind: 'already_done'; status: ProvisioningStatus }
  | { kind: 'deferred'; dueAt: string; delaySeconds: number }
  | { kind: 'waiting_for_user'; delaySeconds: number; deadline: string }
  | { kind: 'failed'; reason: string }
  | { kind: 'cancelled'; reason: string }
  | { kind: 'recorded'; status: ProvisioningStatus | 'no_joiner' }
  /** A leaver's revocation failed this time; the message is back on the queue, invisible for `delaySeconds`. */
  | { kind: 'retrying'; failedTries: number; delaySeconds: number; reason: string };

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

/** A failure retrying cannot fix: ends the hire with this reason (and the target check's refusal, when it was one). */
class PermanentFailure extends Error {
  constructor(
    readonly reason: string,
    readonly refusal?: { code: TargetRefusal; user?: EntraUser },
  ) {
    super(reason);
    this.name = 'PermanentFailure';
  }
}

/** A termination cancelled the hire before it touched Entra: give the token back and stop. */
class HireCancelled extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'HireCancelled';
  }
}

/** The token itself is unusable (no seed, not in Entra, held by someone else there): quarantine it, take another. */
class TokenUnusable extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'TokenUnusable';
  }
}

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
/** Conditional writes retried after a conflict before giving up to the host's retry. */
const MAX_WRITE_CONFLICTS = 10;
/** How many webhook-ids a record remembers. */
const EVENT_IDS_KEPT = 10;


/** A short, admin-readable account of an unexpected failure. */
export function describeFailure(error: unknown): string {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
  return redactSeeds(`${name}${typeof status === 'number' ? ` (status ${status})` : ''}: ${message}`).slice(0, 300);
}

const withEventId = (eventIds: readonly string[], eventId: string): string[] =>
  eventIds.includes(eventId) ? [...eventIds] : [...eventIds, eventId].slice(-EVENT_IDS_KEPT);

const heldBy = (token: TokenRecord, employeeId: string): boolean => isHeld(token.status) && token.employeeId === employeeId;

/** Preference among tokens one employee already holds: the furthest along wins. */
const HOLD_RANK: Partial<Record<TokenStatus, number>> = { active: 0, suspended: 1, assigned: 2, awaiting_handover: 2, reserved: 3 };

function withoutFields(record: ProvisioningRecord, ...fields: ('reason' | 'serialNumber' | 'step' | 'refusal' | 'approvedFor' | 'approvedBy')[]): ProvisioningRecord {
  const copy = { ...record };
  for (const field of fields) delete copy[field];
  return copy;
}

/**
 * Writes a provisioning record with optimistic concurrency: `mutate` sees the freshest record (or
 * none) and answers what to write, or undefined to leave it as it is.
 */
export async function writeRecord(
  store: ProvisioningStore,
  employeeId: string,
  kind: ProvisioningKind,
  current: ProvisioningRecord | undefined,
  mutate: (record: ProvisioningRecord | undefined) => ProvisioningRecord | undefined,
): Promise<{ record: ProvisioningRecord | undefined; wrote: boolean }> {
  let fresh = current;
  for (let conflicts = 0; conflicts <= MAX_WRITE_CONFLICTS; conflicts++) {
    const next = mutate(fresh);
    if (!next) return { record: fresh, wrote: false };
    const result = fresh?.etag ? await store.replace({ ...next, etag: fresh.etag }) : await store.add(next);
    if (result !== 'conflict' && result !== 'exists') return { record: result, wrote: true };
    fresh = await store.get(employeeId, kind);
  }
  throw new Error(`the ${kind} record of ${employeeId} kept changing under concurrent writes`);
}

export async function provisionJoiner(message: HrQueueMessage, deps: JoinerDeps, delivery: Delivery): Promise<HrEventOutcome> {
  const { employeeId, eventId } = message;
  const { inventory, directory, settings } = deps;
  const now = () => deps.clock.now();
  const stamp = () => now().toISOString();
  const random = deps.random ?? Math.random;
  const finished = async (step: JoinerStep) => {
    await deps.afterStep?.(step);
  };
  const who = message.userPrincipalName ?? `employeeId ${employeeId}`;
  const targetStatus = heldStatusFor(settings.activationMode);

  /** The joiner record as last read or written by this invocation. */
  let record: ProvisioningRecord | undefined;
  /** The Entra user, once found. */
  let user: EntraUser | undefined;

  /** The record of a hire seen for the first time. */
  const newRecord = (): ProvisioningRecord => ({
    employeeId,
    kind: 'joiner',
    status: 'queued',
    attempts: 0,
    eventIds: [eventId],
    ...(message.userPrincipalName ? { userPrincipalName: message.userPrincipalName } : {}),
    ...(message.hireDate ? { hireDate: message.hireDate } : {}),
    ...(message.location ? { location: message.location } : {}),
    createdAt: stamp(),
    updatedAt: stamp(),
  });

  const save = async (mutate: (current: ProvisioningRecord) => ProvisioningRecord | undefined) => {
    const result = await writeRecord(deps.provisioning, employeeId, 'joiner', record, (current) => {
      const base = current ?? newRecord();
      return mutate({ ...base, eventIds: withEventId(base.eventIds, eventId), updatedAt: stamp() });
    });
    record = result.record;
    return result;
  };

  /** A cancelled hire remembers this event, so its redeliveries do not start it over. */
  const noteCancelled = async () => {
    record = await deps.provisioning.get(employeeId, 'joiner');
    await save((current) => (current.status === 'cancelled' ? current : undefined));
  };

  /** Puts a token this hire holds back in stock, first taking it back in Entra if it got assigned there. */
  const release = async (token: TokenRecord, reason: string, checkEntra: boolean): Promise<void> => {
    let status: 'in_stock' | 'quarantined' = 'in_stock';
    let why = reason;
    const userId = user?.id ?? record?.entraUserId;
    if (checkEntra && userId) {
      try {
        const device = await directory.findDeviceBySerial(token.serialNumber);
        if (device?.assignedTo?.id === userId) await directory.unassign(userId, device.id);
      } catch (error) {
        // Entra's state is unknown: the token must not be handed out until reconciliation looks at it.
        status = 'quarantined';
        why = `${reason}; Entra could not be checked (${describeFailure(error)})`;
      }
    }
    let current: TokenRecord | undefined = token;
    for (let conflicts = 0; current && heldBy(current, employeeId) && current.status === 'reserved'; conflicts++) {
      if (conflicts > MAX_WRITE_CONFLICTS) throw new Error(`token ${token.serialNumber} kept changing while it was being released`);
      const written = await inventory.replace({ ...withoutHolder(current), status, updatedAt: stamp(), lastChangeReason: why.slice(0, 500) });
      if (written !== 'conflict') return;
      current = await inventory.get(token.serialNumber);
    }
  };

  /** Ends the hire for good: every token it reserved goes back, the record says why, admins are told. */
  const fail = async (reason: string, refusal?: PermanentFailure['refusal']): Promise<HrEventOutcome> => {
    const held = (await inventory.list({ user: employeeId }, { pageSize: 100 })).tokens.filter((t) => heldBy(t, employeeId) && t.status === 'reserved');
    for (const token of held) await release(token, `released: the hire of ${employeeId} failed (${reason})`, true);
    await save((current) => ({
      ...withoutFields(current, 'serialNumber', 'refusal', 'approvedFor', 'approvedBy'),
      status: 'failed',
      reason,
      // The refused account is remembered, so an approval names exactly that account.
      ...(refusal ? { refusal: refusal.code, ...(refusal.user ? { entraUserId: refusal.user.id, userPrincipalName: refusal.user.userPrincipalName } : {}) } : {}),
    }));
    await deps.audit.record({
      actor: 'hr',
      action: 'token.provisioned',
      employeeId,
      correlationId: eventId,
      outcome: refusal ? 'rejected' : 'failed',
      detail: refusal ? `${refusal.code}: ${reason}` : reason,
      ...(held[0] ? { serialNumber: held[0].serialNumber } : {}),
    });
    return { kind: 'failed', reason };
  };

  /** Free, registered tokens of one pool (or any pool), in random order. */
  const freeTokens = async (pool: string | undefined): Promise<TokenRecord[]> => {
    let continuationToken: string | undefined;
    const found: TokenRecord[] = [];
    // A filtered query may answer empty pages, or pages of rows this hire cannot use, with a
    // continuation token: they are followed to the end of the table rather than given up on.
    for (;;) {
      const answer = await inventory.list(
        { status: 'in_stock', registered: true, ...(pool !== undefined ? { pool } : {}) },
        { pageSize: CANDIDATES_PER_LISTING, ...(continuationToken ? { continuationToken } : {}) },
      );
      found.push(...answer.tokens.filter((t) => t.status === 'in_stock' && t.entraDeviceId));
      continuationToken = answer.continuationToken;
      if (!continuationToken || found.length > 0) break;
    }
    for (let i = found.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [found[i], found[j]] = [found[j] as TokenRecord, found[i] as TokenRecord];
    }
    return found;
  };

  /** Reserves a free token: the employee's pool first, then any; ETag-conditional, another on conflict. */
  const reserveFromStock = async (): Promise<TokenRecord> => {
    const pools = message.location ? [message.location, undefined] : [undefined];
    for (const pool of pools) {
      // Ends when a listing finds the pool empty (every conflict meant another hire took that token).
      for (let listing = 0; ; listing++) {
        if (listing >= MAX_LISTINGS) throw new Error('every free token tried was taken by another hire at the same time');
        if (listing > 0) await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * RELIST_JITTER_MS * listing)));
        const candidates = await freeTokens(pool);
        if (candidates.length === 0) break;
        for (const candidate of candidates.slice(0, TRIES_PER_LISTING)) {
          const reserved = await inventory.replace({
            ...withoutHolder(candidate),
            status: 'reserved',
            employeeId,
            updatedAt: stamp(),
            lastChangeReason: `reserved for the hire of ${employeeId} (event ${eventId})`,
          });
          if (reserved !== 'conflict') return reserved;
        }
      }
    }
    throw new PermanentFailure(message.location ? `no token in stock (pool ${message.location}, nor in any other pool)` : 'no token in stock (any pool)');
  };

  /** A token for this hire: the one it already holds (after a crash or a concurrent delivery), else a free one. */
  const allocate = async (): Promise<{ token: TokenRecord; fresh: boolean; replaces?: string }> => {
    let replaces: string | undefined;
    if (record?.serialNumber) {
      const onRecord = await inventory.get(record.serialNumber);
      if (onRecord && heldBy(onRecord, employeeId)) return { token: onRecord, fresh: false };
      // The record's token is no longer this hire's (quarantined, or taken back by an admin).
      replaces = record.serialNumber;
    }
    const held = (await inventory.list({ user: employeeId }, { pageSize: 100 })).tokens
      .filter((t) => heldBy(t, employeeId))
      .sort((a, b) => (HOLD_RANK[a.status] ?? 9) - (HOLD_RANK[b.status] ?? 9));
    const [kept, ...extra] = held;
    if (kept) {
      for (const token of extra) {
        if (token.status === 'reserved') await release(token, `released: ${employeeId} already holds token ${kept.serialNumber}`, false);
      }
      return { token: kept, fresh: false, ...(replaces ? { replaces } : {}) };
    }
    return { token: await reserveFromStock(), fresh: true, ...(replaces ? { replaces } : {}) };
  };

  /** Puts the token on the record; when a concurrent delivery put another there first, that one wins. */
  const recordToken = async (token: TokenRecord, replaces: string | undefined, entraUser: EntraUser): Promise<TokenRecord> => {
    // This conditional write is the last word before Entra changes: a leaver who cancelled the hire first
    // wins here, and a leaver who comes after sees the hire in progress and waits for it.
    await save((current) => {
      if (current.status === 'cancelled') throw new HireCancelled(current.reason ?? 'the hire was cancelled');
      return current.serialNumber && current.serialNumber !== token.serialNumber && current.serialNumber !== replaces && current.status !== 'failed'
        ? undefined
        : {
            ...withoutFields(current, 'reason', 'refusal'),
            status: 'in_progress',
            step: 'token_recorded',
            serialNumber: token.serialNumber,
            entraUserId: entraUser.id,
            userPrincipalName: entraUser.userPrincipalName,
          };
    });
    if (!record?.serialNumber || record.serialNumber === token.serialNumber) return token;
    await release(token, `released: another delivery of the hire of ${employeeId} took token ${record.serialNumber}`, false);
    const winner = await inventory.get(record.serialNumber);
    if (!winner || !heldBy(winner, employeeId)) throw new Error(`token ${record.serialNumber} on the record of ${employeeId} is not held for this hire`);
    return winner;
  };

  /** Entra first, then one write: a redelivery finds the device already assigned to this user (activation.ts). */
  const activate = async (token: TokenRecord, entraUser: EntraUser): Promise<void> => {
    const outcome = await activateForHire(
      { directory, clock: deps.clock, ...(deps.sleep ? { sleep: deps.sleep } : {}), seedOf: () => deps.seeds.get(token.seedSecretName) },
      token,
      entraUser,
      // Hand-over mode assigns only: the code is shown at the desk.
      settings.activationMode === 'auto' ? 'auto' : 'user',
    );
    if (outcome.kind === 'unusable') throw new TokenUnusable(outcome.reason);
    if (outcome.kind === 'refused') throw new PermanentFailure(outcome.reason);
  };

  const quarantine = async (token: TokenRecord, why: string): Promise<void> => {
    let current: TokenRecord | undefined = token;
    for (let conflicts = 0; current && heldBy(current, employeeId); conflicts++) {
      if (conflicts > MAX_WRITE_CONFLICTS) throw new Error(`token ${token.serialNumber} kept changing while it was being quarantined`);
      const written = await inventory.replace({ ...withoutHolder(current), status: 'quarantined', updatedAt: stamp(), lastChangeReason: `quarantined during the hire of ${employeeId}: ${why}` });
      if (written !== 'conflict') break;
      current = await inventory.get(token.serialNumber);
    }
    await deps.audit.record({ actor: 'hr', action: 'token.quarantined', serialNumber: token.serialNumber, employeeId, correlationId: eventId, outcome: 'succeeded', detail: why });
  };

  /**
   * The row was taken from this hire after the token was given in Entra (an admin revoke took it over):
   * the hire undoes its own assignment, since the revoke may have looked at Entra before it was made.
   */
  const undoTakenOver = async (token: TokenRecord, entraUser: EntraUser): Promise<never> => {
    const device = await directory.findDeviceBySerial(token.serialNumber);
    if (device?.assignedTo?.id === entraUser.id) await directory.unassign(entraUser.id, device.id);
    const joiner = await deps.provisioning.get(employeeId, 'joiner');
    if (joiner?.status === 'cancelled') throw new HireCancelled(joiner.reason ?? `token ${token.serialNumber} was taken back during the hire`);
    throw new Error(`token ${token.serialNumber} stopped being held for ${employeeId} while it was being provisioned`);
  };

  /** Who approved a token for this account although it is privileged (a Tokens.PrivilegedAdmin), if anyone. */
  // An approval counts only for the hire it was given to, while that hire runs: one that completed, failed or was cancelled is spent.
  const approvalFor = (entraUser: EntraUser): string | undefined =>
    record !== undefined && UNSETTLED_HIRE.includes(record.status) && record.approvedFor === entraUser.id && record.approvedBy
      ? record.approvedBy
      : message.privilegedApproval?.entraUserId === entraUser.id
        ? message.privilegedApproval.approvedBy
        : undefined;

  /** The token row says the hire is done: active (or assigned), with its holder. */
  const markToken = async (token: TokenRecord, entraUser: EntraUser): Promise<void> => {
    let current: TokenRecord | undefined = token;
    for (let conflicts = 0; ; conflicts++) {
      if (!current || !heldBy(current, employeeId)) return undoTakenOver(token, entraUser);
      if (current.status === targetStatus && current.entraUserId === entraUser.id) return;
      if (conflicts > MAX_WRITE_CONFLICTS) throw new Error(`token ${token.serialNumber} kept changing while it was being marked ${targetStatus}`);
      const approvedBy = approvalFor(entraUser);
      const written = await inventory.replace({
        ...current,
        ...(approvedBy ? { privilegedApprovedBy: approvedBy } : {}),
        status: targetStatus,
        employeeId,
        entraUserId: entraUser.id,
        userPrincipalName: entraUser.userPrincipalName,
        // Hand-over mode: the token waits at the holder's site (the pool it came from when HR names none).
        ...(targetStatus === 'awaiting_handover' ? { handover: { site: message.location ?? current.pool, since: stamp() } } : {}),
        ...(targetStatus === 'active' ? { activatedAt: stamp() } : {}),
        updatedAt: stamp(),
        lastChangeReason: `${targetStatus === 'active' ? 'activated' : targetStatus === 'assigned' ? 'assigned' : 'assigned, awaiting hand-over'} for ${entraUser.userPrincipalName} (hire of ${employeeId}, event ${eventId})`,
      });
      if (written !== 'conflict') return;
      current = await inventory.get(token.serialNumber);
    }
  };

  const run = async (): Promise<HrEventOutcome> => {
    const records = await deps.provisioning.list(employeeId);
    record = records.find((r) => r.kind === 'joiner');
    const leaver = records.find((r) => r.kind === 'leaver');

    const rehired = leaver?.terminationDate && message.hireDate && instantOf(message.hireDate) > instantOf(leaver.terminationDate);
    if (record && (record.status === 'completed' || record.status === 'cancelled')) {
      // A new hire event starts over only for someone who holds no token any more: a replacement after
      // a loss, or a rehire after the termination date. Redeliveries and duplicates change nothing.
      const settled = record.status;
      const newEvent = !record.eventIds.includes(eventId);
      // A hire cancelled by a revoke (not by a termination) starts over like a completed one.
      const terminated = Boolean(leaver?.terminationDate && instantOf(leaver.terminationDate) <= now());
      const startOver =
        newEvent &&
        (settled === 'completed' || !terminated
          ? (await inventory.list({ user: employeeId }, { pageSize: 100 })).tokens.every((t) => !heldBy(t, employeeId))
          : Boolean(rehired));
      if (!startOver) return { kind: 'already_done', status: settled };
      await save((current) =>
        current.status === settled
          ? {
              ...withoutFields(current, 'serialNumber', 'step', 'reason', 'refusal', 'approvedFor', 'approvedBy'),
              status: 'queued',
              // The new hire date tells reconciliation a rehire from a leaver still holding a token.
              ...(message.hireDate ? { hireDate: message.hireDate } : {}),
              note: `started over on ${stamp().slice(0, 10)} by event ${eventId}: the ${settled} hire left no token`,
            }
          : undefined,
      );
    }
    // A failed hire stays failed for the deliveries of its own event; a new hire event starts it again.
    if (record?.status === 'failed' && record.eventIds.includes(eventId)) return { kind: 'already_done', status: 'failed' };

    if (leaver?.terminationDate && instantOf(leaver.terminationDate) <= now() && !rehired) {
      const held = (await inventory.list({ user: employeeId }, { pageSize: 100 })).tokens.filter((t) => heldBy(t, employeeId));
      // Past the reservation the token is in Entra, and the leaver's revocation takes it back; until then, undo here.
      if (held.every((t) => t.status === 'reserved')) {
        for (const token of held) await release(token, `released: ${employeeId} was terminated before the hire finished`, true);
        const reason = `employee terminated on ${leaver.terminationDate}; the hire is not provisioned`;
        await save((current) => ({ ...withoutFields(current, 'serialNumber', 'approvedFor', 'approvedBy'), status: 'cancelled', reason }));
        await deps.audit.record({ actor: 'hr', action: 'token.provisioned', employeeId, correlationId: eventId, outcome: 'rejected', detail: reason });
        return { kind: 'cancelled', reason };
      }
    }

    const dueAt = provisioningDueAt(message.hireDate, settings.provisionLeadDays);
    if (dueAt && dueAt > now() && !record?.serialNumber) {
      const delaySeconds = deferralSeconds(dueAt, now());
      await save((current) => ({
        ...current,
        status: 'deferred',
        reason: `hire date ${message.hireDate}; provisioning starts ${settings.provisionLeadDays} days before, on ${dueAt.toISOString().slice(0, 10)}`,
      }));
      await deps.queue.send(message, { delaySeconds });
      return { kind: 'deferred', dueAt: dueAt.toISOString(), delaySeconds };
    }

    if (record?.entraUserId && record.userPrincipalName && record.serialNumber) {
      user = { id: record.entraUserId, userPrincipalName: record.userPrincipalName };
    } else {
      const target = await findHireTarget(directory, employeeId, message.userPrincipalName);
      if (target.kind === 'refused') throw new PermanentFailure(target.detail, { code: target.refusal });
      if (target.kind === 'missing') {
        const waitingSince = message.waitingSince ?? stamp();
        const deadline = new Date(instantOf(waitingSince).getTime() + settings.userWaitHours * 3600_000);
        if (now() >= deadline) throw new PermanentFailure(`no Entra account for ${who} after waiting ${settings.userWaitHours} hours`);
        const attempt = message.attempt ?? 0;
        const delaySeconds = userWaitSeconds(attempt, now(), deadline);
        await save((current) => ({
          ...current,
          status: 'waiting_for_user',
          reason: `no Entra account for ${who} yet; checking again in ${delaySeconds} s, giving up at ${deadline.toISOString()}`,
        }));
        await deps.queue.send({ ...message, attempt: attempt + 1, waitingSince }, { delaySeconds });
        return { kind: 'waiting_for_user', delaySeconds, deadline: deadline.toISOString() };
      }
      user = target.user;
      // HR alone never gives a privileged account a token: only a Tokens.PrivilegedAdmin's approval of this account does.
      const approval = approvalFor(user);
      // A first hire may be judged by the shared privileged set; a person this record knew from another
      // event (a replacement, a rehire, HR sending the hire again) is asked about now: the account has
      // had time to become privileged.
      const verdict = await deps.targets.check(user, { privilegedAllowed: approval !== undefined, fresh: record !== undefined && record.eventIds.some((id) => id !== eventId) });
      if (!verdict.ok) throw new PermanentFailure(verdict.detail, { code: verdict.refusal, user });
      if (verdict.privileged) {
        await deps.audit.record({ actor: approval ?? 'hr', action: 'token.target.privileged', employeeId, correlationId: eventId, outcome: 'succeeded', detail: verdict.detail ?? 'approved' });
      }
    }
    const entraUser = user;
    await finished('user_found');

    for (let unusable = 0; ; unusable++) {
      const allocation = await allocate();
      if (allocation.fresh) await finished('token_reserved');
      let token: TokenRecord;
      try {
        token =
          record?.serialNumber === allocation.token.serialNumber && record.entraUserId === entraUser.id
            ? allocation.token
            : await recordToken(allocation.token, allocation.replaces, entraUser);
      } catch (error) {
        if (!(error instanceof HireCancelled)) throw error;
        await release(allocation.token, `released: the hire of ${employeeId} was cancelled (${error.reason})`, false);
        await noteCancelled();
        return { kind: 'cancelled', reason: error.reason };
      }
      await finished('token_recorded');

      try {
        if (!(token.status === targetStatus && token.entraUserId === entraUser.id)) await activate(token, entraUser);
      } catch (error) {
        if (!(error instanceof TokenUnusable)) throw error;
        await quarantine(token, error.reason);
        if (unusable + 1 >= MAX_UNUSABLE_TOKENS) throw new PermanentFailure(`${MAX_UNUSABLE_TOKENS} tokens in a row could not be used; the last: ${error.reason}`);
        continue;
      }
      await finished('activated');

      try {
        await markToken(token, entraUser);
      } catch (error) {
        if (!(error instanceof HireCancelled)) throw error;
        await noteCancelled();
        return { kind: 'cancelled', reason: error.reason };
      }
      await finished('token_marked');

      await deps.audit.record({
        actor: 'hr',
        action: 'token.provisioned',
        serialNumber: token.serialNumber,
        employeeId,
        correlationId: eventId,
        outcome: 'succeeded',
        detail: `${targetStatus === 'active' ? 'assigned and activated' : targetStatus === 'assigned' ? 'assigned (the user activates it)' : 'assigned, awaiting hand-over at the desk'} for ${entraUser.userPrincipalName}`,
      });
      await finished('audited');

      // A revoke that cancelled the hire after the token was marked keeps its word on the record.
      await save((current) =>
        current.status === 'completed' || current.status === 'cancelled'
          ? undefined
          : { ...withoutFields(current, 'reason', 'approvedFor', 'approvedBy'), status: 'completed', step: 'completed', serialNumber: token.serialNumber },
      );
      await finished('completed');
      return { kind: 'completed', serialNumber: token.serialNumber, tokenStatus: targetStatus, entraUserId: entraUser.id, ...(message.location ? { location: message.location } : {}) };
    }
  };

  try {
    return await run();
  } catch (error) {
    if (error instanceof PermanentFailure) return fail(error.reason, error.refusal);
    const reason = describeFailure(error);
    if (delivery.dequeueCount >= delivery.maxDequeueCount) {
      const final = `gave up after ${delivery.dequeueCount} tries; the last failed with ${reason}`;
      try {
        await fail(final);
      } catch {
        // Storage itself may be what fails; the poison message still shows the hire was not done.
      }
      throw new ProvisioningGaveUp(employeeId, final, { cause: error });
    }
    try {
      // A hire that settled before the failure (a crash after its last write) keeps its final word.
      await writeRecord(deps.provisioning, employeeId, 'joiner', record, (current) => {
        if (current && (current.status === 'completed' || current.status === 'cancelled' || (current.status === 'failed' && current.eventIds.includes(eventId)))) return undefined;
        const base = current ?? newRecord();
        return { ...base, eventIds: withEventId(base.eventIds, eventId), attempts: base.attempts + 1, reason: `try ${delivery.dequeueCount} failed, will retry: ${reason}`, updatedAt: stamp() };
      });
    } catch {
      // Best effort: the host retries the message whether or not the note was written.
    }
    throw error;
  }
}

/** employee.terminated: remembered on the leaver record for the revocation; a pending hire past that date is cancelled. */
export async function recordTermination(message: HrQueueMessage, deps: Pick<JoinerDeps, 'provisioning' | 'clock'>): Promise<HrEventOutcome> {
  const { employeeId, eventId } = message;
  const stamp = deps.clock.now().toISOString();
  const { record } = await writeRecord(deps.provisioning, employeeId, 'leaver', await deps.provisioning.get(employeeId, 'leaver'), (current) => ({
    employeeId,
    kind: 'leaver',
    status: current?.status ?? 'pending_revocation',
    attempts: current?.attempts ?? 0,
    createdAt: current?.createdAt ?? stamp,
    ...current,
    eventIds: withEventId(current?.eventIds ?? [], eventId),
    ...(message.terminationDate ? { terminationDate: message.terminationDate } : {}),
    ...(message.userPrincipalName ? { userPrincipalName: message.userPrincipalName } : {}),
    ...(message.entraUserId ? { entraUserId: message.entraUserId } : {}),
    updatedAt: stamp,
  }));

  if (message.terminationDate && instantOf(message.terminationDate) <= deps.clock.now()) {
    // A hire still waiting holds no token: cancel it now, so admins see it at once (a rehire after that date stays).
    await writeRecord(deps.provisioning, employeeId, 'joiner', await deps.provisioning.get(employeeId, 'joiner'), (joiner) =>
      joiner &&
      (joiner.status === 'queued' || joiner.status === 'deferred' || joiner.status === 'waiting_for_user') &&
      !(joiner.hireDate && message.terminationDate && instantOf(joiner.hireDate) > instantOf(message.terminationDate))
        ? { ...withoutApproval(joiner), status: 'cancelled', reason: `employee terminated on ${message.terminationDate}; the hire is not provisioned`, eventIds: withEventId(joiner.eventIds, eventId), updatedAt: stamp }
        : undefined,
    );
  }
  return { kind: 'recorded', status: record?.status ?? 'pending_revocation' };
}

/** employee.updated: noted on the joiner record (a changed location or UPN), nothing provisioned. */
export async function recordUpdate(message: HrQueueMessage, deps: Pick<JoinerDeps, 'provisioning' | 'clock'>): Promise<HrEventOutcome> {
  const { employeeId, eventId } = message;
  const stamp = deps.clock.now().toISOString();
  const changes = [
    message.userPrincipalName ? `userPrincipalName ${message.userPrincipalName}` : undefined,
    message.location ? `location ${message.location}` : undefined,
    message.displayName ? `displayName ${message.displayName}` : undefined,
    message.hireDate ? `hireDate ${message.hireDate}` : undefined,
  ].filter((change): change is string => change !== undefined);
  const note = `HR update on ${stamp.slice(0, 10)} (event ${eventId}): ${changes.length > 0 ? changes.join(', ') : 'no provisioning-relevant change'}`;
  const { record } = await writeRecord(deps.provisioning, employeeId, 'joiner', await deps.provisioning.get(employeeId, 'joiner'), (joiner) =>
    joiner && !joiner.eventIds.includes(eventId) ? { ...joiner, note, eventIds: withEventId(joiner.eventIds, eventId), updatedAt: stamp } : undefined,
  );
  return { kind: 'recorded', status: record?.status ?? 'no_joiner' };
}

import type { HrQueueMessage } from '../domain/hrEvent';
import { heldStatusFor, isHeld, withoutHolder, type ActivationMode, type TokenRecord } from '../domain/token';
import type { AuditLog, Clock, Directory, EntraUser, Inventory, ProvisioningRecord, ProvisioningStore, SeedVault, WorkQueue } from '../ports';
import type { HrEventOutcome } from './hrEventOutcome';
import { describeFailure, MAX_WRITE_CONFLICTS, withEventId, writeRecord } from './provisioningRecords';
import type { TargetCheck, TargetRefusal } from './targetCheck';

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

/**
 * What the joiner's steps share: one hire's message and ports, and what this delivery has learnt so far
 * (the record as last read or written, the Entra user once found, the token once allocated). Every step
 * gets it explicitly; the helpers here are the writes more than one step makes.
 */
export interface JoinerContext {
  readonly message: HrQueueMessage;
  readonly deps: JoinerDeps;
  readonly employeeId: string;
  readonly eventId: string;
  /** Who the hire is for, as admins read it. */
  readonly who: string;
  /** What the token row says once the hire is done (the activation mode's held status). */
  readonly targetStatus: ReturnType<typeof heldStatusFor>;
  readonly random: () => number;
  readonly now: () => Date;
  readonly stamp: () => string;
  /** The joiner record as last read or written by this delivery. */
  record: ProvisioningRecord | undefined;
  /** The leaver record, as read when the hire started. */
  leaver: ProvisioningRecord | undefined;
  /** The Entra user, once found. */
  user: EntraUser | undefined;
  /** The token this hire works on, once allocated, and the record's token it replaces (no longer this hire's). */
  token: TokenRecord | undefined;
  replaces: string | undefined;
  /** Unusable tokens this delivery has quarantined so far. */
  unusable: number;
}

export function joinerContext(message: HrQueueMessage, deps: JoinerDeps): JoinerContext {
  const now = () => deps.clock.now();
  return {
    message,
    deps,
    employeeId: message.employeeId,
    eventId: message.eventId,
    who: message.userPrincipalName ?? `employeeId ${message.employeeId}`,
    targetStatus: heldStatusFor(deps.settings.activationMode),
    random: deps.random ?? Math.random,
    now,
    stamp: () => now().toISOString(),
    record: undefined,
    leaver: undefined,
    user: undefined,
    token: undefined,
    replaces: undefined,
    unusable: 0,
  };
}

/** A failure retrying cannot fix: ends the hire with this reason (and the target check's refusal, when it was one). */
export class PermanentFailure extends Error {
  constructor(
    readonly reason: string,
    readonly refusal?: { code: TargetRefusal; user?: EntraUser },
  ) {
    super(reason);
    this.name = 'PermanentFailure';
  }
}

/** A termination or a revoke cancelled the hire: give the token back and stop. */
export class HireCancelled extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'HireCancelled';
  }
}

export const heldBy = (token: TokenRecord, employeeId: string): boolean => isHeld(token.status) && token.employeeId === employeeId;

/** The tokens the rows show held for this employee. */
export async function heldTokens(ctx: JoinerContext): Promise<TokenRecord[]> {
  return (await ctx.deps.inventory.list({ user: ctx.employeeId }, { pageSize: 100 })).tokens.filter((t) => heldBy(t, ctx.employeeId));
}

export function withoutFields(record: ProvisioningRecord, ...fields: ('reason' | 'serialNumber' | 'step' | 'refusal' | 'approvedFor' | 'approvedBy')[]): ProvisioningRecord {
  const copy = { ...record };
  for (const field of fields) delete copy[field];
  return copy;
}

/** The holder's name for admins to read: Entra's, else the one HR sent; none when neither gave one. */
export function nameOf(ctx: JoinerContext, user: EntraUser): { displayName?: string } {
  const name = user.displayName ?? ctx.message.displayName;
  return name ? { displayName: name } : {};
}

/** The holder fields a hire writes on the token row beside the object id. */
export const holderOf = (ctx: JoinerContext, user: EntraUser): { userPrincipalName: string; displayName?: string } => ({ userPrincipalName: user.userPrincipalName, ...nameOf(ctx, user) });

/** The record of a hire seen for the first time. */
export function newRecord(ctx: JoinerContext): ProvisioningRecord {
  const { message } = ctx;
  return {
    employeeId: ctx.employeeId,
    kind: 'joiner',
    status: 'queued',
    attempts: 0,
    eventIds: [ctx.eventId],
    ...(message.userPrincipalName ? { userPrincipalName: message.userPrincipalName } : {}),
    ...(message.displayName ? { displayName: message.displayName } : {}),
    ...(message.hireDate ? { hireDate: message.hireDate } : {}),
    ...(message.location ? { location: message.location } : {}),
    createdAt: ctx.stamp(),
    updatedAt: ctx.stamp(),
  };
}

/** Writes the joiner record from its freshest version (with this event noted); `mutate` answers undefined to leave it. */
export async function save(ctx: JoinerContext, mutate: (current: ProvisioningRecord) => ProvisioningRecord | undefined) {
  const result = await writeRecord(ctx.deps.provisioning, ctx.employeeId, 'joiner', ctx.record, (current) => {
    const base = current ?? newRecord(ctx);
    return mutate({ ...base, eventIds: withEventId(base.eventIds, ctx.eventId), updatedAt: ctx.stamp() });
  });
  ctx.record = result.record;
  return result;
}

/** A cancelled hire remembers this event, so its redeliveries do not start it over. */
export async function noteCancelled(ctx: JoinerContext, reason: string): Promise<{ outcome: HrEventOutcome }> {
  ctx.record = await ctx.deps.provisioning.get(ctx.employeeId, 'joiner');
  await save(ctx, (current) => (current.status === 'cancelled' ? current : undefined));
  return { outcome: { kind: 'cancelled', reason } };
}

/** Puts a token this hire holds back in stock, first taking it back in Entra if it got assigned there. */
export async function release(ctx: JoinerContext, token: TokenRecord, reason: string, checkEntra: boolean): Promise<void> {
  const { directory, inventory } = ctx.deps;
  let status: 'in_stock' | 'quarantined' = 'in_stock';
  let why = reason;
  const userId = ctx.user?.id ?? ctx.record?.entraUserId;
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
  for (let conflicts = 0; current && heldBy(current, ctx.employeeId) && current.status === 'reserved'; conflicts++) {
    if (conflicts > MAX_WRITE_CONFLICTS) throw new Error(`token ${token.serialNumber} kept changing while it was being released`);
    const written = await inventory.replace({ ...withoutHolder(current), status, updatedAt: ctx.stamp(), lastChangeReason: why.slice(0, 500) });
    if (written !== 'conflict') return;
    current = await inventory.get(token.serialNumber);
  }
}

/** Takes an unusable token out of circulation (no seed, not in Entra, held by someone else there). */
export async function quarantine(ctx: JoinerContext, token: TokenRecord, why: string): Promise<void> {
  const { inventory } = ctx.deps;
  let current: TokenRecord | undefined = token;
  for (let conflicts = 0; current && heldBy(current, ctx.employeeId); conflicts++) {
    if (conflicts > MAX_WRITE_CONFLICTS) throw new Error(`token ${token.serialNumber} kept changing while it was being quarantined`);
    const written = await inventory.replace({ ...withoutHolder(current), status: 'quarantined', updatedAt: ctx.stamp(), lastChangeReason: `quarantined during the hire of ${ctx.employeeId}: ${why}` });
    if (written !== 'conflict') break;
    current = await inventory.get(token.serialNumber);
  }
  await ctx.deps.audit.record({ actor: 'hr', action: 'token.quarantined', serialNumber: token.serialNumber, employeeId: ctx.employeeId, correlationId: ctx.eventId, outcome: 'succeeded', detail: why });
}

/** Ends the hire for good: every token it reserved goes back, the record says why, admins are told. */
export async function fail(ctx: JoinerContext, reason: string, refusal?: PermanentFailure['refusal']): Promise<HrEventOutcome> {
  const { employeeId, eventId } = ctx;
  const held = (await heldTokens(ctx)).filter((t) => t.status === 'reserved');
  for (const token of held) await release(ctx, token, `released: the hire of ${employeeId} failed (${reason})`, true);
  await save(ctx, (current) => ({
    ...withoutFields(current, 'serialNumber', 'refusal', 'approvedFor', 'approvedBy'),
    status: 'failed',
    reason,
    // The person as Entra named them, when the hire got as far as their account.
    ...(ctx.user ? nameOf(ctx, ctx.user) : {}),
    // The refused account is remembered, so an approval names exactly that account.
    ...(refusal ? { refusal: refusal.code, ...(refusal.user ? { entraUserId: refusal.user.id, userPrincipalName: refusal.user.userPrincipalName, ...nameOf(ctx, refusal.user) } : {}) } : {}),
  }));
  await ctx.deps.audit.record({
    actor: 'hr',
    action: 'token.provisioned',
    employeeId,
    correlationId: eventId,
    outcome: refusal ? 'rejected' : 'failed',
    detail: refusal ? `${refusal.code}: ${reason}` : reason,
    ...(held[0] ? { serialNumber: held[0].serialNumber } : {}),
  });
  return { kind: 'failed', reason };
}

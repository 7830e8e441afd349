import { matchCode, type CodeMatch } from '../domain/handover';
import { holderLabel, type ShipmentStatus, type TokenRecord } from '../domain/token';
import { DirectoryRefusal, type AuditLog, type Clock, type Directory, type EntraDevice, type Inventory, type ProvisioningStore, type SeedVault } from '../ports';
import { actorLabel, type ActionContext } from './revokeToken';
import { found, runSteps, type Step } from './steps';
import { refusalBeforeActivation, type TargetCheck } from './targetCheck';

/**
 * Hand-over mode (ACTIVATION_MODE=handover): a hire leaves its token assigned in Entra but not
 * activated, waiting at the holder's site. The desk ships it, then reads the code off the token in
 * front of its new holder; only a code of this very token activates it, and Entra is activated with
 * that displayed code so that it learns the token's real clock drift.
 */

export interface HandoverDeps {
  inventory: Inventory;
  seeds: SeedVault;
  directory: Directory;
  audit: AuditLog;
  clock: Clock;
  /** Asked again right before the activation, with the leaver check. */
  targets: TargetCheck;
  provisioning: ProvisioningStore;
}

export interface HandoverSettings {
  /** Steps either side of now a displayed code may be (HANDOVER_DRIFT_STEPS). */
  driftSteps: number;
  /** Drift beyond this many steps is reported (DRIFT_ALERT_STEPS). */
  alertSteps: number;
}

export type ShippingState = 'pending' | ShipmentStatus;
export const SHIPPING_STATES: readonly ShippingState[] = ['pending', 'shipped', 'delivered'];

/** One line of a site's pick list. */
export interface HandoverItem {
  serialNumber: string;
  manufacturer: string;
  model: string;
  employeeId: string | null;
  userPrincipalName: string | null;
  displayName: string | null;
  site: string;
  since: string;
  shipping: ShippingState;
  tracking: string | null;
  shippingUpdatedAt: string | null;
}

export type HandoverRefusal =
  | 'wrong_token'
  | 'code_used'
  | 'not_awaiting_handover'
  | 'seed_missing'
  | 'entra_mismatch'
  | 'changed_meanwhile'
  /** The holder no longer passes the target check (became privileged, left the allowed group), or is a leaver. */
  | 'holder_refused';

export type HandoverResult =
  | { outcome: 'handed_over'; serialNumber: string; userPrincipalName: string | null; displayName: string | null; driftSteps: number; alert: boolean }
  | { outcome: 'not_found'; detail: string }
  | { outcome: 'refused'; reason: HandoverRefusal; serialNumber: string; detail: string }
  /** The code is this token's, but Entra would not take it: the token's clock is off further than Entra allows. */
  | { outcome: 'entra_refused'; serialNumber: string; driftSteps: number; detail: string };

export type ShipmentResult =
  | { outcome: 'done'; serialNumber: string; shipping: ShipmentStatus; tracking: string | null; changed: boolean }
  | { outcome: 'not_found'; detail: string }
  | { outcome: 'refused'; serialNumber: string; detail: string };

const PAGE_SIZE = 500;
/** Conditional writes retried on a conflict before giving up to the caller. */
const MAX_CONFLICTS = 5;

const shippingOf = (token: TokenRecord): ShippingState => token.handover?.shipment?.status ?? 'pending';

/** The pick list: tokens awaiting hand-over, optionally of one site and one shipping state, oldest first. */
export async function listHandovers(inventory: Inventory, filter: { site?: string; shipping?: ShippingState }): Promise<HandoverItem[]> {
  const items: HandoverItem[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await inventory.list({ status: 'awaiting_handover' }, { pageSize: PAGE_SIZE, ...(continuationToken ? { continuationToken } : {}) });
    for (const token of page.tokens) {
      if (token.status !== 'awaiting_handover') continue;
      const site = token.handover?.site ?? token.pool;
      if (filter.site !== undefined && site.toUpperCase() !== filter.site.toUpperCase()) continue;
      if (filter.shipping !== undefined && shippingOf(token) !== filter.shipping) continue;
      items.push({
        serialNumber: token.serialNumber,
        manufacturer: token.manufacturer,
        model: token.model,
        employeeId: token.employeeId ?? null,
        userPrincipalName: token.userPrincipalName ?? null,
        displayName: token.displayName ?? null,
        site,
        since: token.handover?.since ?? token.updatedAt,
        shipping: shippingOf(token),
        tracking: token.handover?.shipment?.tracking ?? null,
        shippingUpdatedAt: token.handover?.shipment?.updatedAt ?? null,
      });
    }
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return items.sort((a, b) => a.since.localeCompare(b.since) || a.serialNumber.localeCompare(b.serialNumber));
}

const SHIPPING_ORDER: Record<ShippingState, number> = { pending: 0, shipped: 1, delivered: 2 };

/** Records that a token awaiting hand-over was shipped to its site or arrived there; shipping only moves forward. */
export async function recordShipment(deps: HandoverDeps, serial: string, status: ShipmentStatus, tracking: string | undefined, context: ActionContext): Promise<ShipmentResult> {
  let token = await deps.inventory.get(serial);
  for (let conflicts = 0; ; conflicts++) {
    if (!token) return { outcome: 'not_found', detail: `No token with serial number ${serial} in the inventory` };
    if (token.status !== 'awaiting_handover' || !token.handover) {
      return { outcome: 'refused', serialNumber: token.serialNumber, detail: `token ${token.serialNumber} is ${token.status}, not awaiting hand-over` };
    }
    const current = token.handover.shipment;
    const keptTracking = tracking ?? current?.tracking;
    if (current && current.status === status && keptTracking === current.tracking) {
      return { outcome: 'done', serialNumber: token.serialNumber, shipping: status, tracking: current.tracking ?? null, changed: false };
    }
    if (SHIPPING_ORDER[status] < SHIPPING_ORDER[shippingOf(token)]) {
      return { outcome: 'refused', serialNumber: token.serialNumber, detail: `token ${token.serialNumber} is already ${shippingOf(token)}; shipping only moves forward` };
    }
    if (conflicts >= MAX_CONFLICTS) throw new Error(`token ${token.serialNumber} kept changing while its shipment was recorded`);
    const now = deps.clock.now().toISOString();
    const written = await deps.inventory.replace({
      ...token,
      handover: { ...token.handover, shipment: { status, ...(keptTracking ? { tracking: keptTracking } : {}), updatedAt: now } },
      updatedAt: now,
      lastChangeReason: `${status} to site ${token.handover.site || '(shared)'}${keptTracking ? ` (tracking ${keptTracking})` : ''} (by ${actorLabel(context)})`,
    });
    if (written !== 'conflict') {
      await deps.audit.record({
        actor: context.actor,
        action: `token.shipment.${status}`,
        serialNumber: token.serialNumber,
        ...(token.employeeId ? { employeeId: token.employeeId } : {}),
        correlationId: context.correlationId,
        outcome: 'succeeded',
        detail: `site ${token.handover.site || '(shared)'}${keptTracking ? `; tracking ${keptTracking}` : ''}`,
      });
      return { outcome: 'done', serialNumber: token.serialNumber, shipping: status, tracking: keptTracking ?? null, changed: true };
    }
    token = await deps.inventory.get(serial);
  }
}

/**
 * The desk types the code shown on the token. Checked against the seed within `driftSteps` either
 * side of now: no match means another token is in front of the desk (nothing changes); a match at or
 * before the last accepted step is a replay. The code is claimed on the row before Entra sees it, so
 * two desks (or a retry) can never spend one code twice; then Entra is activated with it.
 */
export interface HandoverContext {
  readonly deps: HandoverDeps;
  readonly serial: string;
  readonly code: string;
  readonly settings: HandoverSettings;
  readonly context: ActionContext & { /** The caller holds Tokens.PrivilegedAdmin. */ privilegedAllowed?: boolean };
  /** What the steps before found: the row, the time the code is judged at, the code's step and drift, Entra's device, the row with the code claimed. */
  token?: TokenRecord;
  now?: Date;
  match?: CodeMatch;
  device?: EntraDevice;
  claimed?: TokenRecord;
}

/** A step answers the hand-over's result when it ends there, or undefined to go on. */
export type HandoverStep = Step<HandoverContext, HandoverResult>;

/** The hand-over at the desk, in the order its steps run; each is defined below in this order. */
export const HANDOVER: readonly HandoverStep[] = [
  { name: 'find the token', run: findToken },
  { name: 'match the code shown', run: matchShownCode },
  { name: 'confirm the holder in Entra', run: confirmInEntra },
  { name: 'check the holder again', run: checkHolderAgain },
  { name: 'claim the code', run: claimCode },
  { name: 'activate in Entra', run: activateInEntra },
  { name: 'mark handed over', run: markHandedOver },
];

export async function handOverToken(deps: HandoverDeps, serial: string, code: string, settings: HandoverSettings, context: HandoverContext['context']): Promise<HandoverResult> {
  return runSteps(HANDOVER, { deps, serial, code, settings, context });
}

const refuse = (token: TokenRecord, reason: HandoverRefusal, detail: string): HandoverResult => ({ outcome: 'refused', reason, serialNumber: token.serialNumber, detail });
const auditHandover = (ctx: HandoverContext, token: TokenRecord, outcome: 'succeeded' | 'failed' | 'rejected', detail: string) =>
  ctx.deps.audit.record({
    actor: ctx.context.actor,
    action: 'token.handover',
    serialNumber: token.serialNumber,
    ...(token.employeeId ? { employeeId: token.employeeId } : {}),
    correlationId: ctx.context.correlationId,
    outcome,
    detail,
  });

/* ---------- the steps, in the order of HANDOVER ---------- */

export async function findToken(ctx: HandoverContext): Promise<HandoverResult | undefined> {
  ctx.token = await ctx.deps.inventory.get(ctx.serial);
  if (!ctx.token) return { outcome: 'not_found', detail: `No token with serial number ${ctx.serial} in the inventory` };
  const token = ctx.token;
  if (token.status !== 'awaiting_handover' && token.status !== 'active') return refuse(token, 'not_awaiting_handover', `token ${token.serialNumber} is ${token.status}, not awaiting hand-over`);
  return undefined;
}

/** Only a code of this very token, within the drift allowed, and not one already used. */
export async function matchShownCode(ctx: HandoverContext): Promise<HandoverResult | undefined> {
  const { deps, settings } = ctx;
  const token = found(ctx.token, 'the token');
  const seed = await deps.seeds.get(token.seedSecretName);
  if (seed === undefined) return refuse(token, 'seed_missing', `the seed of ${token.serialNumber} is missing from Key Vault; revoke it and hand out another token`);
  ctx.now = deps.clock.now();
  const match = matchCode(seed, token.timeIntervalInSeconds, token.hashFunction, ctx.code, ctx.now, settings.driftSteps);
  if (match && token.lastCodeStep !== undefined && match.step <= token.lastCodeStep) {
    await auditHandover(ctx, token, 'rejected', 'a code already used was shown again');
    return refuse(token, 'code_used', `that code of ${token.serialNumber} was already used; wait for the token to show the next code`);
  }
  if (token.status === 'active') return refuse(token, 'not_awaiting_handover', `token ${token.serialNumber} is already active (handed over)`);
  if (!match) {
    await auditHandover(ctx, token, 'rejected', `the code shown matches none of this token's codes within ${settings.driftSteps} steps: another token is in front of the desk`);
    return refuse(
      token,
      'wrong_token',
      `the code is not one of token ${token.serialNumber}'s (checked ${settings.driftSteps} steps either side of now): the token in front of you is not the one reserved for ${token.userPrincipalName ?? token.employeeId ?? 'this person'}`,
    );
  }
  ctx.match = match;
  return undefined;
}

/** Entra is the truth for who holds the token: it must be this holder's method before it is activated. */
export async function confirmInEntra(ctx: HandoverContext): Promise<HandoverResult | undefined> {
  const token = found(ctx.token, 'the token');
  const holder = token.entraUserId;
  const device = await ctx.deps.directory.findDeviceBySerial(token.serialNumber);
  if (!holder || !token.entraDeviceId || !device || device.id !== token.entraDeviceId || device.assignedTo?.id !== holder) {
    return refuse(token, 'entra_mismatch', `Entra does not show ${token.serialNumber} assigned to ${token.userPrincipalName ?? holder ?? 'its holder'}; run reconciliation before handing it over`);
  }
  ctx.device = device;
  return undefined;
}

/** The hire checked the holder days ago: a holder made privileged since, or a leaver, gets nothing. */
export async function checkHolderAgain(ctx: HandoverContext): Promise<HandoverResult | undefined> {
  const token = found(ctx.token, 'the token');
  const holder = found(token.entraUserId, 'the holder');
  const holderRefused = await refusalBeforeActivation(ctx.deps, { entraUserId: holder, ...(token.employeeId ? { employeeId: token.employeeId } : {}) }, { privilegedAllowed: ctx.context.privilegedAllowed === true });
  if (!holderRefused) return undefined;
  await auditHandover(ctx, token, 'rejected', `${holderRefused.refusal}: ${holderRefused.detail}`);
  return { outcome: 'refused', reason: 'holder_refused', serialNumber: token.serialNumber, detail: `${holderRefused.refusal}: ${holderRefused.detail}` };
}

/** The code is claimed on the row before Entra sees it, so two desks (or a retry) can never spend one code twice. */
export async function claimCode(ctx: HandoverContext): Promise<HandoverResult | undefined> {
  const token = found(ctx.token, 'the token');
  const match = found(ctx.match, 'the code');
  const claimed = await ctx.deps.inventory.replace({
    ...token,
    lastCodeStep: match.step,
    driftSteps: match.driftSteps,
    updatedAt: found(ctx.now, 'the time').toISOString(),
    lastChangeReason: `hand-over code accepted (clock off by ${match.driftSteps} steps); activating in Entra (by ${actorLabel(ctx.context)})`,
  });
  if (claimed === 'conflict') return refuse(token, 'changed_meanwhile', `token ${token.serialNumber} changed meanwhile; try again with the next code shown`);
  ctx.claimed = claimed;
  return undefined;
}

/** Entra is activated with the displayed code, so that it learns the token's real clock drift; a device already activated is left as it is. */
export async function activateInEntra(ctx: HandoverContext): Promise<HandoverResult | undefined> {
  const token = found(ctx.token, 'the token');
  const device = found(ctx.device, 'the device');
  const drift = found(ctx.match, 'the code').driftSteps;
  if (device.status === 'activated') return undefined;
  try {
    await ctx.deps.directory.activate(found(token.entraUserId, 'the holder'), found(token.entraDeviceId, 'the device id'), ctx.code);
  } catch (error) {
    if (!(error instanceof DirectoryRefusal) || error.status !== 400) throw error;
    const seconds = drift * token.timeIntervalInSeconds;
    await auditHandover(ctx, token, 'failed', `Entra refused the displayed code that matches the seed; drift ${drift} steps (${seconds} s)`);
    return {
      outcome: 'entra_refused',
      serialNumber: token.serialNumber,
      driftSteps: drift,
      detail: `Entra refused the code although it is this token's: its clock is off by ${drift} steps (${seconds} s), more than Entra accepts at activation. Replace the token (POST /api/users/${token.userPrincipalName ?? token.employeeId ?? '{user}'}/token/replace with reason "damaged").`,
    };
  }
  return undefined;
}

export async function markHandedOver(ctx: HandoverContext): Promise<HandoverResult> {
  const { deps, context, settings } = ctx;
  const token = found(ctx.token, 'the token');
  const drift = found(ctx.match, 'the code').driftSteps;
  const seconds = drift * token.timeIntervalInSeconds;
  let current: TokenRecord | undefined = found(ctx.claimed, 'the claimed row');
  for (let conflicts = 0; current && current.status === 'awaiting_handover'; conflicts++) {
    if (conflicts > MAX_CONFLICTS) throw new Error(`token ${token.serialNumber} kept changing while it was marked handed over`);
    const { handover, ...rest } = current;
    const written = await deps.inventory.replace({
      ...rest,
      status: 'active',
      activatedAt: deps.clock.now().toISOString(),
      updatedAt: deps.clock.now().toISOString(),
      lastChangeReason: `handed over to ${holderLabel(current)} at site ${handover?.site || '(shared)'}; clock off by ${drift} steps (${seconds} s) (by ${actorLabel(context)})`,
    });
    if (written !== 'conflict') break;
    current = await deps.inventory.get(token.serialNumber);
  }
  await auditHandover(ctx, token, 'succeeded', `activated with the code shown on the token; drift ${drift} steps (${seconds} s)`);
  return { outcome: 'handed_over', serialNumber: token.serialNumber, userPrincipalName: token.userPrincipalName ?? null, displayName: token.displayName ?? null, driftSteps: drift, alert: Math.abs(drift) > settings.alertSteps };
}

import { holderLabel, isHeld, withoutHolder, type RevokeReason, type TokenRecord, type TokenStatus } from '../domain/token';
import { activateWithCurrentCode } from './activation';
import { DirectoryRefusal, withoutApproval, type AuditLog, type Clock, type Directory, type EntraDevice, type Inventory, type ProvisioningStore, type SeedVault } from '../ports';
import { heldOnAccounts, resolveLeaverAccounts } from './leaverAccounts';
import { writeRecord } from './provisioningRecords';
import { refusalBeforeActivation, type TargetCheck } from './targetCheck';

/**
 * Taking a token away from a person, for good or for a while. Entra is the truth for who holds it:
 * the device is looked up by serial and taken from whoever Entra says holds it (the answer and the
 * audit say so when that is not the inventory's holder). Entra is changed first and the inventory
 * after, so a failure part-way leaves the inventory saying "still active" (and the retry finishes the
 * job), never "revoked" while Entra still accepts the token. A repeat looks at Entra again, so every
 * call converges.
 *
 * A token still `reserved` belongs to a hire in flight. It is taken over: the hire is cancelled,
 * the row written first, then Entra cleaned; a hire that assigned it meanwhile finds its row gone
 * and undoes its own assignment, so either side removes it whatever the interleaving.
 */

export interface RevokeDeps {
  inventory: Inventory;
  directory: Directory;
  seeds: SeedVault;
  audit: AuditLog;
  clock: Clock;
  provisioning: ProvisioningStore;
  /** Waits for the next TOTP step on resume; setTimeout unless given. */
  sleep?: (ms: number) => Promise<void>;
}

export interface ActionContext {
  /** Who acts, as the audit keys it: `admin <oid>`, `hr`, `reconciliation`, ... */
  actor: string;
  /** The admin caller's name, for the words on a token or a record; it proves nothing (the audit keeps the oid). */
  actorName?: string;
  correlationId: string;
}

/** The actor as a token's last change or a record's reason names it: the caller's name when there is one. */
export const actorLabel = (context: Pick<ActionContext, 'actor' | 'actorName'>): string => context.actorName ?? context.actor;

/** Who Entra showed holding the token, when that was not the inventory's holder. */
export interface EntraHolder {
  id: string;
  displayName?: string;
}

export type TokenActionResult =
  | { outcome: 'done'; serialNumber: string; status: TokenStatus; changed: boolean; entraHolder?: EntraHolder; detail?: string }
  | { outcome: 'no_token'; detail: string }
  | { outcome: 'not_allowed'; serialNumber: string; status: TokenStatus; detail: string }
  /** The user holds several tokens: the caller must name one by serial. */
  | { outcome: 'several'; detail: string; serialNumbers: string[] };

/** Where each reason leaves the token. */
function finalStatus(reason: RevokeReason, token: TokenRecord): TokenStatus {
  switch (reason) {
    case 'lost':
    case 'stolen':
      return 'lost';
    case 'damaged':
      return 'retired';
    // unused: taken from a holder who never signs in with it, revoked until it is back on the shelf (then 'returned').
    case 'offboarded':
    case 'unused':
      return 'revoked';
    case 'returned':
      // A vendor seed was never shown to anyone here; a generated one left once, in the programming CSV.
      return token.seedOrigin === 'vendor' ? 'in_stock' : 'quarantined';
  }
}

/** The tokens the user holds (or held, for repeats), most relevant first. */
export async function tokensOf(inventory: Inventory, user: string): Promise<TokenRecord[]> {
  const found: TokenRecord[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await inventory.list({ user }, { pageSize: 100, ...(continuationToken ? { continuationToken } : {}) });
    found.push(...page.tokens);
    continuationToken = page.continuationToken;
  } while (continuationToken);
  const rank = (t: TokenRecord) => (isHeld(t.status) ? 0 : t.status === 'revoked' ? 1 : 2);
  return found.sort((a, b) => rank(a) - rank(b) || b.updatedAt.localeCompare(a.updatedAt));
}

/** Conditional writes retried after a conflict before the caller is asked to retry. */
const MAX_WRITE_CONFLICTS = 5;

const isGone = (error: unknown) => error instanceof DirectoryRefusal && (error.status === 404 || error.code === 'Request_ResourceNotFound');

const several = (user: string, tokens: TokenRecord[]): TokenActionResult => ({
  outcome: 'several',
  detail: `${user} holds ${tokens.length} tokens (${tokens.map((t) => `${t.serialNumber} ${t.status}`).join(', ')}); name the one meant with POST /api/tokens/{serial}/...`,
  serialNumbers: tokens.map((t) => t.serialNumber),
});

/** "Entra showed it on B, not on A": said when Entra's holder is not the inventory's. */
function holderNote(token: TokenRecord, device: EntraDevice | undefined): { entraHolder?: EntraHolder; detail?: string } {
  const holder = device?.assignedTo;
  if (!holder || holder.id === token.entraUserId) return {};
  const inventoryHolder = token.userPrincipalName ?? token.entraUserId ?? (token.employeeId ? `employee ${token.employeeId}` : 'nobody');
  return {
    entraHolder: { id: holder.id, ...(holder.displayName ? { displayName: holder.displayName } : {}) },
    detail: `Entra showed ${token.serialNumber} assigned to ${holder.displayName ?? holder.id} (${holder.id}), not to ${inventoryHolder} as the inventory did; it was taken from ${holder.displayName ?? holder.id}`,
  };
}

/**
 * An offboarding is a leaver: the person's Entra accounts (the user named as UPN, employeeId or object
 * id, and the accounts the rows tie to them) are read, and a managed token Entra shows there counts as
 * held, whatever the rows say.
 */
async function heldByPerson(deps: RevokeDeps, user: string, tokens: TokenRecord[]): Promise<TokenRecord[]> {
  const who = user.includes('@') ? { userPrincipalName: user } : { employeeId: user, ...(/^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(user) ? { entraUserId: user } : {}) };
  const accounts = await resolveLeaverAccounts(deps.directory, who, { records: [], rows: tokens.filter((t) => isHeld(t.status)) });
  const held = new Map(tokens.filter((t) => isHeld(t.status)).map((t) => [t.serialNumber.toUpperCase(), t]));
  for (const token of await heldOnAccounts(deps, accounts)) if (!held.has(token.serialNumber.toUpperCase())) held.set(token.serialNumber.toUpperCase(), token);
  return [...held.values()];
}

export async function revokeUserToken(deps: RevokeDeps, user: string, reason: RevokeReason, note: string | undefined, context: ActionContext): Promise<TokenActionResult> {
  const tokens = await tokensOf(deps.inventory, user);
  const held = reason === 'offboarded' ? await heldByPerson(deps, user, tokens) : tokens.filter((t) => isHeld(t.status));
  if (held.length > 1) return several(user, held);
  const token = held[0] ?? tokens[0];
  if (!token) return { outcome: 'no_token', detail: `${user} holds no token` };
  if (!isHeld(token.status) && token.status !== 'revoked' && token.revocationReason !== reason) {
    return { outcome: 'no_token', detail: `${user} holds no token (${token.serialNumber} is already ${token.status})` };
  }
  return revokeToken(deps, token, reason, note, context);
}

/** POST /api/tokens/{serial}/revoke: the token named exactly, held or not (a token lost from the shelf too). */
export async function revokeTokenBySerial(deps: RevokeDeps, serialNumber: string, reason: RevokeReason, note: string | undefined, context: ActionContext): Promise<TokenActionResult> {
  const token = await deps.inventory.get(serialNumber);
  if (!token) return { outcome: 'no_token', detail: `No token ${serialNumber} in the inventory` };
  const unheld = !isHeld(token.status) && token.status !== 'revoked';
  const repeat = token.status === finalStatus(reason, token) && (token.revocationReason === reason || token.status === 'in_stock');
  const offTheShelf = (token.status === 'in_stock' || token.status === 'quarantined') && (reason === 'lost' || reason === 'stolen' || reason === 'damaged');
  if (unheld && !repeat && !offTheShelf) {
    return { outcome: 'not_allowed', serialNumber: token.serialNumber, status: token.status, detail: `token ${token.serialNumber} is ${token.status}; nobody holds it, so it cannot be ${reason}` };
  }
  return revokeToken(deps, token, reason, note, context);
}

/**
 * The hire this token belongs to stops: it is in flight with this token (reserved for it, or on its
 * record), so a retry of it must not hand the person another one.
 */
async function cancelHireOf(deps: RevokeDeps, token: TokenRecord, why: string): Promise<void> {
  if (!token.employeeId) return;
  const stamp = deps.clock.now().toISOString();
  const employeeId = token.employeeId;
  await writeRecord(deps.provisioning, employeeId, 'joiner', await deps.provisioning.get(employeeId, 'joiner'), (joiner) => {
    // A hire that reserved the token before writing its record finds this cancelled record when it does.
    if (!joiner) return token.status === 'reserved' ? { employeeId, kind: 'joiner', status: 'cancelled', reason: why, attempts: 0, eventIds: [], createdAt: stamp, updatedAt: stamp } : undefined;
    if (!['queued', 'deferred', 'waiting_for_user', 'in_progress'].includes(joiner.status)) return undefined;
    if (token.status !== 'reserved' && joiner.serialNumber !== token.serialNumber) return undefined;
    return { ...withoutApproval(joiner), status: 'cancelled', reason: why, updatedAt: stamp };
  });
}

/** Entra: the device by serial, taken from whoever holds it, and deleted when the token goes for good. */
async function takeFromEntra(deps: RevokeDeps, token: TokenRecord, deleteDevice: boolean): Promise<EntraDevice | undefined> {
  const device = await deps.directory.findDeviceBySerial(token.serialNumber);
  if (device?.assignedTo) await deps.directory.unassign(device.assignedTo.id, device.id);
  const deviceId = device?.id ?? token.entraDeviceId;
  if (deleteDevice && deviceId) {
    try {
      await deps.directory.deleteDevice(deviceId);
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  }
  return device;
}

/** Revokes one token someone holds (or that awaits its return): Entra first, then the seed, then the row. */
export async function revokeToken(deps: RevokeDeps, token: TokenRecord, reason: RevokeReason, note: string | undefined, context: ActionContext): Promise<TokenActionResult> {
  let current = token;
  for (let conflicts = 0; ; conflicts++) {
    const result = await revokeOnce(deps, current, reason, note, context);
    if (result !== 'conflict') return result;
    // Someone changed the token meanwhile (the hire marking it, another revoke): look again.
    const fresh = await deps.inventory.get(token.serialNumber);
    if (!fresh || conflicts >= MAX_WRITE_CONFLICTS) throw new Error(`token ${token.serialNumber} changed during revocation; retry`);
    current = fresh;
  }
}

async function revokeOnce(deps: RevokeDeps, token: TokenRecord, reason: RevokeReason, note: string | undefined, context: ActionContext): Promise<TokenActionResult | 'conflict'> {
  const target = finalStatus(reason, token);
  const destroySeed = target === 'lost' || target === 'retired' || target === 'quarantined';
  const change = `${reason}${note ? `: ${note}` : ''} (by ${actorLabel(context)})`;
  const now = deps.clock.now().toISOString();
  const audit = (detail: string, serialNumber = token.serialNumber) =>
    deps.audit.record({
      actor: context.actor,
      action: `token.revoked.${reason}`,
      serialNumber,
      ...(token.employeeId ? { employeeId: token.employeeId } : {}),
      correlationId: context.correlationId,
      outcome: 'succeeded',
      detail,
    });

  // A repeat: the row is settled, but Entra is looked at again (an earlier try may have stopped half-way).
  if (!isHeld(token.status) && token.status === target && (token.revocationReason === reason || target === 'in_stock')) {
    const device = await takeFromEntra(deps, token, destroySeed);
    if (destroySeed) await deps.seeds.destroy(token.seedSecretName);
    const noted = holderNote(token, device);
    if (noted.detail) await audit(`${token.status} (repeat); ${noted.detail}`);
    return { outcome: 'done', serialNumber: token.serialNumber, status: token.status, changed: noted.detail !== undefined, ...noted };
  }

  const next: TokenRecord =
    target === 'in_stock'
      ? { ...withoutHolder(token), status: 'in_stock', updatedAt: now, lastChangeReason: `returned to stock from ${holderLabel(token)}: ${change}` }
      : {
          ...token,
          status: target,
          ...(destroySeed ? { entraDeviceId: undefined } : {}),
          revocationReason: reason,
          updatedAt: now,
          lastChangeReason: target === 'quarantined' ? `returned, awaiting re-seeding: ${change}` : `revoked, ${change}`,
        };
  const hireNote = `cancelled: token ${token.serialNumber} was taken back (${reason}) by ${actorLabel(context)} while the hire was running`;

  let device: EntraDevice | undefined;
  if (token.status === 'reserved') {
    // Taken over from the hire in flight: the hire stops, the row goes first, then Entra (see above).
    await cancelHireOf(deps, token, hireNote);
    const written = await deps.inventory.replace(next);
    if (written === 'conflict') return 'conflict';
    device = await takeFromEntra(deps, token, destroySeed);
    if (destroySeed) await deps.seeds.destroy(token.seedSecretName);
  } else {
    await cancelHireOf(deps, token, hireNote);
    // 1. Entra first: the method goes from whoever holds it, so the token can no longer sign anyone in.
    device = await takeFromEntra(deps, token, destroySeed);
    // 2. For good: the seed is destroyed.
    if (destroySeed) await deps.seeds.destroy(token.seedSecretName);
    // An earlier revocation that destroys (lost, stolen) may have stopped after Entra and Key Vault let go
    // and before its row was written: with neither a device nor a seed left, the token waits for re-seeding.
    const halfDestroyed = !destroySeed && target !== 'in_stock' && device === undefined && (await deps.seeds.get(token.seedSecretName)) === undefined;
    const row: TokenRecord = halfDestroyed
      ? { ...next, status: 'quarantined', entraDeviceId: undefined, lastChangeReason: `quarantined: Entra has no device and Key Vault no seed (an earlier revocation stopped half-way); ${change}` }
      : next;
    const written = await deps.inventory.replace(row);
    if (written === 'conflict') return 'conflict';
    if (halfDestroyed) {
      await audit(`${token.status} -> quarantined: Entra has no device and Key Vault no seed${note ? `; note: ${note}` : ''}`);
      return { outcome: 'done', serialNumber: token.serialNumber, status: 'quarantined', changed: true };
    }
  }
  const noted = holderNote(token, device);
  await audit(`${token.status} -> ${target}${token.status === 'reserved' ? ' (taken over from the hire in progress)' : ''}${note ? `; note: ${note}` : ''}${noted.detail ? `; ${noted.detail}` : ''}`);
  return { outcome: 'done', serialNumber: token.serialNumber, status: target, changed: true, ...noted };
}

/** The user's token that may be suspended or resumed, or why there is none (several: name one by serial). */
async function activeTokenOf(deps: RevokeDeps, user: string, what: string): Promise<TokenRecord | TokenActionResult> {
  const tokens = (await tokensOf(deps.inventory, user)).filter((t) => t.status === 'active' || t.status === 'suspended');
  if (tokens.length > 1) return several(user, tokens);
  return tokens[0] ?? { outcome: 'no_token', detail: `${user} holds no ${what} token` };
}

/** Leave of absence: the method stays with the person but is deactivated in Entra, on whoever Entra says holds it. */
export async function suspendUserToken(deps: RevokeDeps, user: string, context: ActionContext): Promise<TokenActionResult> {
  const found = await activeTokenOf(deps, user, 'active');
  if ('outcome' in found) return found;
  const token = found;
  const device = await deps.directory.findDeviceBySerial(token.serialNumber);
  const holder = device?.assignedTo;
  if (!device || !holder) {
    return { outcome: 'not_allowed', serialNumber: token.serialNumber, status: token.status, detail: `Entra shows ${token.serialNumber} assigned to nobody; nothing to suspend (reconciliation will report the drift)` };
  }
  const noted = holderNote(token, device);
  if (token.status === 'suspended' && device.status !== 'activated') return { outcome: 'done', serialNumber: token.serialNumber, status: 'suspended', changed: false, ...noted };
  try {
    await deps.directory.deactivate(holder.id, device.id);
  } catch (error) {
    // Taken from the holder meanwhile (a revoke, a leaver): nobody signs in with it, and nothing is suspended.
    if (!(error instanceof DirectoryRefusal) || error.status !== 404) throw error;
    const now = await deps.directory.findDeviceBySerial(token.serialNumber);
    if (now?.assignedTo?.id === holder.id) throw error;
    return { outcome: 'not_allowed', serialNumber: token.serialNumber, status: token.status, detail: `Entra took ${token.serialNumber} from ${holder.displayName ?? holder.id} while it was being suspended (a revoke or a leaver); nothing to suspend` };
  }
  if (token.status !== 'suspended') {
    const written = await deps.inventory.replace({ ...token, status: 'suspended', updatedAt: deps.clock.now().toISOString(), lastChangeReason: `suspended (by ${actorLabel(context)})` });
    if (written === 'conflict') throw new Error(`token ${token.serialNumber} changed during suspension; retry`);
  }
  await deps.audit.record({
    actor: context.actor,
    action: 'token.suspended',
    serialNumber: token.serialNumber,
    ...(token.employeeId ? { employeeId: token.employeeId } : {}),
    correlationId: context.correlationId,
    outcome: 'succeeded',
    ...(noted.detail ? { detail: noted.detail } : {}),
  });
  return { outcome: 'done', serialNumber: token.serialNumber, status: 'suspended', changed: true, ...noted };
}

/**
 * Back from leave: a fresh activation with the current code from the seed, only for the holder Entra and
 * the inventory agree on, and only when that holder still passes the target check and is no leaver.
 */
export async function resumeUserToken(
  deps: RevokeDeps & { targets: TargetCheck },
  user: string,
  context: ActionContext & { /** The caller holds Tokens.PrivilegedAdmin. */ privilegedAllowed?: boolean },
): Promise<TokenActionResult> {
  const found = await activeTokenOf(deps, user, 'suspended');
  if ('outcome' in found) return found;
  const token = found;
  if (token.status === 'active') return { outcome: 'done', serialNumber: token.serialNumber, status: 'active', changed: false };
  const device = await deps.directory.findDeviceBySerial(token.serialNumber);
  if (!token.entraUserId || !device || device.assignedTo?.id !== token.entraUserId) {
    const holder = device?.assignedTo ? `${device.assignedTo.displayName ?? device.assignedTo.id}` : 'nobody';
    return { outcome: 'not_allowed', serialNumber: token.serialNumber, status: token.status, detail: `Entra shows ${token.serialNumber} assigned to ${holder}, not to ${token.userPrincipalName ?? user}; it is not activated again (revoke it instead)` };
  }
  const holderRefused = await refusalBeforeActivation(deps, { entraUserId: token.entraUserId, ...(token.employeeId ? { employeeId: token.employeeId } : {}) }, { privilegedAllowed: context.privilegedAllowed === true });
  if (holderRefused) {
    await deps.audit.record({ actor: context.actor, action: 'token.resumed', serialNumber: token.serialNumber, ...(token.employeeId ? { employeeId: token.employeeId } : {}), correlationId: context.correlationId, outcome: 'rejected', detail: `${holderRefused.refusal}: ${holderRefused.detail}` });
    return { outcome: 'not_allowed', serialNumber: token.serialNumber, status: token.status, detail: `${holderRefused.refusal}: ${holderRefused.detail}` };
  }
  const seed = await deps.seeds.get(token.seedSecretName);
  if (seed === undefined) {
    return { outcome: 'not_allowed', serialNumber: token.serialNumber, status: token.status, detail: `the seed of ${token.serialNumber} is missing from Key Vault; revoke it and hand out another token` };
  }
  const now = deps.clock.now();
  // The current step's code only; when Entra has seen it (the last activation, a sign-in) the next step is waited for.
  const outcome = await activateWithCurrentCode(deps, token, seed, token.entraUserId, device.id);
  if (outcome === 'code_refused') {
    return { outcome: 'not_allowed', serialNumber: token.serialNumber, status: token.status, detail: `Entra refused the codes computed from the seed of ${token.serialNumber}; revoke it and hand out another token` };
  }
  const written = await deps.inventory.replace({ ...token, status: 'active', activatedAt: now.toISOString(), updatedAt: now.toISOString(), lastChangeReason: `resumed (by ${actorLabel(context)})` });
  if (written === 'conflict') throw new Error(`token ${token.serialNumber} changed while resuming; retry`);
  await deps.audit.record({ actor: context.actor, action: 'token.resumed', serialNumber: token.serialNumber, ...(token.employeeId ? { employeeId: token.employeeId } : {}), correlationId: context.correlationId, outcome: 'succeeded' });
  return { outcome: 'done', serialNumber: token.serialNumber, status: 'active', changed: true };
}

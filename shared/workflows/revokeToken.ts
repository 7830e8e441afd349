import { isHeld, withoutHolder, type RevokeReason, type TokenRecord, type TokenStatus } from '../domain/token';
import { activateWithCurrentCode } from './activation';
import { DirectoryRefusal, type AuditLog, type Clock, type Directory, type Inventory, type SeedVault } from '../ports';

/**
 * Taking a token away from a person, for good or for a while. Entra is always changed first and the
 * inventory after, so a failure part-way leaves the inventory saying "still active" (and the retry
 * finishes the job), never "revoked" while Entra still accepts the token.
 */

export interface RevokeDeps {
  inventory: Inventory;
  directory: Directory;
  seeds: SeedVault;
  audit: AuditLog;
  clock: Clock;
  /** Waits for the next TOTP step on resume; setTimeout unless given. */
  sleep?: (ms: number) => Promise<void>;
}

export interface ActionContext {
  actor: string;
  correlationId: string;
}

export type TokenActionResult =
  | { outcome: 'done'; serialNumber: string; status: TokenStatus; changed: boolean }
  | { outcome: 'no_token'; detail: string }
  | { outcome: 'not_allowed'; serialNumber: string; status: TokenStatus; detail: string };

/** Where each reason leaves the token. */
function finalStatus(reason: RevokeReason, token: TokenRecord): TokenStatus {
  switch (reason) {
    case 'lost':
    case 'stolen':
      return 'lost';
    case 'damaged':
      return 'retired';
    case 'offboarded':
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

const isGone = (error: unknown) => error instanceof DirectoryRefusal && (error.status === 404 || error.code === 'Request_ResourceNotFound');

export async function revokeUserToken(deps: RevokeDeps, user: string, reason: RevokeReason, note: string | undefined, context: ActionContext): Promise<TokenActionResult> {
  const token = (await tokensOf(deps.inventory, user))[0];
  if (!token) return { outcome: 'no_token', detail: `${user} holds no token` };
  if (!isHeld(token.status) && token.status !== 'revoked') {
    // Already settled: a repeat of the same call is harmless and answers the same.
    if (token.revocationReason === reason) return { outcome: 'done', serialNumber: token.serialNumber, status: token.status, changed: false };
    return { outcome: 'no_token', detail: `${user} holds no token (${token.serialNumber} is already ${token.status})` };
  }
  return revokeToken(deps, token, reason, note, context);
}

/** Revokes one token someone holds (or that awaits its return): Entra first, then the seed, then the row. */
export async function revokeToken(deps: RevokeDeps, token: TokenRecord, reason: RevokeReason, note: string | undefined, context: ActionContext): Promise<TokenActionResult> {
  if (token.status === 'revoked' && reason === 'offboarded') return { outcome: 'done', serialNumber: token.serialNumber, status: 'revoked', changed: false };
  const target = finalStatus(reason, token);

  // 1. Entra first: the method goes, so the token can no longer sign anyone in.
  if (token.entraDeviceId && token.entraUserId && token.status !== 'revoked') {
    await deps.directory.unassign(token.entraUserId, token.entraDeviceId);
  }
  // 2. For good: the device leaves Entra's inventory and the seed is destroyed.
  const destroySeed = target === 'lost' || target === 'retired' || target === 'quarantined';
  if (destroySeed) {
    if (token.entraDeviceId) {
      try {
        await deps.directory.deleteDevice(token.entraDeviceId);
      } catch (error) {
        if (!isGone(error)) throw error;
      }
    }
    await deps.seeds.destroy(token.seedSecretName);
  }

  const now = deps.clock.now().toISOString();
  const change = `${reason}${note ? `: ${note}` : ''} (by ${context.actor})`;
  const next: TokenRecord =
    target === 'in_stock'
      ? {
          ...withoutHolder(token),
          status: 'in_stock',
          updatedAt: now,
          lastChangeReason: `returned to stock from ${token.userPrincipalName ?? token.employeeId ?? 'its holder'}: ${change}`,
        }
      : {
          ...token,
          status: target,
          ...(destroySeed ? { entraDeviceId: undefined } : {}),
          revocationReason: reason,
          updatedAt: now,
          lastChangeReason: target === 'quarantined' ? `returned, awaiting re-seeding: ${change}` : `revoked, ${change}`,
        };
  const written = await deps.inventory.replace(next);
  // Someone changed the token meanwhile (another revoke, a reconcile): the host retries the whole call.
  if (written === 'conflict') throw new Error(`token ${token.serialNumber} changed during revocation; retry`);
  await deps.audit.record({
    actor: context.actor,
    action: `token.revoked.${reason}`,
    serialNumber: token.serialNumber,
    ...(token.employeeId ? { employeeId: token.employeeId } : {}),
    correlationId: context.correlationId,
    outcome: 'succeeded',
    detail: `${token.status} -> ${target}${note ? `; note: ${note}` : ''}`,
  });
  return { outcome: 'done', serialNumber: token.serialNumber, status: target, changed: true };
}

/** Leave of absence: the method stays with the person but is deactivated in Entra. */
export async function suspendUserToken(deps: RevokeDeps, user: string, context: ActionContext): Promise<TokenActionResult> {
  const token = (await tokensOf(deps.inventory, user)).find((t) => t.status === 'active' || t.status === 'suspended');
  if (!token) return { outcome: 'no_token', detail: `${user} holds no active token` };
  if (token.status === 'suspended') return { outcome: 'done', serialNumber: token.serialNumber, status: 'suspended', changed: false };
  if (!token.entraUserId || !token.entraDeviceId) throw new Error(`token ${token.serialNumber} has no Entra assignment to suspend`);
  await deps.directory.deactivate(token.entraUserId, token.entraDeviceId);
  const written = await deps.inventory.replace({ ...token, status: 'suspended', updatedAt: deps.clock.now().toISOString(), lastChangeReason: `suspended (by ${context.actor})` });
  if (written === 'conflict') throw new Error(`token ${token.serialNumber} changed during suspension; retry`);
  await deps.audit.record({ actor: context.actor, action: 'token.suspended', serialNumber: token.serialNumber, ...(token.employeeId ? { employeeId: token.employeeId } : {}), correlationId: context.correlationId, outcome: 'succeeded' });
  return { outcome: 'done', serialNumber: token.serialNumber, status: 'suspended', changed: true };
}

/** Back from leave: a fresh activation with the current code from the seed. */
export async function resumeUserToken(deps: RevokeDeps, user: string, context: ActionContext): Promise<TokenActionResult> {
  const token = (await tokensOf(deps.inventory, user)).find((t) => t.status === 'active' || t.status === 'suspended');
  if (!token) return { outcome: 'no_token', detail: `${user} holds no suspended token` };
  if (token.status === 'active') return { outcome: 'done', serialNumber: token.serialNumber, status: 'active', changed: false };
  if (!token.entraUserId || !token.entraDeviceId) throw new Error(`token ${token.serialNumber} has no Entra assignment to resume`);
  const seed = await deps.seeds.get(token.seedSecretName);
  if (seed === undefined) {
    return { outcome: 'not_allowed', serialNumber: token.serialNumber, status: token.status, detail: `the seed of ${token.serialNumber} is missing from Key Vault; revoke it and hand out another token` };
  }
  const now = deps.clock.now();
  // The current step's code only; when Entra has seen it (the last activation, a sign-in) the next step is waited for.
  const outcome = await activateWithCurrentCode(deps, token, seed, token.entraUserId, token.entraDeviceId);
  if (outcome === 'code_refused') {
    return { outcome: 'not_allowed', serialNumber: token.serialNumber, status: token.status, detail: `Entra refused the codes computed from the seed of ${token.serialNumber}; revoke it and hand out another token` };
  }
  const written = await deps.inventory.replace({ ...token, status: 'active', updatedAt: now.toISOString(), lastChangeReason: `resumed (by ${context.actor})` });
  if (written === 'conflict') throw new Error(`token ${token.serialNumber} changed while resuming; retry`);
  await deps.audit.record({ actor: context.actor, action: 'token.resumed', serialNumber: token.serialNumber, ...(token.employeeId ? { employeeId: token.employeeId } : {}), correlationId: context.correlationId, outcome: 'succeeded' });
  return { outcome: 'done', serialNumber: token.serialNumber, status: 'active', changed: true };
}

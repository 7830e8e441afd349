import {
  classifyDevice,
  classifyRecord,
  classifyReservation,
  classifyToken,
  entraUsersOf,
  inFlight,
  RECENT_CHANGE_MS,
  redriveMessage,
  seedStillNeeded,
  serialOfSeedName,
  syncedToken,
  terminationPassed,
  type DriftKind,
  type RepairMessage,
} from '../domain/drift';
import { instantOf, type HrQueueMessage } from '../domain/hrEvent';
import { activateWithCurrentCode } from './activation';
import { isHeld, withoutHolder, type TokenRecord } from '../domain/token';
import { revokeToken } from './revokeToken';
import { refusalBeforeActivation, type TargetCheck } from './targetCheck';
import { DirectoryRefusal, HeldByDeletedAccount, type AuditLog, type Clock, type Directory, type Inventory, type ProvisioningStore, type SeedCatalog, type SeedVault, type WebhookDeliveries, type WorkQueue } from '../ports';
import { deletedAccountTerminations } from '../domain/directorySignals';
import { queueOnce } from './queueOnce';

/**
 * One repair found by a reconciliation run. Each re-reads what it is about (the row with its ETag,
 * the Entra device, the seed, the provisioning record) and acts only when the drift is still there
 * and no hire or revoke is busy with the token, so a repair never undoes work running beside it.
 * Expected outcomes are results; transient failures throw so the host retries the message.
 */

export interface RepairDeps {
  inventory: Inventory;
  directory: Directory;
  /** A repair that would activate a token for someone asks who may receive one first. */
  targets: TargetCheck;
  seeds: SeedVault;
  seedCatalog: SeedCatalog;
  provisioning: ProvisioningStore;
  hrEvents: WorkQueue<HrQueueMessage>;
  /** Claims the leaver a deleted account raises, so it is queued once whoever raises it. */
  deliveries: Pick<WebhookDeliveries, 'claim' | 'markQueued'>;
  audit: AuditLog;
  clock: Clock;
  settings: { stuckSagaMinutes: number; provisionLeadDays: number };
  recentChangeMs?: number;
  /** Waits for the next TOTP step when Entra refused the current code; setTimeout unless given. */
  sleep?: (ms: number) => Promise<void>;
}

export type RepairOutcome = { outcome: 'repaired'; detail: string } | { outcome: 'skipped'; detail: string };

const ACTOR = 'reconcile';
const skipped = (detail: string): RepairOutcome => ({ outcome: 'skipped', detail });

/** Drift kinds a quarantine answers, by what must be re-read to confirm them. */
const ENTRA_STATE_DRIFT: readonly DriftKind[] = ['activated_outside', 'unassigned_in_entra', 'assigned_elsewhere'];

export async function runRepair(message: RepairMessage, deps: RepairDeps): Promise<RepairOutcome> {
  const now = deps.clock.now();
  const recentChangeMs = deps.recentChangeMs ?? RECENT_CHANGE_MS;
  const audit = (action: string, detail: string, subject: { serialNumber?: string; employeeId?: string }, outcome: 'succeeded' | 'failed' = 'succeeded') =>
    deps.audit.record({ actor: ACTOR, action: `reconcile.${action}`, correlationId: message.runId, outcome, detail, ...subject });

  /** Why the token must be left alone now, or undefined when a repair may touch it. */
  const busy = async (token: TokenRecord): Promise<string | undefined> => {
    if (inFlight(token, now, recentChangeMs)) return `token ${token.serialNumber} is reserved or changed in the last minutes`;
    if (!token.employeeId) return undefined;
    const records = await deps.provisioning.list(token.employeeId);
    const running = records.find(
      (r) => (r.status === 'in_progress' || r.status === 'queued') && now.getTime() - instantOf(r.updatedAt).getTime() < deps.settings.stuckSagaMinutes * 60_000,
    );
    return running ? `the ${running.kind} of ${token.employeeId} is running` : undefined;
  };

  /** The token row, when it exists and nothing is busy with it. */
  const freeToken = async (serialNumber: string): Promise<TokenRecord | string> => {
    const token = await deps.inventory.get(serialNumber);
    if (!token) return `token ${serialNumber} is no longer in the inventory`;
    return (await busy(token)) ?? token;
  };

  switch (message.kind) {
    case 'sync_status': {
      const token = await freeToken(message.serialNumber);
      if (typeof token === 'string') return skipped(token);
      const device = await deps.directory.findDeviceBySerial(token.serialNumber);
      if (!device) return skipped(`Entra has no device ${token.serialNumber} any more`);
      const next = syncedToken(token, device, now);
      if (!next) return skipped('the inventory agrees with Entra now');
      const written = await deps.inventory.replace(next);
      if (written === 'conflict') return skipped(`token ${token.serialNumber} changed meanwhile`);
      await audit('sync_status', next.lastChangeReason, { serialNumber: token.serialNumber, ...(token.employeeId ? { employeeId: token.employeeId } : {}) });
      return { outcome: 'repaired', detail: next.lastChangeReason };
    }

    case 'retry_activation': {
      const token = await freeToken(message.serialNumber);
      if (typeof token === 'string') return skipped(token);
      const device = await deps.directory.findDeviceBySerial(token.serialNumber);
      if (!device?.assignedTo) return skipped(`token ${token.serialNumber} is not assigned in Entra any more`);
      const findings = classifyDevice(device, token, now, 0);
      if (findings === 'in_flight' || !findings.some((f) => f.repair === 'retry_activation')) return skipped('the activation is no longer failed');
      const seed = await deps.seeds.get(token.seedSecretName);
      if (seed === undefined) return skipped(`the seed of ${token.serialNumber} is missing; it cannot be activated`);
      const userId = device.assignedTo.id;
      // Activating gives a sign-in factor: the same checks as a hand-over or a resume (a leaver, by employeeId or object id; the target check).
      const refused = await refusalBeforeActivation(deps, { entraUserId: userId, ...(token.employeeId ? { employeeId: token.employeeId } : {}) }, { privilegedAllowed: false });
      if (refused) {
        const detail = `not activated: ${refused.refusal}: ${refused.detail}`;
        await audit('retry_activation', detail, { serialNumber: token.serialNumber, ...(token.employeeId ? { employeeId: token.employeeId } : {}) }, 'failed');
        return skipped(detail);
      }
      try {
        if ((await activateWithCurrentCode(deps, token, seed, userId, device.id)) === 'code_refused') {
          const detail = `Entra refused the codes computed from the seed of ${token.serialNumber}`;
          await audit('retry_activation', detail, { serialNumber: token.serialNumber }, 'failed');
          return skipped(detail);
        }
      } catch (error) {
        if (!(error instanceof DirectoryRefusal)) throw error;
        const detail = `Entra refused the activation of ${token.serialNumber} (${error.code}): ${error.message}`;
        await audit('retry_activation', detail, { serialNumber: token.serialNumber }, 'failed');
        return skipped(detail);
      }
      if (token.status !== 'active') {
        await deps.inventory.replace({ ...token, status: 'active', entraDeviceId: device.id, activatedAt: now.toISOString(), updatedAt: now.toISOString(), lastChangeReason: `activated again by reconciliation (run ${message.runId}) after a failed activation` });
      }
      const detail = `activated ${token.serialNumber} for ${token.userPrincipalName ?? userId} with a fresh code`;
      await audit('retry_activation', detail, { serialNumber: token.serialNumber, ...(token.employeeId ? { employeeId: token.employeeId } : {}) });
      return { outcome: 'repaired', detail };
    }

    case 'quarantine': {
      const token = await freeToken(message.serialNumber);
      if (typeof token === 'string') return skipped(token);
      let still: boolean;
      let detail: string;
      if (ENTRA_STATE_DRIFT.includes(message.reason)) {
        const device = await deps.directory.findDeviceBySerial(token.serialNumber);
        const findings = device ? classifyDevice(device, token, now, 0) : 'in_flight';
        const match = findings === 'in_flight' ? undefined : findings.find((f) => f.kind === message.reason && f.repair === 'quarantine');
        still = !!match;
        detail = match?.detail ?? '';
      } else if (message.reason === 'missing_in_entra' || message.reason === 'seed_missing') {
        const missingInEntra = message.reason === 'missing_in_entra';
        // A device just created may not show in $filter yet: the lookup waits for it before calling it missing.
        const absent = missingInEntra ? !(await deps.directory.findDeviceBySerial(token.serialNumber, { expectExisting: true })) : !(await deps.seedCatalog.describe(token.seedSecretName));
        const findings = absent ? classifyToken(token, { inEntra: !missingInEntra, seedInVault: missingInEntra }, now, 0) : 'in_flight';
        const match = findings === 'in_flight' ? undefined : findings.find((f) => f.kind === message.reason && f.repair === 'quarantine');
        still = !!match;
        detail = match?.detail ?? '';
      } else {
        return skipped(`${message.reason} is not answered by a quarantine`);
      }
      if (!still) return skipped(`the ${message.reason} drift of ${token.serialNumber} is gone`);
      const reason = `quarantined by reconciliation (run ${message.runId}), ${message.reason}: ${detail}`.slice(0, 500);
      const written = await deps.inventory.replace({ ...token, status: 'quarantined', updatedAt: now.toISOString(), lastChangeReason: reason });
      if (written === 'conflict') return skipped(`token ${token.serialNumber} changed meanwhile`);
      await audit('quarantine', reason, { serialNumber: token.serialNumber, ...(token.employeeId ? { employeeId: token.employeeId } : {}) });
      return { outcome: 'repaired', detail: reason };
    }

    case 'destroy_orphan_seed': {
      const serialNumber = serialOfSeedName(message.secretName);
      if (!serialNumber) return skipped(`${message.secretName} is not a seed secret`);
      const secret = await deps.seedCatalog.describe(message.secretName);
      if (!secret) return skipped(`${message.secretName} is gone already`);
      if (!secret.managedByUs) return skipped(`${message.secretName} was not written by this app`);
      // The row is written before its seed, so reading it now (after the secret) settles whether a token needs it.
      const token = await deps.inventory.get(serialNumber);
      if (seedStillNeeded(message.secretName, token)) return skipped(`token ${serialNumber} needs ${message.secretName}`);
      if (token && inFlight(token, now, recentChangeMs)) return skipped(`token ${serialNumber} is reserved or changed in the last minutes`);
      await deps.seeds.destroy(message.secretName);
      const detail = `destroyed ${message.secretName}: ${token ? `token ${token.serialNumber} is ${token.status} and uses ${token.seedSecretName}` : `no token ${serialNumber} in the inventory`}`;
      await audit('destroy_orphan_seed', detail, { serialNumber });
      return { outcome: 'repaired', detail };
    }

    case 'revoke_leaver': {
      // Removing access is always safe; still, only from the leaver, and only while Entra shows it there.
      const records = await deps.provisioning.list(message.employeeId);
      const terminated = terminationPassed(records, now);
      if (!terminated) return skipped(`${message.employeeId} has not left (no termination date passed, or rehired since)`);
      const device = await deps.directory.findDeviceBySerial(message.serialNumber);
      const holder = device?.assignedTo?.id;
      if (!device || !holder) return skipped(`token ${message.serialNumber} is not assigned in Entra any more`);
      const token = await deps.inventory.get(message.serialNumber);
      const tied = token?.employeeId === message.employeeId && token.entraUserId === holder;
      if (!tied && !entraUsersOf(records).includes(holder)) return skipped(`Entra has ${message.serialNumber} on user ${holder}, not on ${message.employeeId}`);
      const subject = { serialNumber: message.serialNumber, employeeId: message.employeeId };
      if (token && tied && isHeld(token.status) && token.status !== 'reserved') {
        const why = await busy(token);
        if (why) return skipped(why);
        await revokeToken(deps, token, 'offboarded', `terminated on ${terminated}, found still held by reconciliation (run ${message.runId})`, { actor: ACTOR, correlationId: message.runId });
      } else {
        await deps.directory.unassign(holder, device.id);
      }
      if ((await deps.directory.findDeviceBySerial(message.serialNumber))?.assignedTo?.id === holder) {
        throw new Error(`Entra still shows ${message.serialNumber} on user ${holder} after it was removed; retry`);
      }
      const detail = `took ${message.serialNumber} off user ${holder} in Entra: ${message.employeeId} left on ${terminated}`;
      await audit('revoke_leaver', detail, subject);
      return { outcome: 'repaired', detail };
    }

    case 'revoke_departed': {
      // Entra is asked again: an account restored or enabled since the run keeps its token.
      const userId = message.entraUserId;
      const account = await deps.directory.findUserById(userId);
      const notHiredYet = account?.employeeHireDate !== undefined && Date.parse(account.employeeHireDate) > now.getTime();
      const gone = !account ? 'deleted' : account.accountEnabled === false && !notHiredYet ? 'disabled' : undefined;
      if (!gone) return skipped(`user ${userId} is ${notHiredYet ? 'not hired yet' : 'enabled'} in Entra now`);
      const same = (id: string | undefined) => id !== undefined && id.toLowerCase() === userId.toLowerCase();
      const device = await deps.directory.findDeviceBySerial(message.serialNumber);
      const token = await deps.inventory.get(message.serialNumber);
      if (!token) return skipped(`token ${message.serialNumber} is not in the inventory: a device this system does not manage is left alone`);
      const onAccount = same(device?.assignedTo?.id);
      const rowHeld = isHeld(token.status) && token.status !== 'reserved';
      if (!onAccount && !(rowHeld && same(token.entraUserId))) return skipped(`token ${message.serialNumber} is neither on user ${userId} in Entra nor held there by the inventory any more`);
      const subject = { serialNumber: message.serialNumber, ...(token.employeeId ? { employeeId: token.employeeId } : {}) };
      const note = `user ${userId} is ${gone} in Entra, found by reconciliation (run ${message.runId})`;
      if (rowHeld) {
        const why = await busy(token);
        if (why) return skipped(why);
      }
      try {
        // Entra says whose it is: the row is settled as that account's.
        if (rowHeld) await revokeToken(deps, onAccount ? { ...token, entraUserId: device?.assignedTo?.id ?? userId } : token, 'offboarded', note, { actor: ACTOR, correlationId: message.runId });
        else if (device && onAccount) await deps.directory.unassign(userId, device.id);
      } catch (error) {
        if (!(error instanceof HeldByDeletedAccount)) throw error;
        // Entra keeps the method on the deleted account, out of Graph's reach. The account is a leaver from
        // now on, so a restore does not give the token back: the leaver's retries take it off then.
        const held = rowHeld && same(token.entraUserId) ? [token.employeeId] : [];
        let raised = false;
        for (const termination of deletedAccountTerminations(userId, held, undefined, now.toISOString())) raised = (await queueOnce(deps, termination, now.toISOString())) !== 'duplicate' || raised;
        await audit('revoke_departed', `not taken from user ${userId}: ${error.message}; ${raised ? 'a leaver is raised for the account' : 'the account\'s leaver was raised before'}`, subject, 'failed');
        throw error;
      }
      if (same((await deps.directory.findDeviceBySerial(message.serialNumber))?.assignedTo?.id)) {
        throw new Error(`Entra still shows ${message.serialNumber} on user ${userId} after it was removed; retry`);
      }
      const detail = `took ${message.serialNumber} from user ${userId}: ${note}`;
      await audit('revoke_departed', detail, subject);
      return { outcome: 'repaired', detail };
    }

    case 'release_reservation': {
      const token = await deps.inventory.get(message.serialNumber);
      if (!token) return skipped(`token ${message.serialNumber} is no longer in the inventory`);
      const joiner = token.employeeId ? await deps.provisioning.get(token.employeeId, 'joiner') : undefined;
      const finding = classifyReservation(token, joiner, now, deps.settings.stuckSagaMinutes, recentChangeMs);
      if (!finding) return skipped(`the reservation of ${token.serialNumber} is no longer stale`);
      // Entra first: a token Entra shows on someone is not simply stock.
      const device = await deps.directory.findDeviceBySerial(token.serialNumber);
      const holder = device?.assignedTo?.id;
      let undone = '';
      if (device && holder) {
        const hireUser = joiner?.entraUserId;
        if (!hireUser || holder !== hireUser) return skipped(`Entra has ${token.serialNumber} on user ${holder}, not the hire's: not returned to stock, an admin must look`);
        const hireHasIt = joiner.status === 'in_progress' || (joiner.status === 'completed' && joiner.serialNumber === token.serialNumber);
        if (hireHasIt) return skipped(`Entra has ${token.serialNumber} on ${joiner.employeeId}, whose hire holds it: the hire settles it (re-driven when stuck)`);
        await deps.directory.unassign(holder, device.id);
        undone = `, after taking it off user ${holder} in Entra`;
      }
      const reason = `back in stock by reconciliation (run ${message.runId}): stale reservation, ${finding.detail}${undone}`.slice(0, 500);
      const written = await deps.inventory.replace({ ...withoutHolder(token), status: 'in_stock', updatedAt: now.toISOString(), lastChangeReason: reason });
      if (written === 'conflict') return skipped(`token ${token.serialNumber} changed meanwhile`);
      await audit('release_reservation', reason, { serialNumber: token.serialNumber, ...(token.employeeId ? { employeeId: token.employeeId } : {}) });
      return { outcome: 'repaired', detail: reason };
    }

    case 'take_back': {
      const token = await freeToken(message.serialNumber);
      if (typeof token === 'string') return skipped(token);
      const device = await deps.directory.findDeviceBySerial(token.serialNumber);
      const holder = device?.assignedTo?.id;
      if (!device || holder?.toLowerCase() !== message.entraUserId.toLowerCase()) return skipped(`Entra no longer has ${token.serialNumber} on user ${message.entraUserId}`);
      // The privileged set may be up to PRIVILEGED_SET_MAX_AGE old: the account is asked about again, now.
      const account = await deps.directory.findUserByUpn(holder);
      if (!account) return skipped(`user ${holder} is not in Entra any more`);
      const approved = !!token.privilegedApprovedBy && token.entraUserId?.toLowerCase() === holder.toLowerCase();
      const verdict = await deps.targets.check(account, { privilegedAllowed: approved, fresh: true });
      if (verdict.ok) return skipped(`${account.userPrincipalName} may hold a token now`);
      await deps.directory.unassign(holder, device.id);
      if ((await deps.directory.findDeviceBySerial(token.serialNumber))?.assignedTo?.id === holder) {
        throw new Error(`Entra still shows ${token.serialNumber} on user ${holder} after it was removed; retry`);
      }
      // Quarantined, not stock: the token is still in the holder's hands, and an admin decides what comes next.
      const reason = `taken back by reconciliation (run ${message.runId}) from ${account.userPrincipalName}, outside the allowed targets: ${verdict.refusal}: ${verdict.detail}`.slice(0, 500);
      if (isHeld(token.status) && token.entraUserId?.toLowerCase() === holder.toLowerCase()) {
        const written = await deps.inventory.replace({ ...token, status: 'quarantined', updatedAt: now.toISOString(), lastChangeReason: reason });
        if (written === 'conflict') throw new Error(`token ${token.serialNumber} changed while it was being taken back; retry`);
      }
      await audit('take_back', reason, { serialNumber: token.serialNumber, ...(token.employeeId ? { employeeId: token.employeeId } : {}) });
      return { outcome: 'repaired', detail: reason };
    }

    case 'redrive': {
      const record = await deps.provisioning.get(message.employeeId, message.recordKind);
      if (!record) return skipped(`no ${message.recordKind} record for ${message.employeeId}`);
      if (!classifyRecord(record, now, { stuckMinutes: deps.settings.stuckSagaMinutes, provisionLeadDays: deps.settings.provisionLeadDays })) return skipped(`the ${message.recordKind} of ${message.employeeId} is moving again`);
      const resend = redriveMessage(record);
      if (!resend) return skipped(`the ${message.recordKind} of ${message.employeeId} has no event to send again`);
      const note = `re-driven by reconciliation (run ${message.runId}): no progress since ${record.updatedAt}`;
      // The conditional write first: of two runs re-driving the same record, only one sends.
      const written = await deps.provisioning.replace({ ...record, reason: `${note}${record.reason ? `; before: ${record.reason}` : ''}`.slice(0, 2000), updatedAt: now.toISOString() });
      if (written === 'conflict') return skipped(`the ${message.recordKind} of ${message.employeeId} changed meanwhile`);
      await deps.hrEvents.send(resend);
      await audit('redrive', `${note}; event ${resend.eventId} sent again`, { employeeId: message.employeeId, ...(record.serialNumber ? { serialNumber: record.serialNumber } : {}) });
      return { outcome: 'repaired', detail: note };
    }
  }
}

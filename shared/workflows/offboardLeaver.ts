import { deferralSeconds, instantOf, leaverRetrySeconds, type HrQueueMessage } from '../domain/hrEvent';
import type { TokenRecord } from '../domain/token';
import { withoutApproval, type ProvisioningRecord } from '../ports';
import type { Delivery, HrEventOutcome, JoinerDeps } from './provisionJoiner';
import { recordTermination } from './leaverRecords';
import { describeFailure, writeRecord } from './provisioningRecords';
import { confirmAccountsClear, resolveLeaverAccounts, rowsOfLeaver, sweepLeaver } from './leaverAccounts';
import { tokensOf } from './revokeToken';

/**
 * The leaver path: an `employee.terminated` event revokes, with reason "offboarded", every token this
 * system manages that Entra shows on the person's accounts (found by object id, employeeId and UPN, see
 * leaverAccounts.ts), whatever the rows say, on the termination date (at once when it is past),
 * through the same revocation code as an admin's. A hire of the same person still running is let finish first, then undone here; a
 * hire not yet started is cancelled, so whatever order the two events arrive in, no token stays active.
 *
 * Leavers fail closed: a revocation that fails (Graph down, a refusal, storage) is never settled as
 * failed. The message goes back on the queue, invisible for a growing delay, until Entra confirms that
 * no token is on the person any more; the record says `retrying` meanwhile, and reconciliation re-drives
 * a leaver whose chain of messages broke.
 */

/** How long a hire may stay in progress before the leaver stops waiting for it (a crashed saga). */
const HIRE_SETTLE_MS = 10 * 60_000;
/** How long the leaver waits before looking at a running hire again. */
const HIRE_RECHECK_SECONDS = 5;

export type OffboardDeps = Omit<JoinerDeps, 'settings' | 'random' | 'afterStep' | 'targets'>;

/** Entra has the last word: the device must not be on the leaver's account any more, else it is taken off again. */
async function confirmRemoved(deps: OffboardDeps, token: TokenRecord): Promise<void> {
  const userId = token.entraUserId;
  if (!userId) return;
  for (let look = 0; look < 2; look++) {
    const device = await deps.directory.findDeviceBySerial(token.serialNumber);
    if (device?.assignedTo?.id !== userId) return;
    if (look === 0) await deps.directory.unassign(userId, device.id);
  }
  throw new Error(`Entra still shows token ${token.serialNumber} on user ${userId} after it was removed`);
}

export async function offboardLeaver(message: HrQueueMessage, deps: OffboardDeps, _delivery: Delivery): Promise<HrEventOutcome> {
  const { employeeId, eventId } = message;
  const now = deps.clock.now();
  await recordTermination(message, deps);

  const dueAt = message.terminationDate ? instantOf(message.terminationDate) : now;
  if (dueAt > now) {
    const delaySeconds = deferralSeconds(dueAt, now);
    await deps.queue.send(message, { delaySeconds });
    return { kind: 'deferred', dueAt: dueAt.toISOString(), delaySeconds };
  }

  // The hire is settled first, by a conditional write that races the saga's own: a cancel (or, with no
  // hire seen yet, a cancelled record the saga will find) that lands first stops the hire before it
  // touches Entra; a hire already in progress is let finish, and this leaver looks again shortly.
  const cancelReason = `employee terminated on ${message.terminationDate ?? now.toISOString().slice(0, 10)}; the hire is not provisioned`;
  const stamp = now.toISOString();
  const { record: joiner } = await writeRecord(deps.provisioning, employeeId, 'joiner', await deps.provisioning.get(employeeId, 'joiner'), (current) => {
    if (!current) return { employeeId, kind: 'joiner', status: 'cancelled', reason: cancelReason, attempts: 0, eventIds: [eventId], createdAt: stamp, updatedAt: stamp };
    const waiting = current.status === 'queued' || current.status === 'deferred' || current.status === 'waiting_for_user';
    const stale = current.status === 'in_progress' && now.getTime() - instantOf(current.updatedAt).getTime() >= HIRE_SETTLE_MS;
    return waiting || stale ? { ...withoutApproval(current), status: 'cancelled', reason: cancelReason, updatedAt: stamp } : undefined;
  });
  if (joiner?.status === 'in_progress') {
    await deps.queue.send(message, { delaySeconds: HIRE_RECHECK_SECONDS });
    return { kind: 'deferred', dueAt: new Date(now.getTime() + HIRE_RECHECK_SECONDS * 1000).toISOString(), delaySeconds: HIRE_RECHECK_SECONDS };
  }

  const context = { actor: 'hr', correlationId: eventId };
  const terminated = message.terminationDate ?? now.toISOString().slice(0, 10);
  let primary: { entraUserId?: string; userPrincipalName?: string } = {};
  try {
    // A person is their Entra object id: every account the leaver is, then every managed device Entra shows on them.
    const records = await deps.provisioning.list(employeeId);
    const byEmployeeId = (await tokensOf(deps.inventory, employeeId)).filter((t) => t.employeeId === employeeId);
    const accounts = await resolveLeaverAccounts(deps.directory, { employeeId, ...(message.userPrincipalName ? { userPrincipalName: message.userPrincipalName } : {}), ...(message.entraUserId ? { entraUserId: message.entraUserId } : {}) }, { records, rows: byEmployeeId });
    const first = accounts.ids[0];
    primary = first ? { entraUserId: first, ...(accounts.upns.get(first.toLowerCase()) ? { userPrincipalName: accounts.upns.get(first.toLowerCase()) } : {}) } : {};
    const rows = await rowsOfLeaver(deps.inventory, employeeId, accounts.ids);
    const swept = await sweepLeaver(deps, { employeeId }, accounts, rows, `terminated on ${terminated}`, context);
    const toConfirm: TokenRecord[] = [...swept.revoked, ...rows.filter((t) => t.status === 'revoked' && t.revocationReason === 'offboarded')];
    for (const token of toConfirm) await confirmRemoved(deps, token);
    await confirmAccountsClear(deps, accounts.ids);
    const serials = [...new Set([...toConfirm.map((t) => t.serialNumber), ...swept.unassigned])];
    const held = serials.length > 0 ? `offboarded: token ${serials.join(', ')} revoked, awaiting its return` : 'offboarded: held no token';
    const reason = `${held}${accounts.notes.length > 0 ? `; ${accounts.notes.join('; ')}` : ''}`;
    const looked = accounts.ids.length > 0 ? `Entra accounts looked at: ${accounts.ids.join(', ')}` : 'no Entra account found';
    const changed = swept.revoked.length + swept.unassigned.length > 0;
    // A repeat delivery after completion changes nothing.
    const { wrote } = await writeRecord(deps.provisioning, employeeId, 'leaver', await deps.provisioning.get(employeeId, 'leaver'), (current): ProvisioningRecord | undefined =>
      current && (current.status !== 'completed' || changed || (primary.entraUserId !== undefined && current.entraUserId === undefined))
        ? { ...current, ...primary, status: 'completed', reason, ...(serials[0] ? { serialNumber: serials[0] } : {}), updatedAt: now.toISOString() }
        : undefined,
    );
    if (wrote && swept.revoked.length === 0) await deps.audit.record({ actor: 'hr', action: 'token.offboarded', employeeId, correlationId: eventId, outcome: 'succeeded', detail: `${reason} (${looked})` });
    return { kind: 'recorded', status: 'completed' };
  } catch (error) {
    // Not the host's quick retries: those end in the poison queue while the person keeps access.
    const failedTries = (message.attempt ?? 0) + 1;
    const delaySeconds = leaverRetrySeconds(failedTries);
    const reason = describeFailure(error);
    const next = new Date(now.getTime() + delaySeconds * 1000).toISOString();
    await writeRecord(deps.provisioning, employeeId, 'leaver', await deps.provisioning.get(employeeId, 'leaver'), (current) =>
      current && current.status !== 'completed'
        ? { ...current, ...primary, status: 'retrying', attempts: current.attempts + 1, reason: `revocation try ${failedTries} failed, next try at ${next}: ${reason}`, updatedAt: now.toISOString() }
        : undefined,
    );
    await deps.queue.send({ ...message, attempt: failedTries }, { delaySeconds });
    return { kind: 'retrying', failedTries, delaySeconds, reason };
  }
}

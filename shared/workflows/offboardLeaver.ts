import { deferralSeconds, instantOf, type HrQueueMessage } from '../domain/hrEvent';
import { isHeld, withoutHolder, type TokenRecord } from '../domain/token';
import type { ProvisioningRecord } from '../ports';
import type { Delivery, HrEventOutcome, JoinerDeps } from './provisionJoiner';
import { describeFailure, recordTermination, writeRecord } from './provisionJoiner';
import { revokeToken, tokensOf } from './revokeToken';

/**
 * The leaver path: an `employee.terminated` event revokes the person's token with reason
 * "offboarded" on the termination date (at once when it is past), through the same revocation code
 * as an admin's. A hire of the same person still running is let finish first, then undone here; a
 * hire not yet started is cancelled, so whatever order the two events arrive in, no token stays active.
 */

/** How long a hire may stay in progress before the leaver stops waiting for it (a crashed saga). */
const HIRE_SETTLE_MS = 10 * 60_000;
/** How long the leaver waits before looking at a running hire again. */
const HIRE_RECHECK_SECONDS = 5;

export type OffboardDeps = Omit<JoinerDeps, 'settings' | 'random' | 'afterStep'>;

/** A reserved token was never handed out: it goes back to stock, after undoing an assignment a crashed hire left in Entra. */
async function releaseReserved(deps: OffboardDeps, token: TokenRecord, employeeId: string, now: string): Promise<void> {
  const device = await deps.directory.findDeviceBySerial(token.serialNumber);
  if (device?.assignedTo) await deps.directory.unassign(device.assignedTo.id, device.id);
  const written = await deps.inventory.replace({ ...withoutHolder(token), status: 'in_stock', updatedAt: now, lastChangeReason: `released: ${employeeId} left before the hire finished` });
  if (written === 'conflict') throw new Error(`token ${token.serialNumber} changed while it was being released; retry`);
}

export async function offboardLeaver(message: HrQueueMessage, deps: OffboardDeps, delivery: Delivery): Promise<HrEventOutcome> {
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
    return waiting || stale ? { ...current, status: 'cancelled', reason: cancelReason, updatedAt: stamp } : undefined;
  });
  if (joiner?.status === 'in_progress') {
    await deps.queue.send(message, { delaySeconds: HIRE_RECHECK_SECONDS });
    return { kind: 'deferred', dueAt: new Date(now.getTime() + HIRE_RECHECK_SECONDS * 1000).toISOString(), delaySeconds: HIRE_RECHECK_SECONDS };
  }

  const context = { actor: 'hr', correlationId: eventId };
  try {
    const held = (await tokensOf(deps.inventory, employeeId)).filter((t) => isHeld(t.status) && t.employeeId === employeeId);
    const revoked: string[] = [];
    for (const token of held) {
      if (token.status === 'reserved') {
        await releaseReserved(deps, token, employeeId, now.toISOString());
      } else {
        await revokeToken(deps, token, 'offboarded', `terminated on ${message.terminationDate ?? now.toISOString().slice(0, 10)}`, context);
        revoked.push(token.serialNumber);
      }
    }
    const reason = revoked.length > 0 ? `offboarded: token ${revoked.join(', ')} revoked, awaiting its return` : 'offboarded: held no token';
    await writeRecord(deps.provisioning, employeeId, 'leaver', await deps.provisioning.get(employeeId, 'leaver'), (current): ProvisioningRecord | undefined =>
      current ? { ...current, status: 'completed', reason, ...(revoked[0] ? { serialNumber: revoked[0] } : {}), updatedAt: now.toISOString() } : undefined,
    );
    if (revoked.length === 0) await deps.audit.record({ actor: 'hr', action: 'token.offboarded', employeeId, correlationId: eventId, outcome: 'succeeded', detail: reason });
    return { kind: 'recorded', status: 'completed' };
  } catch (error) {
    const note = `try ${delivery.dequeueCount} failed${delivery.dequeueCount >= delivery.maxDequeueCount ? ', gave up' : ', will retry'}: ${describeFailure(error)}`;
    await writeRecord(deps.provisioning, employeeId, 'leaver', await deps.provisioning.get(employeeId, 'leaver'), (current) =>
      current ? { ...current, status: delivery.dequeueCount >= delivery.maxDequeueCount ? 'failed' : current.status, attempts: current.attempts + 1, reason: note, updatedAt: now.toISOString() } : undefined,
    );
    throw error;
  }
}

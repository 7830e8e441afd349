import { instantOf, type HrQueueMessage } from '../domain/hrEvent';
import { withoutApproval, type Clock, type ProvisioningStore } from '../ports';
import type { HrEventOutcome } from './hrEventOutcome';
import { withEventId, writeRecord } from './provisioningRecords';

/** What the HR events that provision nothing write: the record stores and the time. */
export interface RecordDeps {
  provisioning: ProvisioningStore;
  clock: Clock;
}

/** employee.terminated: remembered on the leaver record for the revocation; a pending hire past that date is cancelled. */
export async function recordTermination(message: HrQueueMessage, deps: RecordDeps): Promise<HrEventOutcome> {
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
    ...(message.displayName ? { displayName: message.displayName } : {}),
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
export async function recordUpdate(message: HrQueueMessage, deps: RecordDeps): Promise<HrEventOutcome> {
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

import type { HrQueueMessage } from '../domain/hrEvent';
import type { AuditLog, Clock, ProvisioningRecord, ProvisioningStore, WorkQueue } from '../ports';
import { writeRecord } from './provisioningRecords';
import { actorLabel, type ActionContext } from './revokeToken';

/**
 * A Tokens.PrivilegedAdmin approves a hire the target check refused as privileged_account: the hire
 * runs again, and this time that one Entra account (and only it) may receive the token. The approval
 * lasts for this hire: a later replacement by HR is checked afresh. The record is written before the
 * message is sent, so approving again while the hire still waits sends the message again.
 */

export interface ApproveDeps {
  provisioning: ProvisioningStore;
  hrEvents: WorkQueue<HrQueueMessage>;
  audit: AuditLog;
  clock: Clock;
}

export type ApproveResult =
  | { outcome: 'approved'; record: ProvisioningRecord }
  | { outcome: 'not_found'; detail: string }
  | { outcome: 'not_refused'; detail: string };

export async function approveHire(deps: ApproveDeps, employeeId: string, context: ActionContext): Promise<ApproveResult> {
  const current = await deps.provisioning.get(employeeId, 'joiner');
  if (!current) return { outcome: 'not_found', detail: `No hire is recorded for employee ${employeeId}` };
  const eventId = `approval-${context.correlationId}`.slice(0, 128);
  const stamp = deps.clock.now().toISOString();
  let refusedBecause: string | undefined;
  let approvedBefore: ProvisioningRecord | undefined;
  const { record, wrote } = await writeRecord(deps.provisioning, employeeId, 'joiner', current, (fresh) => {
    // Approved, and still waiting for the hire to run: the queue message may never have gone (its send failed after the write).
    if (fresh?.status === 'queued' && fresh.approvedFor && fresh.approvedFor === fresh.entraUserId) {
      approvedBefore = fresh;
      return undefined;
    }
    if (!fresh || fresh.status !== 'failed' || fresh.refusal !== 'privileged_account' || !fresh.entraUserId) {
      refusedBecause = fresh?.refusal && fresh.status === 'failed' ? `its hire was refused as ${fresh.refusal}, which no approval overrides` : `its hire is ${fresh?.status ?? 'gone'}, not refused as privileged_account`;
      return undefined;
    }
    const { refusal: _refusal, ...rest } = fresh;
    return {
      ...rest,
      status: 'queued',
      approvedFor: fresh.entraUserId,
      approvedBy: context.actor,
      reason: `approved by ${actorLabel(context)} for ${fresh.userPrincipalName ?? fresh.entraUserId}; provisioning again`,
      eventIds: [...fresh.eventIds, eventId].slice(-10),
      updatedAt: stamp,
    };
  });
  if (approvedBefore) {
    await queueHire(deps, approvedBefore, eventId, stamp);
    return { outcome: 'approved', record: approvedBefore };
  }
  if (!wrote || !record) return { outcome: 'not_refused', detail: `Nothing to approve for ${employeeId}: ${refusedBecause ?? 'it changed meanwhile'}` };
  await deps.audit.record({
    actor: context.actor,
    action: 'provisioning.approved',
    employeeId,
    correlationId: context.correlationId,
    outcome: 'succeeded',
    detail: `privileged account ${record.userPrincipalName ?? record.entraUserId} approved for a token`,
  });
  await queueHire(deps, record, eventId, stamp);
  return { outcome: 'approved', record };
}

/** The hire's message; sent again by a repeated approval, which the saga takes as a redelivery. */
function queueHire(deps: ApproveDeps, record: ProvisioningRecord, eventId: string, stamp: string): Promise<void> {
  return deps.hrEvents.send({
    eventId,
    type: 'employee.hired',
    employeeId: record.employeeId,
    ...(record.userPrincipalName ? { userPrincipalName: record.userPrincipalName } : {}),
    ...(record.hireDate ? { hireDate: record.hireDate } : {}),
    ...(record.location ? { location: record.location } : {}),
    firstSeenAt: stamp,
  });
}

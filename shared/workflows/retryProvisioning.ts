import { randomUUID } from 'node:crypto';
import { redriveMessage } from '../domain/drift';
import type { HrQueueMessage } from '../domain/hrEvent';
import type { AuditLog, Clock, ProvisioningRecord, ProvisioningStore, WorkQueue } from '../ports';

export interface RetryDeps {
  provisioning: ProvisioningStore;
  hrEvents: WorkQueue<HrQueueMessage>;
  audit: AuditLog;
  clock: Clock;
}

export type RetryResult =
  | { outcome: 'queued'; kind: ProvisioningRecord['kind']; eventId: string }
  | { outcome: 'not_found'; detail: string }
  | { outcome: 'nothing_to_retry'; detail: string };

/** What an admin may retry: a failed hire, and a leaver that failed or is retrying (fail closed: it is never given up). */
const RETRYABLE: Record<ProvisioningRecord['kind'], readonly string[]> = { joiner: ['failed'], leaver: ['failed', 'retrying', 'pending_revocation'] };

/**
 * An admin's retry of a person's joiner or leaver work, through hr-events like every other start. A
 * failed hire stays failed for its own event's redeliveries, so it gets a new event id (a new hire
 * event starts it again); a leaver's last event is sent again, its saga takes redeliveries.
 */
export async function retryProvisioning(deps: RetryDeps, employeeId: string, context: { actor: string; correlationId: string }): Promise<RetryResult> {
  const records = await deps.provisioning.list(employeeId);
  if (records.length === 0) return { outcome: 'not_found', detail: `No provisioning work is recorded for employee ${employeeId}` };
  const record = records.find((r) => r.kind === 'leaver' && RETRYABLE.leaver.includes(r.status)) ?? records.find((r) => r.kind === 'joiner' && RETRYABLE.joiner.includes(r.status));
  if (!record) {
    const states = records.map((r) => `${r.kind} ${r.status}`).join(', ');
    return { outcome: 'nothing_to_retry', detail: `Nothing to retry for employee ${employeeId} (${states}): only a failed hire or a failed or retrying leaver is retried` };
  }
  const message = redriveMessage(record);
  if (!message) return { outcome: 'nothing_to_retry', detail: `The ${record.kind} of ${employeeId} has no event to send again` };
  const send = record.kind === 'joiner' ? { ...message, eventId: `retry:${randomUUID()}` } : message;
  await deps.hrEvents.send(send);
  await deps.audit.record({
    actor: context.actor,
    action: 'retry',
    employeeId,
    ...(record.serialNumber ? { serialNumber: record.serialNumber } : {}),
    correlationId: context.correlationId,
    outcome: 'succeeded',
    detail: `${record.kind} was ${record.status}${record.reason ? ` (${record.reason})` : ''}; event ${send.eventId} queued on hr-events at ${deps.clock.now().toISOString()}`.slice(0, 2000),
  });
  return { outcome: 'queued', kind: record.kind, eventId: send.eventId };
}

import type { HrQueueMessage } from '../domain/hrEvent';
import type { WebhookDeliveries, WorkQueue } from '../ports';

export interface QueueOnceDeps {
  deliveries: Pick<WebhookDeliveries, 'claim' | 'markQueued'>;
  hrEvents: WorkQueue<HrQueueMessage>;
}

/** queued: for the first time; queued_again: an earlier delivery stopped before queueing it; duplicate: it was queued before. */
export type QueueOnceOutcome = 'queued' | 'queued_again' | 'duplicate';

/**
 * Queues an HR event unless its event id was queued before: a webhook delivery, a vendor's, a Lifecycle
 * Workflows task, or one the app raises itself (directory sync, reconciliation). The message's first-seen
 * time is the claim's, so a redelivery keeps the first one. The worker is idempotent, so an earlier
 * delivery that stopped between the claim and the queue is queued again.
 */
export async function queueOnce(deps: QueueOnceDeps, message: Omit<HrQueueMessage, 'firstSeenAt'>, nowIso: string): Promise<QueueOnceOutcome> {
  const claim = await deps.deliveries.claim(message.eventId, { type: message.type, employeeId: message.employeeId, receivedAt: nowIso });
  if (claim.state === 'queued') return 'duplicate';
  await deps.hrEvents.send({ ...message, firstSeenAt: claim.receivedAt });
  await deps.deliveries.markQueued(message.eventId, claim.etag);
  return claim.first ? 'queued' : 'queued_again';
}

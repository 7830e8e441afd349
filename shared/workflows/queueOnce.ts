import type { HrQueueMessage } from '../domain/hrEvent';
import type { WebhookDeliveries, WorkQueue } from '../ports';

export interface QueueOnceDeps {
  deliveries: Pick<WebhookDeliveries, 'claim' | 'markQueued'>;
  hrEvents: WorkQueue<HrQueueMessage>;
}

/**
 * Queues an HR event the app raises itself (directory sync, reconciliation) unless its event id was queued
 * before, claimed the way a webhook delivery is: a replay or a second raiser queues nothing twice.
 */
export async function queueOnce(deps: QueueOnceDeps, message: Omit<HrQueueMessage, 'firstSeenAt'>, nowIso: string): Promise<boolean> {
  const claim = await deps.deliveries.claim(message.eventId, { type: message.type, employeeId: message.employeeId, receivedAt: nowIso });
  if (claim.state === 'queued') return false;
  await deps.hrEvents.send({ ...message, firstSeenAt: claim.receivedAt });
  await deps.deliveries.markQueued(message.eventId, claim.etag);
  return true;
}

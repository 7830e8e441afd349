import type { HrQueueMessage } from '../domain/hrEvent';
import type { Notification } from '../domain/notification';
import type { WorkQueue } from '../ports';
import { notificationForOutcome } from './notify';
import { offboardLeaver } from './offboardLeaver';
import { recordUpdate } from './leaverRecords';
import { ProvisioningGaveUp, provisionJoiner, type Delivery, type HrEventOutcome, type JoinerDeps } from './provisionJoiner';

export interface HrEventDeps extends JoinerDeps {
  /** The notifications queue: outcomes people must act on (a token awaiting hand-over, a failed hire, a leaver still holding a token). */
  notifications?: WorkQueue<Notification>;
  /** Failed revocation tries before a leaver's held token is reported. */
  leaverNotifyAfterTries?: number;
}

function route(message: HrQueueMessage, deps: JoinerDeps, delivery: Delivery): Promise<HrEventOutcome> {
  switch (message.type) {
    case 'employee.hired':
      return provisionJoiner(message, deps, delivery);
    case 'employee.terminated':
      return offboardLeaver(message, deps, delivery);
    case 'employee.updated':
      return recordUpdate(message, deps);
  }
}

/** Routes one message from the hr-events queue to its workflow, and queues the notification its outcome calls for. */
export async function handleHrEvent(message: HrQueueMessage, deps: HrEventDeps, delivery: Delivery): Promise<HrEventOutcome> {
  const notify = async (outcome: Parameters<typeof notificationForOutcome>[1]) => {
    const notification = deps.notifications ? notificationForOutcome(message, outcome, deps.clock.now(), deps.leaverNotifyAfterTries ?? 1) : undefined;
    if (notification) await deps.notifications?.send(notification);
  };
  let outcome: HrEventOutcome;
  try {
    outcome = await route(message, deps, delivery);
  } catch (error) {
    if (error instanceof ProvisioningGaveUp) await notify({ kind: 'gave_up', reason: error.reason });
    throw error;
  }
  await notify(outcome);
  return outcome;
}

import type { HrQueueMessage } from '../domain/hrEvent';
import { offboardLeaver } from './offboardLeaver';
import { provisionJoiner, recordUpdate, type Delivery, type HrEventOutcome, type JoinerDeps } from './provisionJoiner';

/** Routes one message from the hr-events queue to its workflow. */
export function handleHrEvent(message: HrQueueMessage, deps: JoinerDeps, delivery: Delivery): Promise<HrEventOutcome> {
  switch (message.type) {
    case 'employee.hired':
      return provisionJoiner(message, deps, delivery);
    case 'employee.terminated':
      return offboardLeaver(message, deps, delivery);
    case 'employee.updated':
      return recordUpdate(message, deps);
  }
}

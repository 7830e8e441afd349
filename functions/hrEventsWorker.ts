import type { InvocationContext } from '@azure/functions';
import type { AppServices } from '../shared/app/composition';
import { hrQueueMessageSchema } from '../shared/domain/hrEvent';
import { queueFunction } from '../shared/app/hosting';
import { services } from '../shared/app/runtime';
import { QUEUES } from '../shared/app/storageNames';
import { handleHrEvent } from '../shared/workflows/handleHrEvent';
import { answerLifecycleTask } from '../shared/workflows/lifecycleTasks';
import { ProvisioningGaveUp, type JoinerStep } from '../shared/workflows/provisionJoiner';

/** From this failed try on, a leaver's failing revocation is a LeaverRevocationFailing warning, which an alert rule reads. */
export const LEAVER_WARNING_AFTER_TRIES = 3;

export interface WorkerOptions {
  /** Tests only: runs after each saga step, e.g. to simulate a crash there. */
  afterStep?: (step: JoinerStep) => void | Promise<void>;
}

/** The hr-events queue worker: one HR event per message, handed to the joiner/leaver workflows. */
export function hrEventsWorkerHandler(getServices: () => AppServices, options: WorkerOptions = {}) {
  return async (queueItem: unknown, context: InvocationContext): Promise<void> => {
    const parsed = hrQueueMessageSchema.safeParse(queueItem);
    if (!parsed.success) {
      // Retrying cannot fix it; throwing lets the host move it to the poison queue where it stays visible.
      throw new Error(`hr-events message is not an HR event: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'message'} ${i.message}`).join('; ')}`);
    }
    const message = parsed.data;
    const app = getServices();
    const dequeueCount = Number(context.triggerMetadata?.dequeueCount ?? 1);
    try {
      const outcome = await handleHrEvent(
        message,
        {
          provisioning: app.provisioning,
          inventory: app.inventory,
          seeds: app.seeds,
          directory: app.directory,
          targets: app.targets,
          audit: app.audit,
          queue: app.hrEvents,
          clock: app.clock,
          settings: { activationMode: app.config.activationMode, provisionLeadDays: app.config.provisionLeadDays, userWaitHours: app.config.userWaitHours },
          ...(options.afterStep ? { afterStep: options.afterStep } : {}),
          notifications: app.notifications,
          leaverNotifyAfterTries: LEAVER_WARNING_AFTER_TRIES,
        },
        { dequeueCount: Number.isFinite(dequeueCount) ? dequeueCount : 1, maxDequeueCount: app.maxDequeueCount },
      );
      const subject = `${message.type} ${message.eventId} employeeId=${message.employeeId}`;
      switch (outcome.kind) {
        case 'failed':
          context.warn(`ProvisioningFailed employeeId=${message.employeeId} reason=${outcome.reason}`);
          break;
        case 'completed':
          context.log(`${subject}: token ${outcome.serialNumber} ${outcome.tokenStatus}`);
          break;
        case 'deferred':
          context.log(`${subject}: deferred until ${outcome.dueAt}`);
          break;
        case 'waiting_for_user':
          context.log(`${subject}: waiting for the Entra account, next check in ${outcome.delaySeconds} s`);
          break;
        case 'cancelled':
          context.log(`${subject}: cancelled (${outcome.reason})`);
          break;
        case 'retrying':
          if (outcome.failedTries >= LEAVER_WARNING_AFTER_TRIES) {
            context.warn(`LeaverRevocationFailing employeeId=${message.employeeId} failedTries=${outcome.failedTries} nextTryInSeconds=${outcome.delaySeconds} reason="${outcome.reason.replace(/"/g, "'")}"`);
          } else {
            context.log(`${subject}: revocation try ${outcome.failedTries} failed, next in ${outcome.delaySeconds} s (${outcome.reason})`);
          }
          break;
        case 'already_done':
        case 'recorded':
          context.log(`${subject}: ${outcome.kind} (${outcome.status})`);
          break;
      }
      // A Lifecycle Workflows task waiting on this work is told once it settled.
      const answered = await answerLifecycleTask(message, outcome, app.lifecycle);
      if (answered) context.log(`${subject}: ${answered}`);
    } catch (error) {
      if (error instanceof ProvisioningGaveUp) {
        context.warn(`ProvisioningFailed employeeId=${error.employeeId} reason=${error.reason}`);
        const answered = await answerLifecycleTask(message, 'gave_up', app.lifecycle);
        if (answered) context.log(`${message.type} ${message.eventId}: ${answered}`);
      }
      throw error;
    }
  };
}

queueFunction('hrEventsWorker', { queueName: QUEUES.hrEvents, handler: hrEventsWorkerHandler(services) });

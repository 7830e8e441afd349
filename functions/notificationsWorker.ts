import type { InvocationContext } from '@azure/functions';
import type { AppServices } from '../shared/app/composition';
import { notificationSchema } from '../shared/domain/notification';
import { queueFunction } from '../shared/app/hosting';
import { services } from '../shared/app/runtime';
import { QUEUES } from '../shared/app/storageNames';
import { deliverNotification } from '../shared/workflows/notify';

/** The notifications queue worker: one event per message, mailed to the site's desk and the manager, and posted to Teams, once. */
export function notificationsWorkerHandler(getServices: () => AppServices) {
  return async (queueItem: unknown, context: InvocationContext): Promise<void> => {
    const parsed = notificationSchema.safeParse(queueItem);
    if (!parsed.success) throw new Error(`notifications message is not a notification: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'message'} ${i.message}`).join('; ')}`);
    const app = getServices();
    const outcome = await deliverNotification(parsed.data, {
      ledger: app.notificationLedger,
      mailer: app.mailer,
      managers: app.managers,
      ...(app.teams ? { teams: app.teams } : {}),
      queue: app.notifications,
      clock: app.clock,
      settings: { ...(app.config.notify.mailFrom ? { mailFrom: app.config.notify.mailFrom } : {}), sites: app.config.notify.sites },
    });
    const what = `notification ${parsed.data.key}`;
    if (outcome.outcome === 'sent') context.log(`${what}: sent by ${outcome.channels.join(' and ')} to ${outcome.recipients} address(es)`);
    else if (outcome.outcome === 'put_back') context.log(`${what}: another delivery is sending it; looking again in ${outcome.delaySeconds} s`);
    else context.log(`${what}: ${outcome.outcome}`);
  };
}

queueFunction('notificationsWorker', { queueName: QUEUES.notifications, handler: notificationsWorkerHandler(services) });

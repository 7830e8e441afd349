import type { InvocationContext, Timer } from '@azure/functions';
import type { AppServices } from '../shared/app/composition';
import { scheduleIsSet } from '../shared/app/config';
import { directorySyncMessageSchema } from '../shared/domain/directorySignals';
import { queueFunction, timerFunction } from '../shared/app/hosting';
import { services } from '../shared/app/runtime';
import { QUEUES } from '../shared/app/storageNames';
import { syncDirectory } from '../shared/workflows/syncDirectory';

/**
 * Directory sync, Entra itself as the source of hires and leavers: the DIRECTORY_SYNC_SCHEDULE timer
 * only queues a run on directory-sync; the worker reads users/delta and queues hr-events messages.
 */

type TimerNeeds = Pick<AppServices, 'clock' | 'directorySyncWork'>;

export function directorySyncTimerHandler(getServices: () => TimerNeeds) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const app = getServices();
    await app.directorySyncWork.send({ kind: 'sync', requestedAt: app.clock.now().toISOString(), requestedBy: 'schedule' });
    context.log('directory sync queued by the schedule');
  };
}

export function directorySyncWorkerHandler(getServices: () => AppServices) {
  return async (queueItem: unknown, context: InvocationContext): Promise<void> => {
    const parsed = directorySyncMessageSchema.safeParse(queueItem);
    if (!parsed.success) throw new Error(`directory-sync message is not a sync run: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'message'} ${i.message}`).join('; ')}`);
    const app = getServices();
    const { directorySync } = app.config;
    const summary = await syncDirectory({
      changes: app.directoryChanges,
      store: app.directorySyncStore,
      deliveries: app.webhookDeliveries,
      hrEvents: app.hrEvents,
      inventory: app.inventory,
      clock: app.clock,
      settings: {
        provisionLeadDays: app.config.provisionLeadDays,
        disableGraceHours: directorySync.disableGraceHours,
        ...(directorySync.groupId ? { groupId: directorySync.groupId } : {}),
      },
    });
    for (const { userId, reason } of summary.skipped.slice(0, 20)) context.warn(`DirectorySyncSkipped userId=${userId} reason=${reason}`);
    context.log(
      `directory sync (${parsed.data.requestedBy}): ${summary.users} users on ${summary.pages} pages, ${summary.hires} hires and ${summary.leavers} leavers queued` +
        `${summary.resynced ? '; Graph asked for a full round, so everyone was read again' : ''}${summary.overtaken ? '; stopped: another run is ahead' : ''}`,
    );
  };
}

// Off unless DIRECTORY_SYNC_SCHEDULE is set: the host cannot resolve %SETTING% for a setting that is missing.
if (scheduleIsSet(process.env, 'DIRECTORY_SYNC_SCHEDULE')) {
  timerFunction('directorySyncTimer', { schedule: '%DIRECTORY_SYNC_SCHEDULE%', handler: directorySyncTimerHandler(services) });
}
queueFunction('directorySyncWorker', { queueName: QUEUES.directorySync, handler: directorySyncWorkerHandler(services) });

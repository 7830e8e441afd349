import type { InvocationContext } from '@azure/functions';
import type { AppServices } from '../shared/app/composition';
import { reconcileMessageSchema } from '../shared/domain/drift';
import { queueFunction } from '../shared/app/hosting';
import { services } from '../shared/app/runtime';
import { QUEUES } from '../shared/app/storageNames';
import { queueHeldRepairs, runReconciliation } from '../shared/workflows/reconcile';
import { runRepair } from '../shared/workflows/reconcileRepairs';

/**
 * The reconcile-work queue: a 'run' message scans and queues one message per repair; every other
 * message is one repair. A failure throws, so the host retries it (poison after maxDequeueCount).
 */
export function reconcileWorkerHandler(getServices: () => AppServices) {
  return async (queueItem: unknown, context: InvocationContext): Promise<void> => {
    const parsed = reconcileMessageSchema.safeParse(queueItem);
    if (!parsed.success) {
      throw new Error(`reconcile-work message is not understood: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'message'} ${i.message}`).join('; ')}`);
    }
    const message = parsed.data;
    const app = getServices();
    const settings = {
      lowStockThreshold: app.config.lowStockThreshold,
      stuckSagaMinutes: app.config.stuckSagaMinutes,
      provisionLeadDays: app.config.provisionLeadDays,
      maxChanges: app.config.reconcileMaxChanges,
      handoverMaxDays: app.config.handover.maxDays,
      unusedTokenDays: app.config.unused.days,
      notifyUnused: app.config.unused.notify,
      serviceLife: app.config.serviceLife,
    };

    if (message.kind === 'apply') {
      const queued = await queueHeldRepairs(message.runId, { reports: app.reports, work: app.reconcileWork });
      context.log(`reconciliation ${message.runId}: ${queued} held repairs queued, applied by ${message.requestedBy}`);
      return;
    }

    if (message.kind === 'run') {
      if (await app.reports.get(message.runId)) {
        context.log(`reconciliation ${message.runId} already ran; this delivery is a repeat`);
        return;
      }
      const report = await runReconciliation(
        { runId: message.runId, requestedBy: message.requestedBy, ...(message.requestedByName ? { requestedByName: message.requestedByName } : {}), mode: message.mode },
        {
          inventory: app.inventory,
          devices: app.deviceCatalog,
          departed: app.departedAccounts,
          seedCatalog: app.seedCatalog,
          provisioningScan: app.provisioningScan,
          provisioning: app.provisioning,
          webhookRetention: app.webhookRetention,
          work: app.reconcileWork,
          reports: app.reports,
          notifications: app.notifications,
          clock: app.clock,
          warn: (line) => context.warn(line),
          privilegedSet: app.privilegedSet,
          settings,
        },
      );
      const found = Object.entries(report.drift)
        .filter(([, count]) => count > 0)
        .map(([kind, count]) => `${kind}=${count}`)
        .join(' ');
      context.log(
        `reconciliation ${report.runId} (${report.mode}) done in ${report.durationMs} ms: ${report.counts.tokensInInventory} tokens, ${report.counts.devicesInEntra} devices, ${report.counts.seedsInVault} seeds, ${report.counts.consistent} consistent; ${found || 'no drift'}; ${report.status === 'held' ? `${report.repairsHeld} repairs held (more than ${report.maxChanges})` : `${report.repairsQueued} repairs queued`}`,
      );
      return;
    }

    const outcome = await runRepair(message, {
      inventory: app.inventory,
      directory: app.directory,
      targets: app.targets,
      seeds: app.seeds,
      seedCatalog: app.seedCatalog,
      provisioning: app.provisioning,
      hrEvents: app.hrEvents,
      deliveries: app.webhookDeliveries,
      audit: app.audit,
      clock: app.clock,
      settings,
    });
    context.log(`reconciliation ${message.runId} ${message.kind}: ${outcome.outcome} (${outcome.detail})`);
  };
}

queueFunction('reconcileWorker', { queueName: QUEUES.reconcileWork, handler: reconcileWorkerHandler(services) });

import { randomBytes } from 'node:crypto';
import type { HttpRequest, HttpResponseInit, InvocationContext, Timer } from '@azure/functions';
import { z } from 'zod';
import { actionContextOf, actorOf, authorize, readJsonBody } from '../shared/http/adminRequest';
import type { AppServices } from '../shared/app/composition';
import { REPAIR_MODES, type RepairMode } from '../shared/domain/drift';
import { httpFunction, timerFunction } from '../shared/app/hosting';
import { json } from '../shared/http/problem';
import { services } from '../shared/app/runtime';

/**
 * Starting a reconciliation: the nightly timer and POST /api/reconcile only put a 'run' message on
 * the reconcile-work queue (so both stay short); reconcileWorker does the scan.
 */

/** Sortable by time, unique, and safe in a blob name and a log line. */
export function newRunId(now: Date): string {
  return `${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`;
}

const bodySchema = z.object({ mode: z.enum(REPAIR_MODES as [RepairMode, ...RepairMode[]], { message: `must be one of ${REPAIR_MODES.join(', ')}` }).optional() }).strict();

type Needs = Pick<AppServices, 'config' | 'clock' | 'adminAuth' | 'reconcileWork'>;

/** POST /api/reconcile: runs one now; `{"mode": "report"|"safe"|"all"}` overrides RECONCILE_REPAIR_MODE for this run. */
export function reconcileHandler(getServices: () => Needs) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, 'Tokens.Admin');
    if ('response' in auth) return auth.response;
    const body = await readJsonBody(request, bodySchema, { limit: 4 * 1024, optional: true });
    if ('response' in body) return body.response;
    const mode = body.value.mode ?? app.config.reconcileRepairMode;
    const runId = newRunId(app.clock.now());
    const { actor, actorName } = actionContextOf(request, auth.principal, context.invocationId);
    await app.reconcileWork.send({ kind: 'run', runId, requestedBy: actor.slice(0, 300), ...(actorName ? { requestedByName: actorName } : {}), mode });
    context.log(`reconciliation ${runId} queued (mode ${mode}) by ${actorOf(auth.principal)}`);
    return json(202, { runId, status: 'queued', mode }, { location: `/api/reports/reconcile/${runId}` });
  };
}

/** The RECONCILE_SCHEDULE timer: queues a run in the configured mode. */
export function reconcileTimerHandler(getServices: () => Needs) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const app = getServices();
    const runId = newRunId(app.clock.now());
    await app.reconcileWork.send({ kind: 'run', runId, requestedBy: 'schedule', mode: app.config.reconcileRepairMode });
    context.log(`reconciliation ${runId} queued by the schedule (mode ${app.config.reconcileRepairMode})`);
  };
}

httpFunction('reconcile', { route: 'reconcile', methods: ['POST'], handler: reconcileHandler(services) });
timerFunction('reconcileTimer', { schedule: '%RECONCILE_SCHEDULE%', handler: reconcileTimerHandler(services) });

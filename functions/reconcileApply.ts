import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { actionContextOf, actorOf, auditFor, authorize } from '../shared/http/adminRequest';
import type { AppServices } from '../shared/app/composition';
import { httpFunction } from '../shared/app/hosting';
import { json, problem } from '../shared/http/problem';
import { services } from '../shared/app/runtime';
import { applyHeldRun } from '../shared/workflows/reconcile';

const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;

type Needs = Pick<AppServices, 'adminAuth' | 'reports' | 'reconcileWork' | 'audit' | 'clock'>;

/** POST /api/reconcile/{runId}/apply: queues the repairs of a run held for changing more than RECONCILE_MAX_CHANGES. */
export function reconcileApplyHandler(getServices: () => Needs) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, 'Tokens.Admin');
    if ('response' in auth) return auth.response;
    const runId = request.params.runId ?? '';
    if (!RUN_ID.test(runId) || runId === 'latest') return problem(400, 'Not a run id', { errors: [{ path: 'runId', message: 'must be the run id of a held reconciliation report' }] });
    const result = await applyHeldRun(runId, actionContextOf(request, auth.principal, context.invocationId), { reports: app.reports, work: app.reconcileWork, audit: auditFor(app.audit, request, auth.principal), clock: app.clock });
    switch (result.outcome) {
      case 'not_found':
        return problem(404, result.detail);
      case 'refused':
        return problem(409, result.detail);
      case 'applying':
        context.log(`reconciliation ${runId}: ${result.repairs} held repairs applied by ${actorOf(auth.principal)}`);
        return json(202, { runId, status: 'applied', repairs: result.repairs }, { location: `/api/reports/reconcile/${runId}` });
    }
  };
}

httpFunction('reconcileApply', { route: 'reconcile/{runId}/apply', methods: ['POST'], handler: reconcileApplyHandler(services) });

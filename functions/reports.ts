import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { authorize } from '../shared/adminRequest';
import type { AppServices } from '../shared/composition';
import { httpFunction } from '../shared/hosting';
import { json, problem } from '../shared/problem';
import { services } from '../shared/runtime';

const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * GET /api/reports/reconcile/latest and /api/reports/reconcile/{runId}: a reconciliation report. No
 * report (none has run yet, or the run has not finished) is 404 for scripts; with `?allowEmpty=true`
 * it is 200 with `null`, so a page that waits for a run shows an empty state instead of an error.
 */
export function reconcileReportHandler(getServices: () => Pick<AppServices, 'adminAuth' | 'reports'>) {
  return async (request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, 'Tokens.Read');
    if ('response' in auth) return auth.response;
    const runId = request.params.runId ?? '';
    if (!RUN_ID.test(runId)) return problem(400, 'Not a run id', { errors: [{ path: 'runId', message: 'must be "latest" or a run id from POST /api/reconcile' }] });
    const report = runId === 'latest' ? await app.reports.latest() : await app.reports.get(runId);
    if (report === undefined) {
      if (request.query.get('allowEmpty') === 'true') return json(200, null);
      return problem(404, runId === 'latest' ? 'No reconciliation has run yet' : `No report for run ${runId} (yet: a queued run writes it when it finishes)`);
    }
    return json(200, report);
  };
}

httpFunction('reconcileReport', { route: 'reports/reconcile/{runId}', methods: ['GET'], handler: reconcileReportHandler(services) });

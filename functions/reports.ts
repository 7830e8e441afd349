import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { authorize } from '../shared/http/adminRequest';
import type { AppServices } from '../shared/app/composition';
import { httpFunction } from '../shared/app/hosting';
import { tokenFilterOf, type QueryErrors } from '../shared/http/listQueries';
import { json, problem } from '../shared/http/problem';
import { services } from '../shared/app/runtime';
import { ageingForecast } from '../shared/workflows/ageing';

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

const DEFAULT_HORIZON_MONTHS = 24;
const MAX_HORIZON_MONTHS = 120;

/** GET /api/reports/ageing?months=&pool=: per pool and month, the tokens in use and in stock whose service life ends then. */
export function ageingReportHandler(getServices: () => Pick<AppServices, 'adminAuth' | 'inventory' | 'clock' | 'config'>) {
  return async (request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, 'Tokens.Read');
    if ('response' in auth) return auth.response;
    const errors: QueryErrors = [];
    const unknown = [...request.query.keys()].find((name) => name !== 'months' && name !== 'pool');
    if (unknown) errors.push({ path: unknown, message: 'is not a filter of this report (months, pool)' });
    const { pool } = tokenFilterOf(new URLSearchParams(request.query.has('pool') ? { pool: request.query.get('pool') ?? '' } : {}), errors);
    const monthsText = request.query.get('months') ?? String(DEFAULT_HORIZON_MONTHS);
    const horizonMonths = Number(monthsText);
    if (!/^\d{1,3}$/.test(monthsText) || horizonMonths < 1 || horizonMonths > MAX_HORIZON_MONTHS) errors.push({ path: 'months', message: `must be a whole number from 1 to ${MAX_HORIZON_MONTHS}` });
    if (errors.length > 0) return problem(400, 'The query is not valid', { errors });
    const report = await ageingForecast({ inventory: app.inventory, clock: app.clock, serviceLife: app.config.serviceLife }, { horizonMonths, ...(pool !== undefined ? { pool } : {}) });
    return json(200, report);
  };
}

httpFunction('ageingReport', { route: 'reports/ageing', methods: ['GET'], handler: ageingReportHandler(services) });
httpFunction('reconcileReport', { route: 'reports/reconcile/{runId}', methods: ['GET'], handler: reconcileReportHandler(services) });

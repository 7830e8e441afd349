import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { authorize } from '../shared/adminRequest';
import type { AppServices } from '../shared/composition';
import { EMPLOYEE_ID_PATTERN } from '../shared/domain/hrEvent';
import { checkSerial } from '../shared/domain/token';
import { httpFunction } from '../shared/hosting';
import { InvalidContinuationToken } from '../shared/ports';
import { json, problem } from '../shared/problem';
import { services } from '../shared/runtime';

const PAGE_SIZE = 100;
const MAX_CONTINUATION_TOKEN_LENGTH = 4096;
const MAX_SINCE_LENGTH = 40;

const ACTION_PATTERN = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+){0,4}$/i;

/** An ISO 8601 date or date-time as an ISO instant; a wrong one is added to `errors`. */
function instantOf(text: string | undefined, path: string, errors: { path: string; message: string }[]): string | undefined {
  if (text === undefined) return undefined;
  const parsed = text.length <= MAX_SINCE_LENGTH ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(parsed)) {
    errors.push({ path, message: 'must be an ISO 8601 date or date-time' });
    return undefined;
  }
  return new Date(parsed).toISOString();
}

/**
 * GET /api/audit?serial=&user=&action=&since=&until=&continuationToken=: the audit trail of a token, an
 * employee, an action or a period (the filters given narrow together), oldest first, a page at a time.
 */
export function auditHandler(getServices: () => Pick<AppServices, 'adminAuth' | 'auditTrail'>) {
  return async (request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, 'Tokens.Read');
    if ('response' in auth) return auth.response;
    const errors: { path: string; message: string }[] = [];
    const serial = request.query.get('serial') ?? undefined;
    const serialProblem = serial === undefined ? undefined : checkSerial(serial);
    if (serialProblem) errors.push({ path: 'serial', message: serialProblem });
    const user = request.query.get('user') ?? undefined;
    if (user !== undefined && !EMPLOYEE_ID_PATTERN.test(user)) errors.push({ path: 'user', message: 'must be an employee id: 1-64 characters of A-Z, a-z, 0-9, ".", "_" or "-"' });
    const since = instantOf(request.query.get('since') ?? undefined, 'since', errors);
    const until = instantOf(request.query.get('until') ?? undefined, 'until', errors);
    if (since !== undefined && until !== undefined && until <= since) errors.push({ path: 'until', message: 'must be later than since' });
    const action = request.query.get('action') ?? undefined;
    if (action !== undefined && !ACTION_PATTERN.test(action)) errors.push({ path: 'action', message: 'must be an action such as token.revoked.lost, or a family such as token.revoked' });
    const continuationToken = request.query.get('continuationToken') ?? undefined;
    if (continuationToken !== undefined && (continuationToken.length > MAX_CONTINUATION_TOKEN_LENGTH || !/^[A-Za-z0-9+/=_-]+$/.test(continuationToken))) {
      errors.push({ path: 'continuationToken', message: 'is not one this API gave out' });
    }
    if (errors.length === 0 && serial === undefined && user === undefined && action === undefined && since === undefined) {
      errors.push({ path: 'serial', message: 'give serial, user, action or since (any of them, together narrowing)' });
    }
    if (errors.length > 0) return problem(400, 'The query is not valid', { errors });
    try {
      const page = await app.auditTrail.find(
        { ...(serial ? { serialNumber: serial } : {}), ...(user ? { employeeId: user } : {}), ...(since ? { since } : {}), ...(until ? { until } : {}), ...(action ? { action } : {}) },
        { pageSize: PAGE_SIZE, ...(continuationToken ? { continuationToken } : {}) },
      );
      return json(200, { entries: page.entries, continuationToken: page.continuationToken ?? null });
    } catch (error) {
      if (error instanceof InvalidContinuationToken) return problem(400, error.message, { errors: [{ path: 'continuationToken', message: 'is not one this API gave out' }] });
      throw error;
    }
  };
}

httpFunction('audit', { route: 'audit', methods: ['GET'], handler: auditHandler(services) });

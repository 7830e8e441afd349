import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { authorize } from '../shared/adminRequest';
import type { AppServices } from '../shared/composition';
import { httpFunction } from '../shared/hosting';
import { auditQueryOf, type QueryErrors } from '../shared/listQueries';
import { InvalidContinuationToken } from '../shared/ports';
import { json, problem } from '../shared/problem';
import { services } from '../shared/runtime';

const PAGE_SIZE = 100;
const MAX_CONTINUATION_TOKEN_LENGTH = 4096;

/**
 * GET /api/audit?serial=&user=&action=&since=&until=&continuationToken=: the audit trail of a token, an
 * employee, an action or a period (the filters given narrow together), oldest first, a page at a time.
 */
export function auditHandler(getServices: () => Pick<AppServices, 'adminAuth' | 'auditTrail'>) {
  return async (request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, 'Tokens.Read');
    if ('response' in auth) return auth.response;
    const errors: QueryErrors = [];
    const query = auditQueryOf(request.query, errors);
    const continuationToken = request.query.get('continuationToken') ?? undefined;
    if (continuationToken !== undefined && (continuationToken.length > MAX_CONTINUATION_TOKEN_LENGTH || !/^[A-Za-z0-9+/=_-]+$/.test(continuationToken))) {
      errors.push({ path: 'continuationToken', message: 'is not one this API gave out' });
    }
    if (errors.length === 0 && query.serialNumber === undefined && query.employeeId === undefined && query.action === undefined && query.since === undefined) {
      errors.push({ path: 'serial', message: 'give serial, user, action or since (any of them, together narrowing)' });
    }
    if (errors.length > 0) return problem(400, 'The query is not valid', { errors });
    try {
      const page = await app.auditTrail.find(query, { pageSize: PAGE_SIZE, ...(continuationToken ? { continuationToken } : {}) });
      return json(200, { entries: page.entries, continuationToken: page.continuationToken ?? null });
    } catch (error) {
      if (error instanceof InvalidContinuationToken) return problem(400, error.message, { errors: [{ path: 'continuationToken', message: 'is not one this API gave out' }] });
      throw error;
    }
  };
}

httpFunction('audit', { route: 'audit', methods: ['GET'], handler: auditHandler(services) });

import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { authorize } from '../shared/adminRequest';
import type { AppServices } from '../shared/composition';
import { SITE_PATTERN } from '../shared/domain/handover';
import { httpFunction } from '../shared/hosting';
import { json, problem } from '../shared/problem';
import { services } from '../shared/runtime';
import { listHandovers, SHIPPING_STATES, type ShippingState } from '../shared/workflows/handover';

/** GET /api/handovers?location=&status=: the pick list of tokens awaiting hand-over, per site and shipping state (Tokens.Read or Tokens.Desk). */
export function listHandoversHandler(getServices: () => AppServices) {
  return async (request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, ['Tokens.Read', 'Tokens.Desk']);
    if ('response' in auth) return auth.response;
    const errors: { path: string; message: string }[] = [];
    const location = request.query.get('location') ?? undefined;
    if (location !== undefined && !SITE_PATTERN.test(location)) errors.push({ path: 'location', message: 'must be a site code (1-16 letters, digits, "_" or "-")' });
    const status = request.query.get('status') ?? undefined;
    if (status !== undefined && !SHIPPING_STATES.includes(status as ShippingState)) errors.push({ path: 'status', message: `must be one of ${SHIPPING_STATES.join(', ')}` });
    if (errors.length > 0) return problem(400, 'The query is not valid', { errors });
    const handovers = await listHandovers(app.inventory, { ...(location ? { site: location } : {}), ...(status ? { shipping: status as ShippingState } : {}) });
    return json(200, { handovers });
  };
}

httpFunction('handoversList', { route: 'handovers', methods: ['GET'], handler: listHandoversHandler(services) });

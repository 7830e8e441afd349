import type { AppServices } from '../shared/app/composition';
import { SITE_PATTERN } from '../shared/domain/handover';
import { httpFunction } from '../shared/app/hosting';
import { listRoute } from '../shared/http/listRoutes';
import { json } from '../shared/http/problem';
import { services } from '../shared/app/runtime';
import { listHandovers, SHIPPING_STATES, type ShippingState } from '../shared/workflows/handover';

/** GET /api/handovers?location=&status=: the pick list of tokens awaiting hand-over, per site and shipping state (Tokens.Read or Tokens.Desk). */
export const listHandoversHandler = (getServices: () => AppServices) =>
  listRoute(
    getServices,
    ['Tokens.Read', 'Tokens.Desk'],
    (query, errors) => {
      const location = query.get('location') ?? undefined;
      if (location !== undefined && !SITE_PATTERN.test(location)) errors.push({ path: 'location', message: 'must be a site code (1-16 letters, digits, "_" or "-")' });
      const status = query.get('status') ?? undefined;
      if (status !== undefined && !SHIPPING_STATES.includes(status as ShippingState)) errors.push({ path: 'status', message: `must be one of ${SHIPPING_STATES.join(', ')}` });
      return { ...(location ? { site: location } : {}), ...(status ? { shipping: status as ShippingState } : {}) };
    },
    async (app, filter) => json(200, { handovers: await listHandovers(app.inventory, filter) }),
  );

httpFunction('handoversList', { route: 'handovers', methods: ['GET'], handler: listHandoversHandler(services) });

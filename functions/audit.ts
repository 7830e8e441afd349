import type { AppServices } from '../shared/app/composition';
import { httpFunction } from '../shared/app/hosting';
import { answerPage, listRoute, pageRequestOf } from '../shared/http/listRoutes';
import { auditQueryOf } from '../shared/http/listQueries';
import { json } from '../shared/http/problem';
import { services } from '../shared/app/runtime';

const PAGE_SIZE = 100;

/**
 * GET /api/audit?serial=&user=&action=&since=&until=&continuationToken=: the audit trail of a token, an
 * employee, an action or a period (the filters given narrow together), oldest first, a page at a time.
 */
export const auditHandler = (getServices: () => Pick<AppServices, 'adminAuth' | 'auditTrail'>) =>
  listRoute(
    getServices,
    'Tokens.Read',
    (query, errors) => {
      const filter = auditQueryOf(query, errors);
      const page = pageRequestOf(query, errors, { default: PAGE_SIZE });
      if (errors.length === 0 && filter.serialNumber === undefined && filter.employeeId === undefined && filter.action === undefined && filter.since === undefined) {
        errors.push({ path: 'serial', message: 'give serial, user, action or since (any of them, together narrowing)' });
      }
      return { filter, page };
    },
    (app, { filter, page }) =>
      answerPage(
        () => app.auditTrail.find(filter, page),
        (found) => json(200, { entries: found.entries, continuationToken: found.continuationToken ?? null }),
      ),
  );

httpFunction('audit', { route: 'audit', methods: ['GET'], handler: auditHandler(services) });

import type { AppServices } from '../shared/composition';
import { EMPLOYEE_ID_PATTERN } from '../shared/domain/hrEvent';
import { checkSerial } from '../shared/domain/token';
import { httpFunction } from '../shared/hosting';
import { answerPage, listRoute, pageRequestOf } from '../shared/listRoutes';
import { json } from '../shared/problem';
import { services } from '../shared/runtime';

const PAGE_SIZE = 100;
const MAX_SINCE_LENGTH = 40;

/** GET /api/audit?serial=&user=&since=&continuationToken=: the audit trail of a token or an employee, oldest first, a page at a time. */
export const auditHandler = (getServices: () => Pick<AppServices, 'adminAuth' | 'auditTrail'>) =>
  listRoute(
    getServices,
    'Tokens.Read',
    (query, errors) => {
      const serial = query.get('serial') ?? undefined;
      const serialProblem = serial === undefined ? undefined : checkSerial(serial);
      if (serialProblem) errors.push({ path: 'serial', message: serialProblem });
      const user = query.get('user') ?? undefined;
      if (user !== undefined && !EMPLOYEE_ID_PATTERN.test(user)) errors.push({ path: 'user', message: 'must be an employee id: 1-64 characters of A-Z, a-z, 0-9, ".", "_" or "-"' });
      const sinceText = query.get('since') ?? undefined;
      let since: string | undefined;
      if (sinceText !== undefined) {
        const parsed = sinceText.length <= MAX_SINCE_LENGTH ? Date.parse(sinceText) : Number.NaN;
        if (Number.isNaN(parsed)) errors.push({ path: 'since', message: 'must be an ISO 8601 date or date-time' });
        else since = new Date(parsed).toISOString();
      }
      const page = pageRequestOf(query, errors, { default: PAGE_SIZE });
      if (errors.length === 0 && serial === undefined && user === undefined) errors.push({ path: 'serial', message: 'give serial or user (or both)' });
      return { filter: { ...(serial ? { serialNumber: serial } : {}), ...(user ? { employeeId: user } : {}), ...(since ? { since } : {}) }, page };
    },
    (app, { filter, page }) =>
      answerPage(
        () => app.auditTrail.find(filter, page),
        (found) => json(200, { entries: found.entries, continuationToken: found.continuationToken ?? null }),
      ),
  );

httpFunction('audit', { route: 'audit', methods: ['GET'], handler: auditHandler(services) });

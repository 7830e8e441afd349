import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { authorize } from '../shared/http/adminRequest';
import type { AppServices } from '../shared/app/composition';
import { EMPLOYEE_ID_PATTERN } from '../shared/domain/hrEvent';
import { checkSerial } from '../shared/domain/token';
import { httpFunction } from '../shared/app/hosting';
import { answerPage, listRoute, pageRequestOf } from '../shared/http/listRoutes';
import { tokenFilterOf } from '../shared/http/listQueries';
import { json, problem } from '../shared/http/problem';
import { services } from '../shared/app/runtime';
import { tokenView } from '../shared/http/tokenView';
import type { ProvisioningRecord } from '../shared/ports';

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

/** GET /api/tokens?status=&pool=&user=&pageSize=&continuationToken=: the inventory, a page at a time. */
export const listTokensHandler = (getServices: () => AppServices) =>
  listRoute(
    getServices,
    'Tokens.Read',
    (query, errors) => {
      const filter = tokenFilterOf(query, errors);
      const page = pageRequestOf(query, errors, { default: DEFAULT_PAGE_SIZE, max: MAX_PAGE_SIZE });
      return { filter, page };
    },
    (app, { filter, page }) =>
      answerPage(
        () => app.inventory.list(filter, page),
        async (found) => {
          const tokens = { tokens: found.tokens.map(tokenView), continuationToken: found.continuationToken ?? null };
          return json(200, filter.user ? { ...tokens, provisioning: await joinerStatus(app, filter.user, found.tokens) } : tokens);
        },
      ),
  );

/**
 * With a user filter, how that user's hire stands, so a failed hire (which holds no token) is visible
 * here too: the joiner record of the employee id given, or of the holder of a listed token.
 */
async function joinerStatus(app: AppServices, user: string, tokens: { employeeId?: string }[]) {
  const employeeIds = [...new Set([user, ...tokens.map((t) => t.employeeId)].filter((id): id is string => id !== undefined && EMPLOYEE_ID_PATTERN.test(id)))];
  let joiner: ProvisioningRecord | undefined;
  for (const employeeId of employeeIds) {
    joiner = await app.provisioning.get(employeeId, 'joiner');
    if (joiner) break;
  }
  if (!joiner) return null;
  return {
    employeeId: joiner.employeeId,
    status: joiner.status,
    reason: joiner.reason ?? null,
    serialNumber: joiner.serialNumber ?? null,
    updatedAt: joiner.updatedAt,
  };
}

/** GET /api/tokens/{serial}: one token, no seed. */
export function getTokenHandler(getServices: () => AppServices) {
  return async (request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, 'Tokens.Read');
    if ('response' in auth) return auth.response;
    const serial = request.params.serial ?? '';
    const invalid = checkSerial(serial);
    if (invalid) return problem(400, invalid, { errors: [{ path: 'serial', message: invalid }] });
    const record = await app.inventory.get(serial);
    if (!record) return problem(404, `No token with serial number ${serial} in the inventory`);
    return json(200, tokenView(record));
  };
}

httpFunction('tokensList', { route: 'tokens', methods: ['GET'], handler: listTokensHandler(services) });
httpFunction('tokensGet', { route: 'tokens/{serial}', methods: ['GET'], handler: getTokenHandler(services) });

import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { authorize } from '../shared/adminRequest';
import type { AppServices } from '../shared/composition';
import { EMPLOYEE_ID_PATTERN } from '../shared/domain/hrEvent';
import { checkSerial } from '../shared/domain/token';
import { httpFunction } from '../shared/hosting';
import { tokenFilterOf, type QueryErrors } from '../shared/listQueries';
import { json, problem } from '../shared/problem';
import { services } from '../shared/runtime';
import { tokenView } from '../shared/tokenView';
import { InvalidContinuationToken, type ProvisioningRecord } from '../shared/ports';

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;
const MAX_CONTINUATION_TOKEN_LENGTH = 4096;

/** GET /api/tokens?status=&pool=&user=&pageSize=&continuationToken=: the inventory, a page at a time. */
export function listTokensHandler(getServices: () => AppServices) {
  return async (request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, 'Tokens.Read');
    if ('response' in auth) return auth.response;

    const errors: QueryErrors = [];
    const filter = tokenFilterOf(request.query, errors);
    const pageSizeText = request.query.get('pageSize') ?? String(DEFAULT_PAGE_SIZE);
    const pageSize = Number(pageSizeText);
    if (pageSizeText.length > 4 || !/^\d+$/.test(pageSizeText) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) errors.push({ path: 'pageSize', message: `must be 1 to ${MAX_PAGE_SIZE}` });
    const continuationToken = request.query.get('continuationToken') ?? undefined;
    if (continuationToken !== undefined && (continuationToken.length > MAX_CONTINUATION_TOKEN_LENGTH || !/^[A-Za-z0-9+/=_-]+$/.test(continuationToken))) {
      errors.push({ path: 'continuationToken', message: 'is not one this API gave out' });
    }
    if (errors.length > 0) return problem(400, 'The query is not valid', { errors });

    let page;
    try {
      page = await app.inventory.list(filter, { pageSize, ...(continuationToken ? { continuationToken } : {}) });
    } catch (error) {
      if (error instanceof InvalidContinuationToken) return problem(400, error.message, { errors: [{ path: 'continuationToken', message: 'is not one this API gave out' }] });
      throw error;
    }
    const user = filter.user;
    if (!user) return json(200, { tokens: page.tokens.map(tokenView), continuationToken: page.continuationToken ?? null });
    return json(200, { tokens: page.tokens.map(tokenView), continuationToken: page.continuationToken ?? null, provisioning: await joinerStatus(app, user, page.tokens) });
  };
}

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

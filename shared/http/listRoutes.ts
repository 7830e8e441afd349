import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { authorize } from './adminRequest';
import { InvalidContinuationToken, type AdminAuthenticator } from '../ports';
import { problem, type FieldError } from './problem';

/**
 * The one front of the admin API's list routes: the role, the query read and checked (every wrong value
 * named at once, as a 400), then the answer, usually a page (pageRequestOf and answerPage below).
 */
export function listRoute<App extends { adminAuth: AdminAuthenticator }, Query>(
  getServices: () => App,
  role: Parameters<typeof authorize>[2],
  parse: (query: URLSearchParams, errors: FieldError[]) => Query,
  answer: (app: App, query: Query) => Promise<HttpResponseInit>,
) {
  return async (request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, role);
    if ('response' in auth) return auth.response;
    const errors: FieldError[] = [];
    const query = parse(request.query, errors);
    if (errors.length > 0) return problem(400, 'The query is not valid', { errors });
    return answer(app, query);
  };
}

/** Longer than any continuation token the stores give out. */
const MAX_CONTINUATION_TOKEN_LENGTH = 4096;
const NOT_OURS: FieldError = { path: 'continuationToken', message: 'is not one this API gave out' };

export interface PageRequest {
  pageSize: number;
  continuationToken?: string;
}

/**
 * The paging of a list route: `continuationToken=`, and `pageSize=` where the route lets the caller
 * choose it (`max` given; otherwise every page has the default size). A wrong value is added to `errors`.
 */
export function pageRequestOf(query: URLSearchParams, errors: FieldError[], size: { default: number; max?: number }): PageRequest {
  let pageSize = size.default;
  if (size.max !== undefined) {
    const pageSizeText = query.get('pageSize') ?? String(size.default);
    pageSize = Number(pageSizeText);
    if (pageSizeText.length > 4 || !/^\d+$/.test(pageSizeText) || pageSize < 1 || pageSize > size.max) errors.push({ path: 'pageSize', message: `must be 1 to ${size.max}` });
  }
  const continuationToken = query.get('continuationToken') ?? undefined;
  if (continuationToken !== undefined && (continuationToken.length > MAX_CONTINUATION_TOKEN_LENGTH || !/^[A-Za-z0-9+/=_-]+$/.test(continuationToken))) errors.push(NOT_OURS);
  return { pageSize, ...(continuationToken ? { continuationToken } : {}) };
}

/** Reads one page and answers it; a continuation token the store did not give out is the caller's 400, not a 500. */
export async function answerPage<Page>(read: () => Promise<Page>, answer: (page: Page) => HttpResponseInit | Promise<HttpResponseInit>): Promise<HttpResponseInit> {
  let page: Page;
  try {
    page = await read();
  } catch (error) {
    if (error instanceof InvalidContinuationToken) return problem(400, error.message, { errors: [NOT_OURS] });
    throw error;
  }
  return answer(page);
}

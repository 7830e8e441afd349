import type { HttpResponseInit } from '@azure/functions';
import { InvalidContinuationToken } from './ports';
import { problem, type FieldError } from './problem';

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

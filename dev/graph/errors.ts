/**
 * Graph's error vocabulary. The store throws these; the HTTP layer turns them into
 * {"error":{"code","message","innerError":{"request-id","date"}}}.
 */
export class GraphApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds for a Retry-After header (429/503). */
    readonly retryAfterSeconds?: number,
    /** Further answer headers (a throttled answer's x-ms-throttle-scope). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GraphApiError';
  }
}

export const badRequest = (message: string, code = 'invalidRequest'): GraphApiError =>
  new GraphApiError(400, code, message);

export const notFound = (what: string): GraphApiError =>
  new GraphApiError(
    404,
    'Request_ResourceNotFound',
    `Resource '${what}' does not exist or one of its queried reference-property objects are not present.`,
  );

export const conflict = (message: string): GraphApiError =>
  new GraphApiError(409, 'Request_MultipleObjectsWithSameKeyValue', message);

export const unsupportedQuery = (message: string): GraphApiError =>
  new GraphApiError(400, 'Request_UnsupportedQuery', message);

/** The error code Graph uses for each status the emulator can inject. */
export function codeForStatus(status: number): string {
  switch (status) {
    case 401:
      return 'InvalidAuthenticationToken';
    case 403:
      return 'Authorization_RequestDenied';
    case 429:
      return 'TooManyRequests';
    case 503:
      return 'serviceNotAvailable';
    case 504:
      return 'gatewayTimeout';
    default:
      return status >= 500 ? 'generalException' : 'BadRequest';
  }
}

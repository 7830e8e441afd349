import { GraphApiError } from './errors';
import { permissionsFor } from './permissions';

/**
 * What every route module of the Graph emulator shares: the shape of a route, its request and reply,
 * and the answers and permissions more than one module gives. http.ts dispatches to the route modules;
 * they import this, never http.ts.
 */

export interface Reply {
  status: number;
  body?: unknown;
}

export interface ApiRequest {
  method: string;
  url: URL;
  /** https://host:port of the request, for @odata.context and nextLink. */
  origin: string;
  version: string;
  readBody: () => Promise<unknown>;
  /** The request's Prefer header, if any. */
  prefer?: string;
  /** App roles of the caller's token ('all' when roles are not enforced). */
  roles: string[] | 'all';
}

export interface Route {
  /** Stats key part, e.g. "devices" or "method.activate". */
  kind: string;
  /** Any one of these application permissions grants access. */
  permissions: string[];
  handle: (request: ApiRequest) => Promise<Reply> | Reply;
}

export const READ_USERS = permissionsFor('readUsers');

export function methodNotAllowed(kind: string): Route {
  return {
    kind,
    permissions: [],
    handle: () => {
      throw new GraphApiError(405, 'BadRequest', 'The HTTP method is not supported on this resource.');
    },
  };
}

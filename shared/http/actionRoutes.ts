import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import { actionContextOf, auditFor, authorize, mayAssignPrivileged, readJsonBody } from './adminRequest';
import type { AppServices } from '../app/composition';
import { hasControlCharacters } from '../domain/text';
import { checkSerial } from '../domain/token';
import { DirectoryRefusal, HeldByDeletedAccount } from '../ports';
import { problem } from './problem';
import type { ActionContext } from '../workflows/revokeToken';

/**
 * The one front of the admin actions on a token named by its serial (tokens/{serial}/...) or on a
 * person's token (users/{user}/token/...): the role, the route's key checked, the JSON body read within
 * its limit, the audit bound to the caller, and Entra's refusal answered 502. The action gets it all.
 */
export interface ActionCall<Body> {
  /** The services, with the audit log bound to the caller. */
  app: AppServices;
  /** The serial or the user, as the route names it (checked). */
  key: string;
  body: Body;
  /** Who acts, and whether they may give a privileged account a token (Tokens.PrivilegedAdmin). */
  context: ActionContext & { privilegedAllowed: boolean };
  log: InvocationContext;
}

export interface ActionRouteOptions<Body> {
  /** The role, or any one of the roles, the action needs. */
  role: Parameters<typeof authorize>[2];
  /** The body's schema; none: the action takes no body. */
  body?: { schema: z.ZodType<Body>; limit: number };
  /** Headers of the 502 when Entra refuses (e.g. no-store on a route whose answer may carry a secret). */
  refusalHeaders?: Record<string, string>;
}

type Action<Body> = (call: ActionCall<Body>) => Promise<HttpResponseInit>;

/** A user principal name or an HR employee id, as the route names the person. */
export const isUserReference = (user: string): boolean => user.length >= 1 && user.length <= 256 && !/[\s/\\]/.test(user) && !hasControlCharacters(user);

const KEYS = {
  serial: (serial: string): HttpResponseInit | undefined => {
    const invalid = checkSerial(serial);
    return invalid ? problem(400, invalid, { errors: [{ path: 'serial', message: invalid }] }) : undefined;
  },
  user: (user: string): HttpResponseInit | undefined =>
    isUserReference(user) ? undefined : problem(400, 'The user must be a user principal name or an employee id', { errors: [{ path: 'user', message: 'is not a user principal name or employee id' }] }),
};

function actionRoute<Body>(param: keyof typeof KEYS, getServices: () => AppServices, options: ActionRouteOptions<Body>, action: Action<Body>) {
  return async (request: HttpRequest, log: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, options.role);
    if ('response' in auth) return auth.response;
    const key = request.params[param] ?? '';
    const invalid = KEYS[param](key);
    if (invalid) return invalid;
    // A route without a body gives its action none (Body is undefined there).
    let body = undefined as Body;
    if (options.body) {
      // Problems say where the body is wrong, never echo it: it may hold the code a token shows.
      const read = await readJsonBody(request, options.body.schema, { limit: options.body.limit });
      if ('response' in read) return read.response;
      body = read.value;
    }
    try {
      return await action({
        app: { ...app, audit: auditFor(app.audit, request, auth.principal) },
        key,
        body,
        context: { ...actionContextOf(request, auth.principal, log.invocationId), privilegedAllowed: mayAssignPrivileged(auth.principal) },
        log,
      });
    } catch (error) {
      if (error instanceof DirectoryRefusal) return problem(502, `Entra refused the change (${error.code}): ${error.message}`, {}, options.refusalHeaders ?? {});
      // Entra still holds the token; the same request takes it once the account is restored.
      if (error instanceof HeldByDeletedAccount) return problem(409, error.message);
      throw error;
    }
  };
}

/** POST tokens/{serial}/...: an action on the token with that serial. */
export const serialRoute = <Body>(getServices: () => AppServices, options: ActionRouteOptions<Body>, action: Action<Body>) => actionRoute('serial', getServices, options, action);

/** POST users/{user}/token/...: an action on the token the person holds. */
export const userRoute = <Body>(getServices: () => AppServices, options: ActionRouteOptions<Body>, action: Action<Body>) => actionRoute('user', getServices, options, action);

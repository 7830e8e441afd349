import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { actorOf, auditFor, authorize, correlationIdOf, mayAssignPrivileged, readJsonBody } from '../shared/adminRequest';
import type { AppServices } from '../shared/composition';
import { hasControlCharacters } from '../shared/domain/text';
import { REVOKE_REASONS } from '../shared/domain/token';
import { answer, revokeSchema } from '../shared/tokenActions';
import { httpFunction } from '../shared/hosting';
import { DirectoryRefusal } from '../shared/ports';
import { problem } from '../shared/problem';
import { services } from '../shared/runtime';
import { resumeUserToken, revokeUserToken, suspendUserToken, type ActionContext, type TokenActionResult } from '../shared/workflows/revokeToken';
import { validate } from '../shared/validation';

/** A user principal name or an HR employee id, as the route names the person. */
export const isUserReference = (user: string): boolean => user.length >= 1 && user.length <= 256 && !/[\s/\\]/.test(user) && !hasControlCharacters(user);

type Action = (app: AppServices, user: string, body: unknown, context: ActionContext & { privilegedAllowed: boolean }) => Promise<TokenActionResult | HttpResponseInit>;

/** The shared shape of the three user-token actions: admin only, the user from the route, one workflow. */
function userTokenHandler(getServices: () => AppServices, action: Action, needsBody: boolean) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, 'Tokens.Admin');
    if ('response' in auth) return auth.response;
    const user = request.params.user ?? '';
    if (!isUserReference(user)) return problem(400, 'The user must be a user principal name or an employee id', { errors: [{ path: 'user', message: 'is not a user principal name or employee id' }] });
    let body: unknown = {};
    if (needsBody) {
      const read = await readJsonBody(request, z.unknown(), { limit: 16 * 1024 });
      if ('response' in read) return read.response;
      body = read.value;
    }
    try {
      const result = await action({ ...app, audit: auditFor(app.audit, request, auth.principal) }, user, body, { actor: actorOf(auth.principal), correlationId: correlationIdOf(request, context.invocationId), privilegedAllowed: mayAssignPrivileged(auth.principal) });
      return 'outcome' in result ? answer(result) : result;
    } catch (error) {
      if (error instanceof DirectoryRefusal) return problem(502, `Entra refused the change (${error.code}): ${error.message}`);
      throw error;
    }
  };
}

export const revokeHandler = (getServices: () => AppServices) =>
  userTokenHandler(
    getServices,
    async (app, user, body, context) => {
      const parsed = validate(revokeSchema, body);
      if (!parsed.ok) return problem(400, 'The request is not valid', { errors: parsed.errors });
      return revokeUserToken(app, user, parsed.value.reason as (typeof REVOKE_REASONS)[number], parsed.value.note, context);
    },
    true,
  );

export const suspendHandler = (getServices: () => AppServices) => userTokenHandler(getServices, (app, user, _body, context) => suspendUserToken(app, user, context), false);
export const resumeHandler = (getServices: () => AppServices) => userTokenHandler(getServices, (app, user, _body, context) => resumeUserToken(app, user, context), false);

httpFunction('userTokenRevoke', { route: 'users/{user}/token/revoke', methods: ['POST'], handler: revokeHandler(services) });
httpFunction('userTokenSuspend', { route: 'users/{user}/token/suspend', methods: ['POST'], handler: suspendHandler(services) });
httpFunction('userTokenResume', { route: 'users/{user}/token/resume', methods: ['POST'], handler: resumeHandler(services) });

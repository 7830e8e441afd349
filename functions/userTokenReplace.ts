import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { actorOf, auditFor, authorize, correlationIdOf, mayAssignPrivileged, readJsonBody } from '../shared/adminRequest';
import type { AppServices } from '../shared/composition';
import { httpFunction } from '../shared/hosting';
import { DirectoryRefusal } from '../shared/ports';
import { json, problem } from '../shared/problem';
import { services } from '../shared/runtime';
import { noteSchema } from '../shared/tokenActions';
import { REPLACE_REASONS, replaceUserToken, type ReplaceReason } from '../shared/workflows/replaceToken';
import { isUserReference } from './userToken';

const replaceSchema = z
  .object({
    reason: z.enum(REPLACE_REASONS as [ReplaceReason, ...ReplaceReason[]], { message: `must be one of ${REPLACE_REASONS.join(', ')}` }),
    note: noteSchema.optional(),
    temporaryAccessPass: z.boolean().optional(),
  })
  .strict();

/** The answer may carry a Temporary Access Pass: no cache anywhere may keep it. */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** POST /api/users/{user}/token/replace: revoke the held token, provision another through the saga, optionally a Temporary Access Pass. */
export function replaceHandler(getServices: () => AppServices) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, 'Tokens.Admin');
    if ('response' in auth) return auth.response;
    const user = request.params.user ?? '';
    if (!isUserReference(user)) return problem(400, 'The user must be a user principal name or an employee id', { errors: [{ path: 'user', message: 'is not a user principal name or employee id' }] });
    const body = await readJsonBody(request, replaceSchema, { limit: 16 * 1024 });
    if ('response' in body) return body.response;
    const parsed = body.value;
    let result;
    try {
      result = await replaceUserToken(
        { ...app, audit: auditFor(app.audit, request, auth.principal) },
        user,
        {
          reason: parsed.reason,
          ...(parsed.note ? { note: parsed.note } : {}),
          temporaryAccessPass: parsed.temporaryAccessPass ?? false,
          tapEnabled: app.config.tapEnabled,
          tapLifetimeMinutes: app.config.tapLifetimeMinutes,
          privilegedAllowed: mayAssignPrivileged(auth.principal),
        },
        { actor: actorOf(auth.principal), correlationId: correlationIdOf(request, context.invocationId) },
      );
    } catch (error) {
      if (error instanceof DirectoryRefusal) return problem(502, `Entra refused the change (${error.code}): ${error.message}`, {}, NO_STORE);
      throw error;
    }
    switch (result.outcome) {
      case 'done': {
        const pass = result.temporaryAccessPass;
        context.log(`token of ${user} replaced: ${result.revoked.serialNumber} ${result.revoked.status}, replacement ${result.replacement.eventId} queued${pass ? `, Temporary Access Pass ${pass.id} issued` : ''}`);
        return json(
          202,
          {
            revoked: result.revoked,
            replacement: result.replacement,
            ...(pass ? { temporaryAccessPass: { temporaryAccessPass: pass.temporaryAccessPass, startDateTime: pass.startDateTime, lifetimeInMinutes: pass.lifetimeInMinutes, isUsableOnce: pass.isUsableOnce } } : {}),
          },
          NO_STORE,
        );
      }
      case 'no_token':
        return problem(404, result.detail);
      case 'not_allowed':
        return problem(409, result.detail, result.serialNumber ? { serialNumber: result.serialNumber } : {});
      case 'pass_live':
        return problem(409, result.detail, { serialNumber: result.serialNumber, temporaryAccessPassExpiresAt: result.expiresAt }, NO_STORE);
    }
  };
}

httpFunction('userTokenReplace', { route: 'users/{user}/token/replace', methods: ['POST'], handler: replaceHandler(services) });

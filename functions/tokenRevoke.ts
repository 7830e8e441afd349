import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { actorOf, auditFor, authorize, correlationIdOf, readJsonBody } from '../shared/adminRequest';
import type { AppServices } from '../shared/composition';
import { checkSerial, type RevokeReason } from '../shared/domain/token';
import { httpFunction } from '../shared/hosting';
import { DirectoryRefusal } from '../shared/ports';
import { problem } from '../shared/problem';
import { services } from '../shared/runtime';
import { answer, revokeSchema } from '../shared/tokenActions';
import { revokeTokenBySerial } from '../shared/workflows/revokeToken';

/** POST /api/tokens/{serial}/revoke: a lost or stolen token named exactly, taken from whoever Entra says holds it. */
export function revokeBySerialHandler(getServices: () => AppServices) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, 'Tokens.Admin');
    if ('response' in auth) return auth.response;
    const serial = request.params.serial ?? '';
    const invalid = checkSerial(serial);
    if (invalid) return problem(400, invalid, { errors: [{ path: 'serial', message: invalid }] });
    const body = await readJsonBody(request, revokeSchema, { limit: 16 * 1024 });
    if ('response' in body) return body.response;
    try {
      const result = await revokeTokenBySerial({ ...app, audit: auditFor(app.audit, request, auth.principal) }, serial, body.value.reason as RevokeReason, body.value.note, {
        actor: actorOf(auth.principal),
        correlationId: correlationIdOf(request, context.invocationId),
      });
      return answer(result);
    } catch (error) {
      if (error instanceof DirectoryRefusal) return problem(502, `Entra refused the change (${error.code}): ${error.message}`);
      throw error;
    }
  };
}

httpFunction('tokenRevoke', { route: 'tokens/{serial}/revoke', methods: ['POST'], handler: revokeBySerialHandler(services) });

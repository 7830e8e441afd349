import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { actorOf, auditFor, authorize, correlationIdOf, mediaTypeOf, readBody } from '../shared/adminRequest';
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
    if (mediaTypeOf(request) !== 'application/json') return problem(415, 'Send the request as application/json');
    const raw = await readBody(request, 16 * 1024);
    if (!raw) return problem(413, 'The request is larger than 16 KB');
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return problem(400, 'The body is not valid JSON');
    }
    const parsed = revokeSchema.safeParse(body);
    if (!parsed.success) return problem(400, 'The request is not valid', { errors: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
    try {
      const result = await revokeTokenBySerial({ ...app, audit: auditFor(app.audit, request, auth.principal) }, serial, parsed.data.reason as RevokeReason, parsed.data.note, {
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

import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { actorOf, auditFor, authorize, correlationIdOf, mayAssignPrivileged, readJsonBody } from '../shared/adminRequest';
import type { AppServices } from '../shared/composition';
import { CODE_PATTERN, TRACKING_PATTERN } from '../shared/domain/handover';
import { checkSerial, SHIPMENT_STATUSES, type ShipmentStatus } from '../shared/domain/token';
import { httpFunction } from '../shared/hosting';
import { DirectoryRefusal } from '../shared/ports';
import { json, problem } from '../shared/problem';
import { services } from '../shared/runtime';
import { handOverToken, recordShipment } from '../shared/workflows/handover';
import type { ActionContext } from '../shared/workflows/revokeToken';

const handoverSchema = z.object({ code: z.string().regex(CODE_PATTERN, 'must be the 6 digits shown on the token') }).strict();
const shipmentSchema = z
  .object({
    status: z.enum(SHIPMENT_STATUSES as [ShipmentStatus, ...ShipmentStatus[]], { message: `must be one of ${SHIPMENT_STATUSES.join(', ')}` }),
    tracking: z.string().trim().regex(TRACKING_PATTERN, 'must be 1-100 letters, digits, spaces or ._/:-').optional(),
  })
  .strict();

/** The shared front of both actions: Tokens.Desk (or Tokens.Admin), a valid serial, a valid JSON body. */
function tokenActionHandler<T>(
  getServices: () => AppServices,
  schema: z.ZodType<T>,
  action: (app: AppServices, serial: string, body: T, context: ActionContext & { privilegedAllowed: boolean }, log: InvocationContext) => Promise<HttpResponseInit>,
) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, 'Tokens.Desk');
    if ('response' in auth) return auth.response;
    const serial = request.params.serial ?? '';
    const invalid = checkSerial(serial);
    if (invalid) return problem(400, invalid, { errors: [{ path: 'serial', message: invalid }] });
    // Problems say where the body is wrong, never echo it: it holds the code the token shows.
    const parsed = await readJsonBody(request, schema, { limit: 4 * 1024 });
    if ('response' in parsed) return parsed.response;
    try {
      return await action({ ...app, audit: auditFor(app.audit, request, auth.principal) }, serial, parsed.value, { actor: actorOf(auth.principal), correlationId: correlationIdOf(request, context.invocationId), privilegedAllowed: mayAssignPrivileged(auth.principal) }, context);
    } catch (error) {
      if (error instanceof DirectoryRefusal) return problem(502, `Entra refused the change (${error.code}): ${error.message}`);
      throw error;
    }
  };
}

/** POST /api/tokens/{serial}/handover {"code"}: the desk shows the token's code; it is checked, its drift measured, and the token activated. */
export const handoverHandler = (getServices: () => AppServices) =>
  tokenActionHandler(getServices, handoverSchema, async (app, serial, body, context, log) => {
    const result = await handOverToken(app, serial, body.code, { driftSteps: app.config.handover.driftSteps, alertSteps: app.config.handover.alertSteps }, context);
    switch (result.outcome) {
      case 'handed_over':
        if (result.alert) log.warn(`TokenDrift serial=${result.serialNumber} steps=${result.driftSteps}`);
        return json(200, { serialNumber: result.serialNumber, status: 'active', userPrincipalName: result.userPrincipalName, driftSteps: result.driftSteps });
      case 'not_found':
        return problem(404, result.detail);
      case 'refused':
        return problem(result.reason === 'wrong_token' ? 422 : 409, result.detail, { reason: result.reason, serialNumber: result.serialNumber });
      case 'entra_refused':
        log.warn(`TokenDrift serial=${result.serialNumber} steps=${result.driftSteps} entra=refused`);
        return problem(409, result.detail, { reason: 'entra_refused', serialNumber: result.serialNumber, driftSteps: result.driftSteps, advice: 'replace' });
    }
  });

/** POST /api/tokens/{serial}/shipment {"status":"shipped"|"delivered","tracking"?}: the token's way to its site. */
export const shipmentHandler = (getServices: () => AppServices) =>
  tokenActionHandler(getServices, shipmentSchema, async (app, serial, body, context) => {
    const result = await recordShipment(app, serial, body.status, body.tracking, context);
    switch (result.outcome) {
      case 'done':
        return json(200, { serialNumber: result.serialNumber, shipping: result.shipping, tracking: result.tracking, changed: result.changed });
      case 'not_found':
        return problem(404, result.detail);
      case 'refused':
        return problem(409, result.detail, { serialNumber: result.serialNumber });
    }
  });

httpFunction('tokenHandover', { route: 'tokens/{serial}/handover', methods: ['POST'], handler: handoverHandler(services) });
httpFunction('tokenShipment', { route: 'tokens/{serial}/shipment', methods: ['POST'], handler: shipmentHandler(services) });

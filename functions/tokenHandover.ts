import { z } from 'zod';
import { serialRoute } from '../shared/http/actionRoutes';
import type { AppServices } from '../shared/app/composition';
import { CODE_PATTERN, TRACKING_PATTERN } from '../shared/domain/handover';
import { SHIPMENT_STATUSES, type ShipmentStatus } from '../shared/domain/token';
import { httpFunction } from '../shared/app/hosting';
import { json, problem } from '../shared/http/problem';
import { services } from '../shared/app/runtime';
import { handOverToken, recordShipment } from '../shared/workflows/handover';

const handoverSchema = z.object({ code: z.string().regex(CODE_PATTERN, 'must be the 6 digits shown on the token') }).strict();
const shipmentSchema = z
  .object({
    status: z.enum(SHIPMENT_STATUSES as [ShipmentStatus, ...ShipmentStatus[]], { message: `must be one of ${SHIPMENT_STATUSES.join(', ')}` }),
    tracking: z.string().trim().regex(TRACKING_PATTERN, 'must be 1-100 letters, digits, spaces or ._/:-').optional(),
  })
  .strict();

/** POST /api/tokens/{serial}/handover {"code"}: the desk shows the token's code; it is checked, its drift measured, and the token activated. */
export const handoverHandler = (getServices: () => AppServices) =>
  serialRoute(getServices, { role: 'Tokens.Desk', body: { schema: handoverSchema, limit: 4 * 1024 } }, async ({ app, key: serial, body, context, log }) => {
    const result = await handOverToken(app, serial, body.code, { driftSteps: app.config.handover.driftSteps, alertSteps: app.config.handover.alertSteps }, context);
    switch (result.outcome) {
      case 'handed_over':
        if (result.alert) log.warn(`TokenDrift serial=${result.serialNumber} steps=${result.driftSteps}`);
        return json(200, { serialNumber: result.serialNumber, status: 'active', userPrincipalName: result.userPrincipalName, displayName: result.displayName, driftSteps: result.driftSteps });
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
  serialRoute(getServices, { role: 'Tokens.Desk', body: { schema: shipmentSchema, limit: 4 * 1024 } }, async ({ app, key: serial, body, context }) => {
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

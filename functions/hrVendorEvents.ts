import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { readBody } from '../shared/http/adminRequest';
import type { AppServices } from '../shared/app/composition';
import {
  HR_VENDORS,
  parseBambooHrNotice,
  parseHiBobNotice,
  parsePersonioNotice,
  verifyBambooHrSignature,
  verifyHiBobSignature,
  verifyPersonioToken,
  type HrVendor,
  type VendorNotice,
} from '../shared/domain/vendorWebhooks';
import { httpFunction } from '../shared/app/hosting';
import { json, problem } from '../shared/http/problem';
import { services } from '../shared/app/runtime';
import { acceptVendorEvent } from '../shared/workflows/acceptVendorEvent';

/** As for our own webhook. */
const MAX_EVENT_BYTES = 64 * 1024;

type Needs = Pick<AppServices, 'config' | 'clock' | 'webhookDeliveries' | 'hrEvents' | 'hrVendorApis' | 'vendorSecrets'>;

const isVendor = (name: string): name is HrVendor => (HR_VENDORS as readonly string[]).includes(name);

/**
 * POST /api/hr/events/{vendor}: HiBob, BambooHR and Personio webhooks, each checked the vendor's own
 * way (signature over the raw body, or Personio's static token; 401 when it does not match, or when
 * the event's time is outside the vendor's replay window), then mapped onto the same hr-events
 * messages as our own webhook. A replay inside the window is answered 200 "duplicate"; an event type
 * we do not act on, a leave the vendor's API does not confirm, and Bob's setup ping, 200, so the vendor stops retrying.
 */
export function hrVendorEventsHandler(getServices: () => Needs) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const vendor = (request.params.vendor ?? '').toLowerCase();
    const app = getServices();
    if (!isVendor(vendor) || !app.config.hrVendors[vendor]) return problem(404, `No HR vendor "${request.params.vendor ?? ''}" is configured here (${HR_VENDORS.join(', ')})`);
    const body = await readBody(request, MAX_EVENT_BYTES);
    if (!body) return problem(413, `The event is larger than ${MAX_EVENT_BYTES / 1024} KB`);

    let notice: VendorNotice;
    if (vendor === 'hibob') {
      const secret = await app.vendorSecrets.read(app.config.hrVendors.hibob?.webhookSecretName ?? '');
      if (!verifyHiBobSignature(secret, body, request.headers.get('bob-signature'))) return problem(401, 'Bob-Signature does not match the body');
      notice = parseHiBobNotice(body);
    } else if (vendor === 'personio') {
      const token = await app.vendorSecrets.read(app.config.hrVendors.personio?.webhookTokenSecretName ?? '');
      if (!verifyPersonioToken(token, request.headers.get('authorization'))) return problem(401, 'The Authorization token is not the one this webhook was created with');
      notice = parsePersonioNotice(body);
    } else {
      const secret = await app.vendorSecrets.read(app.config.hrVendors.bamboohr?.webhookSecretName ?? '');
      const timestamp = request.headers.get('x-bamboohr-timestamp');
      const check = verifyBambooHrSignature(secret, body, request.headers.get('x-bamboohr-signature'), timestamp, app.clock.now());
      if (!check.ok) return problem(401, check.reason);
      notice = parseBambooHrNotice(body, timestamp ?? '');
    }

    switch (notice.kind) {
      case 'ping':
        return json(200, { status: 'ok' });
      case 'invalid':
        return problem(400, `The ${vendor} event is not valid: ${notice.reason}`);
      case 'ignored':
        context.log(`${vendor} event ${notice.type} ignored: not a hire or a leave`);
        return json(200, { status: 'ignored', type: notice.type });
    }
    const result = await acceptVendorEvent(vendor, notice, {
      apis: app.hrVendorApis,
      deliveries: app.webhookDeliveries,
      hrEvents: app.hrEvents,
      clock: app.clock,
    });
    switch (result.kind) {
      case 'stale':
        context.warn(`${vendor} event ${notice.type} for ${notice.vendorEmployeeId} refused: ${result.reason}`);
        return problem(401, `The ${vendor} event is outside the replay window`);
      case 'ignored':
        context.log(`${vendor} event ${notice.type} for ${notice.vendorEmployeeId} ignored: ${result.reason}`);
        return json(200, { status: 'ignored', reason: result.reason });
      case 'duplicate':
        return json(200, { eventId: result.eventId, status: 'duplicate' });
      case 'queued':
        context.log(`${vendor} event ${notice.type} queued as ${result.eventId} (${result.type}) for employeeId=${result.employeeId}`);
        return json(202, { eventId: result.eventId, status: 'queued' });
    }
  };
}

httpFunction('hrVendorEvents', { route: 'hr/events/{vendor}', methods: ['POST'], handler: hrVendorEventsHandler(services) });

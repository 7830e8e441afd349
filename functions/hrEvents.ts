import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { mediaTypeOf, readBody } from '../shared/http/adminRequest';
import type { AppServices } from '../shared/app/composition';
import { hrEventSchema, queueMessageOf, WEBHOOK_ID_PATTERN } from '../shared/domain/hrEvent';
import { verifyWebhook } from '../shared/domain/webhookSignature';
import { httpFunction } from '../shared/app/hosting';
import { json, problem } from '../shared/http/problem';
import { services } from '../shared/app/runtime';
import { validate } from '../shared/domain/validation';
import { queueOnce } from '../shared/workflows/queueOnce';

/** DESIGN section 6: a larger HR event is refused with 413. */
export const MAX_EVENT_BYTES = 64 * 1024;

const isJson = (mediaType: string): boolean => mediaType === 'application/json' || /^application\/[\w.-]+\+json$/.test(mediaType);

/**
 * POST /api/hr/events: the HR webhook. Verified the Standard Webhooks way over the raw body, validated,
 * de-duplicated by webhook-id, then handed to the hr-events queue; the worker does the rest.
 */
export function hrEventsHandler(getServices: () => Pick<AppServices, 'config' | 'clock' | 'webhookDeliveries' | 'hrEvents'>) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const tooLarge = () => problem(413, `The event is larger than ${MAX_EVENT_BYTES / 1024} KB`);
    const declared = request.headers.get('content-length');
    if (declared !== null && Number(declared) > MAX_EVENT_BYTES) return tooLarge();
    if (!isJson(mediaTypeOf(request))) return problem(415, 'Send the event as application/json');
    const body = await readBody(request, MAX_EVENT_BYTES);
    if (!body) return tooLarge();

    const app = getServices();
    const now = app.clock.now();
    const headers = {
      id: request.headers.get('webhook-id'),
      timestamp: request.headers.get('webhook-timestamp'),
      signature: request.headers.get('webhook-signature'),
    };
    const check = verifyWebhook(app.config.hrWebhookSecrets, headers, body, now);
    if (!check.ok) return problem(401, check.reason);
    const eventId = headers.id ?? '';
    if (!WEBHOOK_ID_PATTERN.test(eventId)) {
      return problem(400, 'The webhook-id header is not usable', { errors: [{ path: 'webhook-id', message: 'must be 1-128 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-"' }] });
    }

    let input: unknown;
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch {
      return problem(400, 'The body is not valid JSON', { errors: [{ path: '', message: 'is not valid JSON' }] });
    }
    const parsed = validate(hrEventSchema, input);
    if (!parsed.ok) return problem(400, 'The event is not valid', { errors: parsed.errors });
    const event = parsed.value;

    const queued = await queueOnce({ deliveries: app.webhookDeliveries, hrEvents: app.hrEvents }, queueMessageOf(eventId, event), now.toISOString());
    if (queued === 'duplicate') {
      context.log(`hr event ${eventId}: duplicate delivery, already queued`);
      return json(200, { eventId, status: 'duplicate' });
    }
    context.log(`hr event ${eventId} (${event.type}) queued for employeeId=${event.data.employeeId}${queued === 'queued' ? '' : ' (re-queued: the earlier delivery did not finish)'}`);
    return json(202, { eventId, status: 'queued' });
  };
}

httpFunction('hrEvents', { route: 'hr/events', methods: ['POST'], handler: hrEventsHandler(services) });

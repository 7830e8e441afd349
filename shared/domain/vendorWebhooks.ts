import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { EMPLOYEE_ID_PATTERN, hrEventSchema, type HrEvent } from './hrEvent';
import { readableIssue } from './validation';

/**
 * HR vendors' own webhooks (POST /api/hr/events/{vendor}): each vendor's signature scheme, its event
 * types, and the mapping of a notice plus the employee fetched from the vendor's API onto our HR event.
 * Pure. Shapes follow the vendors' public docs (apidocs.hibob.com, documentation.bamboohr.com); where
 * they show no example the shape used is named so in docs/deploy.md.
 */

export const HR_VENDORS = ['hibob', 'bamboohr', 'personio'] as const;
export type HrVendor = (typeof HR_VENDORS)[number];

export type VendorNotice =
  /** Bob's setup ping ("Ping test", or {"text": "Ping test"} on a retry). */
  | { kind: 'ping' }
  | { kind: 'ignored'; type: string }
  | {
      kind: 'employee';
      type: string;
      event: 'joined' | 'left' | 'changed';
      vendorEmployeeId: string;
      deliveryId: string;
      /** When the vendor says the event occurred (ISO, UTC), read from the body; absent where a signed header carries the time (BambooHR). */
      occurredAt?: string;
    }
  | { kind: 'invalid'; reason: string };

/** The employee as the vendor's API answers it, in our words. */
export interface VendorEmployee {
  id: string;
  employeeNumber?: string;
  email?: string;
  displayName?: string;
  /** YYYY-MM-DD. */
  hireDate?: string;
  terminationDate?: string;
  active: boolean;
  location?: string;
}

/**
 * Constant time whatever was given: both sides are hashed to 32 bytes first, so neither the
 * comparison nor its length check tells how much of a guess was right, or how long the secret is.
 */
const equalSecrets = (given: string, expected: string): boolean =>
  timingSafeEqual(createHash('sha256').update(given, 'utf8').digest(), createHash('sha256').update(expected, 'utf8').digest());

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/**
 * How old a delivery may be, by the time of the event its body carries: the vendor's documented retry
 * period plus a day of margin. Bob retries for up to 3 days (apidocs.hibob.com, Webhooks v2 events, Retry
 * policy) and signs the body that holds `triggeredAt`. Personio retries for up to 3 days
 * (developer.personio.de, Webhooks, Retries; its 2024 changelog said 6 days: the longer is taken); its
 * `occurred_at` is not signed (the token is static), so the window is a backstop to the claim rows.
 * BambooHR signs X-BambooHR-Timestamp, held to 5 minutes at the signature check.
 */
export const REPLAY_WINDOW_MS = { hibob: 3 * DAY + DAY, personio: 6 * DAY + DAY } as const;

/** How far ahead of our clock an event's time may be (the vendor's clock may run a little fast). */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * How long delivery claim rows are kept: longer than every replay window (plus the clock skew), so a
 * body is refused by its age or recognised by its claim, never neither.
 */
export const DELIVERY_RETENTION_MS = Math.max(...Object.values(REPLAY_WINDOW_MS)) + DAY;

/** Why a notice is outside its vendor's replay window, or undefined when it is inside (or the vendor dates deliveries in a signed header). */
export function replayRefusal(vendor: HrVendor, notice: Extract<VendorNotice, { kind: 'employee' }>, now: Date): string | undefined {
  if (vendor === 'bamboohr') return undefined;
  const at = notice.occurredAt ? Date.parse(notice.occurredAt) : NaN;
  if (!Number.isFinite(at)) return 'the event carries no time, so it cannot be placed in the replay window';
  const window = REPLAY_WINDOW_MS[vendor];
  if (at < now.getTime() - window || at > now.getTime() + CLOCK_SKEW_MS) {
    return `the event's time ${notice.occurredAt} is outside the replay window (${window / DAY} days back, ${CLOCK_SKEW_MS / 60_000} minutes ahead)`;
  }
  return undefined;
}

/** An event time from a body as ISO UTC: ISO 8601 (no offset is read as UTC, not the host's zone) or epoch seconds or milliseconds. */
function eventTime(value: unknown): string | undefined {
  let ms: number;
  if (typeof value === 'number' && Number.isFinite(value)) ms = value < 1e11 ? value * 1000 : value;
  else if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(value.trim())) {
    const text = value.trim();
    // Date.parse takes at most milliseconds reliably: cut longer fractions, and name UTC when no zone is given.
    const trimmed = text.replace(/(\.\d{3})\d+/, '$1');
    ms = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(trimmed) ? trimmed : `${trimmed}Z`);
  } else return undefined;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** Bob-Signature: base64 HMAC-SHA512 of the raw body with the webhook's secret. */
export function verifyHiBobSignature(secret: string, body: Buffer, signature: string | null): boolean {
  if (!signature) return false;
  return equalSecrets(signature.trim(), createHmac('sha512', secret).update(body).digest('base64'));
}

/** How far X-BambooHR-Timestamp may be from now, as for our own webhook. */
export const VENDOR_TIMESTAMP_TOLERANCE_SECONDS = 300;

/** X-BambooHR-Signature: hex HMAC-SHA256 of the raw body followed by the X-BambooHR-Timestamp value. */
export function verifyBambooHrSignature(secret: string, body: Buffer, signature: string | null, timestamp: string | null, now: Date): { ok: true } | { ok: false; reason: string } {
  if (!signature || !timestamp) return { ok: false, reason: 'X-BambooHR-Signature and X-BambooHR-Timestamp are required' };
  const expected = createHmac('sha256', secret).update(Buffer.concat([body, Buffer.from(timestamp, 'utf8')])).digest('hex');
  if (!equalSecrets(signature.trim().toLowerCase(), expected)) return { ok: false, reason: 'X-BambooHR-Signature does not match' };
  const seconds = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : Date.parse(timestamp) / 1000;
  if (!Number.isFinite(seconds) || Math.abs(now.getTime() / 1000 - seconds) > VENDOR_TIMESTAMP_TOLERANCE_SECONDS) {
    return { ok: false, reason: 'X-BambooHR-Timestamp is not within 5 minutes of now' };
  }
  return { ok: true };
}

const digest = (...parts: (Buffer | string)[]): string => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex').slice(0, 48);
};

function jsonOf(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const idText = (value: unknown): string | undefined =>
  (typeof value === 'string' && /^[A-Za-z0-9._:-]{1,64}$/.test(value)) || (typeof value === 'number' && Number.isInteger(value)) ? String(value) : undefined;

const HIBOB_EVENTS: Record<string, 'joined' | 'left'> = { 'employee.joined': 'joined', 'employee.left': 'left', 'employee.inactivated': 'left' };

/**
 * A Bob webhook v2 body: {companyId, type, triggeredBy, triggeredAt, version, data}. The employee's id in
 * `data.employeeId` is our reading of the lifecycle data object (the docs name it but show no example).
 * Bob sends no delivery id: a replay is the same body, whose triggeredAt makes each event's body unique.
 */
export function parseHiBobNotice(body: Buffer): VendorNotice {
  const text = body.toString('utf8').trim();
  if (text === 'Ping test' || text === '"Ping test"') return { kind: 'ping' };
  const event = jsonOf(body);
  if (!event) return { kind: 'invalid', reason: 'the body is not a JSON object' };
  if (event.text === 'Ping test') return { kind: 'ping' };
  if (typeof event.type !== 'string') return { kind: 'invalid', reason: 'type is required' };
  const mapped = HIBOB_EVENTS[event.type];
  if (!mapped) return { kind: 'ignored', type: event.type };
  const data = event.data as Record<string, unknown> | undefined;
  const vendorEmployeeId = idText(data?.employeeId);
  if (!vendorEmployeeId) return { kind: 'invalid', reason: 'data.employeeId is required' };
  const occurredAt = eventTime(event.triggeredAt);
  if (!occurredAt) return { kind: 'invalid', reason: 'triggeredAt is required (a date-time)' };
  return { kind: 'employee', type: event.type, event: mapped, vendorEmployeeId, deliveryId: `hibob:${digest(body)}`, occurredAt };
}

/**
 * A BambooHR event-based webhook body: {type, timestamp, data: {companyId, employeeId, changedFields}}.
 * It carries ids only, so whether it is a hire or a leave is read from the employee fetched afterwards.
 * The replay key is the body and the timestamp together.
 */
export function parseBambooHrNotice(body: Buffer, timestamp: string): VendorNotice {
  const event = jsonOf(body);
  if (!event) return { kind: 'invalid', reason: 'the body is not a JSON object' };
  if (typeof event.type !== 'string') return { kind: 'invalid', reason: 'type is required' };
  if (event.type !== 'employee.created' && event.type !== 'employee.updated') return { kind: 'ignored', type: event.type };
  const data = event.data as Record<string, unknown> | undefined;
  const vendorEmployeeId = idText(data?.employeeId);
  if (!vendorEmployeeId) return { kind: 'invalid', reason: 'data.employeeId is required' };
  return { kind: 'employee', type: event.type, event: 'changed', vendorEmployeeId, deliveryId: `bamboohr:${digest(body, '\u0000', timestamp)}` };
}

/** Personio v2 webhooks carry a static token in Authorization, as given when the subscription was made (with or without "Bearer "). */
export function verifyPersonioToken(token: string, authorization: string | null): boolean {
  if (!authorization) return false;
  const given = authorization.trim().replace(/^Bearer\s+/i, '');
  return equalSecrets(given, token);
}

const PERSONIO_EVENTS: Record<string, 'joined' | 'left' | 'changed'> = {
  'person.created': 'changed',
  'person.updated': 'changed',
  'employment.created': 'changed',
  'employment.updated': 'changed',
  'employment.started': 'joined',
  'employment.terminated': 'left',
};

/**
 * A Personio v2 webhook: {company_id, event_name, occurred_at, payload, meta} (developer.personio.de,
 * Webhooks). The events are dataless; the person's id is read from `payload.person_id`, or
 * `payload.person.id`, or for person events `payload.id`: our reading, the docs show no payload example.
 * No delivery id is documented, so a replay is the same body (occurred_at makes each event's unique).
 */
export function parsePersonioNotice(body: Buffer): VendorNotice {
  const event = jsonOf(body);
  if (!event) return { kind: 'invalid', reason: 'the body is not a JSON object' };
  if (typeof event.event_name !== 'string') return { kind: 'invalid', reason: 'event_name is required' };
  const mapped = PERSONIO_EVENTS[event.event_name];
  if (!mapped) return { kind: 'ignored', type: event.event_name };
  const payload = (event.payload ?? {}) as Record<string, unknown>;
  const person = payload.person as Record<string, unknown> | undefined;
  const vendorEmployeeId = idText(payload.person_id) ?? idText(person?.id) ?? (event.event_name.startsWith('person.') ? idText(payload.id) : undefined);
  if (!vendorEmployeeId) return { kind: 'invalid', reason: 'payload.person_id is required' };
  const occurredAt = eventTime(event.occurred_at);
  if (!occurredAt) return { kind: 'invalid', reason: 'occurred_at is required (a date-time)' };
  return { kind: 'employee', type: event.event_name, event: mapped, vendorEmployeeId, deliveryId: `personio:${digest(body)}`, occurredAt };
}

const SITE_CODE = /^[A-Za-z0-9_-]{1,16}$/;
const day = (value: string | undefined): string | undefined => (value && /^\d{4}-\d{2}-\d{2}/.test(value) && !value.startsWith('0000') ? value.slice(0, 10) : undefined);

/**
 * Our HR event for what the vendor said happened and what its API answers now; a reason when it is
 * nothing to act on. A "left" notice is a leaver only when the API confirms it (a termination date, or
 * an inactive status): the notice alone proves only that someone could sign or hold the token.
 */
export function hrEventFromVendor(notice: Extract<VendorNotice, { kind: 'employee' }>, employee: VendorEmployee, today: string): { event: HrEvent } | { ignored: string } {
  const number = employee.employeeNumber?.trim();
  const employeeId = number && EMPLOYEE_ID_PATTERN.test(number) ? number : employee.id;
  const person = {
    employeeId,
    ...(employee.email ? { userPrincipalName: employee.email } : {}),
    ...(employee.displayName ? { displayName: employee.displayName } : {}),
  };
  const terminationDate = day(employee.terminationDate);
  if (notice.event === 'left' && employee.active && terminationDate === undefined) {
    return { ignored: `${notice.type} for employee ${employee.id}, whom the vendor's API shows active with no termination date: not a leaver` };
  }
  const left = notice.event === 'left' || (notice.event === 'changed' && !employee.active && terminationDate !== undefined);
  const candidate = left
    ? { type: 'employee.terminated' as const, data: { ...person, terminationDate: terminationDate ?? today } }
    : employee.active && day(employee.hireDate)
      ? { type: 'employee.hired' as const, data: { ...person, hireDate: day(employee.hireDate), ...(employee.location && SITE_CODE.test(employee.location) ? { location: employee.location } : {}) } }
      : undefined;
  if (!candidate) return { ignored: `employee ${employee.id} is neither an active hire nor a leaver in the vendor's records` };
  const parsed = hrEventSchema.safeParse(candidate, { error: readableIssue });
  if (!parsed.success) return { ignored: `employee ${employee.id}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}` };
  return { event: parsed.data };
}

import crypto, { createHmac } from 'node:crypto';
import {
  DELIVERY_RETENTION_MS,
  REPLAY_WINDOW_MS,
  hrEventFromVendor,
  parseBambooHrNotice,
  parseHiBobNotice,
  parsePersonioNotice,
  replayRefusal,
  verifyBambooHrSignature,
  verifyHiBobSignature,
  verifyPersonioToken,
} from '../../shared/domain/vendorWebhooks';

const NOW = new Date('2026-01-31T18:42:00Z');
// BambooHR's documented event-based JSON example (documentation.bamboohr.com, Event-Based Webhooks).
const BAMBOO_EXAMPLE = '{"type":"employee.updated","timestamp":"2026-01-31T18:42:00+0000","data":{"companyId":"12345","employeeId":"67890","changedFields":["firstName"]}}';

describe('vendor webhook signatures', () => {
  it('HiBob: base64 HMAC-SHA512 of the raw body, compared in constant time', () => {
    const body = Buffer.from('{"type":"employee.joined","data":{"employeeId":"1"}}');
    const good = createHmac('sha512', 'bob-secret').update(body).digest('base64');
    expect(verifyHiBobSignature('bob-secret', body, good)).toBe(true);
    expect(verifyHiBobSignature('other', body, good)).toBe(false);
    expect(verifyHiBobSignature('bob-secret', Buffer.from(`${body.toString()} `), good)).toBe(false);
    expect(verifyHiBobSignature('bob-secret', body, createHmac('sha512', 'bob-secret').update(body).digest('hex'))).toBe(false);
    expect(verifyHiBobSignature('bob-secret', body, null)).toBe(false);
  });

  it('BambooHR: hex HMAC-SHA256 of the body followed by the timestamp, within 5 minutes', () => {
    const body = Buffer.from(BAMBOO_EXAMPLE);
    const ts = String(NOW.getTime() / 1000);
    const sign = (timestamp: string) => createHmac('sha256', 'bamboo-key').update(BAMBOO_EXAMPLE + timestamp).digest('hex');
    expect(verifyBambooHrSignature('bamboo-key', body, sign(ts), ts, NOW)).toEqual({ ok: true });
    expect(verifyBambooHrSignature('bamboo-key', body, sign(ts).toUpperCase(), ts, NOW)).toEqual({ ok: true });
    expect(verifyBambooHrSignature('bamboo-key', body, createHmac('sha256', 'bamboo-key').update(BAMBOO_EXAMPLE).digest('hex'), ts, NOW).ok).toBe(false);
    const old = String(NOW.getTime() / 1000 - 301);
    expect(verifyBambooHrSignature('bamboo-key', body, sign(old), old, NOW)).toEqual({ ok: false, reason: expect.stringMatching(/5 minutes/) });
    expect(verifyBambooHrSignature('bamboo-key', body, sign(ts), null, NOW).ok).toBe(false);
  });
});

describe('vendor notices', () => {
  it('HiBob: pings, lifecycle events we act on, others ignored; the replay key is the body', () => {
    expect(parseHiBobNotice(Buffer.from('Ping test'))).toEqual({ kind: 'ping' });
    expect(parseHiBobNotice(Buffer.from('{"text":"Ping test"}'))).toEqual({ kind: 'ping' });
    const joined = Buffer.from('{"companyId":1,"type":"employee.joined","triggeredBy":"system","triggeredAt":"2026-01-31T00:00:00Z","version":"v2","data":{"employeeId":"42"}}');
    expect(parseHiBobNotice(joined)).toMatchObject({ kind: 'employee', event: 'joined', vendorEmployeeId: '42' });
    expect(parseHiBobNotice(Buffer.from(joined.toString().replace('employee.joined', 'employee.inactivated')))).toMatchObject({ event: 'left' });
    expect(parseHiBobNotice(Buffer.from('{"type":"table.entry.created","data":{}}'))).toEqual({ kind: 'ignored', type: 'table.entry.created' });
    expect(parseHiBobNotice(Buffer.from('{"type":"employee.left","data":{}}'))).toEqual({ kind: 'invalid', reason: 'data.employeeId is required' });
    const a = parseHiBobNotice(joined);
    const b = parseHiBobNotice(Buffer.from(joined.toString().replace('00:00:00', '00:00:01')));
    expect(a.kind === 'employee' && b.kind === 'employee' && a.deliveryId !== b.deliveryId).toBe(true);
  });

  it('BambooHR: the documented example is an employee notice; the replay key covers body and timestamp', () => {
    const first = parseBambooHrNotice(Buffer.from(BAMBOO_EXAMPLE), '1769884920');
    expect(first).toMatchObject({ kind: 'employee', event: 'changed', vendorEmployeeId: '67890' });
    const later = parseBambooHrNotice(Buffer.from(BAMBOO_EXAMPLE), '1769884921');
    expect(first.kind === 'employee' && later.kind === 'employee' && first.deliveryId !== later.deliveryId).toBe(true);
    expect(parseBambooHrNotice(Buffer.from('{"type":"employee.deleted","data":{"employeeId":"1"}}'), '1')).toEqual({ kind: 'ignored', type: 'employee.deleted' });
  });

  it('maps the fetched employee onto our HR event, validated as the webhook body is', () => {
    const notice = { kind: 'employee' as const, type: 'employee.updated', event: 'changed' as const, vendorEmployeeId: '67890', deliveryId: 'bamboohr:x' };
    expect(hrEventFromVendor(notice, { id: '67890', employeeNumber: 'P2001', email: 'grace@contoso.com', hireDate: '2026-02-01', active: true, location: 'GVA' }, '2026-01-31')).toEqual({
      event: { type: 'employee.hired', data: { employeeId: 'P2001', userPrincipalName: 'grace@contoso.com', hireDate: '2026-02-01', location: 'GVA' } },
    });
    expect(hrEventFromVendor(notice, { id: '67890', hireDate: '2020-01-01', terminationDate: '2026-01-30', active: false }, '2026-01-31')).toEqual({
      event: { type: 'employee.terminated', data: { employeeId: '67890', terminationDate: '2026-01-30' } },
    });
    // BambooHR answers "0000-00-00" for a date never set.
    expect(hrEventFromVendor(notice, { id: '67890', hireDate: '0000-00-00', terminationDate: '0000-00-00', active: true }, '2026-01-31')).toHaveProperty('ignored');
    expect(hrEventFromVendor({ ...notice, event: 'left' }, { id: '5', active: false }, '2026-01-31')).toEqual({ event: { type: 'employee.terminated', data: { employeeId: '5', terminationDate: '2026-01-31' } } });
  });

  it('terminates on a "left" notice only when the API confirms it: a termination date, or an inactive status', () => {
    const left = { kind: 'employee' as const, type: 'employee.left', event: 'left' as const, vendorEmployeeId: '5', deliveryId: 'hibob:x' };
    // Active, no termination date: the notice is not confirmed, and it is not a hire either.
    expect(hrEventFromVendor(left, { id: '5', hireDate: '2020-01-01', active: true }, '2026-01-31')).toEqual({ ignored: expect.stringMatching(/active with no termination date/) });
    // A termination date, even ahead while still active: a leaver on that date.
    expect(hrEventFromVendor(left, { id: '5', hireDate: '2020-01-01', terminationDate: '2026-02-28', active: true }, '2026-01-31')).toEqual({
      event: { type: 'employee.terminated', data: { employeeId: '5', terminationDate: '2026-02-28' } },
    });
    expect(hrEventFromVendor(left, { id: '5', hireDate: '2020-01-01', terminationDate: '0000-00-00', active: true }, '2026-01-31')).toHaveProperty('ignored');
    expect(hrEventFromVendor(left, { id: '5', active: false }, '2026-01-31')).toHaveProperty('event.type', 'employee.terminated');
  });
});

describe('replay window', () => {
  const bob = (triggeredAt: unknown) =>
    parseHiBobNotice(Buffer.from(JSON.stringify({ companyId: 1, type: 'employee.left', triggeredBy: 'system', ...(triggeredAt === undefined ? {} : { triggeredAt }), version: 'v2', data: { employeeId: '42' } })));
  const personio = (occurred_at: unknown) => parsePersonioNotice(Buffer.from(JSON.stringify({ company_id: '1', event_name: 'employment.terminated', occurred_at, payload: { person_id: 77 }, meta: {} })));
  const DAY = 24 * 3600_000;

  it('reads the time of the event from the body: Bob\'s signed triggeredAt, Personio\'s occurred_at; without it the notice is invalid', () => {
    expect(bob('2026-01-31T18:00:00.123Z')).toMatchObject({ kind: 'employee', occurredAt: '2026-01-31T18:00:00.123Z' });
    // Without an offset: UTC, not the host's zone.
    expect(bob('2026-01-31T18:00:00.123456')).toMatchObject({ occurredAt: '2026-01-31T18:00:00.123Z' });
    expect(bob(undefined)).toEqual({ kind: 'invalid', reason: 'triggeredAt is required (a date-time)' });
    expect(bob('yesterday')).toEqual({ kind: 'invalid', reason: 'triggeredAt is required (a date-time)' });
    expect(personio('2026-01-31T18:00:00+01:00')).toMatchObject({ kind: 'employee', occurredAt: '2026-01-31T17:00:00.000Z' });
    expect(personio(undefined)).toEqual({ kind: 'invalid', reason: 'occurred_at is required (a date-time)' });
  });

  it('covers the vendor\'s retries plus a margin, and claim rows outlive every window', () => {
    // Bob retries for up to 3 days; Personio for 3 days (its changelog once said 6): a day of margin on top.
    expect(REPLAY_WINDOW_MS.hibob).toBe(4 * DAY);
    expect(REPLAY_WINDOW_MS.personio).toBe(7 * DAY);
    expect(DELIVERY_RETENTION_MS).toBeGreaterThan(Math.max(...Object.values(REPLAY_WINDOW_MS)) + 5 * 60_000);
    const at = (iso: string) => ({ kind: 'employee' as const, type: 'employee.left', event: 'left' as const, vendorEmployeeId: '42', deliveryId: 'hibob:x', occurredAt: iso });
    expect(replayRefusal('hibob', at('2026-01-28T18:42:01Z'), NOW)).toBeUndefined();
    expect(replayRefusal('hibob', at('2026-01-27T18:41:59Z'), NOW)).toMatch(/replay window/);
    expect(replayRefusal('hibob', at('2026-01-31T18:46:59Z'), NOW)).toBeUndefined();
    expect(replayRefusal('hibob', at('2026-01-31T18:47:01Z'), NOW)).toMatch(/replay window/);
    expect(replayRefusal('personio', at('2026-01-25T18:42:00Z'), NOW)).toBeUndefined();
    expect(replayRefusal('personio', at('2026-01-24T18:41:00Z'), NOW)).toMatch(/replay window/);
  });
});

describe('secret comparison', () => {
  afterEach(() => jest.restoreAllMocks());

  it('compares static tokens and signatures in constant time: timingSafeEqual on equal-length digests, whatever length was given', () => {
    const compare = jest.spyOn(crypto, 'timingSafeEqual');
    expect(verifyPersonioToken('tok-123', 'x')).toBe(false);
    expect(verifyPersonioToken('tok-123', `Bearer tok-123${'9'.repeat(500)}`)).toBe(false);
    expect(verifyPersonioToken('tok-123', 'tok-123')).toBe(true);
    expect(verifyHiBobSignature('bob-secret', Buffer.from('{}'), 'short')).toBe(false);
    expect(compare).toHaveBeenCalledTimes(4);
    for (const [a, b] of compare.mock.calls) expect([(a as Buffer).length, (b as Buffer).length]).toEqual([32, 32]);
  });
});

describe('vendor settings', () => {
  const base = { KEY_VAULT_URL: 'https://kv.vault.azure.net', HR_WEBHOOK_SECRETS: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', ADMIN_AUTH_ISSUER: 'https://login.microsoftonline.com/t/v2.0', ADMIN_AUTH_AUDIENCE: 'api', AzureWebJobsStorage: 'UseDevelopmentStorage=true' };
  it('a vendor is off until its webhook secret is named, and then needs what fetching employees takes', async () => {
    const { parseConfig } = await import('../../shared/app/config');
    expect(parseConfig(base).hrVendors).toEqual({});
    expect(() => parseConfig({ ...base, HIBOB_WEBHOOK_SECRET_NAME: 'hibob-webhook-secret' })).toThrow('Setting HIBOB_SERVICE_USER_ID: missing; it is required with HIBOB_WEBHOOK_SECRET_NAME');
    expect(() => parseConfig({ ...base, BAMBOOHR_WEBHOOK_SECRET_NAME: 'bad name!' })).toThrow(/^Setting BAMBOOHR_WEBHOOK_SECRET_NAME: must be a Key Vault secret name/);
    expect(parseConfig({ ...base, BAMBOOHR_WEBHOOK_SECRET_NAME: 'b', BAMBOOHR_API_URL: 'https://contoso.bamboohr.com/', BAMBOOHR_API_KEY_SECRET_NAME: 'k' }).hrVendors.bamboohr).toEqual({
      webhookSecretName: 'b',
      apiUrl: 'https://contoso.bamboohr.com',
      apiKeySecretName: 'k',
    });
  });
});

describe('Personio', () => {
  it('checks the static Authorization token in constant time, with or without "Bearer "', async () => {
    const { verifyPersonioToken, parsePersonioNotice } = await import('../../shared/domain/vendorWebhooks');
    expect(verifyPersonioToken('tok-123', 'tok-123')).toBe(true);
    expect(verifyPersonioToken('tok-123', 'Bearer tok-123')).toBe(true);
    expect(verifyPersonioToken('tok-123', 'tok-124')).toBe(false);
    expect(verifyPersonioToken('tok-123', null)).toBe(false);
    // The documented envelope: company_id, event_name, occurred_at, payload, meta.
    const envelope = (event_name: string, payload: object) => Buffer.from(JSON.stringify({ company_id: '1', event_name, occurred_at: '2026-01-31T00:00:00Z', payload, meta: {} }));
    expect(parsePersonioNotice(envelope('employment.started', { id: 'e1', person_id: 77 }))).toMatchObject({ kind: 'employee', event: 'joined', vendorEmployeeId: '77' });
    expect(parsePersonioNotice(envelope('employment.terminated', { person: { id: '77' } }))).toMatchObject({ event: 'left', vendorEmployeeId: '77' });
    expect(parsePersonioNotice(envelope('person.updated', { id: '77' }))).toMatchObject({ event: 'changed', vendorEmployeeId: '77' });
    expect(parsePersonioNotice(envelope('employment.updated', { id: 'e1' }))).toEqual({ kind: 'invalid', reason: 'payload.person_id is required' });
    expect(parsePersonioNotice(envelope('absence-period.created', {}))).toEqual({ kind: 'ignored', type: 'absence-period.created' });
  });
});

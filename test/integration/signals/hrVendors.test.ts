import { randomBytes } from 'node:crypto';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { BOB_TIME_FORMATS, bobWebhookBody, putVendorEmployee, signBambooHr, signHiBob, startHrVendorEmulator, type HrVendorEmulator } from '../../../dev/hrVendors/server';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { eventually, importTokens, JOINER_HOST_JSON, joinerReaches, provisioningOf, sendEvent, sendHire } from '../../support/hr';

const today = () => new Date().toISOString().slice(0, 10);
const secret = () => randomBytes(24).toString('base64url');

/**
 * HiBob and BambooHR webhooks end exactly as our own webhook does. Bodies follow the vendors' docs:
 * Bob's v2 envelope {companyId, type, triggeredBy, triggeredAt, version, data} (the employee id in
 * data.employeeId is our reading: the docs show no example); BambooHR's event-based example
 * {type, timestamp, data: {companyId, employeeId, changedFields}}.
 */
describe('HR vendors: POST /api/hr/events/{vendor}', () => {
  let app: TestApp;
  let hibob: HrVendorEmulator;
  let bamboo: HrVendorEmulator;
  let personio: HrVendorEmulator;
  const secrets = { hibobWebhook: secret(), hibobToken: secret(), bambooWebhook: secret(), bambooKey: secret(), personioToken: secret(), personioClientSecret: secret() };

  const tokenOf = async (employeeId: string) => ((await jsonOf(await app.call('GET', `tokens?user=${employeeId}`, { roles: ['Tokens.Read'] }))).tokens as { status: string }[])[0];
  const leaverDone = (employeeId: string) => eventually(`the leaver of ${employeeId}`, async () => ((await provisioningOf(app, employeeId))?.leaver?.status === 'completed' ? true : undefined));

  const postBob = (body: string, signature = signHiBob(secrets.hibobWebhook, body)) =>
    fetch(`${app.api}/hr/events/hibob`, { method: 'POST', headers: { 'content-type': 'application/json', 'bob-signature': signature }, body });
  const bobEvent = (type: string, employeeId: string, triggeredAt = new Date()) => bobWebhookBody(type, employeeId, triggeredAt);

  const postBamboo = (body: string, timestamp = String(Math.floor(Date.now() / 1000)), signature = signBambooHr(secrets.bambooWebhook, body, timestamp)) =>
    fetch(`${app.api}/hr/events/bamboohr`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-bamboohr-signature': signature, 'x-bamboohr-timestamp': timestamp }, body });
  const bambooEvent = (type: string, employeeId: string, changedFields: string[]) =>
    JSON.stringify({ type, timestamp: new Date().toISOString().replace('Z', '+0000'), data: { companyId: '12345', employeeId, changedFields } });

  const postPersonio = (body: string, authorization = secrets.personioToken) =>
    fetch(`${app.api}/hr/events/personio`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
  /** Personio's documented envelope; the payload's person_id is our reading (the docs show no payload example). */
  const personioEvent = (eventName: string, personId: string, occurredAt = new Date()) =>
    JSON.stringify({ company_id: '4711', event_name: eventName, occurred_at: occurredAt.toISOString(), payload: { id: `emp-${personId}`, person_id: personId }, meta: {} });
  const daysAgo = (days: number) => new Date(Date.now() - days * 24 * 3600_000);
  /** A person holding an active token through our own webhook, for the refusals below to leave alone. */
  const activeHolder = async (employeeId: string, upn: string, serial: string) => {
    await importTokens(app, [{ serial }]);
    await app.graph.seedUsers([{ displayName: upn, userPrincipalName: upn, employeeId }]);
    await sendHire(app, { employeeId, userPrincipalName: upn, hireDate: today() });
    await joinerReaches(app, employeeId, ['completed']);
    expect(await tokenOf(employeeId)).toMatchObject({ status: 'active' });
  };
  const untouched = async (employeeId: string) => {
    expect(await tokenOf(employeeId)).toMatchObject({ status: 'active' });
    expect((await provisioningOf(app, employeeId))?.leaver ?? null).toBeNull();
  };

  beforeAll(async () => {
    const { ensureDevCa } = await import('../../../dev/tls');
    const ca = ensureDevCa();
    hibob = await startHrVendorEmulator({ kind: 'hibob', ca, user: 'SERVICE-USER-1', password: secrets.hibobToken });
    bamboo = await startHrVendorEmulator({ kind: 'bamboohr', ca, user: secrets.bambooKey, password: 'x' });
    personio = await startHrVendorEmulator({ kind: 'personio', ca, user: 'papi-client-1', password: secrets.personioClientSecret });
    app = await startTestApp({
      hostJsonPath: JOINER_HOST_JSON,
      settings: {
        HIBOB_WEBHOOK_SECRET_NAME: 'hibob-webhook-secret',
        HIBOB_API_URL: hibob.url,
        HIBOB_SERVICE_USER_ID: 'SERVICE-USER-1',
        HIBOB_API_TOKEN_SECRET_NAME: 'hibob-api-token',
        BAMBOOHR_WEBHOOK_SECRET_NAME: 'bamboohr-webhook-secret',
        BAMBOOHR_API_URL: bamboo.url,
        BAMBOOHR_API_KEY_SECRET_NAME: 'bamboohr-api-key',
        PERSONIO_WEBHOOK_TOKEN_SECRET_NAME: 'personio-webhook-token',
        PERSONIO_API_URL: personio.url,
        PERSONIO_CLIENT_ID: 'papi-client-1',
        PERSONIO_CLIENT_SECRET_NAME: 'personio-client-secret',
      },
    });
    const settings = app.stack.appSettings;
    const vault = new SecretClient(
      settings.KEY_VAULT_URL ?? '',
      new ClientSecretCredential(settings.AZURE_TENANT_ID ?? '', settings.AZURE_CLIENT_ID ?? '', settings.AZURE_CLIENT_SECRET ?? '', { authorityHost: settings.AZURE_AUTHORITY_HOST ?? '', disableInstanceDiscovery: true }),
      { disableChallengeResourceVerification: true },
    );
    await vault.setSecret('hibob-webhook-secret', secrets.hibobWebhook);
    await vault.setSecret('hibob-api-token', secrets.hibobToken);
    await vault.setSecret('bamboohr-webhook-secret', secrets.bambooWebhook);
    await vault.setSecret('bamboohr-api-key', secrets.bambooKey);
    await vault.setSecret('personio-webhook-token', secrets.personioToken);
    await vault.setSecret('personio-client-secret', secrets.personioClientSecret);
    await importTokens(app, [{ serial: 'HV-01' }, { serial: 'HV-02' }, { serial: 'HV-03' }, { serial: 'HV-04' }]);
    await app.graph.seedUsers([
      { displayName: 'Ada Lovelace', userPrincipalName: 'ada@contoso.com', employeeId: 'B1001' },
      { displayName: 'Grace Hopper', userPrincipalName: 'grace@contoso.com', employeeId: 'P2001' },
      { displayName: 'Alan Turing', userPrincipalName: 'alan@contoso.com', employeeId: 'W3001' },
      { displayName: 'Katherine Johnson', userPrincipalName: 'kate@contoso.com', employeeId: '1234567' },
    ]);
  });
  afterAll(async () => {
    await app?.close();
    await hibob?.close();
    await bamboo?.close();
    await personio?.close();
  });

  it('our own webhook, for comparison: a hire ends active, a termination revoked', async () => {
    await sendHire(app, { employeeId: 'W3001', userPrincipalName: 'alan@contoso.com', hireDate: today() });
    await joinerReaches(app, 'W3001', ['completed']);
    await sendEvent(app, 'employee.terminated', { employeeId: 'W3001', terminationDate: today() });
    await leaverDone('W3001');
    expect(await tokenOf('W3001')).toMatchObject({ status: 'revoked' });
  });

  it('HiBob: the setup ping is answered 200; employee.joined provisions, employee.left revokes; a replay is a duplicate', async () => {
    expect((await postBob('Ping test')).status).toBe(200);
    expect((await postBob(JSON.stringify({ text: 'Ping test' }))).status).toBe(200);

    await putVendorEmployee(hibob.url, { id: '3332883884017713238', employeeNumber: 'B1001', email: 'ada@contoso.com', displayName: 'Ada Lovelace', hireDate: today(), status: 'Active' });
    const joined = bobEvent('employee.joined', '3332883884017713238');
    const accepted = await postBob(joined);
    expect(accepted.status).toBe(202);
    const { eventId } = (await accepted.json()) as { eventId: string };
    expect(eventId).toMatch(/^hibob:[0-9a-f]{48}$/);
    expect(await jsonOf(await postBob(joined))).toEqual({ eventId, status: 'duplicate' });
    await joinerReaches(app, 'B1001', ['completed']);
    expect(await tokenOf('B1001')).toMatchObject({ status: 'active' });
    expect(hibob.requests).toContain('people.search');

    await putVendorEmployee(hibob.url, { id: '3332883884017713238', employeeNumber: 'B1001', email: 'ada@contoso.com', hireDate: today(), terminationDate: today(), status: 'Inactive' });
    expect((await postBob(bobEvent('employee.left', '3332883884017713238'))).status).toBe(202);
    await leaverDone('B1001');
    expect(await tokenOf('B1001')).toMatchObject({ status: 'revoked' });
    expect((await provisioningOf(app, 'B1001'))?.joiner?.eventIds).toEqual([eventId]);
  });

  it('HiBob: a bad signature is 401 and queues nothing; event types we do not act on are 200', async () => {
    const body = bobEvent('employee.joined', '999');
    expect((await postBob(body, signHiBob('not-the-secret', body))).status).toBe(401);
    expect((await postBob(body, '')).status).toBe(401);
    const tampered = await postBob(body.replace('999', '998'), signHiBob(secrets.hibobWebhook, body));
    expect(tampered.status).toBe(401);
    expect(tampered.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await jsonOf(await postBob(bobEvent('employee.updated', '999')))).toEqual({ status: 'ignored', type: 'employee.updated' });
  });

  it('BambooHR: events carry ids only; the employee fetched says hire or leave; a replay is a duplicate', async () => {
    await putVendorEmployee(bamboo.url, { id: '67890', employeeNumber: 'P2001', email: 'grace@contoso.com', displayName: 'Grace Hopper', hireDate: today(), status: 'Active' });
    const created = bambooEvent('employee.created', '67890', []);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const accepted = await postBamboo(created, timestamp);
    expect(accepted.status).toBe(202);
    const { eventId } = (await accepted.json()) as { eventId: string };
    expect(await jsonOf(await postBamboo(created, timestamp))).toEqual({ eventId, status: 'duplicate' });
    await joinerReaches(app, 'P2001', ['completed']);
    expect(await tokenOf('P2001')).toMatchObject({ status: 'active' });
    expect(bamboo.requests).toContain('employees.get');

    await putVendorEmployee(bamboo.url, { id: '67890', employeeNumber: 'P2001', email: 'grace@contoso.com', hireDate: today(), terminationDate: today(), status: 'Inactive' });
    expect((await postBamboo(bambooEvent('employee.updated', '67890', ['status', 'terminationDate']))).status).toBe(202);
    await leaverDone('P2001');
    expect(await tokenOf('P2001')).toMatchObject({ status: 'revoked' });
  });

  it('BambooHR: a bad signature or an old timestamp is 401; employee.deleted is 200 and ignored', async () => {
    const body = bambooEvent('employee.updated', '67890', ['firstName']);
    const timestamp = String(Math.floor(Date.now() / 1000));
    expect((await postBamboo(body, timestamp, signBambooHr('not-the-secret', body, timestamp))).status).toBe(401);
    // Signed over the body alone, without the timestamp: refused.
    expect((await postBamboo(body, timestamp, signBambooHr(secrets.bambooWebhook, body, ''))).status).toBe(401);
    const old = String(Math.floor(Date.now() / 1000) - 3600);
    expect((await postBamboo(body, old)).status).toBe(401);
    expect(await jsonOf(await postBamboo(bambooEvent('employee.deleted', '67890', [])))).toEqual({ status: 'ignored', type: 'employee.deleted' });
  });

  it('Personio: employment.started provisions and employment.terminated revokes, after fetching the person; a replay is a duplicate', async () => {
    await putVendorEmployee(personio.url, { id: '1234567', email: 'kate@contoso.com', displayName: 'Katherine Johnson', hireDate: today(), status: 'Active' });
    const started = personioEvent('employment.started', '1234567');
    const accepted = await postPersonio(started);
    expect(accepted.status).toBe(202);
    const { eventId } = (await accepted.json()) as { eventId: string };
    expect(await jsonOf(await postPersonio(started, `Bearer ${secrets.personioToken}`))).toEqual({ eventId, status: 'duplicate' });
    await joinerReaches(app, '1234567', ['completed']);
    expect(await tokenOf('1234567')).toMatchObject({ status: 'active' });
    expect(personio.requests).toEqual(expect.arrayContaining(['persons.get', 'employments.list']));

    await putVendorEmployee(personio.url, { id: '1234567', email: 'kate@contoso.com', hireDate: today(), terminationDate: today(), status: 'Inactive' });
    expect((await postPersonio(personioEvent('employment.terminated', '1234567'))).status).toBe(202);
    await leaverDone('1234567');
    expect(await tokenOf('1234567')).toMatchObject({ status: 'revoked' });
  });

  it('Personio: a wrong or missing Authorization token is 401; other events are 200 and ignored', async () => {
    const body = personioEvent('employment.started', '1234567');
    expect((await postPersonio(body, 'not-the-token')).status).toBe(401);
    expect((await fetch(`${app.api}/hr/events/personio`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status).toBe(401);
    expect(await jsonOf(await postPersonio(personioEvent('absence-period.created', '1234567')))).toEqual({ status: 'ignored', type: 'absence-period.created' });
  });

  it('a "left" or "terminated" notice terminates nothing while the vendor\'s API shows the person active with no termination date', async () => {
    await activeHolder('B1101', 'joan@contoso.com', 'HV-11');
    await putVendorEmployee(hibob.url, { id: '4001', employeeNumber: 'B1101', email: 'joan@contoso.com', hireDate: '2020-01-01', status: 'Active' });
    for (const type of ['employee.left', 'employee.inactivated']) {
      for (const format of BOB_TIME_FORMATS) {
        const answer = await postBob(bobWebhookBody(type, '4001', new Date(), format));
        expect(answer.status).toBe(200);
        expect(await jsonOf(answer)).toEqual({ status: 'ignored', reason: expect.stringMatching(/active with no termination date/) });
      }
    }
    await untouched('B1101');

    await activeHolder('1101', 'hedy@contoso.com', 'HV-12');
    await putVendorEmployee(personio.url, { id: '1101', email: 'hedy@contoso.com', hireDate: '2020-01-01', status: 'Active' });
    const answer = await postPersonio(personioEvent('employment.terminated', '1101'));
    expect(answer.status).toBe(200);
    expect(await jsonOf(answer)).toEqual({ status: 'ignored', reason: expect.stringMatching(/active with no termination date/) });
    await untouched('1101');
  });

  it('a delivery outside the replay window is 401 and queues nothing, however well it is signed and whatever the API says', async () => {
    await activeHolder('B1201', 'ida@contoso.com', 'HV-13');
    await putVendorEmployee(hibob.url, { id: '4002', employeeNumber: 'B1201', email: 'ida@contoso.com', hireDate: '2020-01-01', terminationDate: today(), status: 'Inactive' });
    // Bob retries for 3 days: a body of a week ago (claim rows of it long purged) is a replay, however Bob writes its time.
    for (const format of BOB_TIME_FORMATS) {
      const old = await postBob(bobWebhookBody('employee.left', '4002', daysAgo(7), format));
      expect(old.status).toBe(401);
      expect(old.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect((await jsonOf(old)).detail).toMatch(/replay window/);
    }
    const fromTheFuture = await postBob(bobEvent('employee.left', '4002', new Date(Date.now() + 3600_000)));
    expect(fromTheFuture.status).toBe(401);
    const undated = JSON.stringify({ companyId: 640812, type: 'employee.left', triggeredBy: 'system', version: 'v2', data: { employeeId: '4002' } });
    expect((await postBob(undated)).status).toBe(400);
    await untouched('B1201');

    await activeHolder('1201', 'lise@contoso.com', 'HV-14');
    await putVendorEmployee(personio.url, { id: '1201', email: 'lise@contoso.com', hireDate: '2020-01-01', terminationDate: today(), status: 'Inactive' });
    expect((await postPersonio(personioEvent('employment.terminated', '1201', daysAgo(9)))).status).toBe(401);
    await untouched('1201');

    // Within the window (Bob still retrying two days later), the same body is acted on once, then a duplicate.
    const retried = bobEvent('employee.left', '4002', daysAgo(2));
    expect((await postBob(retried)).status).toBe(202);
    expect(await jsonOf(await postBob(retried))).toMatchObject({ status: 'duplicate' });
    await leaverDone('B1201');
  });

  it('Personio: a wrong token of any length is answered exactly as a missing one', async () => {
    const body = personioEvent('employment.started', '1234567');
    const answers = await Promise.all([
      fetch(`${app.api}/hr/events/personio`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
      postPersonio(body, 'x'),
      postPersonio(body, `${secrets.personioToken.slice(0, -1)}x`),
      postPersonio(body, secrets.personioToken.slice(0, -1)),
      postPersonio(body, `${secrets.personioToken}x`),
      postPersonio(body, `Bearer ${secrets.personioToken.toUpperCase()}`),
    ]);
    const seen = await Promise.all(answers.map(async (answer) => ({ status: answer.status, type: answer.headers.get('content-type'), body: await answer.text() })));
    expect(seen[0]?.status).toBe(401);
    for (const other of seen.slice(1)) expect(other).toEqual(seen[0]);
  });

  it('a vendor that is not configured is 404', async () => {
    const answer = await fetch(`${app.api}/hr/events/workday`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(answer.status).toBe(404);
  });
});

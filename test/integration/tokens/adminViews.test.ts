import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { importTokens, JOINER_HOST_JSON, joinerReaches, sendHire } from '../../support/hr';

/** What the admin console reads and the retry it offers: GET /api/provisioning, POST .../retry and GET /api/audit. */
describe('provisioning listing, retry and the audit trail', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON });
    await app.graph.seedUsers([{ displayName: 'Grace Hopper', userPrincipalName: 'grace@contoso.com', employeeId: 'E2001' }]);
  }, 60_000);
  afterAll(() => app?.close());

  it('lists a failed hire with its reason, retries it through hr-events once stock exists, and records both in the audit trail', async () => {
    // No token in stock: the hire fails visibly.
    expect((await sendHire(app, { employeeId: 'E2001', userPrincipalName: 'grace@contoso.com', hireDate: new Date().toISOString().slice(0, 10) })).status).toBe(202);
    const failed = await joinerReaches(app, 'E2001', ['failed']);
    expect(failed.reason).toBeTruthy();

    const listed = await app.call('GET', 'provisioning?status=failed', { roles: ['Tokens.Read'] });
    expect(listed.status).toBe(200);
    const body = await jsonOf(listed);
    expect(body.records).toEqual([expect.objectContaining({ employeeId: 'E2001', kind: 'joiner', status: 'failed', reason: failed.reason })]);
    expect(body.continuationToken).toBeNull();
    expect((await jsonOf(await app.call('GET', 'provisioning?kind=leaver', { roles: ['Tokens.Read'] }))).records).toEqual([]);
    expect((await app.call('GET', 'provisioning?status=nonsense', { roles: ['Tokens.Read'] })).status).toBe(400);
    expect((await app.call('GET', 'provisioning?continuationToken=bm9wZQ', { roles: ['Tokens.Read'] })).status).toBe(400);

    // A reader may look, not retry; the API says so whatever the page shows.
    expect((await app.call('POST', 'provisioning/E2001/retry', { roles: ['Tokens.Read'] })).status).toBe(403);
    await importTokens(app, [{ serial: `RT-${Date.now()}` }]);
    const retried = await app.call('POST', 'provisioning/E2001/retry');
    expect(retried.status).toBe(202);
    const answer = await jsonOf(retried);
    expect(answer).toMatchObject({ employeeId: 'E2001', kind: 'joiner', status: 'queued' });
    expect(answer.eventId).toMatch(/^retry:/);
    const completed = await joinerReaches(app, 'E2001', ['completed']);
    expect(completed.serialNumber).toBeTruthy();

    // Nothing failed any more, and nobody by that id.
    expect((await app.call('POST', 'provisioning/E2001/retry')).status).toBe(409);
    expect((await app.call('POST', 'provisioning/E9999/retry')).status).toBe(404);
    expect((await app.call('POST', 'provisioning/not%20an%20id/retry')).status).toBe(400);

    const byPerson = await jsonOf(await app.call('GET', 'audit?user=E2001', { roles: ['Tokens.Read'] }));
    expect(byPerson.entries.map((e: { action: string }) => e.action)).toContain('retry');
    const retryEntry = byPerson.entries.find((e: { action: string }) => e.action === 'retry');
    expect(retryEntry).toMatchObject({ actor: expect.stringContaining('admin-oid-1'), outcome: 'succeeded', employeeId: 'E2001' });
    // The caller's name kept with the entry comes back with it, the id beside it.
    expect(retryEntry.caller).toMatchObject({ oid: 'admin-oid-1', name: 'admin@contoso.com' });
    const bySerial = await jsonOf(await app.call('GET', `audit?serial=${completed.serialNumber}`, { roles: ['Tokens.Read'] }));
    expect(bySerial.entries.length).toBeGreaterThan(0);
    expect(bySerial.entries.every((e: { serialNumber?: string }) => e.serialNumber === completed.serialNumber)).toBe(true);
    // Oldest first.
    const times = bySerial.entries.map((e: { at: string }) => e.at);
    expect([...times].sort()).toEqual(times);
    expect((await jsonOf(await app.call('GET', `audit?serial=${completed.serialNumber}&since=2999-01-01`, { roles: ['Tokens.Read'] }))).entries).toEqual([]);
  }, 120_000);

  it('refuses audit queries it cannot answer with 400, and anonymous callers with 401', async () => {
    expect((await app.call('GET', 'audit', { roles: ['Tokens.Read'] })).status).toBe(400);
    expect((await app.call('GET', 'audit?serial=bad%20serial', { roles: ['Tokens.Read'] })).status).toBe(400);
    expect((await app.call('GET', 'audit?user=E2001&since=yesterday', { roles: ['Tokens.Read'] })).status).toBe(400);
    expect((await app.call('GET', 'audit?user=E2001&continuationToken=bm9wZQ', { roles: ['Tokens.Read'] })).status).toBe(400);
    expect((await fetch(`${app.api}/audit?user=E2001`)).status).toBe(401);
  });
});

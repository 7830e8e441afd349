import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { importTokens, JOINER_HOST_JSON, joinerReaches, sendHire } from '../../support/hr';
import { reconcile } from '../reconcile/helpers';

/**
 * People by name, ids a click away: a holder is named as Entra shows them (HR's name only when Entra has
 * none), an admin by the name their token carries, while every key and the audit stay object ids.
 */
describe('names: holders as Entra names them, admins by their own name', () => {
  let app: TestApp;
  const ADMIN = 'admin-oid-names';
  const act = (route: string, body?: unknown) => app.call('POST', route, { subject: ADMIN, ...(body ? { body: JSON.stringify(body), contentType: 'application/json' } : {}) });
  const token = async (serial: string) => jsonOf(await app.call('GET', `tokens/${serial}`, { roles: ['Tokens.Read'] }));

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON });
    await app.graph.seedUsers([{ displayName: 'Noor Haddad', userPrincipalName: 'noor@contoso.com', employeeId: 'E4101' }]);
    await importTokens(app, [{ serial: 'NM-0001' }]);
  }, 60_000);
  afterAll(() => app?.close());

  it('keeps the holder\'s name from Entra on the token and the hire, over the name HR sent', async () => {
    expect((await sendHire(app, { employeeId: 'E4101', userPrincipalName: 'noor@contoso.com', displayName: 'N. Haddad (HR)', hireDate: new Date().toISOString().slice(0, 10) })).status).toBe(202);
    expect(await joinerReaches(app, 'E4101', ['completed'])).toMatchObject({ serialNumber: 'NM-0001' });
    const held = await token('NM-0001');
    expect(held).toMatchObject({ status: 'active', displayName: 'Noor Haddad', userPrincipalName: 'noor@contoso.com', employeeId: 'E4101' });
    expect(held.lastChangeReason).toMatch(/^activated for Noor Haddad \(noor@contoso\.com\) \(hire of E4101, /);
    const work = await jsonOf(await app.call('GET', 'provisioning/E4101', { roles: ['Tokens.Read'] }));
    expect(work.joiner).toMatchObject({ status: 'completed', displayName: 'Noor Haddad' });
  }, 120_000);

  it('names the admin in a token\'s last change, and keeps the admin\'s object id in the audit', async () => {
    expect((await act('users/noor@contoso.com/token/suspend')).status).toBe(200);
    const suspended = await token('NM-0001');
    expect(suspended.lastChangeReason).toBe('suspended (by admin@contoso.com)');
    const audit = await jsonOf(await app.call('GET', 'audit?serial=NM-0001&action=token.suspended', { roles: ['Tokens.Read'] }));
    expect(audit.entries).toEqual([expect.objectContaining({ actor: `admin ${ADMIN}`, caller: expect.objectContaining({ oid: ADMIN, name: 'admin@contoso.com' }) })]);

    const exported = await (await app.call('GET', 'audit/export?serial=NM-0001', { roles: ['Tokens.Read'] })).text();
    const [header, ...rows] = exported.trim().split('\r\n').map((line) => line.split(','));
    const suspendedRow = rows.find((row) => row[header!.indexOf('action')] === 'token.suspended');
    expect(suspendedRow?.[header!.indexOf('actor')]).toBe(`admin ${ADMIN}`);
    expect(suspendedRow?.[header!.indexOf('callerName')]).toBe('admin@contoso.com');
  }, 60_000);

  it('lists the holder\'s name in the inventory export, and forgets it once the token is back in stock', async () => {
    const exported = (await (await app.call('GET', 'tokens/export?user=E4101', { roles: ['Tokens.Read'] })).text()).trim().split('\r\n').map((line) => line.split(','));
    const [header, row] = exported;
    expect(row?.[header!.indexOf('displayName')]).toBe('Noor Haddad');

    expect((await act('tokens/NM-0001/revoke', { reason: 'returned' })).status).toBe(200);
    const back = await token('NM-0001');
    expect(back).toMatchObject({ status: 'in_stock', displayName: null, userPrincipalName: null });
    expect(back.lastChangeReason).toBe('returned to stock from Noor Haddad (noor@contoso.com): returned (by admin@contoso.com)');
  }, 60_000);

  it('keeps the name of the admin who asked for a reconciliation run beside the actor', async () => {
    const report = await reconcile(app, 'report');
    expect(report).toMatchObject({ requestedBy: 'admin admin-oid-1', requestedByName: 'admin@contoso.com' });
  }, 120_000);
});

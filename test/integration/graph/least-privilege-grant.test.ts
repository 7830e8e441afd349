import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { importTokens, JOINER_HOST_JSON, joinerReaches, sendHire } from '../../support/hr';
import { grantedGraphPermissions, mainDeployment } from '../../infra/sample-deployment';

/**
 * The app deployed with the grant infra/ gives when no optional feature is on (hardware OATH methods
 * through UserAuthMethod-HardwareOATH.ReadWrite.All, no UserAuthenticationMethod.ReadWrite.All, no
 * Lifecycle Workflows, no mail): import, hire, suspend and revoke work against the Graph emulator, which
 * refuses any call without its documented permission, and a replacement asking for a pass is refused.
 */
describe('the least privileged Graph grant is enough for the token lifecycle', () => {
  let app: TestApp;
  const grant = grantedGraphPermissions(mainDeployment());

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON, graphRoles: grant, settings: { TEMPORARY_ACCESS_PASS: 'off' } });
    await app.graph.seedUsers([{ displayName: 'Nina Narrow', userPrincipalName: 'nina@contoso.com', employeeId: 'E5001' }]);
    await importTokens(app, [{ serial: 'NG-1' }, { serial: 'NG-2' }]);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('hires, suspends and revokes with no Graph call refused', async () => {
    expect(grant).toContain('UserAuthMethod-HardwareOATH.ReadWrite.All');
    expect(grant).not.toContain('UserAuthenticationMethod.ReadWrite.All');
    await sendHire(app, { employeeId: 'E5001', userPrincipalName: 'nina@contoso.com' });
    const joiner = await joinerReaches(app, 'E5001', ['completed', 'failed']);
    expect(joiner.status).toBe('completed');
    expect((await app.graph.state({ serial: joiner.serialNumber! })).matches?.devices[0]).toMatchObject({ status: 'activated' });

    expect((await app.call('POST', 'users/nina@contoso.com/token/suspend')).status).toBe(200);
    expect((await app.graph.state({ serial: joiner.serialNumber! })).matches?.devices[0]).toMatchObject({ status: 'assigned' });

    const refusedPass = await app.call('POST', 'users/nina@contoso.com/token/replace', { body: JSON.stringify({ reason: 'lost', temporaryAccessPass: true }), contentType: 'application/json' });
    expect(refusedPass.status).toBe(409);
    expect((await jsonOf(refusedPass)).detail).toContain('TEMPORARY_ACCESS_PASS');

    const revoked = await app.call('POST', 'users/nina@contoso.com/token/revoke', { body: JSON.stringify({ reason: 'lost' }), contentType: 'application/json' });
    expect(revoked.status).toBe(200);
    expect((await app.graph.state({ serial: joiner.serialNumber! })).matches?.devices).toEqual([]);
    // Every call the app made carried its documented permission.
    expect((await app.graph.stats()).statuses['403']).toBeUndefined();
  });
});

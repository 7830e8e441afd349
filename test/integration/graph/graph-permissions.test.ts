import { ClientSecretCredential } from '@azure/identity';
import { GRAPH_CALL_PERMISSIONS } from '../../../dev/graph/permissions';
import { DEV_GRAPH_APP_ROLES } from '../../../dev/identity/server';
import { DEV_APP_CLIENT_ID, startStack, type LocalStack } from '../../../dev/stack';
import { grantedGraphPermissions, mainDeployment } from '../../infra/sample-deployment';

/**
 * Permissions as in Azure: the Graph emulator of the local stack checks the app roles of each token
 * against the documented permission of each call, and the dev app holds exactly what infra/ grants.
 */

/** What the compiled infra/ grants the app's identity with every feature on, as the dev stack runs (npm run build:infra). */
const granted = () => grantedGraphPermissions(mainDeployment({ enableTemporaryAccessPass: true, deployLifecycleWorkflows: true, notifyMailFrom: 'tokens@contoso.com', directorySyncSchedule: '0 */15 * * * *' }));

describe('Graph permissions', () => {
  it('the dev app holds exactly the Graph permissions infra/ grants the app', () => {
    expect([...DEV_GRAPH_APP_ROLES].sort()).toEqual(granted().sort());
  });

  it('every permission infra/ grants is the documented permission of a call the emulator serves', () => {
    const documented = new Set<string>(Object.values(GRAPH_CALL_PERMISSIONS).flat());
    expect(granted().filter((permission) => !documented.has(permission))).toEqual([]);
  });

  describe('in the local stack', () => {
    let stack: LocalStack;
    beforeAll(async () => {
      stack = await startStack();
    });
    afterAll(async () => {
      await stack?.stop();
    });

    const call = async (token: string, method: string, path: string, body?: unknown) =>
      fetch(`${stack.graph.url}/beta${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const mint = (roles: readonly string[]) => stack.identity.mintToken({ audience: 'https://graph.microsoft.com', roles: [...roles] });

    it('a token without the documented permission answers 403; the dev app, with its own credential, is let through', async () => {
      const [user] = stack.graph.store.addUsers([
        { id: null, accountEnabled: true, displayName: 'Ada', mailNickname: 'ada', userPrincipalName: 'ada@contoso.com', employeeId: null, userType: 'Member' },
      ]);
      const [device] = stack.graph.store.createDevices([
        { serialNumber: 'PERM-1', manufacturer: 'Token2', model: 'C202', secretKey: 'JBSWY3DPEHPK3PXP', timeIntervalInSeconds: 30, hashFunction: 'hmacsha1', displayName: null, assignTo: null },
      ]);
      const methods = `/users/${user!.id}/authentication/hardwareOathMethods`;
      const passes = `/users/${user!.id}/authentication/temporaryAccessPassMethods`;
      const withoutMethods = await mint(DEV_GRAPH_APP_ROLES.filter((role) => role !== 'UserAuthenticationMethod.ReadWrite.All' && role !== 'UserAuthMethod-HardwareOATH.ReadWrite.All'));
      const denied = await call(withoutMethods, 'POST', methods, { device: { id: device!.id } });
      expect(denied.status).toBe(403);
      expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('Authorization_RequestDenied');
      expect((await call(await mint([]), 'GET', '/directory/authenticationMethodDevices/hardwareOathDevices')).status).toBe(403);
      expect((await call(withoutMethods, 'GET', '/directory/authenticationMethodDevices/hardwareOathDevices')).status).toBe(200);

      // The grant with the Temporary Access Pass off: hardware OATH methods through their own permission, and no pass.
      const deployedWithoutPasses = await mint(grantedGraphPermissions(mainDeployment()));
      expect((await call(deployedWithoutPasses, 'GET', methods)).status).toBe(200);
      const refusedPass = await call(deployedWithoutPasses, 'POST', passes, { lifetimeInMinutes: 60, isUsableOnce: true });
      expect(refusedPass.status).toBe(403);
      expect((await call(deployedWithoutPasses, 'GET', passes)).status).toBe(403);
      expect((await call(deployedWithoutPasses, 'POST', `/users/${user!.id}/sendMail`, { message: { subject: 's', body: { content: 'c' }, toRecipients: [{ emailAddress: { address: 'a@contoso.com' } }] } })).status).toBe(403);
      const resume = await fetch(`${stack.graph.url}/v1.0/identityGovernance/lifecycleWorkflows/workflows/w-1/tasks/t-1/taskProcessingResults/r-1/resume`, {
        method: 'POST',
        headers: { authorization: `Bearer ${deployedWithoutPasses}`, 'content-type': 'application/json' },
        body: JSON.stringify({ data: { operationStatus: 'Completed' }, source: 's', type: 't' }),
      });
      expect(resume.status).toBe(403);
      // The narrow permission does not reach the pass even when every other grant is there.
      const narrowOnly = await mint(DEV_GRAPH_APP_ROLES.filter((role) => role !== 'UserAuthenticationMethod.ReadWrite.All'));
      expect((await call(narrowOnly, 'POST', passes, { lifetimeInMinutes: 60, isUsableOnce: true })).status).toBe(403);
      expect((await call(narrowOnly, 'POST', methods, { device: { id: device!.id } })).status).toBe(201);
      expect((await call(narrowOnly, 'POST', `${methods}/${device!.id}/deactivate`)).status).not.toBe(403);
      expect((await call(narrowOnly, 'DELETE', `${methods}/${device!.id}`)).status).toBe(204);

      const s = stack.appSettings;
      const credential = new ClientSecretCredential(s.AZURE_TENANT_ID!, DEV_APP_CLIENT_ID, s.AZURE_CLIENT_SECRET!, { authorityHost: s.AZURE_AUTHORITY_HOST!, disableInstanceDiscovery: true });
      const appToken = (await credential.getToken('https://graph.microsoft.com/.default')).token;
      expect((await call(appToken, 'POST', methods, { device: { id: device!.id } })).status).toBe(201);
    });
  });
});

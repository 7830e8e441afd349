import { ClientSecretCredential } from '@azure/identity';
import { GRAPH_CALL_PERMISSIONS } from '../../../dev/graph/permissions';
import { DEV_GRAPH_APP_ROLES } from '../../../dev/identity/server';
import { DEV_APP_CLIENT_ID, startStack, type LocalStack } from '../../../dev/stack';
import { grantedGraphPermissions } from '../../infra/sample-deployment';

/**
 * Permissions as in Azure: the Graph emulator of the local stack checks the app roles of each token
 * against the documented permission of each call, and the dev app holds exactly what infra/ grants.
 */

/** What the compiled infra/ grants the app's identity (npm run build:infra). */
const granted = () => grantedGraphPermissions();

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
      const withoutMethods = await mint(DEV_GRAPH_APP_ROLES.filter((role) => role !== 'UserAuthenticationMethod.ReadWrite.All'));
      const denied = await call(withoutMethods, 'POST', methods, { device: { id: device!.id } });
      expect(denied.status).toBe(403);
      expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('Authorization_RequestDenied');
      expect((await call(await mint([]), 'GET', '/directory/authenticationMethodDevices/hardwareOathDevices')).status).toBe(403);
      expect((await call(withoutMethods, 'GET', '/directory/authenticationMethodDevices/hardwareOathDevices')).status).toBe(200);

      const s = stack.appSettings;
      const credential = new ClientSecretCredential(s.AZURE_TENANT_ID!, DEV_APP_CLIENT_ID, s.AZURE_CLIENT_SECRET!, { authorityHost: s.AZURE_AUTHORITY_HOST!, disableInstanceDiscovery: true });
      const appToken = (await credential.getToken('https://graph.microsoft.com/.default')).token;
      expect((await call(appToken, 'POST', methods, { device: { id: device!.id } })).status).toBe(201);
    });
  });
});

import { graphEmulatorControl } from '../../../dev/graph/control';
import type { GraphEmulator } from '../../../dev/graph/server';
import type { ThrottleModel } from '../../../dev/graph/throttle';
import { startTestEmulator } from './helpers';

const APP = '11111111-1111-1111-1111-111111111111';
const OTHER_APP = '22222222-2222-2222-2222-222222222222';
const TENANT = '33333333-3333-3333-3333-333333333333';
const DEVICES = '/beta/directory/authenticationMethodDevices/hardwareOathDevices';

/** A token shaped like Entra's (appid and tid claims); the emulator's injected verifier accepts it. */
function tokenOf(appId: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ appid: appId, azp: appId, tid: TENANT, aud: 'https://graph.microsoft.com' })}.c2ln`;
}

describe('the Graph emulator throttles as each throttle model says, over HTTPS', () => {
  let emulator: GraphEmulator;
  const tokens = new Set([tokenOf(APP), tokenOf(OTHER_APP)]);
  const control = () => graphEmulatorControl(emulator.url);
  const call = (path: string, appId = APP, method = 'GET', body?: object) =>
    fetch(`${emulator.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${tokenOf(appId)}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  let userId = '';
  // Pinned, so that no refill happens while a test spends the units.
  const clockMs = Date.UTC(2026, 0, 1);

  beforeAll(async () => {
    emulator = await startTestEmulator({ now: () => clockMs, verifyToken: async (token) => tokens.has(token) });
  });

  afterAll(async () => {
    await emulator.close();
  });

  beforeEach(async () => {
    await control().reset();
    const [ada] = await control().seedUsers([{ displayName: 'Ada', userPrincipalName: 'ada@contoso.com' }]);
    userId = ada?.id ?? '';
  });

  const useModel = (throttle: ThrottleModel) => control().setVariants({ throttle });

  it('identity (the default): charges each request its documented units, then 429s with Retry-After and the scope of the app and tenant', async () => {
    expect((await control().variants()).throttle).toBe('identity');
    const units = async (path: string) => (await call(path)).headers.get('x-ms-resource-unit');
    expect(await units('/beta/users')).toBe('2');
    expect(await units('/beta/users?$select=id')).toBe('1');
    expect(await units(`/beta/users/${userId}`)).toBe('1');
    expect(await units(`/beta/users?$expand=manager`)).toBe('3');
    expect(await units(DEVICES)).toBe('1');

    // A small tenant (one user): 3,500 units per 10 s. 1,167 lists with $expand at 3 units go past it.
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let batch = 0; batch < 24 && !refused; batch++) {
      const answers = await Promise.all(Array.from({ length: 50 }, () => call('/beta/users?$expand=manager')));
      for (const answer of answers) {
        statuses.push(answer.status);
        if (answer.status === 429) refused ??= answer;
      }
    }
    expect(refused).toBeDefined();
    expect(statuses.filter((status) => status === 200).length).toBe(Math.floor((3500 - 2 - 1 - 1 - 3 - 1) / 3));
    expect(refused?.headers.get('retry-after')).toBe('1');
    expect(refused?.headers.get('x-ms-throttle-scope')).toBe(`Tenant_Application/ReadWrite/${APP}/${TENANT}`);
    expect(refused?.headers.get('x-ms-throttle-information')).toBe('ResourceUnitLimitExceeded');
    expect(((await refused?.json()) as { error: { code: string } }).error.code).toBe('TooManyRequests');
    // Another app of the tenant has units of its own.
    const other = await call('/beta/users', OTHER_APP);
    expect(other.status).toBe(200);
    expect(other.headers.get('x-ms-throttle-limit-percentage')).toBe(null);
    expect((await control().stats()).throttled).toBeGreaterThan(0);
  });

  it('identity: warns with x-ms-throttle-limit-percentage past 0.8 of the units', async () => {
    await control().setVariants({ tenantSize: 'small' });
    let last: Response | undefined;
    for (let batch = 0; batch < 19; batch++) {
      const answers = await Promise.all(Array.from({ length: 50 }, () => call('/beta/users?$expand=manager')));
      last = answers[answers.length - 1];
    }
    // 950 requests at 3 units: 2,850 of 3,500.
    const percentage = Number(last?.headers.get('x-ms-throttle-limit-percentage'));
    expect(percentage).toBeGreaterThan(0.8);
    expect(percentage).toBeLessThan(0.83);
  });

  it('oathGlobalOnly: hardware OATH calls carry no identity cost, user reads still do', async () => {
    await useModel('oathGlobalOnly');
    const devices = await call(DEVICES);
    expect(devices.status).toBe(200);
    expect(devices.headers.get('x-ms-resource-unit')).toBe(null);
    const methods = await call(`/beta/users/${userId}/authentication/hardwareOathMethods`);
    expect(methods.headers.get('x-ms-resource-unit')).toBe(null);
    expect((await call('/beta/users')).headers.get('x-ms-resource-unit')).toBe('2');
  });

  it('singleBucket: today\'s one bucket for every request, no identity costs', async () => {
    await useModel('singleBucket');
    expect((await call('/beta/users')).headers.get('x-ms-resource-unit')).toBe(null);
    await control().setFaults({ throttle: { requests: 2, windowMs: 10_000 } });
    expect((await call(DEVICES)).status).toBe(200);
    expect((await call('/beta/users', OTHER_APP)).status).toBe(200);
    const refused = await call(DEVICES);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('5');
  });

  it('the bucket set through /_emulator/faults applies under the identity model too, and the variants are checked', async () => {
    await control().setFaults({ throttle: { requests: 1, windowMs: 10_000 } });
    const first = await call(DEVICES);
    expect(first.headers.get('x-ms-resource-unit')).toBe('1');
    expect((await call(DEVICES)).status).toBe(429);
    await expect(control().setVariants({ throttle: 'perRequest' as ThrottleModel })).rejects.toMatchObject({ status: 400 });
    await expect(control().setVariants({ tenantSize: 'huge' as never })).rejects.toMatchObject({ status: 400 });
  });
});

import { DocumentedThrottle, requestCost, tenantSizeOf, type ThrottleModel, type ThrottleRequest, type TenantSize } from '../../dev/graph/throttle';

const APP = '11111111-1111-1111-1111-111111111111';
const OTHER_APP = '22222222-2222-2222-2222-222222222222';
const TENANT = '33333333-3333-3333-3333-333333333333';

const cost = (method: string, path: string) => {
  const url = new URL(path, 'https://graph.test');
  return requestCost(method, url.pathname.split('/').filter(Boolean), url.searchParams);
};

function setup(model: ThrottleModel = 'identity', tenantSize: TenantSize = 'small', users = 10) {
  let now = Date.UTC(2026, 0, 1);
  const throttle = new DocumentedThrottle(() => now);
  const send = (method: string, path: string, appId = APP, tenantId = TENANT) => {
    const url = new URL(path, 'https://graph.test');
    const request: ThrottleRequest = { method, segments: url.pathname.split('/').filter(Boolean), query: url.searchParams, appId, tenantId, model, tenantSize, users: () => users };
    return throttle.admit(request);
  };
  return { send, advance: (ms: number) => (now += ms) };
}

/** Sends until the first refusal; answers how many got through and the refusal. */
function untilRefused(send: () => ReturnType<DocumentedThrottle['admit']>, max = 100_000) {
  for (let admitted = 0; admitted < max; admitted++) {
    const decision = send();
    if (!decision.admitted) return { admitted, refusal: decision };
  }
  throw new Error(`no refusal in ${max} requests`);
}

describe('the cost of a request under the identity limits (throttling-limits.md)', () => {
  it('copies the base cost table, me/ rows applying to users/{id}/, and 1 unit plus 1 write for writes', () => {
    expect(cost('GET', '/users')).toEqual({ resourceUnits: 2, writes: 0 });
    expect(cost('GET', '/users/ada@contoso.com')).toEqual({ resourceUnits: 1, writes: 0 });
    expect(cost('GET', '/groups/g1/transitiveMembers')).toEqual({ resourceUnits: 5, writes: 0 });
    expect(cost('GET', '/groups/g1/members')).toEqual({ resourceUnits: 3, writes: 0 });
    expect(cost('GET', '/users/u1/transitiveMemberOf/microsoft.graph.group')).toEqual({ resourceUnits: 2, writes: 0 });
    expect(cost('POST', '/directoryObjects/getByIds')).toEqual({ resourceUnits: 3, writes: 0 });
    expect(cost('GET', '/subscribedSkus')).toEqual({ resourceUnits: 3, writes: 0 });
    expect(cost('GET', '/directory/authenticationMethodDevices/hardwareOathDevices')).toEqual({ resourceUnits: 1, writes: 0 });
    expect(cost('POST', '/users/u1/authentication/hardwareOathMethods/assignAndActivate')).toEqual({ resourceUnits: 1, writes: 1 });
    expect(cost('PATCH', '/directory/authenticationMethodDevices/hardwareOathDevices')).toEqual({ resourceUnits: 1, writes: 1 });
    expect(cost('DELETE', '/users/u1/authentication/hardwareOathMethods/d1')).toEqual({ resourceUnits: 1, writes: 1 });
  });

  it('takes 1 off for $select and for $top under 20, adds 1 for $expand, and never goes below 1', () => {
    expect(cost('GET', '/users?$select=id')).toEqual({ resourceUnits: 1, writes: 0 });
    expect(cost('GET', '/users?$top=5')).toEqual({ resourceUnits: 1, writes: 0 });
    expect(cost('GET', '/users?$top=20')).toEqual({ resourceUnits: 2, writes: 0 });
    expect(cost('GET', '/users?$select=id&$top=5')).toEqual({ resourceUnits: 1, writes: 0 });
    expect(cost('GET', '/users?$expand=manager')).toEqual({ resourceUnits: 3, writes: 0 });
    expect(cost('GET', '/groups/g1/transitiveMembers?$select=id&$top=999')).toEqual({ resourceUnits: 4, writes: 0 });
    expect(cost('GET', '/users/u1?$select=id')).toEqual({ resourceUnits: 1, writes: 0 });
  });

  it('sizes the tenant by its users: under 50 small, 50 to 500 medium, above 500 large', () => {
    expect([tenantSizeOf(0), tenantSizeOf(49), tenantSizeOf(50), tenantSizeOf(500), tenantSizeOf(501)]).toEqual(['small', 'small', 'medium', 'medium', 'large']);
  });
});

describe('the identity model', () => {
  it('admits 3,500 resource units per 10 s for a small tenant, then 429s with the Tenant_Application scope, and refills', () => {
    const { send, advance } = setup('identity', 'small');
    const { admitted, refusal } = untilRefused(() => send('GET', '/users'));
    expect(admitted).toBe(1750);
    expect(refusal).toEqual({
      admitted: false,
      retryAfterSeconds: 1,
      headers: { 'x-ms-throttle-scope': `Tenant_Application/ReadWrite/${APP}/${TENANT}`, 'x-ms-throttle-information': 'ResourceUnitLimitExceeded' },
    });
    // A refused request costs nothing; the other app of the tenant has its own units.
    expect(send('GET', '/users', OTHER_APP).admitted).toBe(true);
    advance(10_000);
    expect(untilRefused(() => send('GET', '/users')).admitted).toBe(1750);
  });

  it('takes the resource-unit quota from the tenant size: medium 5,000, large 8,000, by default from the users', () => {
    for (const [size, users, quota] of [['medium', 0, 5000], ['large', 0, 8000], ['fromUsers', 60, 5000], ['fromUsers', 501, 8000], ['fromUsers', 3, 3500]] as const) {
      const { send } = setup('identity', size, users);
      expect(untilRefused(() => send('GET', '/users/u1?$top=5')).admitted).toBe(quota);
    }
  });

  it('sends x-ms-resource-unit on every answer and x-ms-throttle-limit-percentage once more than 0.8 of a limit is used', () => {
    const { send } = setup('identity', 'small');
    const first = send('GET', '/groups/g1/members');
    expect(first).toEqual({ admitted: true, headers: { 'x-ms-resource-unit': '3' } });
    for (let i = 0; i < 2796; i++) send('GET', '/users/u1');
    // 2,800 of 3,500 units: exactly 0.8, not more.
    expect(send('GET', '/users/u1').headers['x-ms-throttle-limit-percentage']).toBe(undefined);
    expect(send('GET', '/users/u1').headers).toEqual({ 'x-ms-resource-unit': '1', 'x-ms-throttle-limit-percentage': '0.80' });
    for (let i = 0; i < 348; i++) send('GET', '/users/u1');
    expect(send('GET', '/users/u1').headers['x-ms-throttle-limit-percentage']).toBe('0.90');
  });

  it('admits 3,000 writes per 150 s per app and tenant, then 429s with the Write scope', () => {
    const { send, advance } = setup('identity', 'large');
    const { admitted, refusal } = untilRefused(() => send('POST', '/users/u1/authentication/hardwareOathMethods'));
    expect(admitted).toBe(3000);
    expect(refusal.headers).toEqual({ 'x-ms-throttle-scope': `Tenant_Application/Write/${APP}/${TENANT}`, 'x-ms-throttle-information': 'WriteLimitExceeded' });
    // Reads still go (their own quota); 150 s later the writes are back.
    expect(send('GET', '/users/u1').admitted).toBe(true);
    advance(150_000);
    expect(send('POST', '/users/u1/authentication/hardwareOathMethods').admitted).toBe(true);
  });

  it('admits 18,000 writes per 5 minutes per tenant, whichever apps send them', () => {
    const { send } = setup('identity', 'large');
    const apps = Array.from({ length: 7 }, (_, i) => `${String(i + 1).repeat(8)}-0000-0000-0000-000000000000`);
    let total = 0;
    for (const app of apps.slice(0, 6)) total += untilRefused(() => send('PATCH', '/users/u1', app)).admitted;
    expect(total).toBe(18_000);
    const refused = send('PATCH', '/users/u1', apps[6]);
    expect(refused).toMatchObject({ admitted: false, headers: { 'x-ms-throttle-scope': `Tenant/Write/${apps[6]}/${TENANT}`, 'x-ms-throttle-information': 'WriteLimitExceeded' } });
    expect(refused.admitted === false && refused.retryAfterSeconds).toBe(1);
  });
});

describe('the oathGlobalOnly model', () => {
  it('counts hardware OATH requests under the global limit only, and the rest under the identity limits', () => {
    const { send } = setup('oathGlobalOnly', 'small');
    for (let i = 0; i < 4000; i++) expect(send('POST', '/users/u1/authentication/hardwareOathMethods/assignAndActivate')).toEqual({ admitted: true, headers: {} });
    expect(send('GET', '/directory/authenticationMethodDevices/hardwareOathDevices').headers).toEqual({});
    expect(send('GET', '/users').headers).toEqual({ 'x-ms-resource-unit': '2' });
    expect(untilRefused(() => send('PATCH', '/users/u1')).admitted).toBe(3000);
  });

  it('refuses past 130,000 requests per 10 s per app with the Application scope', () => {
    const { send } = setup('oathGlobalOnly', 'small');
    const { admitted, refusal } = untilRefused(() => send('GET', '/directory/authenticationMethodDevices/hardwareOathDevices'), 200_000);
    expect(admitted).toBe(130_000);
    expect(refusal.headers['x-ms-throttle-scope']).toBe(`Application/ReadWrite/${APP}/${TENANT}`);
  });
});

describe('the singleBucket model', () => {
  it('charges no documented limit: only the bucket set through /_emulator/faults throttles', () => {
    const { send } = setup('singleBucket', 'small');
    for (let i = 0; i < 10_000; i++) expect(send(i % 2 ? 'GET' : 'POST', '/users').admitted).toBe(true);
    expect(send('GET', '/users').headers).toEqual({});
  });
});

import { type Client, PageIterator, type PageCollection } from '@microsoft/microsoft-graph-client';
import { type GraphEmulatorControl, graphEmulatorControl } from '../../../dev/graph/control';
import type { GraphEmulator } from '../../../dev/graph/server';
import type { DeviceInput, GraphUser, HardwareOathDevice, HardwareOathMethod } from '../../../dev/graph/types';
import { TEST_TOKEN, codeAt, currentCode, errorOf, graphClient, newSeed, startTestEmulator, statusOf, wrongCode } from './helpers';

const DEVICES = '/directory/authenticationMethodDevices/hardwareOathDevices';
const methodsOf = (user: string): string => `/users/${encodeURIComponent(user)}/authentication/hardwareOathMethods`;

let emulator: GraphEmulator;
let client: Client;
let control: GraphEmulatorControl;
let serialCounter = 0;

beforeAll(async () => {
  emulator = await startTestEmulator();
  client = graphClient(emulator);
  control = graphEmulatorControl(emulator.url);
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(async () => {
  await control.reset();
});

/** A valid device body; overrides may make it invalid on purpose. */
function deviceBody(overrides: Record<string, unknown> = {}): DeviceInput {
  serialCounter += 1;
  return {
    serialNumber: `TOTP${String(serialCounter).padStart(6, '0')}`,
    manufacturer: 'Token2',
    model: 'C202',
    secretKey: newSeed(),
    timeIntervalInSeconds: 30,
    hashFunction: 'hmacsha1',
    displayName: 'Test token',
    ...overrides,
  };
}

async function createDevice(overrides: Record<string, unknown> = {}): Promise<{ device: HardwareOathDevice; seed: string }> {
  const body = deviceBody(overrides);
  const device = (await client.api(DEVICES).post(body)) as HardwareOathDevice;
  return { device, seed: body.secretKey };
}

async function seedUser(overrides: Partial<GraphUser> = {}): Promise<GraphUser> {
  const n = Math.random().toString(36).slice(2, 10);
  const [user] = await control.seedUsers([{ displayName: `User ${n}`, userPrincipalName: `user.${n}@contoso.com`, ...overrides }]);
  return user!;
}

async function getDevice(id: string): Promise<HardwareOathDevice> {
  return (await client.api(`${DEVICES}/${id}`).get()) as HardwareOathDevice;
}

describe('users', () => {
  it('creates a user the way Graph does and finds it by id, UPN and employeeId', async () => {
    const created = (await client.api('/users').post({
      accountEnabled: true,
      displayName: 'Ada Lovelace',
      mailNickname: 'ada',
      userPrincipalName: 'ada@contoso.com',
      passwordProfile: { forceChangePasswordNextSignIn: true, password: 'xWwvJ]6NMw+bWH-d' },
      employeeId: 'E1001',
    })) as GraphUser;
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created).toMatchObject({ displayName: 'Ada Lovelace', employeeId: 'E1001', userType: 'Member', accountEnabled: true });
    expect(created).not.toHaveProperty('passwordProfile');

    expect(((await client.api(`/users/${created.id}`).get()) as GraphUser).userPrincipalName).toBe('ada@contoso.com');
    expect(((await client.api('/users/ada@contoso.com').get()) as GraphUser).id).toBe(created.id);

    const found = (await client.api('/users').filter("employeeId eq 'E1001'").select('id,displayName').get()) as { value: object[] };
    expect(found.value).toEqual([{ id: created.id, displayName: 'Ada Lovelace' }]);
    const byUpn = (await client.api('/users').filter("userPrincipalName eq 'ADA@contoso.com'").get()) as { value: GraphUser[] };
    expect(byUpn.value.map((user) => user.id)).toEqual([created.id]);
  });

  it('rejects a user without passwordProfile, and a duplicate userPrincipalName', async () => {
    const missing = await errorOf(
      client.api('/users').post({ accountEnabled: true, displayName: 'X', mailNickname: 'x', userPrincipalName: 'x@contoso.com' }),
    );
    expect(missing.statusCode).toBe(400);
    expect(missing.code).toBe('Request_BadRequest');
    await seedUser({ userPrincipalName: 'taken@contoso.com' });
    const duplicate = await statusOf(
      client.api('/users').post({
        accountEnabled: true,
        displayName: 'Y',
        mailNickname: 'y',
        userPrincipalName: 'taken@contoso.com',
        passwordProfile: { password: 'Secret-123!' },
      }),
    );
    expect(duplicate).toBe(400);
  });

  it('answers 404 in Graph error shape for an unknown user', async () => {
    const error = await errorOf(client.api('/users/nobody@contoso.com').get());
    expect(error.statusCode).toBe(404);
    expect(error.code).toBe('Request_ResourceNotFound');
  });
});

describe('inventory', () => {
  it('creates a device, never reads back its secret, and gets it by id', async () => {
    const { device } = await createDevice({ hashFunction: undefined });
    expect(device).toMatchObject({ status: 'available', secretKey: null, assignedTo: null, hashFunction: 'hmacsha1', timeIntervalInSeconds: 30 });
    const read = await getDevice(device.id);
    expect(read.secretKey).toBeNull();
    expect(read.serialNumber).toBe(device.serialNumber);
  });

  it('refuses bad seeds, bad intervals and duplicates', async () => {
    for (const secretKey of ['jbswy3dpehpk3pxp', 'JBSWY3DPEHPK3PX1', 'A'.repeat(129), '']) {
      const error = await errorOf(client.api(DEVICES).post(deviceBody({ secretKey })));
      expect(error.statusCode).toBe(400);
      expect(error.body).not.toContain(secretKey || 'never');
    }
    expect(await statusOf(client.api(DEVICES).post(deviceBody({ timeIntervalInSeconds: 45 })))).toBe(400);
    const first = deviceBody();
    await client.api(DEVICES).post(first);
    expect(await statusOf(client.api(DEVICES).post({ ...first, secretKey: newSeed() }))).toBe(409);
    const longest = (await client.api(DEVICES).post(deviceBody({ secretKey: 'A'.repeat(128) }))) as HardwareOathDevice;
    expect(longest.status).toBe('available');
  });

  it('bulk-creates with a #$delta PATCH, echoing @contentId and accepting string intervals', async () => {
    const result = (await client.api(DEVICES).patch({
      '@context': '#$delta',
      value: [
        { '@contentId': '1', ...deviceBody({ timeIntervalInSeconds: '30' }) },
        { '@contentId': '2', ...deviceBody({ timeIntervalInSeconds: '60', hashFunction: 'hmacsha256' }) },
      ],
    })) as { value: Array<HardwareOathDevice & { '@contentId': string }> };
    expect(result.value.map((device) => [device['@contentId'], device.timeIntervalInSeconds, device.hashFunction])).toEqual([
      ['1', 30, 'hmacsha1'],
      ['2', 60, 'hmacsha256'],
    ]);
    expect(result.value.every((device) => device.secretKey === null)).toBe(true);
  });

  it('a #$delta with one bad item creates nothing', async () => {
    const good = deviceBody();
    const status = await statusOf(client.api(DEVICES).patch({ '@context': '#$delta', value: [good, deviceBody({ secretKey: 'bad!' })] }));
    expect(status).toBe(400);
    expect((await control.state({ serial: good.serialNumber })).matches?.devices).toEqual([]);
  });

  it('updates and deletes a device only while unassigned', async () => {
    const { device } = await createDevice();
    await client.api(`${DEVICES}/${device.id}`).patch({ displayName: 'Renamed', timeIntervalInSeconds: 60 });
    expect(await getDevice(device.id)).toMatchObject({ displayName: 'Renamed', timeIntervalInSeconds: 60 });
    expect(await statusOf(client.api(`${DEVICES}/${device.id}`).patch({ serialNumber: 'OTHER' }))).toBe(400);

    const user = await seedUser();
    await client.api(methodsOf(user.id)).post({ device: { id: device.id } });
    expect(await statusOf(client.api(`${DEVICES}/${device.id}`).patch({ displayName: 'Nope' }))).toBe(400);
    const refused = await errorOf(client.api(`${DEVICES}/${device.id}`).delete());
    expect(refused.statusCode).toBe(400);
    expect((await getDevice(device.id)).status).toBe('assigned');

    await client.api(`${methodsOf(user.id)}/${device.id}`).delete();
    expect(await getDevice(device.id)).toMatchObject({ status: 'available', assignedTo: null });
    await client.api(`${DEVICES}/${device.id}`).delete();
    expect(await statusOf(client.api(`${DEVICES}/${device.id}`).get())).toBe(404);
  });

  it('filters on serialNumber, status and assignedTo/id and pages with @odata.nextLink', async () => {
    const devices = Array.from({ length: 250 }, () => deviceBody());
    await control.seedDevices(devices);
    const user = await seedUser();
    const first = (await client.api(DEVICES).filter(`serialNumber eq '${devices[7]!.serialNumber}'`).get()) as { value: HardwareOathDevice[] };
    expect(first.value).toHaveLength(1);
    await client.api(methodsOf(user.id)).post({ device: { id: first.value[0]!.id } });

    const seen: string[] = [];
    const firstPage = (await client.api(DEVICES).filter("status eq 'available'").top(40).get()) as PageCollection;
    expect(firstPage['@odata.nextLink']).toEqual(expect.stringContaining('$skiptoken='));
    const iterator = new PageIterator(client, firstPage, (device: HardwareOathDevice) => {
      seen.push(device.serialNumber);
      return true;
    });
    await iterator.iterate();
    expect(seen).toHaveLength(249);
    expect(new Set(seen).size).toBe(249);
    expect(seen).not.toContain(devices[7]!.serialNumber);

    const assigned = (await client.api(DEVICES).filter(`assignedTo/id eq '${user.id}' and status eq 'assigned'`).get()) as {
      value: HardwareOathDevice[];
    };
    expect(assigned.value.map((device) => device.serialNumber)).toEqual([devices[7]!.serialNumber]);
    expect(assigned.value[0]!.assignedTo).toEqual({ id: user.id, displayName: user.displayName });
    expect(assigned).not.toHaveProperty('@odata.nextLink');
  });

  it('rejects filters it cannot serve', async () => {
    expect(await statusOf(client.api(DEVICES).filter("startswith(serialNumber,'T')").get())).toBe(400);
    expect(await statusOf(client.api(DEVICES).top(5000).get())).toBe(400);
  });
});

describe('per-user methods', () => {
  it('assigns a device and activates it with the current code', async () => {
    const user = await seedUser();
    const { device, seed } = await createDevice();
    const method = (await client.api(methodsOf(user.userPrincipalName)).post({ device: { id: device.id } })) as HardwareOathMethod;
    expect(method.id).toBe(device.id);
    expect(method.device.status).toBe('assigned');

    await client.api(`${methodsOf(user.id)}/${device.id}/activate`).post({ verificationCode: currentCode(seed) });
    const activated = await getDevice(device.id);
    expect(activated.status).toBe('activated');
    expect(activated.assignedTo?.id).toBe(user.id);

    const listed = (await client.api(methodsOf(user.id)).get()) as { value: HardwareOathMethod[] };
    expect(listed.value.map((entry) => [entry.id, entry.device.status])).toEqual([[device.id, 'activated']]);
    const single = (await client.api(`${methodsOf(user.id)}/${device.id}`).get()) as HardwareOathMethod;
    expect(single.device.serialNumber).toBe(device.serialNumber);

    await client.api(`${methodsOf(user.id)}/${device.id}/deactivate`).post({});
    expect(await getDevice(device.id)).toMatchObject({ status: 'assigned', assignedTo: { id: user.id } });
  });

  it('activates 60 s SHA-256 tokens', async () => {
    const user = await seedUser();
    const { device, seed } = await createDevice({ timeIntervalInSeconds: 60, hashFunction: 'hmacsha256' });
    await client.api(methodsOf(user.id)).post({ device: { id: device.id } });
    await client.api(`${methodsOf(user.id)}/${device.id}/activate`).post({ verificationCode: currentCode(seed, 60, 'SHA256') });
    expect((await getDevice(device.id)).status).toBe('activated');
  });

  it('a wrong code fails activation and marks the device failedActivation', async () => {
    const user = await seedUser();
    const { device, seed } = await createDevice();
    await client.api(methodsOf(user.id)).post({ device: { id: device.id } });
    const error = await errorOf(client.api(`${methodsOf(user.id)}/${device.id}/activate`).post({ verificationCode: wrongCode(seed) }));
    expect(error.statusCode).toBe(400);
    expect(JSON.parse(error.body)).toMatchObject({ code: 'invalidRequest' });
    expect((await getDevice(device.id)).status).toBe('failedActivation');

    await client.api(`${methodsOf(user.id)}/${device.id}/activate`).post({ verificationCode: currentCode(seed) });
    expect((await getDevice(device.id)).status).toBe('activated');
  });

  it('does not accept the same code twice', async () => {
    const user = await seedUser();
    const { device, seed } = await createDevice();
    await client.api(methodsOf(user.id)).post({ device: { id: device.id } });
    const code = currentCode(seed);
    await client.api(`${methodsOf(user.id)}/${device.id}/activate`).post({ verificationCode: code });
    await client.api(`${methodsOf(user.id)}/${device.id}/deactivate`).post({});
    expect(await statusOf(client.api(`${methodsOf(user.id)}/${device.id}/activate`).post({ verificationCode: code }))).toBe(400);
  });

  it('assignAndActivate and assignAndActivateBySerialNumber do both steps in one call', async () => {
    const user = await seedUser();
    const byId = await createDevice();
    const bySerial = await createDevice();
    await client.api(`${methodsOf(user.id)}/assignAndActivate`).post({ device: { id: byId.device.id }, verificationCode: currentCode(byId.seed) });
    await client
      .api(`${methodsOf(user.userPrincipalName)}/assignAndActivateBySerialNumber`)
      .post({ serialNumber: bySerial.device.serialNumber, verificationCode: currentCode(bySerial.seed) });
    for (const id of [byId.device.id, bySerial.device.id]) {
      expect(await getDevice(id)).toMatchObject({ status: 'activated', assignedTo: { id: user.id } });
    }
  });

  it('a wrong code in the combined calls leaves the device unassigned', async () => {
    const user = await seedUser();
    const { device, seed } = await createDevice();
    expect(
      await statusOf(client.api(`${methodsOf(user.id)}/assignAndActivate`).post({ device: { id: device.id }, verificationCode: wrongCode(seed) })),
    ).toBe(400);
    expect(
      await statusOf(
        client
          .api(`${methodsOf(user.id)}/assignAndActivateBySerialNumber`)
          .post({ serialNumber: device.serialNumber, verificationCode: wrongCode(seed) }),
      ),
    ).toBe(400);
    expect(await getDevice(device.id)).toMatchObject({ status: 'available', assignedTo: null });
    expect(((await client.api(methodsOf(user.id)).get()) as { value: unknown[] }).value).toEqual([]);
  });

  it('refuses a device already assigned to someone else', async () => {
    const [alice, bob] = [await seedUser(), await seedUser()];
    const { device } = await createDevice();
    await client.api(methodsOf(alice.id)).post({ device: { id: device.id } });
    expect(await statusOf(client.api(methodsOf(bob.id)).post({ device: { id: device.id } }))).toBe(400);
    expect((await getDevice(device.id)).assignedTo?.id).toBe(alice.id);
  });

  it('refuses a sixth hardware token for one user', async () => {
    const user = await seedUser();
    for (let i = 0; i < 5; i++) {
      const { device } = await createDevice();
      await client.api(methodsOf(user.id)).post({ device: { id: device.id } });
    }
    const { device: sixth } = await createDevice();
    expect(await statusOf(client.api(methodsOf(user.id)).post({ device: { id: sixth.id } }))).toBe(400);
    expect((await getDevice(sixth.id)).status).toBe('available');
  });

  it('refuses guests, also through assignTo at creation', async () => {
    const guest = await seedUser({ userType: 'Guest' });
    const { device, seed } = await createDevice();
    expect(await statusOf(client.api(methodsOf(guest.id)).post({ device: { id: device.id } }))).toBe(400);
    expect(
      await statusOf(client.api(`${methodsOf(guest.id)}/assignAndActivate`).post({ device: { id: device.id }, verificationCode: currentCode(seed) })),
    ).toBe(400);
    expect(await statusOf(client.api(DEVICES).post(deviceBody({ assignTo: { id: guest.id } })))).toBe(400);
  });

  it('assigns at creation with assignTo', async () => {
    const user = await seedUser();
    const { device } = await createDevice({ assignTo: { id: user.id } });
    expect(device).toMatchObject({ status: 'assigned', assignedTo: { id: user.id, displayName: user.displayName } });
  });
});

describe('sign-in check', () => {
  it('accepts a fresh code of an activated token once, and nothing after unassignment', async () => {
    const user = await seedUser();
    const { device, seed } = await createDevice();
    expect(await control.signIn({ userId: user.id, code: currentCode(seed) })).toEqual({ ok: false, reason: 'noActiveMethod' });
    await client.api(`${methodsOf(user.id)}/assignAndActivate`).post({ device: { id: device.id }, verificationCode: currentCode(seed) });

    // The activation consumed the current step; the next step's code is fresh and within +-1 min.
    const nextCode = codeAt(seed, Date.now() + 30_000);
    expect(await control.signIn({ userId: user.userPrincipalName, serialNumber: device.serialNumber, code: nextCode })).toEqual({
      ok: true,
      deviceId: device.id,
    });
    expect(await control.signIn({ userId: user.id, code: nextCode })).toEqual({ ok: false, reason: 'invalidCode' });
    expect((await getDevice(device.id)).lastUsedDateTime).not.toBeNull();

    await client.api(`${methodsOf(user.id)}/${device.id}`).delete();
    const later = codeAt(seed, Date.now() + 60_000);
    expect(await control.signIn({ userId: user.id, code: later })).toEqual({ ok: false, reason: 'noActiveMethod' });
  });

  it('refuses codes outside the sign-in window that activation would accept', async () => {
    const user = await seedUser();
    const { device, seed } = await createDevice();
    await client.api(`${methodsOf(user.id)}/assignAndActivate`).post({ device: { id: device.id }, verificationCode: currentCode(seed) });
    const farFuture = codeAt(seed, Date.now() + 5 * 60_000);
    expect(await control.signIn({ userId: user.id, code: farFuture })).toMatchObject({ ok: false });
  });
});

describe('deleted users (the deletedUserMethods variant)', () => {
  const restore = (id: string, body: Record<string, unknown> = {}) => client.api(`/directory/deletedItems/${id}/restore`).post(body) as Promise<Record<string, unknown>>;

  beforeEach(async () => {
    await control.setVariants({ deletedUserMethods: 'kept' });
  });

  async function deletedHolder(): Promise<{ user: GraphUser; device: HardwareOathDevice; seed: string }> {
    const user = await seedUser();
    const { device, seed } = await createDevice();
    await client.api(`${methodsOf(user.id)}/assignAndActivate`).post({ device: { id: device.id }, verificationCode: currentCode(seed) });
    await client.api(`/users/${user.id}`).delete();
    return { user, device, seed };
  }

  it('kept (the default): the device stays on the deleted account, out of reach, and comes back with it on restore', async () => {
    await control.clearVariants();
    expect((await control.variants()).deletedUserMethods).toBe('kept');
    const { user, device, seed } = await deletedHolder();
    expect(await getDevice(device.id)).toMatchObject({ status: 'activated', assignedTo: { id: user.id, displayName: user.displayName } });
    const held = (await client.api(DEVICES).filter(`assignedTo/id eq '${user.id}'`).get()) as { value: HardwareOathDevice[] };
    expect(held.value.map((d) => d.id)).toEqual([device.id]);
    // Graph answers 404 for anything under a deleted user; an assigned device cannot be deleted or given to another.
    expect(await statusOf(client.api(methodsOf(user.id)).get())).toBe(404);
    expect(await statusOf(client.api(`${methodsOf(user.id)}/${device.id}`).delete())).toBe(404);
    expect(await statusOf(client.api(`${DEVICES}/${device.id}`).delete())).toBe(400);
    const other = await seedUser();
    expect(await statusOf(client.api(methodsOf(other.id)).post({ device: { id: device.id } }))).toBe(400);
    expect(await control.signIn({ userId: user.id, code: codeAt(seed, Date.now() + 30_000) })).toEqual({ ok: false, reason: 'userNotFound' });

    const restored = await restore(user.id);
    expect(restored).toMatchObject({ '@odata.type': '#microsoft.graph.user', id: user.id, userPrincipalName: user.userPrincipalName });
    expect(((await client.api(methodsOf(user.id)).get()) as { value: HardwareOathMethod[] }).value.map((m) => [m.id, m.device.status])).toEqual([[device.id, 'activated']]);
    expect(await control.signIn({ userId: user.id, code: codeAt(seed, Date.now() + 30_000) })).toEqual({ ok: true, deviceId: device.id });
    // Now it can be taken off, and then deleted.
    await client.api(`${methodsOf(user.id)}/${device.id}`).delete();
    await client.api(`${DEVICES}/${device.id}`).delete();
  });

  it('dropped: the methods go with the account, and a restore brings the account back without them', async () => {
    await control.setVariants({ deletedUserMethods: 'dropped' });
    const { user, device, seed } = await deletedHolder();
    expect(await getDevice(device.id)).toMatchObject({ status: 'available', assignedTo: null });
    await restore(user.id);
    expect(((await client.api(methodsOf(user.id)).get()) as { value: HardwareOathMethod[] }).value).toEqual([]);
    expect(await control.signIn({ userId: user.id, code: codeAt(seed, Date.now() + 30_000) })).toEqual({ ok: false, reason: 'noActiveMethod' });
  });

  it('restore answers 404 for an id not in the deleted items, and refuses a userPrincipalName taken meanwhile unless a new one is given', async () => {
    expect(await statusOf(restore('00000000-0000-0000-0000-000000000000'))).toBe(404);
    const { user } = await deletedHolder();
    await control.seedUsers([{ displayName: 'Successor', userPrincipalName: user.userPrincipalName }]);
    expect(await statusOf(restore(user.id))).toBe(400);
    expect(await restore(user.id, { newUserPrincipalName: `back.${user.userPrincipalName}` })).toMatchObject({ id: user.id, userPrincipalName: `back.${user.userPrincipalName}` });
    expect(await statusOf(restore(user.id))).toBe(404);
    const listed = (await client.api('/directory/deletedItems/microsoft.graph.user').get()) as { value: { id: string }[] };
    expect(listed.value.map((u) => u.id)).not.toContain(user.id);
  });

  it('the control API restores a user too', async () => {
    const { user, device } = await deletedHolder();
    expect(await control.restoreUser(user.id)).toMatchObject({ id: user.id });
    expect(await getDevice(device.id)).toMatchObject({ assignedTo: { id: user.id } });
  });
});

describe('protocol', () => {
  it('refuses requests without a valid bearer token with 401 InvalidAuthenticationToken', async () => {
    const anonymous = await fetch(`${emulator.url}/beta${DEVICES}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const body = (await anonymous.json()) as { error: { code: string; innerError: Record<string, string> } };
    expect(body.error.code).toBe('InvalidAuthenticationToken');
    expect(body.error.innerError['request-id']).toBe(anonymous.headers.get('request-id'));

    const wrongToken = await errorOf(graphClient(emulator, 'not-the-token').api(DEVICES).get());
    expect(wrongToken.statusCode).toBe(401);
    expect(wrongToken.code).toBe('InvalidAuthenticationToken');
  });

  it('serves the OATH APIs in beta only', async () => {
    const response = await fetch(`${emulator.url}/v1.0${DEVICES}`, { headers: { Authorization: `Bearer ${TEST_TOKEN}` } });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('BadRequest');
  });

  it('a 429 with Retry-After: 1 is retried by the SDK RetryHandler and then succeeds', async () => {
    const { device } = await createDevice();
    await control.setFaults({ failNext: { status: 429, count: 1, retryAfterSeconds: 1 } });
    const read = await getDevice(device.id);
    expect(read.id).toBe(device.id);
    const stats = await control.stats();
    expect(stats.throttled).toBe(1);
    expect(stats.injected).toEqual({ '429': 1 });
    expect(stats.requests['GET device']).toBe(2);
    expect(stats.statuses['200']).toBeGreaterThanOrEqual(1);
  });

  it('control faults do not apply to the control API itself', async () => {
    await control.setFaults({ failNext: { status: 503, count: 5 } });
    expect((await control.state()).devices).toBe(0);
    expect((await control.faults()).failNext?.count).toBe(5);
    await control.clearFaults();
    expect(await control.faults()).toEqual({});
  });
});

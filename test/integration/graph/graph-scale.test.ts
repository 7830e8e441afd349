import { PageIterator, type PageCollection } from '@microsoft/microsoft-graph-client';
import { graphEmulatorControl } from '../../../dev/graph/control';
import type { GraphEmulator } from '../../../dev/graph/server';
import type { DeviceInput, HardwareOathDevice } from '../../../dev/graph/types';
import { graphClient, startTestEmulator } from './helpers';

const DEVICES = '/directory/authenticationMethodDevices/hardwareOathDevices';
const TOTAL = 100_000;
const SEED = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

const serialOf = (n: number): string => `SCALE${String(n).padStart(7, '0')}`;

describe('100k devices', () => {
  let emulator: GraphEmulator;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    const control = graphEmulatorControl(emulator.url);
    const devices: DeviceInput[] = Array.from({ length: TOTAL - 2_000 }, (_, n) => ({
      serialNumber: serialOf(n),
      manufacturer: 'Token2',
      model: 'C202',
      secretKey: SEED,
      timeIntervalInSeconds: 30,
    }));
    await control.seedDevices(devices);
    // The rest through Graph's own bulk create, as an import would.
    const delta = Array.from({ length: 2_000 }, (_, i) => ({
      '@contentId': String(i),
      serialNumber: serialOf(TOTAL - 2_000 + i),
      manufacturer: 'Token2',
      model: 'C202',
      secretKey: SEED,
      timeIntervalInSeconds: '30',
    }));
    await graphClient(emulator).api(DEVICES).patch({ '@context': '#$delta', value: delta });
    await control.seedUsers(Array.from({ length: 1_000 }, (_, n) => ({ displayName: `Scale ${n}`, userPrincipalName: `scale.${n}@contoso.com`, employeeId: `S${n}` })));
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('reports counts cheaply and looks a serial up', async () => {
    const state = await graphEmulatorControl(emulator.url).state({ serial: serialOf(54_321) });
    expect(state.devices).toBe(TOTAL);
    expect(state.devicesByStatus.available).toBe(TOTAL);
    expect(state.users).toBe(1_000);
    expect(state.matches?.devices.map((device) => device.serialNumber)).toEqual([serialOf(54_321)]);
  });

  it('finds one device by serial and a user by employeeId among many', async () => {
    const client = graphClient(emulator);
    const found = (await client.api(DEVICES).filter(`serialNumber eq '${serialOf(99_999)}'`).get()) as { value: HardwareOathDevice[] };
    expect(found.value.map((device) => device.serialNumber)).toEqual([serialOf(99_999)]);
    const users = (await client.api('/users').filter("employeeId eq 'S777'").get()) as { value: Array<{ userPrincipalName: string }> };
    expect(users.value.map((user) => user.userPrincipalName)).toEqual(['scale.777@contoso.com']);
  });

  it('pages a rare status without scanning pages of others, and assignedTo/id answers a user\'s devices', async () => {
    const client = graphClient(emulator);
    const user = (await client.api('/users/scale.1@contoso.com').get()) as { id: string };
    const picked = [10, 50_000, 99_000].map(serialOf);
    for (const serial of picked) {
      const [device] = ((await client.api(DEVICES).filter(`serialNumber eq '${serial}'`).get()) as { value: HardwareOathDevice[] }).value;
      await client.api(`/users/${user.id}/authentication/hardwareOathMethods`).post({ device: { id: device!.id } });
    }
    const seen: string[] = [];
    const first = (await client.api(DEVICES).filter("status eq 'assigned'").top(2).get()) as PageCollection;
    await new PageIterator(client, first, (device: HardwareOathDevice) => {
      seen.push(device.serialNumber);
      return true;
    }).iterate();
    expect(seen).toEqual(picked);

    const mine = (await client.api(DEVICES).filter(`assignedTo/id eq '${user.id}'`).get()) as { value: HardwareOathDevice[] };
    expect(mine.value).toHaveLength(3);
  });

  it('walks the whole inventory with $top=999 pages', async () => {
    const client = graphClient(emulator);
    let pages = 0;
    let count = 0;
    let next: string | undefined = `${DEVICES}?$top=999`;
    while (next) {
      const page = (await client.api(next).get()) as PageCollection;
      pages += 1;
      count += page.value.length;
      next = page['@odata.nextLink'];
    }
    expect(count).toBe(TOTAL);
    expect(pages).toBe(Math.ceil(TOTAL / 999));
  });
});

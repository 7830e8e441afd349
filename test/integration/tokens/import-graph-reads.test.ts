import { TableClient } from '@azure/data-tables';
import { Secret } from 'otpauth';
import type { EmulatorStats } from '../../../dev/graph/control';
import { TABLES } from '../../../shared/app/storageNames';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';

const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';

class SimulatedCrash extends Error {}

/**
 * What an import costs in Graph requests, counted by the emulator: whether Entra has a serial comes
 * from the tenant's device list (read once, while it is small against the file), each user named is
 * read once, and devices go 100 to a bulk create.
 */
describe('Graph requests per imported row', () => {
  let app: TestApp;
  let runtime: typeof import('../../../shared/app/runtime');
  let workflow: typeof import('../../../shared/workflows/importTokens');

  beforeAll(async () => {
    app = await startTestApp();
    runtime = await import('../../../shared/app/runtime');
    workflow = await import('../../../shared/workflows/importTokens');
    // A small tenant: 30 devices uploaded outside this system, one page of the list.
    await app.graph.seedDevices(Array.from({ length: 30 }, (_, i) => ({ serialNumber: `OUT-${String(i).padStart(3, '0')}`, manufacturer: 'Token2', model: 'C202', secretKey: new Secret({ size: 20 }).base32, timeIntervalInSeconds: 30 })));
  });
  afterAll(async () => {
    await app?.close();
  });

  const importCsv = async (rows: string[]) => jsonOf(await app.call('POST', 'tokens/import', { body: `${HEADER}\n${rows.join('\n')}\n`, contentType: 'text/csv' }));
  const row = (serial: string, upn = '', seed = new Secret({ size: 20 }).base32) => `${upn},${serial},${seed},30,Token2,C202`;
  const delta = (before: EmulatorStats, after: EmulatorStats, key: string) => (after.requests[key] ?? 0) - (before.requests[key] ?? 0);
  const total = (stats: EmulatorStats) => Object.values(stats.requests).reduce((a, b) => a + b, 0);

  it('a row resumed with the seed it started with finds the device its interrupted import registered', async () => {
    const services = runtime.services();
    const seed = new Secret({ size: 20 }).base32;
    // An import that dies right after Entra registered the device: the row is left importing.
    const crashing = {
      ...services,
      activationMode: services.config.activationMode,
      directory: {
        ...services.directory,
        createDevices: async (devices: Parameters<typeof services.directory.createDevices>[0]) => {
          await services.directory.createDevices(devices);
          throw new SimulatedCrash('crashed after registering');
        },
      },
    };
    const row0 = { line: 2, serialNumber: 'GR-RESUME', seed, timeIntervalInSeconds: 30 as const, hashFunction: 'hmacsha1' as const, manufacturer: 'Token2', model: 'C202', pool: '' };
    await expect(workflow.importTokens([{ ok: true, row: row0 }], crashing, { actor: 'test', correlationId: 'crash', seedOrigin: 'vendor' })).rejects.toBeInstanceOf(SimulatedCrash);
    expect(await jsonOf(await app.call('GET', 'tokens/GR-RESUME', { roles: ['Tokens.Read'] }))).toMatchObject({ status: 'importing', registeredInEntra: false });
    const [device] = (await app.graph.state({ serial: 'GR-RESUME' })).matches?.devices ?? [];
    expect(device).toBeDefined();

    const before = await app.graph.stats();
    expect(await importCsv([row('GR-RESUME', '', seed)])).toEqual({ imported: 1, unchanged: 0, errors: [] });
    const after = await app.graph.stats();
    expect(await jsonOf(await app.call('GET', 'tokens/GR-RESUME', { roles: ['Tokens.Read'] }))).toMatchObject({ status: 'in_stock', registeredInEntra: true, entraDeviceId: device!.id });
    expect((await app.graph.state({ serial: 'GR-RESUME' })).matches?.devices).toHaveLength(1);
    // One page of the list found it: no lookup of its own, nothing created again.
    expect(delta(before, after, 'GET devices')).toBe(1);
    expect(total(after) - total(before)).toBe(1);
  });

  it('200 new rows into a small tenant: one page of the list and two bulk creates, and a serial Entra has is still refused', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => row(`GR-${String(i).padStart(3, '0')}`));
    const before = await app.graph.stats();
    const summary = await importCsv([...rows, row('OUT-007')]);
    const after = await app.graph.stats();
    expect(summary).toMatchObject({ imported: 200, unchanged: 0, errors: [{ serial: 'OUT-007', reason: expect.stringContaining('already registered in Entra outside this system') }] });
    expect(delta(before, after, 'GET devices')).toBe(1);
    expect(delta(before, after, 'PATCH devices.delta')).toBe(2);
    // One request per row before: well under a tenth of that now.
    expect((total(after) - total(before)) / 200).toBeLessThan(0.05);
    const listed = (await jsonOf(await app.call('GET', 'tokens?pageSize=1000&status=in_stock', { roles: ['Tokens.Read'] }))).tokens as { serialNumber: string; registeredInEntra: boolean }[];
    expect(listed.filter((t) => t.serialNumber.startsWith('GR-') && t.serialNumber !== 'GR-RESUME' && t.registeredInEntra)).toHaveLength(200);
  });

  it('a file naming users reads the users 15 to a request, none one by one', async () => {
    const people = Array.from({ length: 5 }, (_, i) => ({ displayName: `Reader ${i}`, userPrincipalName: `reader${i}@contoso.com`, employeeId: `GR${1000 + i}` }));
    await app.graph.seedUsers(people);
    const before = await app.graph.stats();
    expect(await importCsv(people.map((p, i) => row(`GRU-${i}`, p.userPrincipalName)))).toEqual({ imported: 5, unchanged: 0, errors: [] });
    const after = await app.graph.stats();
    expect(delta(before, after, 'GET users')).toBe(1);
    expect(delta(before, after, 'GET user')).toBe(0);
    for (const [i, p] of people.entries()) {
      expect((await app.graph.state({ serial: `GRU-${i}` })).matches?.devices[0]).toMatchObject({ status: 'activated', assignedTo: { id: expect.any(String) } });
      expect((await app.graph.state({ user: p.userPrincipalName })).matches?.devices).toHaveLength(1);
    }
  });

  it('a tenant too large for the file is listed no further than a page per 10 rows, and the rest is looked up row by row', async () => {
    // 480 devices now: five pages, where 10 rows may read one.
    await app.graph.seedDevices(Array.from({ length: 245 }, (_, i) => ({ serialNumber: `BIG-${String(i).padStart(3, '0')}`, manufacturer: 'Token2', model: 'C202', secretKey: new Secret({ size: 20 }).base32, timeIntervalInSeconds: 30 })));
    const rows = [row('OUT-001'), row('BIG-244'), ...Array.from({ length: 8 }, (_, i) => row(`GRL-${i}`))];
    const before = await app.graph.stats();
    const summary = await importCsv(rows);
    const after = await app.graph.stats();
    expect(summary).toMatchObject({ imported: 8, unchanged: 0 });
    expect(summary.errors.map((e: { serial: string; reason: string }) => [e.serial, e.reason])).toEqual([
      ['OUT-001', expect.stringContaining('already registered in Entra outside this system')],
      ['BIG-244', expect.stringContaining('already registered in Entra outside this system')],
    ]);
    // The first page (which has OUT-001), then one lookup for each of the other nine: never more than a row each, plus a tenth.
    expect(delta(before, after, 'GET devices')).toBe(10);
  });

  it('a row an earlier version left in stock without its device is read as importing, and the same file resumes it', async () => {
    const seed = new Secret({ size: 20 }).base32;
    const at = new Date().toISOString();
    await runtime.services().seeds.put('seed-GR-LEGACY', seed, { serialNumber: 'GR-LEGACY', manufacturer: 'Token2', model: 'C202', timeIntervalInSeconds: 30, hashFunction: 'hmacsha1', seedOrigin: 'vendor' });
    const table = TableClient.fromConnectionString(app.stack.azurite.connectionString, TABLES.tokens, { allowInsecureConnection: true });
    await table.createEntity({ partitionKey: 'token', rowKey: 'GR-LEGACY', serialNumber: 'GR-LEGACY', manufacturer: 'Token2', model: 'C202', timeIntervalInSeconds: 30, hashFunction: 'hmacsha1', seedOrigin: 'vendor', pool: '', status: 'in_stock', seedSecretName: 'seed-GR-LEGACY', createdAt: at, updatedAt: at, lastChangeReason: 'import started' });
    const page = async (query: string) => ((await jsonOf(await app.call('GET', `tokens?pageSize=1000&${query}`, { roles: ['Tokens.Read'] }))).tokens as { serialNumber: string; status: string }[]).map((t) => [t.serialNumber, t.status]);
    expect(await jsonOf(await app.call('GET', 'tokens/GR-LEGACY', { roles: ['Tokens.Read'] }))).toMatchObject({ status: 'importing', registeredInEntra: false });
    expect(await page('status=importing')).toEqual([['GR-LEGACY', 'importing']]);
    expect((await page('status=in_stock')).filter(([serial]) => serial === 'GR-LEGACY')).toEqual([]);

    expect(await importCsv([row('GR-LEGACY', '', seed)])).toEqual({ imported: 1, unchanged: 0, errors: [] });
    expect(await jsonOf(await app.call('GET', 'tokens/GR-LEGACY', { roles: ['Tokens.Read'] }))).toMatchObject({ status: 'in_stock', registeredInEntra: true });
    expect((await app.graph.state({ serial: 'GR-LEGACY' })).matches?.devices).toHaveLength(1);
    expect(await page('status=importing')).toEqual([]);
  });
});

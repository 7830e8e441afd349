import { generateSeed, totpCode } from '../../../shared/domain/seed';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { importTokens as importThroughApi } from '../../support/hr';

const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';
const base64 = (text: string) => Buffer.from(text).toString('base64');

class SimulatedCrash extends Error {}

describe('bad input is a 400 and changes nothing; an interrupted import follows the next seed', () => {
  let app: TestApp;
  let runtime: typeof import('../../../shared/app/runtime');
  let workflow: typeof import('../../../shared/workflows/importTokens');

  beforeAll(async () => {
    app = await startTestApp();
    // Loaded after the local host, so these are the same services the functions use.
    runtime = await import('../../../shared/app/runtime');
    workflow = await import('../../../shared/workflows/importTokens');
    await importThroughApi(app, [{ serial: 'BI-001' }, { serial: 'BI-002' }, { serial: 'BI-003' }]);
  });
  afterAll(async () => {
    await app?.close();
  });

  const read = (route: string) => app.call('GET', route, { roles: ['Tokens.Read'] });

  describe('GET /api/tokens', () => {
    it('pages with the continuation tokens it gives out', async () => {
      const first = await jsonOf(await read('tokens?pageSize=1'));
      expect(first.tokens).toHaveLength(1);
      const second = await read(`tokens?pageSize=1&continuationToken=${encodeURIComponent(first.continuationToken)}`);
      expect(second.status).toBe(200);
      expect((await jsonOf(second)).tokens[0].serialNumber).not.toBe(first.tokens[0].serialNumber);
    });

    it.each([
      ['null', 'bnVsbA=='],
      ['numeric keys', base64('{"nextPartitionKey":1,"nextRowKey":2}')],
      ['an array', base64('[]')],
      ['a string', base64('"token"')],
      ['a number', base64('42')],
      ['an extra field', base64('{"nextPartitionKey":"token","nextRowKey":"BI-002","x":1}')],
      ['a key with a line break', base64('{"nextPartitionKey":"token\\n","nextRowKey":"BI-002"}')],
      ['not JSON', base64('not json')],
      ['not base64', 'not*base64'],
      ['8 KB', 'A'.repeat(8192)],
    ])('answers 400 problem+json for a continuation token that is %s', async (_what, token) => {
      const response = await read(`tokens?continuationToken=${encodeURIComponent(token)}`);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect((await jsonOf(response)).errors).toEqual([{ path: 'continuationToken', message: 'is not one this API gave out' }]);
    });

    it.each([
      ['user', 'u'.repeat(10_000), 'must be at most 256 characters'],
      ['user', 'ada\u0000@contoso.com', 'must not hold control characters'],
      ['pool', 'p'.repeat(10_000), 'must be at most 64 characters'],
      ['pageSize', '1'.repeat(10_000), 'must be 1 to 1000'],
    ])('answers 400 for a %s filter of %#', async (name, value, message) => {
      const response = await read(`tokens?${name}=${encodeURIComponent(value)}`);
      expect(response.status).toBe(400);
      expect((await jsonOf(response)).errors).toEqual([{ path: name, message }]);
    });
  });

  describe('POST /api/tokens/import', () => {
    it('refuses a seed that only upper-casing makes Base32 (ß becomes SS), and stores nothing', async () => {
      const csv = `${HEADER}\n,BI-ESZETT,${'ß'.repeat(16)},30,Token2,C202\n,BI-LONGS,${'ſ'.repeat(32)},30,Token2,C202\n`;
      const response = await app.call('POST', 'tokens/import', { body: csv, contentType: 'text/csv; charset=utf-8' });
      expect(response.status).toBe(200);
      expect(await jsonOf(response)).toEqual({
        imported: 0,
        unchanged: 0,
        errors: [
          { line: 2, serial: 'BI-ESZETT', reason: 'secret key is not Base32 (only A-Z and 2-7 are allowed)' },
          { line: 3, serial: 'BI-LONGS', reason: 'secret key is not Base32 (only A-Z and 2-7 are allowed)' },
        ],
      });
      for (const serial of ['BI-ESZETT', 'BI-LONGS']) {
        expect((await read(`tokens/${serial}`)).status).toBe(404);
        expect((await app.keyVault.secretExists(`seed-${serial}`)).exists).toBe(false);
        expect((await app.graph.state({ serial })).matches?.devices).toEqual([]);
      }
    });
  });

  describe('POST /api/tokens/seeds on a row left by an interrupted vendor import', () => {
    it('re-seeds it whole: origin, interval, hash and the device in Entra follow the new seed', async () => {
      const services = runtime.services();
      const vendorSeed = generateSeed('hmacsha256');
      // A vendor import that dies right after Entra registered the device: row in stock, no device id on it.
      const crashing = { ...services, activationMode: services.config.activationMode, directory: {
        ...services.directory,
        createDevices: async (devices: Parameters<typeof services.directory.createDevices>[0]) => {
          await services.directory.createDevices(devices);
          throw new SimulatedCrash('crashed after registering');
        },
      } };
      const vendorRow = { line: 2, serialNumber: 'BI-RESEED', seed: vendorSeed, timeIntervalInSeconds: 60 as const, hashFunction: 'hmacsha256' as const, manufacturer: 'Token2', model: 'C302', pool: '' };
      await expect(workflow.importTokens([{ ok: true, row: vendorRow }], crashing, { actor: 'test', correlationId: 'crash', seedOrigin: 'vendor' })).rejects.toBeInstanceOf(SimulatedCrash);
      expect(await jsonOf(await read('tokens/BI-RESEED'))).toMatchObject({ seedOrigin: 'vendor', timeIntervalInSeconds: 60, hashFunction: 'hmacsha256', registeredInEntra: false });
      expect((await app.graph.state({ serial: 'BI-RESEED' })).matches?.devices).toHaveLength(1);

      const response = await app.call('POST', 'tokens/seeds', {
        body: JSON.stringify({ serials: ['BI-RESEED'], manufacturer: 'Token2', model: 'molto2', timeIntervalInSeconds: 30, hashFunction: 'hmacsha1' }),
        contentType: 'application/json',
      });
      expect(response.status).toBe(200);
      const [, line] = (await response.text()).trim().split('\r\n');
      const newSeed = line?.split(',')[1] ?? '';
      expect(newSeed).toMatch(/^[A-Z2-7]{32}$/);

      const token = await jsonOf(await read('tokens/BI-RESEED'));
      expect(token).toMatchObject({ seedOrigin: 'generated', timeIntervalInSeconds: 30, hashFunction: 'hmacsha1', model: 'molto2', status: 'in_stock', registeredInEntra: true });
      expect(await services.seeds.get('seed-BI-RESEED')).toBe(newSeed);
      const devices = (await app.graph.state({ serial: 'BI-RESEED' })).matches?.devices ?? [];
      expect(devices.map((d) => [d.id, d.timeIntervalInSeconds, d.hashFunction])).toEqual([[token.entraDeviceId, 30, 'hmacsha1']]);

      // Entra takes a code computed from the new seed: the device holds it, not the vendor's.
      const [user] = await app.graph.seedUsers([{ displayName: 'Reseed Check', userPrincipalName: 'reseed@contoso.com', employeeId: 'E9001' }]);
      await services.directory.assignAndActivate(user!.id, token.entraDeviceId, totpCode(newSeed, 30, 'hmacsha1', new Date()));
      expect((await app.graph.state({ serial: 'BI-RESEED' })).matches?.devices[0]).toMatchObject({ status: 'activated' });
    });
  });
});

import { Secret } from 'otpauth';
import type { GraphVariants } from '../../../dev/graph/types';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';

/**
 * Import against every answer of Entra the docs allow (docs/local-stack.md, "Graph emulator variants"): whatever
 * the bulk create answers, each row ends registered with its seed, or reported with nothing left behind,
 * and a second import of the same file changes nothing.
 */

const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';

const MATRIX: [string, Partial<GraphVariants>][] = [
  ['the default reading', {}],
  ["the docs' examples: 201 with nested devices, nested lists", { delta: 'nested201', list: 'nested' }],
  ['a bulk create answered 204 without a body', { delta: 'empty204' }],
  ['a bulk create applied in part, then failing', { delta: 'partial' }],
  ['a bulk create saved, then answered 504 (the client sends it again)', { savedThen5xx: { post: 0, patch: 1 } }],
  ['an assignAndActivate saved, then answered 504', { savedThen5xx: { post: 1, patch: 0 } }],
  ['new devices missing from $filter for 2 s, with a 204 answer', { delta: 'empty204', filterLagSeconds: 2 }],
  ['distinct method ids', { methodId: 'distinct' }],
];

describe('import under each Graph variant', () => {
  let app: TestApp;
  let adaId = '';

  beforeAll(async () => {
    app = await startTestApp();
    const [ada] = await app.graph.seedUsers([{ displayName: 'Ada Lovelace', userPrincipalName: 'ada@contoso.com', employeeId: 'E1001' }]);
    adaId = ada!.id;
  });
  afterAll(async () => {
    await app?.close();
  });

  const importCsv = async (csv: string) => jsonOf(await app.call('POST', 'tokens/import', { body: csv, contentType: 'text/csv' }));

  it.each(MATRIX)('%s: every row lands with its seed, and importing again changes nothing', async (_name, variants) => {
    await app.graph.clearVariants();
    await app.graph.setVariants(variants);
    const prefix = `V${MATRIX.findIndex(([, v]) => v === variants)}`;
    const serials = [1, 2, 3, 4].map((n) => `${prefix}-${n}`);
    const rows = serials.map((serial, index) => `${index === 0 ? 'ada@contoso.com' : ''},${serial},${new Secret({ size: 20 }).base32},30,Token2,C202`);
    const csv = `${HEADER}\n${rows.join('\n')}\n`;

    expect(await importCsv(csv)).toEqual({ imported: 4, unchanged: 0, errors: [] });
    for (const serial of serials) {
      const devices = (await app.graph.state({ serial })).matches?.devices ?? [];
      expect(devices).toHaveLength(1);
      expect(await app.keyVault.secretExists(`seed-${serial}`)).toMatchObject({ exists: true });
    }
    expect((await app.graph.state({ serial: serials[0] })).matches?.devices[0]).toMatchObject({ status: 'activated', assignedTo: { id: adaId } });
    const listed = (await jsonOf(await app.call('GET', `tokens?pageSize=1000`, { roles: ['Tokens.Read'] }))).tokens as { serialNumber: string; status: string; registeredInEntra: boolean }[];
    expect(listed.filter((t) => serials.includes(t.serialNumber)).map((t) => [t.serialNumber, t.status, t.registeredInEntra]).sort()).toEqual([
      [serials[0], 'active', true],
      [serials[1], 'in_stock', true],
      [serials[2], 'in_stock', true],
      [serials[3], 'in_stock', true],
    ]);

    expect(await importCsv(csv)).toEqual({ imported: 0, unchanged: 4, errors: [] });
    // Free the user's slot for the next variant: Entra allows five methods.
    const revoked = await app.call('POST', `users/ada@contoso.com/token/revoke`, { body: JSON.stringify({ reason: 'damaged' }), contentType: 'application/json' });
    expect(revoked.status).toBe(200);
    expect((await app.graph.state({ user: 'ada@contoso.com' })).matches?.devices).toEqual([]);
  });

  it.each([
    ['flat lists', { list: 'flat' as const }],
    ['nested lists', { list: 'nested' as const }],
  ])('%s: a serial registered outside this system is found and refused, and its device and seed are left alone', async (_name, variants) => {
    await app.graph.clearVariants();
    await app.graph.setVariants(variants);
    const serial = `OUT-${variants.list}`;
    await app.graph.seedDevices([{ serialNumber: serial, manufacturer: 'Token2', model: 'C202', secretKey: new Secret({ size: 20 }).base32, timeIntervalInSeconds: 30 }]);
    const answer = await importCsv(`${HEADER}\n,${serial},${new Secret({ size: 20 }).base32},30,Token2,C202\n`);
    expect(answer).toMatchObject({ imported: 0, errors: [{ serial, reason: expect.stringContaining('already registered in Entra outside this system') }] });
    expect((await app.graph.state({ serial })).matches?.devices).toHaveLength(1);
  });
});

import { TableClient } from '@azure/data-tables';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { Secret, TOTP } from 'otpauth';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';

const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';
const newSeed = () => new Secret({ size: 20 }).base32;
const codeAt = (seed: string, at: number, period = 30) => new TOTP({ secret: Secret.fromBase32(seed), period, digits: 6 }).generate({ timestamp: at });

describe('token import through the admin API', () => {
  let app: TestApp;
  let secrets: SecretClient;
  const allSeeds: string[] = [];
  const seed = () => {
    const s = newSeed();
    allSeeds.push(s);
    return s;
  };

  beforeAll(async () => {
    app = await startTestApp();
    await app.graph.seedUsers([
      { displayName: 'Ada Lovelace', userPrincipalName: 'ada@contoso.com', employeeId: 'E1001' },
      { displayName: 'Guest', userPrincipalName: 'guest_fabrikam.com#EXT#@contoso.com', userType: 'Guest' },
    ]);
    const s = app.stack.appSettings;
    const credential = new ClientSecretCredential(s.AZURE_TENANT_ID!, s.AZURE_CLIENT_ID!, s.AZURE_CLIENT_SECRET!, { authorityHost: s.AZURE_AUTHORITY_HOST!, disableInstanceDiscovery: true });
    secrets = new SecretClient(s.KEY_VAULT_URL!, credential, { disableChallengeResourceVerification: true });
  });
  afterAll(async () => {
    await app?.close();
  });

  const importCsv = async (csv: string, roles?: string[]) => app.call('POST', 'tokens/import', { body: csv, contentType: 'text/csv', ...(roles ? { roles } : {}) });
  const listAll = async (query = '') => (await jsonOf(await app.call('GET', `tokens?pageSize=1000${query}`, { roles: ['Tokens.Read'] }))).tokens as { serialNumber: string; status: string; userPrincipalName: string | null; registeredInEntra: boolean }[];

  it('imports the portal CSV: seed in Key Vault, row in the inventory, device in Entra, and assigns the row with a upn', async () => {
    const adaSeed = seed();
    const csv = `${HEADER}\nada@contoso.com,IMP-0001,${adaSeed},30,Token2,C202\n,IMP-0002,${seed()},60,Token2,C202\n,IMP-0003,${seed()},30,Token2,C202\n`;
    const response = await importCsv(csv);
    expect(response.status).toBe(200);
    expect(await jsonOf(response)).toEqual({ imported: 3, unchanged: 0, errors: [] });

    const tokens = await listAll();
    expect(tokens.filter((t) => t.serialNumber.startsWith('IMP-')).map((t) => [t.serialNumber, t.status, t.registeredInEntra]).sort()).toEqual([
      ['IMP-0001', 'active', true],
      ['IMP-0002', 'in_stock', true],
      ['IMP-0003', 'in_stock', true],
    ]);
    const stored = await secrets.getSecret('seed-IMP-0001');
    expect(stored.value).toBe(adaSeed);
    expect(stored.properties.tags).toMatchObject({ serialNumber: 'IMP-0001', manufacturer: 'Token2', model: 'C202', hashFunction: 'hmacsha1' });

    const state = await app.graph.state({ serial: 'IMP-0001' });
    const device = state.matches?.devices[0];
    expect(device).toMatchObject({ serialNumber: 'IMP-0001', status: 'activated' });
    // The user can sign in with the token (the activation code itself is spent).
    const ada = (await app.graph.state({ user: 'ada@contoso.com' })).matches?.user;
    const signIn = await app.graph.signIn({ userId: ada!.id, code: codeAt(adaSeed, Date.now() + 30_000) });
    expect(signIn.ok).toBe(true);
    expect((await app.graph.state({ serial: 'IMP-0002' })).matches?.devices[0]).toMatchObject({ status: 'available' });

    // Importing the same file again changes nothing.
    const again = await importCsv(csv);
    expect(await jsonOf(again)).toEqual({ imported: 0, unchanged: 3, errors: [] });
    expect((await app.graph.state()).devices).toBe(3);
  });

  it('imports Token2 JSON seed files, with the interval as a string', async () => {
    const document = {
      '@context': '#$delta',
      value: [
        { '@contentId': '1', serialNumber: 'T2J-0001', manufacturer: 'Token2', model: 'C302', secretKey: seed(), timeIntervalInSeconds: '30', hashFunction: 'hmacsha1' },
        { '@contentId': '2', serialNumber: 'T2J-0002', manufacturer: 'Token2', model: 'C302', secretKey: newSeed() + newSeed(), timeIntervalInSeconds: 60, hashFunction: 'hmacsha256' },
      ],
    };
    const response = await app.call('POST', 'tokens/import', { body: JSON.stringify(document), contentType: 'application/json' });
    expect(await jsonOf(response)).toEqual({ imported: 2, unchanged: 0, errors: [] });
    const token = await jsonOf(await app.call('GET', 'tokens/T2J-0002', { roles: ['Tokens.Read'] }));
    expect(token).toMatchObject({ serialNumber: 'T2J-0002', hashFunction: 'hmacsha256', timeIntervalInSeconds: 60, status: 'in_stock' });
  });

  it('reports every bad row with its line and writes nothing anywhere for it', async () => {
    await app.graph.seedDevices([{ serialNumber: 'PORTAL-01', manufacturer: 'Token2', model: 'C202', secretKey: newSeed(), timeIntervalInSeconds: 30 }]);
    const before = await app.graph.state();
    const rows = [
      HEADER,
      `,BAD-01,NOT*BASE32,30,Token2,C202`,
      `,BAD-02,${seed()},45,Token2,C202`,
      `,BAD-03,${seed()},30,=cmd|' /C calc'!A0,C202`,
      `,BAD-04,${seed()},30,Token2,C202`,
      `,bad-04,${seed()},30,Token2,C202`,
      `nobody@contoso.com,BAD-05,${seed()},30,Token2,C202`,
      `guest_fabrikam.com#EXT#@contoso.com,BAD-06,${seed()},30,Token2,C202`,
      `,PORTAL-01,${seed()},30,Token2,C202`,
      `,IMP-0002,${seed()},60,Token2,C202`,
    ];
    const response = await importCsv(`${rows.join('\n')}\n`);
    expect(response.status).toBe(200);
    const summary = await jsonOf(response);
    expect(summary.imported).toBe(1);
    expect(summary.errors.map((e: { line: number; serial: string }) => [e.line, e.serial])).toEqual([
      [2, 'BAD-01'],
      [3, 'BAD-02'],
      [4, 'BAD-03'],
      [6, 'bad-04'],
      [7, 'BAD-05'],
      [8, 'BAD-06'],
      [9, 'PORTAL-01'],
      [10, 'IMP-0002'],
    ]);
    const reasons = Object.fromEntries(summary.errors.map((e: { serial: string; reason: string }) => [e.serial, e.reason]));
    expect(reasons['BAD-05']).toBe('user nobody@contoso.com not found in Entra');
    expect(reasons['BAD-06']).toMatch(/guest/);
    expect(reasons['PORTAL-01']).toMatch(/already registered in Entra outside this system/);
    expect(reasons['IMP-0002']).toBe('already in the inventory with a different seed or attributes');

    const serials = (await listAll()).map((t) => t.serialNumber);
    for (const bad of ['BAD-01', 'BAD-02', 'BAD-03', 'BAD-05', 'BAD-06', 'PORTAL-01']) {
      expect(serials).not.toContain(bad);
      expect((await app.keyVault.secretExists(`seed-${bad}`)).exists).toBe(false);
    }
    expect(serials).toContain('BAD-04');
    // Only BAD-04 was added to Entra.
    const after = await app.graph.state();
    expect(after.devices).toBe(before.devices + 1);
    expect((await app.graph.state({ serial: 'PORTAL-01' })).matches?.devices).toHaveLength(1);
  });

  it('refuses files it cannot read as a whole', async () => {
    expect((await importCsv('upn,serial number,time interval,manufacturer,model\n,X1,30,Token2,C202\n')).status).toBe(400);
    const wrongType = await app.call('POST', 'tokens/import', { body: '<xml/>', contentType: 'application/xml' });
    expect(wrongType.status).toBe(415);
    expect(wrongType.headers.get('content-type')).toBe('application/problem+json');
    const huge = `${HEADER}\n${`,X,${'A'.repeat(100)},30,Token2,C202\n`.repeat(100_000)}`;
    expect(Buffer.byteLength(huge)).toBeGreaterThan(10 * 1024 * 1024);
    const tooLarge = await importCsv(huge);
    expect(tooLarge.status).toBe(413);
    expect((await jsonOf(tooLarge)).detail).toMatch(/oathctl import/);
  });

  it('answers 401 without a valid token and 403 without the role, and changes nothing', async () => {
    const csv = `${HEADER}\n,AUTH-01,${seed()},30,Token2,C202\n`;
    const post = (headers: Record<string, string>) => fetch(`${app.api}/tokens/import`, { method: 'POST', headers: { 'content-type': 'text/csv', ...headers }, body: csv });
    expect((await post({})).status).toBe(401);
    const wrongAudience = await app.stack.identity.mintToken({ audience: 'api://someone-else', roles: ['Tokens.Admin'] });
    expect((await post({ authorization: `Bearer ${wrongAudience}` })).status).toBe(401);
    const expired = await app.stack.identity.mintToken({ audience: app.stack.appSettings.ADMIN_AUTH_AUDIENCE!, roles: ['Tokens.Admin'], expiresInSeconds: -600 });
    const expiredAnswer = await post({ authorization: `Bearer ${expired}` });
    expect(expiredAnswer.status).toBe(401);
    expect((await jsonOf(expiredAnswer)).detail).toBe('The bearer token has expired');
    expect((await importCsv(csv, ['Tokens.Read'])).status).toBe(403);
    expect((await importCsv(csv, [])).status).toBe(403);
    expect((await fetch(`${app.api}/tokens`)).status).toBe(401);
    expect((await app.call('GET', 'tokens/AUTH-01', { roles: ['Tokens.Read'] })).status).toBe(404);
    expect((await app.keyVault.secretExists('seed-AUTH-01')).exists).toBe(false);
  });

  it('generates seeds for programmable tokens, answers them once as CSV, and refuses serials in use', async () => {
    const response = await app.call('POST', 'tokens/seeds', {
      body: JSON.stringify({ serials: ['PRG-01', 'PRG-02'], manufacturer: 'Token2', model: 'molto2', timeIntervalInSeconds: 30, hashFunction: 'hmacsha256' }),
      contentType: 'application/json',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const lines = (await response.text()).trim().split('\r\n');
    expect(lines[0]).toBe('serial,secret key');
    const generated: Record<string, string> = Object.fromEntries(lines.slice(1).map((l) => l.split(',')));
    expect(Object.keys(generated).sort()).toEqual(['PRG-01', 'PRG-02']);
    expect(generated['PRG-01']).toMatch(/^[A-Z2-7]{52}$/);
    allSeeds.push(...Object.values(generated));
    expect((await secrets.getSecret('seed-PRG-01')).value).toBe(generated['PRG-01']);
    const token = await jsonOf(await app.call('GET', 'tokens/PRG-01', { roles: ['Tokens.Read'] }));
    expect(token).toMatchObject({ seedOrigin: 'generated', hashFunction: 'hmacsha256', status: 'in_stock', registeredInEntra: true });

    const again = await app.call('POST', 'tokens/seeds', {
      body: JSON.stringify({ serials: ['PRG-02', 'PRG-03'], manufacturer: 'Token2', model: 'molto2' }),
      contentType: 'application/json',
    });
    expect(again.status).toBe(409);
    expect((await jsonOf(again)).errors).toEqual([{ path: 'serials.0', message: 'PRG-02: already in the inventory (in_stock)' }]);
    expect((await app.call('GET', 'tokens/PRG-03', { roles: ['Tokens.Read'] })).status).toBe(404);
  });

  it('pages the inventory with continuation tokens and filters it', async () => {
    const first = await jsonOf(await app.call('GET', 'tokens?pageSize=2&status=in_stock', { roles: ['Tokens.Read'] }));
    expect(first.tokens).toHaveLength(2);
    expect(first.continuationToken).toEqual(expect.any(String));
    const second = await jsonOf(await app.call('GET', `tokens?pageSize=2&status=in_stock&continuationToken=${encodeURIComponent(first.continuationToken)}`, { roles: ['Tokens.Read'] }));
    expect(second.tokens.map((t: { serialNumber: string }) => t.serialNumber)).not.toContain(first.tokens[0].serialNumber);
    const byUser = await listAll('&user=ada@contoso.com');
    expect(byUser.map((t) => t.serialNumber)).toEqual(['IMP-0001']);
    expect((await app.call('GET', 'tokens?status=bogus', { roles: ['Tokens.Read'] })).status).toBe(400);
  });

  it('never lets a seed reach a log line, a table row or an inventory answer', async () => {
    const text = [...app.logs, JSON.stringify(await listAll())];
    for (const table of ['tokens', 'audit']) {
      const client = TableClient.fromConnectionString(app.stack.azurite.connectionString, table, { allowInsecureConnection: true });
      for await (const entity of client.listEntities()) text.push(JSON.stringify(entity));
    }
    const everything = text.join('\n');
    expect(everything).toContain('IMP-0001');
    for (const s of allSeeds) expect(everything).not.toContain(s);
  });
});

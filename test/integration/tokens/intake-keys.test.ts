import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { TableClient } from '@azure/data-tables';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import * as openpgp from 'openpgp';
import { Secret } from 'otpauth';
import { buildPskc, parsePskc } from '../../../shared/domain/pskc';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';

/**
 * Setting intake up from a terminal: `oathctl keys` makes the OpenPGP intake key through the API (the
 * private half only ever in Key Vault), a vendor encrypts to the public key it prints, and `oathctl
 * import` sends PSKC and OpenPGP files; `oathctl seeds --format pskc` answers generated seeds as PSKC.
 */

const run = promisify(execFile);
const TSX = path.resolve(__dirname, '../../../node_modules/tsx/dist/cli.mjs');
const OATHCTL = path.resolve(__dirname, '../../../cli/oathctl.ts');
const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';
const EXPORT_KEY = '00112233445566778899aabbccddeeff';

describe('oathctl keys, intake and PSKC export', () => {
  let app: TestApp;
  let secrets: SecretClient;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const secretTexts: string[] = [EXPORT_KEY];
  const outputs: string[] = [];
  const oathctl = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    let result: { code: number; stdout: string; stderr: string };
    try {
      const { stdout, stderr } = await run(process.execPath, [TSX, OATHCTL, ...args], { env });
      result = { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      result = { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
    outputs.push(result.stdout, result.stderr);
    return result;
  };
  const seed = () => {
    const s = new Secret({ size: 20 }).base32;
    secretTexts.push(s);
    return s;
  };

  beforeAll(async () => {
    app = await startTestApp();
    dir = mkdtempSync(path.join(os.tmpdir(), 'oathctl-keys-'));
    env = { ...process.env, OATHCTL_URL: app.host.url, OATHCTL_TOKEN: await app.adminToken(['Tokens.Admin']) };
    const s = app.stack.appSettings;
    const credential = new ClientSecretCredential(s.AZURE_TENANT_ID!, s.AZURE_CLIENT_ID!, s.AZURE_CLIENT_SECRET!, { authorityHost: s.AZURE_AUTHORITY_HOST!, disableInstanceDiscovery: true });
    secrets = new SecretClient(s.KEY_VAULT_URL!, credential, { disableChallengeResourceVerification: true });
    await secrets.setSecret('pskc-key-vendor-a', EXPORT_KEY);
    await secrets.setSecret('pskc-key-vendor-b', 'a long shared passphrase');
    secretTexts.push('a long shared passphrase');
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('generates the intake key: the private half in Key Vault, only the public key printed', async () => {
    const before = await oathctl('keys');
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/openpgp intake .*not made yet/);

    const publicFile = path.join(dir, 'intake.asc');
    const made = await oathctl('keys', 'generate', '--name', 'Contoso seed intake', '--email', 'it@contoso.com', '--out', publicFile);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/Intake key [0-9A-F]{40} .*Contoso seed intake <it@contoso.com>/);
    const publicKey = await openpgp.readKey({ armoredKey: readFileSync(publicFile, 'utf8') });
    expect(publicKey.isPrivate()).toBe(false);

    const privateArmored = (await secrets.getSecret('seed-file-pgp-key')).value!;
    const passphrase = (await secrets.getSecret('seed-file-pgp-key-passphrase')).value!;
    secretTexts.push(passphrase, privateArmored.split('\n')[3]!);
    const privateKey = await openpgp.readPrivateKey({ armoredKey: privateArmored });
    expect(privateKey.isDecrypted()).toBe(false);
    await openpgp.decryptKey({ privateKey, passphrase });
    expect(privateKey.getFingerprint()).toBe(publicKey.getFingerprint());

    const again = await oathctl('keys', 'generate');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/409 .*An intake key exists .*"replace": true/);
    const shown = await oathctl('keys', 'public');
    expect((await openpgp.readKey({ armoredKey: shown.stdout })).getFingerprint()).toBe(publicKey.getFingerprint());
  });

  it('lists the configured keys to readers, and lets only admins make one', async () => {
    const list = await app.call('GET', 'tokens/intake-keys', { roles: ['Tokens.Read'] });
    expect(list.status).toBe(200);
    const view = await jsonOf(list);
    expect(view.pgp).toMatchObject({ configured: true, secretName: 'seed-file-pgp-key', fingerprint: expect.stringMatching(/^[0-9A-F]{40}$/), userIds: ['Contoso seed intake <it@contoso.com>'] });
    expect(view.pgp.publicKey).toContain('BEGIN PGP PUBLIC KEY BLOCK');
    expect(JSON.stringify(view)).not.toContain('PRIVATE KEY');
    expect(view.signers).toEqual([]);
    expect(view.pskc.map((k: { keyName: string }) => k.keyName)).toEqual(['vendor-a', 'vendor-b']);
    expect((await app.call('POST', 'tokens/intake-keys', { roles: ['Tokens.Read'], body: '{}', contentType: 'application/json' })).status).toBe(403);
    expect((await app.call('POST', 'tokens/intake-keys', { body: '{"type":"dsa"}', contentType: 'application/json' })).status).toBe(400);
    const table = await oathctl('keys', 'list');
    expect(table.stdout).toMatch(/pskc vendor-a +pskc-key-vendor-a/);
  });

  it('imports a file the vendor encrypted to the printed public key, and a PSKC file, with oathctl import', async () => {
    const publicKey = await openpgp.readKey({ armoredKey: readFileSync(path.join(dir, 'intake.asc'), 'utf8') });
    const pgpSeed = seed();
    const encrypted = await openpgp.encrypt({ message: await openpgp.createMessage({ text: `${HEADER}\n,CLI-PGP-1,${pgpSeed},30,Token2,C202\n` }), encryptionKeys: publicKey, format: 'binary' });
    const pgpFile = path.join(dir, 'seeds.csv.gpg');
    writeFileSync(pgpFile, encrypted as Uint8Array);
    const imported = await oathctl('import', pgpFile, '--json');
    expect(imported.stderr).toBe('');
    expect(JSON.parse(imported.stdout)).toEqual({ imported: 1, unchanged: 0, errors: [] });
    expect((await secrets.getSecret('seed-CLI-PGP-1')).value).toBe(pgpSeed);

    // A PSKC file of our own export format, read back through the CLI with the vendor's key.
    const pskcSeed = seed();
    const document = await buildPskc([{ line: 1, serialNumber: 'CLI-PSKC-1', seed: pskcSeed, timeIntervalInSeconds: 30, hashFunction: 'hmacsha1', manufacturer: 'Feitian', model: 'c200', pool: '' }], { kind: 'preshared', keyName: 'vendor-a', key: Buffer.from(EXPORT_KEY, 'hex') });
    const pskcFile = path.join(dir, 'seeds.pskcxml');
    writeFileSync(pskcFile, document);
    const fromPskc = await oathctl('import', pskcFile, '--key-name', 'vendor-a', '--pool', 'ZRH');
    expect(fromPskc.stdout).toContain('Imported 1, unchanged 0, rejected 0.');
    expect((await secrets.getSecret('seed-CLI-PSKC-1')).value).toBe(pskcSeed);
    expect(await jsonOf(await app.call('GET', 'tokens/CLI-PSKC-1', { roles: ['Tokens.Read'] }))).toMatchObject({ pool: 'ZRH', model: 'c200' });
    const wrongKey = await oathctl('import', pskcFile, '--key-name', 'vendor-b');
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/400 .*cannot be imported/);
  });

  it('answers generated seeds once as PSKC encrypted with the named key, matching Key Vault', async () => {
    const out = path.join(dir, 'export.pskcxml');
    const result = await oathctl('seeds', '--serials', 'EXP-1,EXP-2', '--manufacturer', 'Token2', '--model', 'molto2', '--format', 'pskc', '--key-name', 'vendor-a', '--out', out);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const document = readFileSync(out, 'utf8');
    const rows = await parsePskc(document, { key: { keyName: 'vendor-a', secret: EXPORT_KEY }, now: new Date() });
    expect(rows.map((r) => r.ok && r.row.serialNumber)).toEqual(['EXP-1', 'EXP-2']);
    for (const row of rows) {
      if (!row.ok) throw new Error(row.error.reason);
      secretTexts.push(row.row.seed);
      expect((await secrets.getSecret(`seed-${row.row.serialNumber}`)).value).toBe(row.row.seed);
      expect(document).not.toContain(row.row.seed);
    }

    const passphrase = await app.call('POST', 'tokens/seeds', {
      body: JSON.stringify({ serials: ['EXP-3'], manufacturer: 'Token2', model: 'molto2', export: { format: 'pskc', keyName: 'vendor-b', keyType: 'passphrase' } }),
      contentType: 'application/json',
    });
    expect(passphrase.status).toBe(200);
    expect(passphrase.headers.get('content-type')).toMatch(/^application\/pskc\+xml/);
    expect(passphrase.headers.get('cache-control')).toBe('no-store');
    const derived = await parsePskc(await passphrase.text(), { key: { keyName: 'vendor-b', secret: 'a long shared passphrase' }, now: new Date() });
    expect(derived).toHaveLength(1);
    if (derived[0]?.ok) secretTexts.push(derived[0].row.seed);
    expect(derived[0]).toMatchObject({ ok: true, row: { serialNumber: 'EXP-3' } });
  });

  it('refuses an export whose key is missing or not an AES key, generating nothing', async () => {
    for (const [keyName, keyType, serial] of [['nobody', 'preshared', 'EXP-4'], ['vendor-b', 'preshared', 'EXP-5']]) {
      const answer = await app.call('POST', 'tokens/seeds', {
        body: JSON.stringify({ serials: [serial], manufacturer: 'Token2', model: 'molto2', export: { format: 'pskc', keyName, keyType } }),
        contentType: 'application/json',
      });
      expect(answer.status).toBe(400);
      expect((await jsonOf(answer)).detail).toMatch(/nothing was generated/);
      expect((await app.call('GET', `tokens/${serial}`, { roles: ['Tokens.Read'] })).status).toBe(404);
      expect((await app.keyVault.secretExists(`seed-${serial}`)).exists).toBe(false);
    }
    expect((await oathctl('seeds', '--serials', 'EXP-6', '--manufacturer', 'Token2', '--model', 'm', '--format', 'pskc')).code).toBe(2);
  });

  it('leaves no seed, key or passphrase in a log line, a table row or oathctl output', async () => {
    const text = [...app.logs, ...outputs];
    for (const table of ['tokens', 'audit']) {
      const client = TableClient.fromConnectionString(app.stack.azurite.connectionString, table, { allowInsecureConnection: true });
      for await (const entity of client.listEntities()) text.push(JSON.stringify(entity));
    }
    const everything = text.join('\n');
    expect(everything).toContain('intake-key.generated');
    for (const secret of secretTexts) expect(everything).not.toContain(secret);
  });
});

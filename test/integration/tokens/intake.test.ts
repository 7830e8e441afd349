import { TableClient } from '@azure/data-tables';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { Secret } from 'otpauth';
import { SEALED_FILE_REASON } from '../../../shared/domain/importFile';
import { totpCode } from '../../../shared/domain/seed';
import { startTestApp, type TestApp } from '../../support/app';

/**
 * Seed files as vendors send them: hex seeds, PSKC (RFC 6030) and OpenPGP-encrypted files, through the
 * admin API against the whole local stack. Every secret used here is collected, and the last test
 * checks that none reached a log line, a table row or an answer.
 */

const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';
/** RFC 6238's SHA-1 test secret ("12345678901234567890"), which is also RFC 6030's example secret. */
const RFC_SECRET_HEX = '3132333435363738393031323334353637383930';
const RFC_SECRET_BASE32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

const fixture = (name: string) => readFileSync(path.resolve(__dirname, '../../fixtures/pskc', name), 'utf8');
/** RFC 6030 figures 6 and 7 as printed, and their pre-shared key and passphrase. */
const FIGURE6 = fixture('rfc6030-figure6.xml');
const FIGURE7 = fixture('rfc6030-figure7.xml');
const PRE_SHARED_KEY = '12345678901234567890123456789012';
const PASSPHRASE = 'qwerty';
/** Every RFC 6030 example is an 8-digit HOTP key; Entra takes 6-digit TOTP. Only those two attributes change. */
const asTotp = (document: string, serial = '987654321') =>
  document.replace('urn:ietf:params:xml:ns:keyprov:pskc:hotp', 'urn:ietf:params:xml:ns:keyprov:pskc:totp').replace('Length="8"', 'Length="6"').replace('987654321', serial);

describe('seed file intake through the admin API', () => {
  let app: TestApp;
  let secrets: SecretClient;
  /** Every seed, key and passphrase the tests use: none may show up anywhere. */
  const secretTexts: string[] = [RFC_SECRET_HEX, RFC_SECRET_BASE32, PRE_SHARED_KEY, '1122334455667788990011223344556677889900'];
  const answers: string[] = [];

  beforeAll(async () => {
    app = await startTestApp();
    const s = app.stack.appSettings;
    const credential = new ClientSecretCredential(s.AZURE_TENANT_ID!, s.AZURE_CLIENT_ID!, s.AZURE_CLIENT_SECRET!, { authorityHost: s.AZURE_AUTHORITY_HOST!, disableInstanceDiscovery: true });
    secrets = new SecretClient(s.KEY_VAULT_URL!, credential, { disableChallengeResourceVerification: true });
    await secrets.setSecret('pskc-key-rfc6030', PRE_SHARED_KEY);
    await secrets.setSecret('pskc-key-rfc6030-passphrase', PASSPHRASE);
    await secrets.setSecret('pskc-key-someone-else', 'ffeeddccbbaa99887766554433221100');
  });
  afterAll(async () => {
    await app?.close();
  });

  const post = async (route: string, body: string | Buffer, contentType: string) => {
    const response = await app.call('POST', route, { body, contentType });
    const text = await response.text();
    answers.push(text);
    return { status: response.status, text, body: (() => { try { return JSON.parse(text); } catch { return undefined; } })() };
  };
  /** The code Key Vault's copy of a serial's seed gives now, against the one the expected seed gives. */
  const expectSeedInVault = async (serial: string, expectedBase32: string, interval: 30 | 60 = 30) => {
    const stored = (await secrets.getSecret(`seed-${serial}`)).value!;
    const now = new Date();
    expect(totpCode(stored, interval, 'hmacsha1', now)).toBe(totpCode(expectedBase32, interval, 'hmacsha1', now));
  };
  const nothingWritten = async (serial: string) => {
    expect((await app.call('GET', `tokens/${serial}`, { roles: ['Tokens.Read'] })).status).toBe(404);
    expect((await app.keyVault.secretExists(`seed-${serial}`)).exists).toBe(false);
    expect((await app.graph.state({ serial })).matches?.devices ?? []).toHaveLength(0);
  };

  describe('explicit seed encodings', () => {
    it('converts hex seeds to Base32 with ?seedEncoding=hex or a "seed encoding" column', async () => {
      const all = await post('tokens/import?seedEncoding=hex', `${HEADER}\n,HEX-01,${RFC_SECRET_HEX},30,Token2,C202\n`, 'text/csv');
      expect(all.body).toEqual({ imported: 1, unchanged: 0, errors: [] });
      await expectSeedInVault('HEX-01', RFC_SECRET_BASE32);
      const column = await post('tokens/import', `${HEADER},seed encoding\n,HEX-02,${RFC_SECRET_HEX.toLowerCase()},30,Token2,C202,hex\n`, 'text/csv');
      expect(column.body).toEqual({ imported: 1, unchanged: 0, errors: [] });
      expect((await secrets.getSecret('seed-HEX-02')).value).toBe(RFC_SECRET_BASE32);
    });

    it('refuses a hex-looking seed in a Base32 file, saying so, and writes nothing for it', async () => {
      const answer = await post('tokens/import', `${HEADER}\n,HEX-03,${RFC_SECRET_HEX},30,Token2,C202\n`, 'text/csv');
      expect(answer.body.imported).toBe(0);
      expect(answer.body.errors).toEqual([{ line: 2, serial: 'HEX-03', reason: expect.stringMatching(/looks like hex/) }]);
      await nothingWritten('HEX-03');
      expect((await post('tokens/import?seedEncoding=base64', `${HEADER}\n`, 'text/csv')).status).toBe(400);
    });
  });

  describe('PSKC (RFC 6030)', () => {
    const importPskc = (document: string, query: string) => post(`tokens/import?${query}`, document, 'application/pskc+xml');

    it('refuses the RFC documents as printed (8-digit HOTP keys), naming the KeyPackage, and writes nothing', async () => {
      const answer = await importPskc(FIGURE6, 'keyName=rfc6030&model=RFC6030');
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ imported: 0, unchanged: 0, errors: [{ line: 1, serial: '987654321', reason: expect.stringMatching(/^KeyPackage 1: algorithm .*hotp" is not supported/) }] });
      await nothingWritten('987654321');
    });

    it('imports figure 6 (pre-shared AES-128 key) with the RFC secret in Key Vault', async () => {
      const answer = await importPskc(asTotp(FIGURE6), 'keyName=rfc6030&model=RFC6030');
      expect(answer.body).toEqual({ imported: 1, unchanged: 0, errors: [] });
      await expectSeedInVault('987654321', RFC_SECRET_BASE32);
      const token = await (await app.call('GET', 'tokens/987654321', { roles: ['Tokens.Read'] })).json();
      expect(token).toMatchObject({ manufacturer: 'Manufacturer', model: 'RFC6030', timeIntervalInSeconds: 30, hashFunction: 'hmacsha1', status: 'in_stock', registeredInEntra: true });
      expect((await app.graph.state({ serial: '987654321' })).matches?.devices[0]).toMatchObject({ status: 'available' });
      // The same file again changes nothing.
      expect((await importPskc(asTotp(FIGURE6), 'keyName=rfc6030&model=RFC6030')).body).toEqual({ imported: 0, unchanged: 1, errors: [] });
    });

    it('imports figure 7 (PBKDF2 from a passphrase) with the RFC secret in Key Vault', async () => {
      const answer = await importPskc(asTotp(FIGURE7, '987654322'), 'keyName=rfc6030-passphrase&model=RFC6030&pool=GVA');
      expect(answer.body).toEqual({ imported: 1, unchanged: 0, errors: [] });
      await expectSeedInVault('987654322', RFC_SECRET_BASE32);
      expect(await (await app.call('GET', 'tokens/987654322', { roles: ['Tokens.Read'] })).json()).toMatchObject({ manufacturer: 'TokenVendorAcme', pool: 'GVA' });
    });

    it('refuses a changed MAC, a wrong key, an unknown key and an unsupported cipher, writing nothing', async () => {
      const tampered = asTotp(FIGURE6, '987654323').replace('Su+NvtQfmvfJzF6bmQiJqoLRExc=', 'Tu+NvtQfmvfJzF6bmQiJqoLRExc=');
      const mac = await importPskc(tampered, 'keyName=rfc6030&model=RFC6030');
      expect(mac.status).toBe(400);
      expect(mac.body.detail).toBe(`The file cannot be imported: ${SEALED_FILE_REASON}`);
      const wrongKey = await importPskc(asTotp(FIGURE6, '987654324'), 'keyName=someone-else&model=RFC6030');
      expect(wrongKey.status).toBe(400);
      expect(wrongKey.text).toBe(mac.text);
      const wrongPassphrase = await importPskc(asTotp(FIGURE7, '987654325'), 'keyName=rfc6030&model=RFC6030');
      expect(wrongPassphrase.status).toBe(400);
      expect(wrongPassphrase.text).toBe(mac.text);
      const unknown = await importPskc(asTotp(FIGURE6, '987654326'), 'keyName=nobody&model=RFC6030');
      expect(unknown.status).toBe(400);
      expect(unknown.body.detail).toMatch(/no PSKC key named "nobody"/);
      const noKey = await importPskc(asTotp(FIGURE6, '987654327'), 'model=RFC6030');
      expect(noKey.body.detail).toMatch(/\?keyName=/);
      const tripleDes = await importPskc(asTotp(FIGURE6, '987654328').replace(/xmlenc#aes128-cbc/g, 'xmlenc#tripledes-cbc'), 'keyName=rfc6030&model=RFC6030');
      expect(tripleDes.status).toBe(400);
      expect(tripleDes.body.detail).toMatch(/tripledes-cbc" is not supported/);
      for (const serial of ['987654323', '987654324', '987654325', '987654326', '987654327', '987654328']) await nothingWritten(serial);
      expect((await post('tokens/import?keyName=rfc6030', 'a,b\n', 'text/csv')).status).toBe(400);
    });
  });

  describe('OpenPGP-encrypted seed files', () => {
    let intakePublicKey: openpgp.Key;
    let strangerPublicKey: openpgp.Key;
    const newSeed = () => {
      const seed = new Secret({ size: 20 }).base32;
      secretTexts.push(seed);
      return seed;
    };
    const encrypt = async (text: string, to: openpgp.Key, armored: boolean): Promise<string | Buffer> => {
      const message = await openpgp.createMessage({ text });
      if (armored) return (await openpgp.encrypt({ message, encryptionKeys: to })) as string;
      return Buffer.from((await openpgp.encrypt({ message, encryptionKeys: to, format: 'binary' })) as Uint8Array);
    };

    beforeAll(async () => {
      const passphrase = 'intake passphrase for the test';
      secretTexts.push(passphrase);
      const intake = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Contoso seed intake' }], passphrase, format: 'armored' });
      await secrets.setSecret('seed-file-pgp-key', intake.privateKey);
      await secrets.setSecret('seed-file-pgp-key-passphrase', passphrase);
      intakePublicKey = await openpgp.readKey({ armoredKey: intake.publicKey });
      const stranger = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Someone else' }], format: 'armored' });
      strangerPublicKey = await openpgp.readKey({ armoredKey: stranger.publicKey });
    });

    it('imports an armoured CSV and a binary Token2 JSON file encrypted to the intake key', async () => {
      const csvSeed = newSeed();
      const armored = await encrypt(`${HEADER}\n,PGP-01,${csvSeed},30,Token2,C202\n`, intakePublicKey, true);
      const fromCsv = await post('tokens/import', armored, 'application/pgp-encrypted');
      expect(fromCsv.body).toEqual({ imported: 1, unchanged: 0, errors: [] });
      await expectSeedInVault('PGP-01', csvSeed);

      const jsonSeed = newSeed();
      const document = JSON.stringify({ '@context': '#$delta', value: [{ serialNumber: 'PGP-02', manufacturer: 'Token2', model: 'C302', secretKey: jsonSeed, timeIntervalInSeconds: '60' }] });
      const fromJson = await post('tokens/import', await encrypt(document, intakePublicKey, false), 'application/pgp-encrypted');
      expect(fromJson.body).toEqual({ imported: 1, unchanged: 0, errors: [] });
      await expectSeedInVault('PGP-02', jsonSeed, 60);

      // Hex seeds inside an encrypted file, declared on the request.
      const hexFile = await encrypt(`${HEADER}\n,PGP-03,${RFC_SECRET_HEX},30,Token2,C202\n`, intakePublicKey, true);
      expect((await post('tokens/import?seedEncoding=hex', hexFile, 'application/pgp-encrypted')).body).toEqual({ imported: 1, unchanged: 0, errors: [] });
      expect((await secrets.getSecret('seed-PGP-03')).value).toBe(RFC_SECRET_BASE32);
    });

    it('refuses a file encrypted to another key, and one that is not OpenPGP, writing nothing', async () => {
      const toStranger = await encrypt(`${HEADER}\n,PGP-04,${newSeed()},30,Token2,C202\n`, strangerPublicKey, true);
      const refused = await post('tokens/import', toStranger, 'application/pgp-encrypted');
      expect(refused.status).toBe(400);
      expect(refused.body.detail).toBe(`The file cannot be imported: ${SEALED_FILE_REASON}`);
      const garbage = await post('tokens/import', `${HEADER}\n,PGP-05,${newSeed()},30,Token2,C202\n`, 'application/pgp-encrypted');
      expect(garbage.status).toBe(400);
      expect(garbage.body.detail).toMatch(/not an OpenPGP message/);
      await nothingWritten('PGP-04');
      await nothingWritten('PGP-05');
    });
  });

  it('never lets a seed, key or passphrase reach a log line, a table row or an answer', async () => {
    const text = [...app.logs, ...answers];
    for (const table of ['tokens', 'audit']) {
      const client = TableClient.fromConnectionString(app.stack.azurite.connectionString, table, { allowInsecureConnection: true });
      for await (const entity of client.listEntities()) text.push(JSON.stringify(entity));
    }
    const everything = text.join('\n');
    expect(everything).toContain('HEX-01');
    for (const secret of secretTexts) {
      expect(everything).not.toContain(secret);
      expect(everything.toLowerCase()).not.toContain(secret.toLowerCase());
    }
  });
});

import { TableClient } from '@azure/data-tables';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
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

describe('seed file intake through the admin API', () => {
  let app: TestApp;
  let secrets: SecretClient;
  /** Every seed, key and passphrase the tests use: none may show up anywhere. */
  const secretTexts: string[] = [RFC_SECRET_HEX, RFC_SECRET_BASE32];
  const answers: string[] = [];

  beforeAll(async () => {
    app = await startTestApp();
    const s = app.stack.appSettings;
    const credential = new ClientSecretCredential(s.AZURE_TENANT_ID!, s.AZURE_CLIENT_ID!, s.AZURE_CLIENT_SECRET!, { authorityHost: s.AZURE_AUTHORITY_HOST!, disableInstanceDiscovery: true });
    secrets = new SecretClient(s.KEY_VAULT_URL!, credential, { disableChallengeResourceVerification: true });
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

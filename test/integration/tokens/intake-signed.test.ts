import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import * as openpgp from 'openpgp';
import { Secret } from 'otpauth';
import { SEALED_FILE_REASON } from '../../../shared/domain/importFile';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';

/** SEED_FILE_PGP_SIGNER_KEYS set: an OpenPGP seed file imports only when a listed vendor key signed it. */

const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';

describe('OpenPGP seed files with a required vendor signature', () => {
  let app: TestApp;
  let intake: openpgp.Key;
  let vendor: openpgp.PrivateKey;
  let impostor: openpgp.PrivateKey;
  const seeds: string[] = [];

  beforeAll(async () => {
    const generate = (name: string) => openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name }], format: 'armored' });
    const [intakePair, vendorPair, impostorPair] = await Promise.all([generate('Contoso seed intake'), generate('Token2 seed files'), generate('Not Token2')]);
    // Armoured keys written the way a one-line app setting carries them: newlines as \n.
    app = await startTestApp({ settings: { SEED_FILE_PGP_SIGNER_KEYS: vendorPair.publicKey.replace(/\r?\n/g, '\\n') } });
    const s = app.stack.appSettings;
    const credential = new ClientSecretCredential(s.AZURE_TENANT_ID!, s.AZURE_CLIENT_ID!, s.AZURE_CLIENT_SECRET!, { authorityHost: s.AZURE_AUTHORITY_HOST!, disableInstanceDiscovery: true });
    const secrets = new SecretClient(s.KEY_VAULT_URL!, credential, { disableChallengeResourceVerification: true });
    await secrets.setSecret('seed-file-pgp-key', intakePair.privateKey);
    intake = await openpgp.readKey({ armoredKey: intakePair.publicKey });
    vendor = await openpgp.readPrivateKey({ armoredKey: vendorPair.privateKey });
    impostor = await openpgp.readPrivateKey({ armoredKey: impostorPair.privateKey });
  });
  afterAll(async () => {
    await app?.close();
  });

  const file = async (serial: string, signer?: openpgp.PrivateKey) => {
    const seed = new Secret({ size: 20 }).base32;
    seeds.push(seed);
    const message = await openpgp.createMessage({ text: `${HEADER}\n,${serial},${seed},30,Token2,C202\n` });
    return (await openpgp.encrypt({ message, encryptionKeys: intake, ...(signer ? { signingKeys: signer } : {}) })) as string;
  };
  const importFile = async (body: string) => {
    const response = await app.call('POST', 'tokens/import', { body, contentType: 'application/pgp-encrypted' });
    return { status: response.status, body: await jsonOf(response) };
  };

  it('imports a file the vendor signed', async () => {
    expect(await importFile(await file('SIG-01', vendor))).toEqual({ status: 200, body: { imported: 1, unchanged: 0, errors: [] } });
  });

  it('refuses a file signed by another key, or not signed, and writes nothing', async () => {
    for (const [serial, signer] of [['SIG-02', impostor], ['SIG-03', undefined]] as const) {
      const answer = await importFile(await file(serial, signer));
      expect(answer.status).toBe(400);
      // A missing or foreign signature gets the one answer of a file that cannot be authenticated.
      expect(answer.body.detail).toBe(`The file cannot be imported: ${SEALED_FILE_REASON}`);
      expect((await app.call('GET', `tokens/${serial}`, { roles: ['Tokens.Read'] })).status).toBe(404);
      expect((await app.keyVault.secretExists(`seed-${serial}`)).exists).toBe(false);
    }
    const everything = app.logs.join('\n');
    for (const seed of seeds) expect(everything).not.toContain(seed);
  });
});

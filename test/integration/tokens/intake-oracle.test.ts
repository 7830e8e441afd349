import { TableClient } from '@azure/data-tables';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { Secret } from 'otpauth';
import { tableIntakeFailures } from '../../../shared/adapters/tableIntakeFailures';
import { SEALED_FILE_REASON } from '../../../shared/domain/importFile';
import { systemClock } from '../../../shared/ports';
import { TABLES } from '../../../shared/app/storageNames';
import { INTAKE_FAILURES_PER_HOUR } from '../../../shared/workflows/intakeLimit';
import { pskcMutations } from '../../support/pskcMutations';
import { startTestApp, type TestApp } from '../../support/app';
import { sendChunked } from '../../support/chunked';

/**
 * The padding-oracle attack of issue 21 through the real import endpoint: a Tokens.Admin holding a
 * vendor's encrypted PSKC file (and an OpenPGP one) sends altered copies and reads the answers. Every
 * copy gets the same status, headers and body, byte for byte; each refusal is audited with its caller,
 * and after ten refusals in an hour the caller gets 429 with Retry-After before the file is read.
 */

const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';
const fixture = (name: string) => readFileSync(path.resolve(__dirname, '../../fixtures/pskc', name), 'utf8');
const PRE_SHARED_KEY = '12345678901234567890123456789012';
/** RFC 6030 figure 6 as a TOTP key (the MAC covers the encrypted value only, so its cryptography is untouched). */
const FIGURE6 = fixture('rfc6030-figure6.xml').replace('urn:ietf:params:xml:ns:keyprov:pskc:hotp', 'urn:ietf:params:xml:ns:keyprov:pskc:totp').replace('Length="8"', 'Length="6"');
const ONE_ANSWER = `The file cannot be imported: ${SEALED_FILE_REASON}`;

interface Answer {
  status: number;
  headers: string;
  body: string;
}

describe('seed file intake against a padding-oracle probe', () => {
  let app: TestApp;
  let intakePublicKey: openpgp.Key;
  const table = (name: string) => TableClient.fromConnectionString(app.stack.azurite.connectionString, name, { allowInsecureConnection: true });

  beforeAll(async () => {
    app = await startTestApp();
    const s = app.stack.appSettings;
    const credential = new ClientSecretCredential(s.AZURE_TENANT_ID!, s.AZURE_CLIENT_ID!, s.AZURE_CLIENT_SECRET!, { authorityHost: s.AZURE_AUTHORITY_HOST!, disableInstanceDiscovery: true });
    const secrets = new SecretClient(s.KEY_VAULT_URL!, credential, { disableChallengeResourceVerification: true });
    const intake = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Contoso seed intake' }], format: 'armored' });
    await Promise.all([
      secrets.setSecret('pskc-key-vendor', PRE_SHARED_KEY),
      secrets.setSecret('pskc-key-other', 'ffeeddccbbaa99887766554433221100'),
      secrets.setSecret('pskc-key-passphrase', 'not a hex key at all'),
      secrets.setSecret('seed-file-pgp-key', intake.privateKey),
    ]);
    intakePublicKey = await openpgp.readKey({ armoredKey: intake.publicKey });
  });
  afterAll(async () => {
    await app?.close();
  });

  /** One import as `subject`, its answer kept whole: status, the headers a client sees, and the body. */
  const send = async (subject: string, body: string | Buffer, contentType: string, query = ''): Promise<Answer> => {
    const response = await app.call('POST', `tokens/import${query}`, { subject, body, contentType });
    const headers = [...response.headers.entries()].filter(([name]) => !['date', 'connection', 'keep-alive'].includes(name)).map(([name, value]) => `${name}: ${value}`);
    return { status: response.status, headers: headers.sort().join('\n'), body: await response.text() };
  };
  const pgpFile = async (serial: string, to: openpgp.Key = intakePublicKey): Promise<Buffer> => {
    const message = await openpgp.createMessage({ text: `${HEADER}\n,${serial},${new Secret({ size: 20 }).base32},30,Token2,C202\n` });
    return Buffer.from((await openpgp.encrypt({ message, encryptionKeys: to, format: 'binary' })) as Uint8Array);
  };
  const flipped = (file: Buffer, at: number): Buffer => {
    const copy = Buffer.from(file);
    const index = at < 0 ? copy.length + at : at;
    copy[index] = (copy[index] ?? 0) ^ 0x01;
    return copy;
  };

  it('answers every altered copy, PSKC or OpenPGP, with one and the same answer, and imports none of them', async () => {
    const all = pskcMutations(FIGURE6, PRE_SHARED_KEY);
    // Every probe whose MAC key padding comes out valid, and as many that do not, plus the other alterations.
    const valid = all.filter((m) => m.validPadding === true);
    const invalid = all.filter((m) => m.validPadding === false).slice(0, 24);
    const others = all.filter((m) => m.validPadding === undefined);
    expect(valid.length).toBeGreaterThan(0);
    const stranger = await openpgp.readKey({ armoredKey: (await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Someone else' }], format: 'armored' })).publicKey });
    const pgp = await pgpFile('ORACLE-PGP');
    const probes: { name: string; send: (subject: string) => Promise<Answer> }[] = [
      ...[...valid, ...invalid, ...others].map((m) => ({ name: m.name, send: (subject: string) => send(subject, m.document, 'application/pskc+xml', '?keyName=vendor&model=C200') })),
      { name: 'another pre-shared key named', send: (subject) => send(subject, FIGURE6, 'application/pskc+xml', '?keyName=other&model=C200') },
      { name: 'a passphrase named for a pre-shared-key file', send: (subject) => send(subject, FIGURE6, 'application/pskc+xml', '?keyName=passphrase&model=C200') },
      { name: 'OpenPGP: encrypted to another key', send: async (subject) => send(subject, await pgpFile('ORACLE-PGP-2', stranger), 'application/pgp-encrypted') },
      { name: 'OpenPGP: session key packet altered', send: (subject) => send(subject, flipped(pgp, 40), 'application/pgp-encrypted') },
      { name: 'OpenPGP: encrypted data altered', send: (subject) => send(subject, flipped(pgp, -5), 'application/pgp-encrypted') },
      { name: 'OpenPGP: encrypted data altered earlier', send: (subject) => send(subject, flipped(pgp, -40), 'application/pgp-encrypted') },
    ];
    const answers = new Map<string, string[]>();
    for (const [i, probe] of probes.entries()) {
      // A caller of its own for each probe: this test is about the answers, the next about the limit.
      const answer = await probe.send(`oracle-prober-${i}`);
      const key = JSON.stringify(answer);
      answers.set(key, [...(answers.get(key) ?? []), probe.name]);
    }
    expect(answers.size).toBe(1);
    const [only] = [...answers.keys()].map((key) => JSON.parse(key) as Answer);
    expect(only!.status).toBe(400);
    expect(only!.headers).toContain('content-type: application/problem+json');
    expect(JSON.parse(only!.body)).toEqual({ type: 'about:blank', title: 'Bad Request', status: 400, detail: ONE_ANSWER });

    expect((await app.call('GET', 'tokens/987654321', { roles: ['Tokens.Read'] })).status).toBe(404);
    expect((await app.keyVault.secretExists('seed-987654321')).exists).toBe(false);
    expect((await app.keyVault.secretExists('seed-ORACLE-PGP')).exists).toBe(false);
    // The unaltered files import: the answers above are refusals of the alterations, not of the files.
    expect(await send('oracle-genuine', FIGURE6, 'application/pskc+xml', '?keyName=vendor&model=C200')).toMatchObject({ status: 200 });
    expect(JSON.parse((await send('oracle-genuine', pgp, 'application/pgp-encrypted')).body)).toEqual({ imported: 1, unchanged: 0, errors: [] });
  });

  it('audits each refusal with its caller and answers 429 with Retry-After after ten in an hour, before reading the file', async () => {
    const prober = 'limit-prober';
    const probes = pskcMutations(FIGURE6, PRE_SHARED_KEY).slice(0, INTAKE_FAILURES_PER_HOUR);
    for (const probe of probes) {
      expect(await send(prober, probe.document, 'application/pskc+xml', '?keyName=vendor&model=C200')).toMatchObject({ status: 400 });
    }
    // The eleventh, even a good file, is not read.
    const limited = await app.call('POST', 'tokens/import?keyName=vendor&model=C200', { subject: prober, body: FIGURE6.replace('987654321', 'LIMIT-1'), contentType: 'application/pskc+xml' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toBe('application/problem+json');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(await limited.json()).toMatchObject({ status: 429, title: 'Too Many Requests' });
    expect((await app.call('GET', 'tokens/LIMIT-1', { roles: ['Tokens.Read'] })).status).toBe(404);
    // Not read indeed: a body that would never end is answered 429 after what the socket buffers took.
    const endless = await sendChunked(`${app.api}/tokens/import?keyName=vendor`, { 'content-type': 'application/pskc+xml', authorization: `Bearer ${await app.adminToken(['Tokens.Admin'], prober)}` }, 256 * 1024 * 1024);
    expect(endless.status).toBe(429);
    expect(endless.sent).toBeLessThan(16 * 1024 * 1024);

    // Another caller is not held back by this one.
    expect(await send('limit-bystander', FIGURE6.replace('987654321', 'LIMIT-2'), 'application/pskc+xml', '?keyName=vendor&model=C200')).toMatchObject({ status: 200 });

    // The count is in Table storage, so every instance sees it: a fresh reader of the table refuses too.
    const elsewhere = tableIntakeFailures(table(TABLES.intakeFailures), systemClock, INTAKE_FAILURES_PER_HOUR);
    expect(await elsewhere.claim(prober)).toMatchObject({ ok: false });

    const audit: { action: string; outcome: string; callerOid?: string; detail?: string }[] = [];
    for await (const entity of table(TABLES.audit).listEntities<{ action: string; outcome: string; callerOid?: string; detail?: string }>()) audit.push(entity);
    const mine = audit.filter((entry) => entry.callerOid === prober);
    expect(mine).toHaveLength(INTAKE_FAILURES_PER_HOUR + 2);
    expect(mine.every((entry) => entry.action === 'tokens.import.refused' && entry.outcome === 'rejected')).toBe(true);
    expect(mine.filter((entry) => entry.detail?.endsWith(SEALED_FILE_REASON))).toHaveLength(INTAKE_FAILURES_PER_HOUR);
    expect(mine.filter((entry) => entry.detail?.includes('not read'))).toHaveLength(2);
    // Every probe of the first test was audited with its own caller too.
    expect(audit.filter((entry) => entry.callerOid?.startsWith('oracle-prober-')).length).toBeGreaterThan(30);
  });

  it('answers 413 for an OpenPGP file that inflates past the import limit, without inflating it whole', async () => {
    // 64 MiB of one repeated line compresses (zlib) to well under the 5 MB a request may carry.
    const line = ',BOMB-1,JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP,30,Token2,C202\n';
    const text = `${HEADER}\n${line.repeat(Math.ceil((64 * 1024 * 1024) / line.length))}`;
    const message = await openpgp.createMessage({ text });
    const bomb = Buffer.from(
      (await openpgp.encrypt({ message, encryptionKeys: intakePublicKey, format: 'binary', config: { preferredCompressionAlgorithm: openpgp.enums.compression.zlib } })) as Uint8Array,
    );
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const answer = await send('bomb-sender', bomb, 'application/pgp-encrypted');
    expect(answer.status).toBe(413);
    expect(answer.headers).toContain('content-type: application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ status: 413, title: 'Content Too Large', detail: expect.stringMatching(/decompresses to more than 5 MB/) });
    expect((await app.call('GET', 'tokens/BOMB-1', { roles: ['Tokens.Read'] })).status).toBe(404);
    const audited: { callerOid?: string; action: string; detail?: string }[] = [];
    for await (const entity of table(TABLES.audit).listEntities<{ callerOid?: string; action: string; detail?: string }>()) if (entity.callerOid === 'bomb-sender') audited.push(entity);
    expect(audited).toEqual([expect.objectContaining({ action: 'tokens.import.refused', detail: 'pgp file: the file decompresses to more than 5 MB' })]);
  });

  it('keeps the budget exact across concurrent intakes, and gives slots back to files that were not refused', async () => {
    const limit = tableIntakeFailures(table(TABLES.intakeFailures), systemClock, INTAKE_FAILURES_PER_HOUR);
    const claims = await Promise.all(Array.from({ length: 16 }, () => limit.claim('concurrent-caller')));
    expect(claims.filter((c) => c.ok)).toHaveLength(INTAKE_FAILURES_PER_HOUR);
    for (const claim of claims) if (claim.ok) await claim.slot.release();
    for (let i = 0; i < INTAKE_FAILURES_PER_HOUR * 2; i++) {
      const claim = await limit.claim('successful-caller');
      if (!claim.ok) throw new Error(`claim ${i} refused`);
      await claim.slot.release();
    }
  });
});

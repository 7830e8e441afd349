import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ImportFileError, SEALED_FILE_REASON, SealedFileError, type ImportRow, type ParsedRow } from '../../shared/domain/importFile';
import { buildPskc, parsePskc, type PskcOptions } from '../../shared/domain/pskc';
import { generateSeed } from '../../shared/domain/seed';
import { pskcMutations } from '../support/pskcMutations';

/**
 * RFC 6030's own examples are the test vectors: figure 6 (section 6.1, AES-128-CBC with a pre-shared
 * key, HMAC-SHA1) and figure 7 (section 6.2, PBKDF2 from the passphrase "qwerty"). Both carry the
 * secret "12345678901234567890" (RFC 4226's), in Base32 below. Every RFC example is an 8-digit HOTP key,
 * which Entra does not take, so the TOTP variants change only the Key's Algorithm and ResponseFormat
 * Length: the MAC covers the encrypted value alone, so the RFC's cryptography stays untouched.
 */

const fixture = (name: string) => readFileSync(path.resolve(__dirname, '../fixtures/pskc', name), 'utf8');
const FIGURE6 = fixture('rfc6030-figure6.xml');
const FIGURE7 = fixture('rfc6030-figure7.xml');
const PRE_SHARED_KEY = '12345678901234567890123456789012';
const PASSPHRASE = 'qwerty';
const RFC_SECRET_BASE32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const NOW = new Date('2026-12-01T12:00:00Z');

const asTotp = (document: string): string => document.replace('urn:ietf:params:xml:ns:keyprov:pskc:hotp', 'urn:ietf:params:xml:ns:keyprov:pskc:totp').replace('Length="8"', 'Length="6"');

const withPsk = (secret = PRE_SHARED_KEY): PskcOptions => ({ key: { keyName: 'acme', secret }, model: 'RFC6030', now: NOW });
const refusal = async (document: string, options: PskcOptions): Promise<string> => {
  try {
    await parsePskc(document, options);
  } catch (error) {
    expect(error).toBeInstanceOf(ImportFileError);
    return (error as Error).message;
  }
  throw new Error('the file was not refused');
};
const only = (rows: ParsedRow[]): ParsedRow => {
  expect(rows).toHaveLength(1);
  return rows[0]!;
};

describe('PSKC (RFC 6030)', () => {
  it('decrypts figure 6 (pre-shared AES-128 key, HMAC-SHA1) to the RFC secret', async () => {
    expect(only(await parsePskc(asTotp(FIGURE6), withPsk()))).toEqual({
      ok: true,
      row: { line: 1, serialNumber: '987654321', seed: RFC_SECRET_BASE32, timeIntervalInSeconds: 30, hashFunction: 'hmacsha1', manufacturer: 'Manufacturer', model: 'RFC6030', pool: '' },
    });
  });

  it('derives figure 7\'s key with PBKDF2 from the passphrase and decrypts the RFC secret', async () => {
    const row = only(await parsePskc(asTotp(FIGURE7), { ...withPsk(PASSPHRASE) }));
    expect(row).toMatchObject({ ok: true, row: { serialNumber: '987654321', seed: RFC_SECRET_BASE32, manufacturer: 'TokenVendorAcme' } });
  });

  it('refuses the RFC documents as they are, naming the KeyPackage: an 8-digit HOTP key is not a TOTP key', async () => {
    for (const [document, secret] of [[FIGURE6, PRE_SHARED_KEY], [FIGURE7, PASSPHRASE]] as const) {
      const row = only(await parsePskc(document, withPsk(secret)));
      expect(row).toEqual({ ok: false, error: { line: 1, serial: '987654321', reason: expect.stringMatching(/^KeyPackage 1: algorithm "urn:ietf:params:xml:ns:keyprov:pskc:hotp" is not supported/) } });
    }
    const eightDigits = FIGURE6.replace('pskc:hotp', 'pskc:totp');
    expect(only(await parsePskc(eightDigits, withPsk()))).toMatchObject({ ok: false, error: { reason: expect.stringMatching(/"8" digits .*6-digit/) } });
  });

  it('refuses the whole file when a MAC does not verify, with the one answer: a changed MAC, a changed ciphertext, a wrong key or passphrase', async () => {
    const changedMac = asTotp(FIGURE6).replace('Su+NvtQfmvfJzF6bmQiJqoLRExc=', 'Tu+NvtQfmvfJzF6bmQiJqoLRExc=');
    expect(await refusal(changedMac, withPsk())).toBe(SEALED_FILE_REASON);
    const changedCipher = asTotp(FIGURE6).replace('AAECAwQFBgcICQoLDA0OD+cIHItlB3Wra1DUpxVvOx2lef1V', 'AAECAwQFBgcICQoLDA0OD+cIHItlB3Wra1DUpxVvOx2lef1W');
    expect(await refusal(changedCipher, withPsk())).toBe(SEALED_FILE_REASON);
    expect(await refusal(asTotp(FIGURE6), withPsk('00112233445566778899aabbccddeeff'))).toBe(SEALED_FILE_REASON);
    expect(await refusal(asTotp(FIGURE7), withPsk('qwertz'))).toBe(SEALED_FILE_REASON);
    // A passphrase named for a pre-shared-key file, or a key of another size: what the key is, is not told either.
    expect(await refusal(asTotp(FIGURE6), withPsk(PASSPHRASE))).toBe(SEALED_FILE_REASON);
    expect(await refusal(asTotp(FIGURE6), withPsk('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'))).toBe(SEALED_FILE_REASON);
  });

  it('gives a padding-oracle probe nothing: every altered copy of an encrypted file gets the same refusal, valid MAC-key padding or not', async () => {
    const mutations = pskcMutations(asTotp(FIGURE6), PRE_SHARED_KEY);
    // The sweep meets both kinds of MAC key: most with broken padding, some (0x01 at the end...) with valid padding.
    const sweep = mutations.filter((m) => m.validPadding !== undefined);
    expect(sweep.filter((m) => m.validPadding).length).toBeGreaterThan(0);
    expect(sweep.filter((m) => !m.validPadding).length).toBeGreaterThan(200);
    const answers = new Set<string>();
    for (const mutation of mutations) {
      let refused: unknown;
      try {
        await parsePskc(mutation.document, withPsk());
      } catch (error) {
        refused = error;
      }
      expect([mutation.name, refused]).toEqual([mutation.name, expect.any(SealedFileError)]);
      answers.add(`${(refused as Error).name}: ${(refused as Error).message}`);
    }
    expect([...answers]).toEqual([`SealedFileError: ${SEALED_FILE_REASON}`]);
    // Unaltered, the same file opens.
    expect(only(await parsePskc(asTotp(FIGURE6), withPsk()))).toMatchObject({ ok: true, row: { seed: RFC_SECRET_BASE32 } });
  });

  it('does the same for a file this app exported (PBKDF2 from a passphrase), and for a secret whose padding is wrong under a valid MAC', async () => {
    const seed = generateSeed('hmacsha1');
    const exported = await buildPskc([{ line: 1, serialNumber: 'EXP-1', seed, timeIntervalInSeconds: 30, hashFunction: 'hmacsha1', manufacturer: 'Feitian', model: 'c200', pool: '' }], { kind: 'passphrase', keyName: 'k', passphrase: 'a passphrase for the export' });
    const options = { key: { keyName: 'k', secret: 'a passphrase for the export' }, now: NOW };
    expect(only(await parsePskc(exported, options))).toMatchObject({ ok: true, row: { seed } });
    const changed = exported.replace(/(<pskc:ValueMAC>)(.)/, (_w, open: string, first: string) => `${open}${first === 'A' ? 'B' : 'A'}`);
    expect(await refusal(changed, options)).toBe(SEALED_FILE_REASON);
    expect(await refusal(exported, { ...options, key: { keyName: 'k', secret: 'another passphrase' } })).toBe(SEALED_FILE_REASON);

    // Figure 6 with a secret whose padding is broken but whose MAC is right (the sender made it so).
    const key = Buffer.from(PRE_SHARED_KEY, 'hex');
    const macKeyValue = Buffer.from('ESIzRFVmd4iZABEiM0RVZgKn6WjLaTC1sbeBMSvIhRejN9vJa2BOlSaMrR7I5wSX', 'base64');
    const macKeyDecipher = createDecipheriv('aes-128-cbc', key, macKeyValue.subarray(0, 16));
    const macKey = Buffer.concat([macKeyDecipher.update(macKeyValue.subarray(16)), macKeyDecipher.final()]);
    const iv = Buffer.alloc(16, 7);
    const cipher = createCipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
    const padding = Buffer.alloc(12, 0x0c);
    padding[5] = 0x0b;
    const value = Buffer.concat([iv, cipher.update(Buffer.concat([Buffer.from('12345678901234567890'), padding])), cipher.final()]);
    const badPadding = asTotp(FIGURE6)
      .replace('AAECAwQFBgcICQoLDA0OD+cIHItlB3Wra1DUpxVvOx2lef1VmNPCMl8jwZqIUqGv', value.toString('base64'))
      .replace('Su+NvtQfmvfJzF6bmQiJqoLRExc=', createHmac('sha1', macKey).update(value).digest('base64'));
    expect(await refusal(badPadding, withPsk())).toBe(SEALED_FILE_REASON);
  });

  it('checks every MAC before it reads any KeyPackage: one bad package refuses a file of good ones', async () => {
    const good = asTotp(FIGURE6);
    const start = good.indexOf('<KeyPackage>');
    const end = good.indexOf('</KeyPackage>') + '</KeyPackage>'.length;
    const second = good.slice(start, end).replace('987654321', '987654322').replace('Su+NvtQfmvfJzF6bmQiJqoLRExc=', 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=');
    const twoPackages = `${good.slice(0, end)}\n${second}${good.slice(end)}`;
    // Which package failed is not said either.
    expect(await refusal(twoPackages, withPsk())).toBe(SEALED_FILE_REASON);
  });

  it('refuses what it cannot decrypt or authenticate: other ciphers, MACs, key derivations, no key named, no MAC', async () => {
    const tripleDes = asTotp(FIGURE6).replace(/xmlenc#aes128-cbc/g, 'xmlenc#tripledes-cbc');
    expect(await refusal(tripleDes, withPsk())).toMatch(/encryption algorithm "http:\/\/www.w3.org\/2001\/04\/xmlenc#tripledes-cbc" is not supported/);
    const md5Mac = asTotp(FIGURE6).replace('xmldsig#hmac-sha1', 'xmldsig-more#hmac-md5');
    expect(await refusal(md5Mac, withPsk())).toMatch(/MACMethod .* is not supported/);
    const scrypt = asTotp(FIGURE7).replace('pkcs-5v2-0#pbkdf2', 'pkcs-5v2-0#scrypt');
    expect(await refusal(scrypt, withPsk(PASSPHRASE))).toMatch(/key derivation .* is not supported/);
    expect(await refusal(asTotp(FIGURE6), { now: NOW })).toMatch(/name its key with \?keyName=/);
    const noMac = asTotp(FIGURE6).replace(/<ValueMAC>[^<]*<\/ValueMAC>/, '');
    expect(await refusal(noMac, withPsk())).toMatch(/no ValueMAC/);
  });

  it('resolves elements by namespace URI, whatever the prefixes, and only by it', async () => {
    // Figure 6 with the PSKC namespace on prefix "k" and xmldsig/xmlenc on other prefixes.
    const renamed = asTotp(FIGURE6)
      .replace(/<(\/?)(KeyContainer|EncryptionKey|MACMethod|MACKey|KeyPackage|DeviceInfo|Manufacturer|SerialNo|CryptoModuleInfo|Id|Key|Issuer|AlgorithmParameters|ResponseFormat|Data|Secret|EncryptedValue|ValueMAC|Counter|PlainValue)\b/g, '<$1k:$2')
      .replace('xmlns="urn:ietf:params:xml:ns:keyprov:pskc"', 'xmlns:k="urn:ietf:params:xml:ns:keyprov:pskc"')
      .replace(/ds:/g, 'sig:')
      .replace('xmlns:ds=', 'xmlns:sig=')
      .replace(/xenc:/g, 'e:')
      .replace('xmlns:xenc=', 'xmlns:e=');
    expect(renamed).toContain('<k:KeyPackage>');
    expect(only(await parsePskc(renamed, withPsk()))).toMatchObject({ ok: true, row: { seed: RFC_SECRET_BASE32 } });
    const otherNamespace = FIGURE6.replace('xmlns="urn:ietf:params:xml:ns:keyprov:pskc"', 'xmlns="urn:example:not-pskc"');
    expect(await refusal(otherNamespace, withPsk())).toMatch(/not a PSKC file/);
  });

  it('reads what another implementation writes: python-pskc 1.2 (Debian), pre-shared key and PBKDF2 in the XML Encryption 1.1 form', async () => {
    // Both carry the secret "12345678901234567890"; the PBKDF2 one was written with the passphrase "qwertyuiop".
    const preshared = only(await parsePskc(fixture('python-pskc-preshared.xml'), { key: { keyName: 'vendor', secret: PRE_SHARED_KEY }, now: NOW }));
    expect(preshared).toMatchObject({ ok: true, row: { serialNumber: 'PY-1', seed: RFC_SECRET_BASE32, timeIntervalInSeconds: 30, manufacturer: 'Feitian', model: 'c200' } });
    const derived = only(await parsePskc(fixture('python-pskc-pbkdf2.xml'), { key: { keyName: 'vendor', secret: 'qwertyuiop' }, now: NOW }));
    expect(derived).toMatchObject({ ok: true, row: { serialNumber: 'PY-2', seed: RFC_SECRET_BASE32, timeIntervalInSeconds: 60 } });
  });

  it('reads plain TOTP packages: serial, manufacturer, model, interval, digits and suite, and the Policy', async () => {
    const secret = (text: string) => Buffer.from(text).toString('base64');
    const keyPackage = (serial: string, body: string, extra = '') => `
  <KeyPackage>
    <DeviceInfo><Manufacturer>Feitian</Manufacturer><SerialNo>${serial}</SerialNo><Model>c200</Model></DeviceInfo>
    <Key Id="${serial}" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp">${body}
      <Data>
        <Secret><PlainValue>${secret('12345678901234567890')}</PlainValue></Secret>
        <Time><PlainValue>0</PlainValue></Time>
        <TimeInterval><PlainValue>60</PlainValue></TimeInterval>
      </Data>${extra}
    </Key>
  </KeyPackage>`;
    const params = (suite: string, length = '6') => `<AlgorithmParameters><Suite>${suite}</Suite><ResponseFormat Length="${length}" Encoding="DECIMAL"/></AlgorithmParameters>`;
    const document = `<?xml version="1.0"?><KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
      ${keyPackage('FT-1', params('HMAC-SHA1'))}
      ${keyPackage('FT-2', params('HMAC-SHA256'), '<Policy><KeyUsage>OTP</KeyUsage><ExpiryDate>2037-12-31T00:00:00Z</ExpiryDate></Policy>')}
      ${keyPackage('FT-3', params('HMAC-SHA512'))}
      ${keyPackage('FT-4', params('HMAC-SHA1', '8'))}
      ${keyPackage('FT-5', params('HMAC-SHA1'), '<Policy><ExpiryDate>2020-01-01T00:00:00Z</ExpiryDate></Policy>')}
      ${keyPackage('FT-6', params('HMAC-SHA1'), '<Policy><KeyUsage>Encrypt</KeyUsage></Policy>')}
    </KeyContainer>`;
    const rows = await parsePskc(document, { now: NOW });
    expect(rows.map((r) => (r.ok ? [r.row.serialNumber, r.row.hashFunction, r.row.timeIntervalInSeconds, r.row.model, r.row.seed] : [r.error.line, r.error.reason]))).toEqual([
      ['FT-1', 'hmacsha1', 60, 'c200', RFC_SECRET_BASE32],
      ['FT-2', 'hmacsha256', 60, 'c200', RFC_SECRET_BASE32],
      [3, 'KeyPackage 3: Suite "HMAC-SHA512" is not supported (HMAC-SHA1 or HMAC-SHA256)'],
      [4, 'KeyPackage 4: codes of "8" digits are not supported: Entra takes 6-digit codes'],
      [5, 'KeyPackage 5: the key expired on "2020-01-01T00:00:00Z"'],
      [6, 'KeyPackage 6: its Policy does not allow KeyUsage OTP'],
    ]);
    expect(JSON.stringify(rows.filter((r) => !r.ok))).not.toContain(RFC_SECRET_BASE32);
  });

  it('asks for the model when DeviceInfo has none, and refuses documents it will not read', async () => {
    expect(only(await parsePskc(asTotp(FIGURE6), { key: { keyName: 'acme', secret: PRE_SHARED_KEY }, now: NOW }))).toMatchObject({ ok: false, error: { reason: 'KeyPackage 1: model is empty' } });
    expect(await refusal('<KeyContainer', { now: NOW })).toMatch(/not well-formed XML/);
    expect(await refusal('<!DOCTYPE x [<!ENTITY a "b">]><KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"/>', { now: NOW })).toMatch(/DOCTYPE/);
    expect(await refusal('<KeyContainer Version="2.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"/>', { now: NOW })).toMatch(/Version "2.0"/);
    expect(await refusal('<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"/>', { now: NOW })).toMatch(/no KeyPackage/);
  });

  describe('export', () => {
    const rows: ImportRow[] = [
      { line: 1, serialNumber: 'PRG-1', seed: generateSeed('hmacsha1'), timeIntervalInSeconds: 30, hashFunction: 'hmacsha1', manufacturer: 'Token2', model: 'molto2 & co', pool: '' },
      { line: 2, serialNumber: 'PRG-2', seed: generateSeed('hmacsha256'), timeIntervalInSeconds: 60, hashFunction: 'hmacsha256', manufacturer: 'Token2', model: 'molto2', pool: '' },
    ];
    const back = (parsed: ParsedRow[]) => parsed.map((r) => (r.ok ? [r.row.serialNumber, r.row.seed, r.row.timeIntervalInSeconds, r.row.hashFunction, r.row.model] : r.error.reason));
    const expected = rows.map((r) => [r.serialNumber, r.seed, r.timeIntervalInSeconds, r.hashFunction, r.model]);

    it('writes a pre-shared-key document that reads back to the same seeds, with no seed in the clear', async () => {
      const document = await buildPskc(rows, { kind: 'preshared', keyName: 'vendor', key: Buffer.from(PRE_SHARED_KEY, 'hex') });
      for (const row of rows) expect(document).not.toContain(row.seed);
      expect(document).toContain('<ds:KeyName>vendor</ds:KeyName>');
      expect(back(await parsePskc(document, withPsk()))).toEqual(expected);
      expect(await refusal(document, withPsk('ffeeddccbbaa99887766554433221100'))).toBe(SEALED_FILE_REASON);
    });

    it('writes a PBKDF2 document that reads back with the passphrase only', async () => {
      const document = await buildPskc(rows, { kind: 'passphrase', keyName: 'vendor', passphrase: 'correct horse battery staple' });
      expect(document).toContain('<xenc11:MasterKeyName>vendor</xenc11:MasterKeyName>');
      expect(back(await parsePskc(document, withPsk('correct horse battery staple')))).toEqual(expected);
      expect(await refusal(document, withPsk('wrong horse'))).toBe(SEALED_FILE_REASON);
    });
  });
});

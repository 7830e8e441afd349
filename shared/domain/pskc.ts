import { createCipheriv, createDecipheriv, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { checkRow, ImportFileError, SealedFileError, type ImportRow, type ParsedRow } from './importFile';
import { base32FromBytes, bytesFromBase32 } from './seedEncoding';
import type { HashFunction } from './seed';

/**
 * PSKC, the Portable Symmetric Key Container (RFC 6030), as Feitian and most traditional vendors ship
 * seeds: KeyPackages of TOTP keys whose secrets are plain, or encrypted (AES-CBC) with a pre-shared key
 * or a PBKDF2-derived one and protected by a MAC. Elements are found by namespace URI, never by prefix.
 *
 * Every MAC in the file is checked before any secret is decrypted, and one that does not verify refuses
 * the whole file. Decrypted secrets live only in the rows handed to the import; reasons name the
 * KeyPackage (its position, 1 = first, is the row's `line`) and never carry a value.
 *
 * What can be read without a key (the XML, the algorithms named, the base64) is refused in its own words;
 * everything that involves the key (the key's size, the MAC key, a MAC, a secret's padding) fails with the
 * one SealedFileError, so altered copies of a vendor's file teach their sender nothing (a padding oracle).
 */

export const PSKC_MEDIA_TYPE = 'application/pskc+xml';

const NS = {
  pskc: 'urn:ietf:params:xml:ns:keyprov:pskc',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
  xenc11: 'http://www.w3.org/2009/xmlenc11#',
  pkcs5: 'http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#',
} as const;

const TOTP_ALGORITHM = 'urn:ietf:params:xml:ns:keyprov:pskc:totp';

const CIPHERS: Record<string, { name: string; keyLength: number }> = {
  'http://www.w3.org/2001/04/xmlenc#aes128-cbc': { name: 'aes-128-cbc', keyLength: 16 },
  'http://www.w3.org/2001/04/xmlenc#aes192-cbc': { name: 'aes-192-cbc', keyLength: 24 },
  'http://www.w3.org/2001/04/xmlenc#aes256-cbc': { name: 'aes-256-cbc', keyLength: 32 },
};

const MACS: Record<string, 'sha1' | 'sha256'> = {
  'http://www.w3.org/2000/09/xmldsig#hmac-sha1': 'sha1',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha256': 'sha256',
};

const PBKDF2_ALGORITHMS = new Set(['http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2', 'http://www.w3.org/2009/xmlenc11#pbkdf2']);

/** PBKDF2 work a file may ask of us: enough for any real vendor, not enough to stall the instance. */
const MAX_PBKDF2_ITERATIONS = 2_000_000;

const pbkdf2Async = promisify(pbkdf2);

/** RFC 6030's examples use 20-byte MAC keys; fewer than 16 bytes is not a key a vendor makes. */
const MIN_MAC_KEY_BYTES = 16;

/** The Key Vault secret the request named: a hex AES key for a pre-shared-key file, the passphrase for a PBKDF2 one. */
export interface PskcKey {
  keyName: string;
  secret: string;
}

export interface PskcOptions {
  key?: PskcKey;
  /** For KeyPackages whose DeviceInfo has no Manufacturer or Model. */
  manufacturer?: string;
  model?: string;
  pool?: string;
  now: Date;
}

/** URIs and names from the file go into reasons cut short: they are not secret, but they are not ours. */
const quoted = (text: string): string => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);

const elements = (parent: Element): Element[] => {
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) if (node.nodeType === 1) found.push(node as Element);
  return found;
};
/** Children named `local` in namespace `ns` (any namespace when null). */
const children = (parent: Element, ns: string | null, local: string): Element[] =>
  elements(parent).filter((e) => e.localName === local && (ns === null || e.namespaceURI === ns));
const child = (parent: Element | undefined, ns: string | null, local: string): Element | undefined => (parent ? children(parent, ns, local)[0] : undefined);
const textOf = (element: Element | undefined): string | undefined => (element ? (element.textContent ?? '').trim() : undefined);

function base64(text: string, what: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) throw new ImportFileError(`${what} is not base64`);
  return Buffer.from(compact, 'base64');
}

function parseXml(xml: string): Element {
  if (/<!DOCTYPE/i.test(xml)) throw new ImportFileError('a PSKC file may not carry a DOCTYPE');
  let problem: string | undefined;
  const parser = new DOMParser({
    onError: (level, message) => {
      // The parser's own words may quote the document; keep only where it stopped.
      if (level !== 'warning') problem ??= /line:(\d+)/.exec(message)?.[1] ?? '';
    },
  });
  let root: Element | null = null;
  try {
    root = parser.parseFromString(xml, 'text/xml').documentElement;
  } catch {
    problem ??= '';
  }
  if (problem !== undefined || !root) throw new ImportFileError(`not well-formed XML${problem ? ` (at line ${problem})` : ''}`);
  if (root.localName !== 'KeyContainer' || root.namespaceURI !== NS.pskc) {
    throw new ImportFileError(`not a PSKC file: expected a KeyContainer in ${NS.pskc}`);
  }
  const version = root.getAttribute('Version');
  if (version !== '1.0') throw new ImportFileError(`PSKC Version ${quoted(version ?? '')} is not supported (only 1.0)`);
  return root;
}

/** An xenc EncryptedData-like element: EncryptionMethod plus CipherData/CipherValue (IV, then ciphertext). */
interface Encrypted {
  cipher: { name: string; keyLength: number };
  value: Buffer;
}

function encryptedOf(element: Element, where: string): Encrypted {
  const algorithm = child(element, NS.xenc, 'EncryptionMethod')?.getAttribute('Algorithm') ?? '';
  const cipher = CIPHERS[algorithm];
  if (!cipher) throw new ImportFileError(`${where}: encryption algorithm ${quoted(algorithm)} is not supported (AES-128/192/256-CBC only)`);
  const cipherValue = textOf(child(child(element, NS.xenc, 'CipherData'), NS.xenc, 'CipherValue'));
  if (!cipherValue) throw new ImportFileError(`${where}: no xenc:CipherData/CipherValue`);
  const value = base64(cipherValue, `${where}: CipherValue`);
  if (value.length < 32 || value.length % 16 !== 0) throw new ImportFileError(`${where}: CipherValue is not an IV followed by whole AES blocks`);
  return { cipher, value };
}

/** AES-CBC without the padding check: what the key and IV give, padding included. */
function decryptRaw(encrypted: Encrypted, key: Buffer): Buffer {
  if (key.length !== encrypted.cipher.keyLength) throw new SealedFileError();
  const decipher = createDecipheriv(encrypted.cipher.name, key, encrypted.value.subarray(0, 16));
  decipher.setAutoPadding(false);
  return Buffer.concat([decipher.update(encrypted.value.subarray(16)), decipher.final()]);
}

/** The length of the PKCS #7-padded plaintext without its padding, or undefined when the padding is not valid; every byte is looked at either way. */
function unpaddedLength(plain: Buffer): number | undefined {
  const pad = plain[plain.length - 1] ?? 0;
  let bad = pad === 0 || pad > 16 ? 1 : 0;
  for (let i = 1; i <= 16; i++) bad |= (i <= pad ? 1 : 0) & ((plain[plain.length - i] ?? 0) !== pad ? 1 : 0);
  return bad === 0 ? plain.length - pad : undefined;
}

/** A secret whose MAC has verified: its padding can only be wrong if its sender made it so, and still says nothing new. */
function decrypt(encrypted: Encrypted, key: Buffer): Buffer {
  const plain = decryptRaw(encrypted, key);
  const length = unpaddedLength(plain);
  if (length === undefined) {
    plain.fill(0);
    throw new SealedFileError();
  }
  return plain.subarray(0, length);
}

async function encryptionKeyOf(root: Element, key: PskcKey | undefined): Promise<Buffer | undefined> {
  const encryptionKey = child(root, NS.pskc, 'EncryptionKey');
  if (!encryptionKey) return undefined;
  const needKey = () => {
    if (!key) throw new ImportFileError('the file is encrypted: name its key with ?keyName= (kept in Key Vault, never sent with the file)');
    return key;
  };
  const derived = child(encryptionKey, NS.xenc11, 'DerivedKey');
  if (derived) {
    const method = child(derived, NS.xenc11, 'KeyDerivationMethod');
    const algorithm = method?.getAttribute('Algorithm') ?? '';
    if (!PBKDF2_ALGORITHMS.has(algorithm)) throw new ImportFileError(`key derivation ${quoted(algorithm)} is not supported (PBKDF2 only)`);
    // RFC 6030 writes the PKCS #5 schema's element; XML Encryption 1.1 (and tools that follow it) its own.
    const params = child(method, NS.pkcs5, 'PBKDF2-params') ?? child(method, NS.xenc11, 'PBKDF2-params');
    const salt = textOf(child(child(params, null, 'Salt'), null, 'Specified'));
    const iterations = Number(textOf(child(params, null, 'IterationCount')));
    const length = Number(textOf(child(params, null, 'KeyLength')));
    if (!salt) throw new ImportFileError('PBKDF2-params has no Salt/Specified');
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) throw new ImportFileError(`PBKDF2 IterationCount must be a whole number from 1 to ${MAX_PBKDF2_ITERATIONS}`);
    if (![16, 24, 32].includes(length)) throw new ImportFileError('PBKDF2 KeyLength must be 16, 24 or 32');
    const prfAlgorithm = child(params, null, 'PRF')?.getAttribute('Algorithm') ?? '';
    const prf = prfAlgorithm === '' ? 'sha1' : MACS[prfAlgorithm];
    if (!prf) throw new ImportFileError(`PBKDF2 PRF ${quoted(prfAlgorithm)} is not supported (HMAC-SHA1 or HMAC-SHA256)`);
    return pbkdf2Async(Buffer.from(needKey().secret, 'utf8'), base64(salt, 'PBKDF2 Salt'), iterations, length, prf);
  }
  if (child(encryptionKey, NS.ds, 'KeyName')) {
    const hex = needKey().secret.trim();
    // Which key the secret is (its size, its form) is not told either: the file names the cipher it wants.
    if (!/^([0-9A-Fa-f]{32}|[0-9A-Fa-f]{48}|[0-9A-Fa-f]{64})$/.test(hex)) throw new SealedFileError();
    return Buffer.from(hex, 'hex');
  }
  throw new ImportFileError('EncryptionKey is not supported: only a pre-shared key (ds:KeyName) or a PBKDF2-derived key (xenc11:DerivedKey)');
}

interface MacKey {
  hash: 'sha1' | 'sha256';
  key: Buffer;
}

function macKeyOf(root: Element, encryptionKey: Buffer | undefined): MacKey | undefined {
  const method = child(root, NS.pskc, 'MACMethod');
  if (!method) return undefined;
  const algorithm = method.getAttribute('Algorithm') ?? '';
  const hash = MACS[algorithm];
  if (!hash) throw new ImportFileError(`MACMethod ${quoted(algorithm)} is not supported (HMAC-SHA1 or HMAC-SHA256)`);
  const macKey = child(method, NS.pskc, 'MACKey');
  if (!macKey) throw new ImportFileError('MACMethod has no MACKey (a MACKeyReference to a key agreed elsewhere is not supported)');
  if (!encryptionKey) throw new ImportFileError('MACMethod has an encrypted MACKey but the file has no EncryptionKey');
  // RFC 6030 (6.1.1) encrypts the MAC key with the file's key and puts no MAC over it, so it must be
  // decrypted first. Its padding is never judged aloud: a MAC key whose padding is not valid is replaced
  // by a random one, and the file then fails its MACs exactly as with a wrong key. So is one shorter than
  // a block, which a sender could otherwise guess and MAC with.
  const plain = decryptRaw(encryptedOf(macKey, 'the MACKey'), encryptionKey);
  const length = unpaddedLength(plain);
  const key = length === undefined || length < MIN_MAC_KEY_BYTES ? randomBytes(32) : Buffer.from(plain.subarray(0, length));
  plain.fill(0);
  return { hash, key };
}

interface Package {
  index: number;
  element: Element;
  key?: Element;
  /** The secret's EncryptedValue with its MAC, checked before anything is decrypted. */
  encrypted?: { value: Encrypted; mac: Buffer };
}

/** Reads the file, checks every MAC, then answers one checked row per KeyPackage. */
export async function parsePskc(xml: string, options: PskcOptions): Promise<ParsedRow[]> {
  const root = parseXml(xml);
  const packages: Package[] = children(root, NS.pskc, 'KeyPackage').map((element, i) => ({ index: i + 1, element, ...(child(element, NS.pskc, 'Key') ? { key: child(element, NS.pskc, 'Key') } : {}) }));
  if (packages.length === 0) throw new ImportFileError('the file has no KeyPackage');

  for (const p of packages) {
    const secret = child(child(p.key, NS.pskc, 'Data'), NS.pskc, 'Secret');
    const encryptedValue = child(secret, NS.pskc, 'EncryptedValue');
    if (!secret || !encryptedValue) continue;
    const mac = textOf(child(secret, NS.pskc, 'ValueMAC'));
    if (!mac) throw new ImportFileError(`KeyPackage ${p.index}: its encrypted secret has no ValueMAC; unauthenticated secrets are not accepted`);
    p.encrypted = { value: encryptedOf(encryptedValue, `KeyPackage ${p.index}: the secret`), mac: base64(mac, `KeyPackage ${p.index}: ValueMAC`) };
  }
  const anyEncrypted = packages.some((p) => p.encrypted);
  const encryptionKey = anyEncrypted ? await encryptionKeyOf(root, options.key) : undefined;
  if (anyEncrypted && !encryptionKey) throw new ImportFileError('the file has encrypted secrets but no EncryptionKey');
  const macKey = anyEncrypted ? macKeyOf(root, encryptionKey) : undefined;
  if (anyEncrypted && !macKey) throw new ImportFileError('the file has encrypted secrets but no MACMethod; unauthenticated secrets are not accepted');

  // All MACs first (over the IV and ciphertext, RFC 6030 6.1.1): a file with one bad MAC is refused
  // whole, before a single secret is decrypted, and the answer does not say which one.
  let verified = true;
  for (const p of packages) {
    if (!p.encrypted || !macKey) continue;
    const expected = createHmac(macKey.hash, macKey.key).update(p.encrypted.value.value).digest();
    if (expected.length !== p.encrypted.mac.length || !timingSafeEqual(expected, p.encrypted.mac)) verified = false;
  }
  macKey?.key.fill(0);
  if (!verified) throw new SealedFileError();

  const seen = new Map<string, number>();
  return packages.map((p) => packageRow(p, encryptionKey, seen, options));
}

function packageRow(p: Package, encryptionKey: Buffer | undefined, seen: Map<string, number>, options: PskcOptions): ParsedRow {
  const device = child(p.element, NS.pskc, 'DeviceInfo');
  const serial = textOf(child(device, NS.pskc, 'SerialNo')) ?? '';
  const fail = (reason: string): ParsedRow => ({ ok: false, error: { line: p.index, serial, reason: `KeyPackage ${p.index}: ${reason}` } });
  const key = p.key;
  if (!key) return fail('has no Key');
  const algorithm = key.getAttribute('Algorithm') ?? '';
  if (algorithm !== TOTP_ALGORITHM) return fail(`algorithm ${quoted(algorithm)} is not supported: Entra takes TOTP keys (${TOTP_ALGORITHM}) only`);

  const parameters = child(key, NS.pskc, 'AlgorithmParameters');
  const suite = textOf(child(parameters, NS.pskc, 'Suite')) ?? '';
  const hashes: Record<string, HashFunction> = { '': 'hmacsha1', 'hmac-sha1': 'hmacsha1', sha1: 'hmacsha1', 'hmac-sha256': 'hmacsha256', sha256: 'hmacsha256' };
  const hash = hashes[suite.toLowerCase()];
  if (!hash) return fail(`Suite ${quoted(suite)} is not supported (HMAC-SHA1 or HMAC-SHA256)`);
  const format = child(parameters, NS.pskc, 'ResponseFormat');
  const digits = format?.getAttribute('Length') ?? '6';
  if (digits !== '6') return fail(`codes of ${quoted(digits)} digits are not supported: Entra takes 6-digit codes`);
  const encoding = format?.getAttribute('Encoding') ?? 'DECIMAL';
  if (encoding !== 'DECIMAL') return fail(`response encoding ${quoted(encoding)} is not supported (DECIMAL only)`);

  const data = child(key, NS.pskc, 'Data');
  const encryptedNumber = (name: string): boolean => child(child(data, NS.pskc, name), NS.pskc, 'EncryptedValue') !== undefined;
  const plainNumber = (name: string): string | undefined => textOf(child(child(data, NS.pskc, name), NS.pskc, 'PlainValue'));
  if (encryptedNumber('TimeInterval') || encryptedNumber('Time')) return fail('an encrypted TimeInterval or Time is not supported');
  const interval = plainNumber('TimeInterval') ?? '30';
  const time = plainNumber('Time');
  if (time !== undefined && time !== '0') return fail('a Time (T0) other than 0 is not supported: Entra counts from the Unix epoch');

  const policy = child(key, NS.pskc, 'Policy');
  const expiry = textOf(child(policy, NS.pskc, 'ExpiryDate'));
  if (expiry && Date.parse(expiry) <= options.now.getTime()) return fail(`the key expired on ${quoted(expiry)}`);
  const usages = policy ? children(policy, NS.pskc, 'KeyUsage').map((u) => textOf(u)) : [];
  if (usages.length > 0 && !usages.includes('OTP')) return fail('its Policy does not allow KeyUsage OTP');

  const secretElement = child(data, NS.pskc, 'Secret');
  let secret: Buffer;
  if (p.encrypted && encryptionKey) {
    secret = decrypt(p.encrypted.value, encryptionKey);
  } else {
    const plain = textOf(child(secretElement, NS.pskc, 'PlainValue'));
    if (!plain) return fail('has no Secret (PlainValue or EncryptedValue)');
    try {
      secret = base64(plain, 'the secret');
    } catch {
      return fail('its secret PlainValue is not base64');
    }
  }
  const row = checkRow(
    p.index,
    {
      serial,
      seed: base32FromBytes(secret),
      interval,
      manufacturer: textOf(child(device, NS.pskc, 'Manufacturer')) ?? options.manufacturer ?? '',
      model: textOf(child(device, NS.pskc, 'Model')) ?? options.model ?? '',
      hash,
      pool: options.pool ?? '',
    },
    seen,
  );
  secret.fill(0);
  return row.ok ? row : { ok: false, error: { ...row.error, reason: `KeyPackage ${p.index}: ${row.error.reason}` } };
}

/** How an export is protected: a pre-shared AES-128 key, or a passphrase run through PBKDF2. */
export type PskcProtection = { kind: 'preshared'; keyName: string; key: Buffer } | { kind: 'passphrase'; keyName: string; passphrase: string };

const EXPORT_PBKDF2_ITERATIONS = 100_000;

/** The export's protection from the named Key Vault secret, read as the admin says it is: a hex AES key or a passphrase. */
export function protectionFrom(keyName: string, keyType: 'preshared' | 'passphrase', secret: string): PskcProtection {
  if (keyType === 'passphrase') {
    if (secret.length < 8) throw new ImportFileError(`the Key Vault secret for key "${keyName}" is too short for a passphrase (at least 8 characters)`);
    return { kind: 'passphrase', keyName, passphrase: secret };
  }
  const hex = secret.trim();
  if (!/^([0-9A-Fa-f]{32}|[0-9A-Fa-f]{48}|[0-9A-Fa-f]{64})$/.test(hex)) {
    throw new ImportFileError(`the Key Vault secret for key "${keyName}" is not a pre-shared AES key (32, 48 or 64 hex digits); use "keyType": "passphrase" for a passphrase`);
  }
  return { kind: 'preshared', keyName, key: Buffer.from(hex, 'hex') };
}

const xmlText = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function encryptValue(key: Buffer, plain: Buffer): Buffer {
  const iv = randomBytes(16);
  const cipher = createCipheriv(key.length === 32 ? 'aes-256-cbc' : key.length === 24 ? 'aes-192-cbc' : 'aes-128-cbc', key, iv);
  return Buffer.concat([iv, cipher.update(plain), cipher.final()]);
}

const cipherUri = (key: Buffer): string => `http://www.w3.org/2001/04/xmlenc#aes${key.length * 8}-cbc`;

/**
 * The one-time export of generated seeds as a PSKC document for a vendor's programming tool, laid out
 * as RFC 6030's examples: each secret AES-CBC encrypted and MACed (HMAC-SHA1) with a fresh MAC key.
 */
export async function buildPskc(rows: readonly ImportRow[], protection: PskcProtection): Promise<string> {
  let key: Buffer;
  let encryptionKey: string;
  if (protection.kind === 'preshared') {
    key = protection.key;
    encryptionKey = `    <pskc:EncryptionKey>\n        <ds:KeyName>${xmlText(protection.keyName)}</ds:KeyName>\n    </pskc:EncryptionKey>`;
  } else {
    const salt = randomBytes(16);
    key = await pbkdf2Async(Buffer.from(protection.passphrase, 'utf8'), salt, EXPORT_PBKDF2_ITERATIONS, 16, 'sha256');
    encryptionKey = [
      '    <pskc:EncryptionKey>',
      '        <xenc11:DerivedKey>',
      '            <xenc11:KeyDerivationMethod Algorithm="http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2">',
      '                <pkcs5:PBKDF2-params>',
      `                    <Salt><Specified>${salt.toString('base64')}</Specified></Salt>`,
      `                    <IterationCount>${EXPORT_PBKDF2_ITERATIONS}</IterationCount>`,
      '                    <KeyLength>16</KeyLength>',
      '                    <PRF Algorithm="http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"/>',
      '                </pkcs5:PBKDF2-params>',
      '            </xenc11:KeyDerivationMethod>',
      `            <xenc11:MasterKeyName>${xmlText(protection.keyName)}</xenc11:MasterKeyName>`,
      '        </xenc11:DerivedKey>',
      '    </pskc:EncryptionKey>',
    ].join('\n');
  }
  const macKey = randomBytes(20);
  const encrypted = (plain: Buffer) => {
    const value = encryptValue(key, plain);
    return { value: value.toString('base64'), mac: createHmac('sha1', macKey).update(value).digest('base64') };
  };
  const cipher = cipherUri(key);
  const packages = rows.map((row) => {
    const secret = encrypted(bytesFromBase32(row.seed));
    return [
      '    <pskc:KeyPackage>',
      '        <pskc:DeviceInfo>',
      `            <pskc:Manufacturer>${xmlText(row.manufacturer)}</pskc:Manufacturer>`,
      `            <pskc:SerialNo>${xmlText(row.serialNumber)}</pskc:SerialNo>`,
      `            <pskc:Model>${xmlText(row.model)}</pskc:Model>`,
      '        </pskc:DeviceInfo>',
      `        <pskc:Key Id="${xmlText(row.serialNumber)}" Algorithm="${TOTP_ALGORITHM}">`,
      '            <pskc:AlgorithmParameters>',
      `                <pskc:Suite>${row.hashFunction === 'hmacsha256' ? 'HMAC-SHA256' : 'HMAC-SHA1'}</pskc:Suite>`,
      '                <pskc:ResponseFormat Length="6" Encoding="DECIMAL"/>',
      '            </pskc:AlgorithmParameters>',
      '            <pskc:Data>',
      '                <pskc:Secret>',
      '                    <pskc:EncryptedValue>',
      `                        <xenc:EncryptionMethod Algorithm="${cipher}"/>`,
      `                        <xenc:CipherData><xenc:CipherValue>${secret.value}</xenc:CipherValue></xenc:CipherData>`,
      '                    </pskc:EncryptedValue>',
      `                    <pskc:ValueMAC>${secret.mac}</pskc:ValueMAC>`,
      '                </pskc:Secret>',
      '                <pskc:Time><pskc:PlainValue>0</pskc:PlainValue></pskc:Time>',
      `                <pskc:TimeInterval><pskc:PlainValue>${row.timeIntervalInSeconds}</pskc:PlainValue></pskc:TimeInterval>`,
      '            </pskc:Data>',
      '        </pskc:Key>',
      '    </pskc:KeyPackage>',
    ].join('\n');
  });
  const macKeyValue = encryptValue(key, macKey).toString('base64');
  macKey.fill(0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<pskc:KeyContainer Version="1.0" xmlns:pskc="${NS.pskc}" xmlns:ds="${NS.ds}" xmlns:xenc="${NS.xenc}" xmlns:xenc11="${NS.xenc11}" xmlns:pkcs5="${NS.pkcs5}">`,
    encryptionKey,
    '    <pskc:MACMethod Algorithm="http://www.w3.org/2000/09/xmldsig#hmac-sha1">',
    '        <pskc:MACKey>',
    `            <xenc:EncryptionMethod Algorithm="${cipher}"/>`,
    `            <xenc:CipherData><xenc:CipherValue>${macKeyValue}</xenc:CipherValue></xenc:CipherData>`,
    '        </pskc:MACKey>',
    '    </pskc:MACMethod>',
    ...packages,
    '</pskc:KeyContainer>',
    '',
  ].join('\n');
}

import { createDecipheriv } from 'node:crypto';

/**
 * Altered copies of an encrypted PSKC file, as someone probing for a padding oracle would send them:
 * the MAC key's last padding byte driven to every value (some give valid padding, most do not), its IV
 * changed, a ValueMAC changed, the secret's ciphertext and IV changed or cut short, another cipher named.
 * The file must carry one MACKey and at least one EncryptedValue, each an IV and two or more blocks.
 */

const CIPHER_VALUE = /(<(?:\w+:)?CipherValue>)([\s\S]*?)(<\/(?:\w+:)?CipherValue>)/g;
const VALUE_MAC = /(<(?:\w+:)?ValueMAC>)([\s\S]*?)(<\/(?:\w+:)?ValueMAC>)/;

/** The file with its n-th CipherValue (0 = the MAC key's, as RFC 6030 lays files out) changed by `change`. */
function withCipherValue(document: string, n: number, change: (value: Buffer) => Buffer): string {
  let seen = -1;
  return document.replace(CIPHER_VALUE, (whole, open: string, text: string, close: string) => {
    seen++;
    return seen === n ? `${open}${change(Buffer.from(text.replace(/\s+/g, ''), 'base64')).toString('base64')}${close}` : whole;
  });
}

const flip = (value: Buffer, index: number, mask = 0x01): Buffer => {
  const copy = Buffer.from(value);
  const at = index < 0 ? copy.length + index : index;
  copy[at] = (copy[at] ?? 0) ^ mask;
  return copy;
};

export interface Mutation {
  name: string;
  document: string;
  /** For the MAC key's padding sweep: whether that copy's MAC key decrypts to valid PKCS #7 padding. */
  validPadding?: boolean;
}

/** The MAC key's CipherValue decrypted without a padding check, with the file's AES-128 key (hex). */
function macKeyPlain(document: string, keyHex: string): Buffer {
  let value: Buffer | undefined;
  document.replace(CIPHER_VALUE, (whole, _open: string, text: string) => {
    value ??= Buffer.from(text.replace(/\s+/g, ''), 'base64');
    return whole;
  });
  if (!value) throw new Error('no CipherValue in the document');
  const decipher = createDecipheriv('aes-128-cbc', Buffer.from(keyHex, 'hex'), value.subarray(0, 16));
  decipher.setAutoPadding(false);
  return Buffer.concat([decipher.update(value.subarray(16)), decipher.final()]);
}

const validPkcs7 = (plain: Buffer): boolean => {
  const pad = plain[plain.length - 1] ?? 0;
  return pad >= 1 && pad <= 16 && plain.subarray(plain.length - pad).every((b) => b === pad);
};

/**
 * `sweep` values of the MAC key's last padding byte (all 256 by default), plus the other alterations.
 * The key is only used to say which sweep copies have valid padding, so a test can show it met both.
 */
export function pskcMutations(document: string, keyHex: string, sweep: readonly number[] = [...Array(256).keys()]): Mutation[] {
  const mutations: Mutation[] = [];
  let original: number | undefined;
  withCipherValue(document, 0, (value) => {
    original = value[value.length - 17];
    return value;
  });
  for (const byte of sweep) {
    if (byte === original) continue;
    // The byte before the last block sets the last plaintext byte: the padding-oracle probe.
    const altered = withCipherValue(document, 0, (value) => {
      const copy = Buffer.from(value);
      copy[copy.length - 17] = byte;
      return copy;
    });
    mutations.push({ name: `MAC key padding probe ${byte}`, document: altered, validPadding: validPkcs7(macKeyPlain(altered, keyHex)) });
  }
  mutations.push(
    { name: 'MAC key IV flipped', document: withCipherValue(document, 0, (v) => flip(v, 0)) },
    { name: 'MAC key last byte flipped', document: withCipherValue(document, 0, (v) => flip(v, -1)) },
    { name: 'ValueMAC flipped', document: document.replace(VALUE_MAC, (_w, open: string, text: string, close: string) => `${open}${flip(Buffer.from(text.trim(), 'base64'), 0).toString('base64')}${close}`) },
    { name: 'secret padding byte flipped', document: withCipherValue(document, 1, (v) => flip(v, -17)) },
    { name: 'secret ciphertext flipped', document: withCipherValue(document, 1, (v) => flip(v, 20, 0x80)) },
    { name: 'secret IV flipped', document: withCipherValue(document, 1, (v) => flip(v, 3)) },
    { name: 'secret cut by a block', document: withCipherValue(document, 1, (v) => v.subarray(0, v.length - 16)) },
    { name: 'AES-256 named instead', document: document.replace(/xmlenc#aes128-cbc/g, 'xmlenc#aes256-cbc') },
  );
  return mutations;
}

import { Secret } from 'otpauth';

/**
 * How a seed file writes its secret keys. Entra takes Base32; vendors also ship hex. The encoding is
 * always declared (a `seed encoding` column, or `?seedEncoding=` for the whole file), never guessed
 * from a value's length or letters.
 */

export type SeedEncoding = 'base32' | 'hex';

export const SEED_ENCODINGS: readonly SeedEncoding[] = ['base32', 'hex'];

/** Separators vendors put in long hex strings: whitespace, dashes and colons. */
const HEX_SEPARATORS = /[\s:-]/g;

/**
 * "Hex-looking", precisely: once whitespace, dashes and colons are removed, only the characters 0-9 and
 * A-F (either case) remain, and at least one of them is 0, 1, 8 or 9, the digits Base32 lacks. Such a
 * value cannot be Base32, and is almost surely hex sent without saying so. A value of only A-F and 2-7
 * is valid Base32 and is taken as Base32 in a Base32 file: it is never second-guessed.
 */
export const looksLikeHex = (raw: string): boolean => {
  const compact = raw.replace(HEX_SEPARATORS, '');
  return /^[0-9A-Fa-f]+$/.test(compact) && /[0189]/.test(compact);
};

export const HEX_IN_BASE32_REASON =
  'secret key looks like hex (only 0-9 and A-F, with 0, 1, 8 or 9, which Base32 does not use); declare it with a "seed encoding" column of hex or ?seedEncoding=hex';

/** RFC 4648 Base32 without padding, as Entra takes seeds. */
export const base32FromBytes = (bytes: Uint8Array): string => new Secret({ buffer: new Uint8Array(bytes).buffer }).base32;

export const bytesFromBase32 = (base32: string): Buffer => Buffer.from(Secret.fromBase32(base32).bytes);

export type HexConversion = { ok: true; base32: string } | { ok: false; reason: string };

/** A hex seed (separators allowed) as Base32; the Base32 check itself is left to normaliseSeed. */
export function hexToBase32(raw: string): HexConversion {
  const compact = raw.replace(HEX_SEPARATORS, '');
  if (compact.length === 0) return { ok: false, reason: 'secret key is empty' };
  if (!/^[0-9A-Fa-f]+$/.test(compact)) return { ok: false, reason: 'secret key is not hex (only 0-9 and A-F are allowed with seed encoding hex)' };
  if (compact.length % 2 !== 0) return { ok: false, reason: 'secret key has an odd number of hex digits' };
  return { ok: true, base32: base32FromBytes(Buffer.from(compact, 'hex')) };
}

export function parseSeedEncoding(text: string): SeedEncoding | undefined {
  const value = text.trim().toLowerCase();
  return (SEED_ENCODINGS as readonly string[]).includes(value) ? (value as SeedEncoding) : undefined;
}

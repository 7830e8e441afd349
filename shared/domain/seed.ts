import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

/**
 * TOTP seeds: the shared secrets burned into a token. They are Base32 (A-Z, 2-7) as Entra takes them.
 * Nothing here logs or echoes a seed; errors only say what is wrong with one.
 */

export type HashFunction = 'hmacsha1' | 'hmacsha256';
export type TimeInterval = 30 | 60;

export const HASH_FUNCTIONS: readonly HashFunction[] = ['hmacsha1', 'hmacsha256'];

/** Entra's limit on a seed's length. */
export const MAX_SEED_LENGTH = 128;
/** 80 bits: RFC 4226's floor for a shared secret. */
export const MIN_SEED_LENGTH = 16;

export type SeedCheck = { ok: true; seed: string } | { ok: false; reason: string };

/** Longest raw seed looked at: Entra's 128 characters with room for separators and padding. */
export const MAX_RAW_SEED_LENGTH = 4 * MAX_SEED_LENGTH;
/** What a written-down seed may hold: Base32 in either case, spaces, dashes and '=' padding. */
const SEED_CHARACTERS = /^[A-Za-z2-7\s=-]*$/;

/**
 * Checks the characters first, then removes spaces, dashes and '=' padding and upper-cases. In that
 * order because upper-casing is not closed over Base32: 'ß' becomes 'SS', a different secret.
 */
export function normaliseSeed(raw: string): SeedCheck {
  if (raw.length > MAX_RAW_SEED_LENGTH) return { ok: false, reason: `secret key is too long (at most ${MAX_SEED_LENGTH} Base32 characters)` };
  if (!SEED_CHARACTERS.test(raw)) return { ok: false, reason: 'secret key is not Base32 (only A-Z and 2-7 are allowed)' };
  const seed = raw.replace(/[\s=-]/g, '').toUpperCase();
  if (seed.length === 0) return { ok: false, reason: 'secret key is empty' };
  if (seed.length < MIN_SEED_LENGTH) return { ok: false, reason: `secret key is too short (at least ${MIN_SEED_LENGTH} Base32 characters, 80 bits)` };
  if (seed.length > MAX_SEED_LENGTH) return { ok: false, reason: `secret key is too long (at most ${MAX_SEED_LENGTH} Base32 characters)` };
  return { ok: true, seed };
}

/** Hides anything that could be a seed (a long Base32 run) in text bound for a log line, an error or an answer. */
export const redactSeeds = (text: string): string => text.replace(/[A-Z2-7]{16,}/g, '[redacted]');

/** Fresh seed from the CSPRNG: 160 bits for SHA-1, 256 bits for SHA-256 (RFC 4226 / 6238 key sizes). */
export function generateSeed(hash: HashFunction): string {
  return new Secret({ buffer: new Uint8Array(randomBytes(hash === 'hmacsha256' ? 32 : 20)).buffer }).base32;
}

/** The 6-digit code a token with this seed shows at `at`. */
export function totpCode(seed: string, interval: TimeInterval, hash: HashFunction, at: Date): string {
  return new TOTP({
    secret: Secret.fromBase32(seed),
    period: interval,
    digits: 6,
    algorithm: hash === 'hmacsha256' ? 'SHA256' : 'SHA1',
  }).generate({ timestamp: at.getTime() });
}

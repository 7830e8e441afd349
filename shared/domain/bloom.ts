/**
 * A fixed-size Bloom filter of strings: reconciliation remembers which serials Entra has and which
 * secrets Key Vault holds in constant memory, whatever the size of the tenant. "Absent" is certain;
 * "present" is wrong with a small probability. The salt changes the hash functions, so a false
 * positive in one run is independent of the next run's.
 */

export interface BloomFilter {
  add(key: string): void;
  /** False: `key` was certainly never added. True: it probably was. */
  mightContain(key: string): boolean;
  readonly bits: number;
  readonly hashes: number;
}

export interface BloomSize {
  bits: number;
  hashes: number;
}

/** Bits and hash functions for `entries` keys at false-positive rate `rate` (the textbook optimum). */
export function bloomSizeFor(entries: number, rate: number): BloomSize {
  if (!(entries > 0) || !(rate > 0 && rate < 1)) throw new Error('a Bloom filter needs entries > 0 and 0 < rate < 1');
  const bits = Math.ceil((-entries * Math.log(rate)) / Math.LN2 ** 2);
  const hashes = Math.max(1, Math.round((bits / entries) * Math.LN2));
  return { bits, hashes };
}

/** 32-bit FNV-1a over the UTF-16 code units, started from `seed`. */
function fnv1a(text: string, seed: number): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Murmur3's finaliser: spreads FNV's weak low bits over the whole word. */
function mix(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * `salt` is any 32-bit number (a random one per run). Keys are hashed twice and combined by double
 * hashing (Kirsch and Mitzenmacher), which keeps the false-positive rate of k independent hashes.
 */
export function createBloomFilter(size: BloomSize, salt: number): BloomFilter {
  const bits = Math.max(8, Math.ceil(size.bits));
  const hashes = Math.max(1, Math.round(size.hashes));
  const words = new Uint32Array(Math.ceil(bits / 32));
  const saltA = mix(salt ^ 0x9e3779b9);
  const saltB = mix(salt ^ 0x7f4a7c15);

  const positions = (key: string, visit: (bit: number) => boolean): boolean => {
    const a = mix(fnv1a(key, saltA));
    // Odd, so the steps cycle through every residue for power-of-two sizes too.
    const b = (mix(fnv1a(key, saltB)) | 1) >>> 0;
    for (let i = 0; i < hashes; i++) {
      const bit = (a + Math.imul(i, b)) >>> 0;
      if (!visit(bit % bits)) return false;
    }
    return true;
  };

  return {
    bits,
    hashes,
    add(key) {
      positions(key, (bit) => {
        words[bit >>> 5] = (words[bit >>> 5] ?? 0) | (1 << (bit & 31));
        return true;
      });
    },
    mightContain(key) {
      return positions(key, (bit) => ((words[bit >>> 5] ?? 0) & (1 << (bit & 31))) !== 0);
    },
  };
}

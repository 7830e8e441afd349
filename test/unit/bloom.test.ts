import { bloomSizeFor, createBloomFilter } from '../../shared/domain/bloom';

describe('Bloom filter', () => {
  it('never forgets a key it was given', () => {
    const filter = createBloomFilter(bloomSizeFor(10_000, 0.01), 42);
    const keys = Array.from({ length: 10_000 }, (_, i) => `TOKEN-${i}`);
    for (const key of keys) filter.add(key);
    expect(keys.every((key) => filter.mightContain(key))).toBe(true);
  });

  it('keeps false positives near the rate it was sized for', () => {
    const filter = createBloomFilter(bloomSizeFor(10_000, 0.01), 7);
    for (let i = 0; i < 10_000; i++) filter.add(`seed-IN-${i}`);
    let falsePositives = 0;
    for (let i = 0; i < 20_000; i++) if (filter.mightContain(`seed-OUT-${i}`)) falsePositives++;
    // Sized for 1%: 200 expected out of 20,000; allow for chance, not for a broken hash.
    expect(falsePositives).toBeLessThan(400);
  });

  it('answers "absent" for everything while empty', () => {
    const filter = createBloomFilter({ bits: 1024, hashes: 5 }, 1);
    expect(['', 'a', 'TOKEN-1', 'seed-X'].some((key) => filter.mightContain(key))).toBe(false);
  });

  it('hashes differently under another salt, so a false positive does not repeat run after run', () => {
    // A tiny, crowded filter has many false positives; with another salt they fall on other keys.
    const crowded = (salt: number) => {
      const filter = createBloomFilter({ bits: 2048, hashes: 3 }, salt);
      for (let i = 0; i < 300; i++) filter.add(`IN-${i}`);
      return Array.from({ length: 2000 }, (_, i) => `OUT-${i}`).filter((key) => filter.mightContain(key));
    };
    const first = new Set(crowded(1));
    const second = crowded(2);
    expect(first.size).toBeGreaterThan(0);
    const repeated = second.filter((key) => first.has(key)).length;
    expect(repeated).toBeLessThan(Math.min(first.size, second.length));
  });

  it('sizes a few million entries in a few MB', () => {
    const size = bloomSizeFor(2_000_000, 0.01);
    expect(size.bits / 8 / 1024 / 1024).toBeGreaterThan(1);
    expect(size.bits / 8 / 1024 / 1024).toBeLessThan(4);
    expect(size.hashes).toBe(7);
    expect(() => bloomSizeFor(0, 0.01)).toThrow();
    expect(() => bloomSizeFor(10, 1)).toThrow();
  });
});

import { generateSeed, normaliseSeed, redactSeeds, totpCode } from '../../shared/domain/seed';

describe('seeds', () => {
  it('generates 160-bit seeds for SHA-1 and 256-bit seeds for SHA-256, each one new', () => {
    expect(generateSeed('hmacsha1')).toMatch(/^[A-Z2-7]{32}$/);
    expect(generateSeed('hmacsha256')).toMatch(/^[A-Z2-7]{52}$/);
    expect(generateSeed('hmacsha1')).not.toBe(generateSeed('hmacsha1'));
  });

  it('computes the RFC 6238 reference code', () => {
    // RFC 6238 appendix B: the ASCII key "12345678901234567890" at T=59 s gives 94287082 (8 digits; 6 shown).
    const seed = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    expect(totpCode(seed, 30, 'hmacsha1', new Date(59_000))).toBe('287082');
  });

  it('hides anything that could be a seed, and keeps ordinary text', () => {
    const seed = 'JBSWY3DPEHPK3PXP';
    expect(redactSeeds(`Invalid secretKey ${seed} for SERIAL-1`)).toBe('Invalid secretKey [redacted] for SERIAL-1');
    expect(redactSeeds('The verification code is invalid.')).toBe('The verification code is invalid.');
  });

  describe('normaliseSeed', () => {
    it('removes spaces, dashes and padding and upper-cases a Base32 seed', () => {
      expect(normaliseSeed('jbsw y3dp-ehpk 3pxp==')).toEqual({ ok: true, seed: 'JBSWY3DPEHPK3PXP' });
    });

    it.each([
      ['ß'.repeat(16), 'upper-cases to SS...'],
      ['ſ'.repeat(16), 'upper-cases to S...'],
      ['ı'.repeat(16), 'upper-cases to I...'],
      ['JBSWY3DPEHPK3PX1', 'holds a 1'],
    ])('checks the characters before upper-casing: %p (%s) is refused, never a different secret', (raw) => {
      expect(normaliseSeed(raw)).toEqual({ ok: false, reason: 'secret key is not Base32 (only A-Z and 2-7 are allowed)' });
    });

    it('refuses a huge value by its length before any pattern looks at it', () => {
      expect(normaliseSeed(' '.repeat(100_000))).toEqual({ ok: false, reason: 'secret key is too long (at most 128 Base32 characters)' });
    });
  });
});

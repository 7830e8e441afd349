import { Readable } from 'node:stream';
import { parseToken2Json, parseTokenCsv, type ParsedRow } from '../../shared/domain/importFile';
import { totpCode } from '../../shared/domain/seed';
import { hexToBase32, looksLikeHex } from '../../shared/domain/seedEncoding';

/** RFC 6238's SHA-1 test secret, the ASCII of "12345678901234567890", in hex and in Base32. */
const RFC6238_HEX = '3132333435363738393031323334353637383930';
const RFC6238_BASE32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';

async function parseCsv(text: string, seedEncoding?: 'base32' | 'hex'): Promise<ParsedRow[]> {
  const rows: ParsedRow[] = [];
  for await (const row of parseTokenCsv(Readable.from([Buffer.from(text)]), seedEncoding ? { seedEncoding } : {})) rows.push(row);
  return rows;
}
const seeds = (rows: ParsedRow[]) => rows.map((r) => (r.ok ? r.row.seed : `${r.error.line}:${r.error.reason}`));

describe('seed encodings', () => {
  it('converts hex to Base32: the RFC 6238 secret gives the RFC 6238 code', () => {
    const converted = hexToBase32(RFC6238_HEX);
    expect(converted).toEqual({ ok: true, base32: RFC6238_BASE32 });
    // RFC 6238 appendix B: T = 59 s, SHA-1 -> 94287082 (8 digits), so 287082 with 6.
    expect(totpCode(RFC6238_BASE32, 30, 'hmacsha1', new Date(59_000))).toBe('287082');
    expect(hexToBase32('31:32:33:34 35-36')).toEqual({ ok: true, base32: 'GEZDGNBVGY' });
    expect(hexToBase32('313')).toEqual({ ok: false, reason: 'secret key has an odd number of hex digits' });
    expect(hexToBase32('31zz')).toMatchObject({ ok: false, reason: expect.stringMatching(/not hex/) });
  });

  it('calls a value hex-looking only when it has a digit Base32 lacks (0, 1, 8, 9) and nothing but hex', () => {
    expect(looksLikeHex(RFC6238_HEX)).toBe(true);
    expect(looksLikeHex('de ad be ef 90')).toBe(true);
    // Only A-F and 2-7: valid Base32, never second-guessed.
    expect(looksLikeHex('ABCDEF234567ABCDEF23')).toBe(false);
    expect(looksLikeHex(RFC6238_BASE32)).toBe(false);
    expect(looksLikeHex('JBSWY3DPEHPK3PXP1')).toBe(false);
  });

  it('takes the whole file as hex with ?seedEncoding=hex, and a row\'s "seed encoding" column over it', async () => {
    const file = `${HEADER},seed encoding\n,H1,${RFC6238_HEX},30,Token2,c202,\n,H2,${RFC6238_BASE32},30,Token2,c202,base32\n,H3,${RFC6238_HEX},30,Token2,c202,HEX\n,H4,${RFC6238_HEX},30,Token2,c202,base64\n`;
    expect(seeds(await parseCsv(file, 'hex'))).toEqual([RFC6238_BASE32, RFC6238_BASE32, RFC6238_BASE32, '5:seed encoding must be base32 or hex']);
  });

  it('refuses a hex-looking value in a Base32 file with a reason that says so, without the value', async () => {
    const rows = await parseCsv(`${HEADER}\n,B1,${RFC6238_HEX},30,Token2,c202\n,B2,ABCDEF234567ABCDEF23,30,Token2,c202\n`);
    expect(rows[0]).toMatchObject({ ok: false, error: { line: 2, serial: 'B1', reason: expect.stringMatching(/looks like hex .*seedEncoding=hex/) } });
    expect(JSON.stringify(rows[0])).not.toContain(RFC6238_HEX);
    expect(rows[1]).toMatchObject({ ok: true, row: { seed: 'ABCDEF234567ABCDEF23' } });
  });

  it('guesses nothing from the length: 40 hex digits in a Base32 file without 0, 1, 8 or 9 stay Base32', async () => {
    const rows = await parseCsv(`${HEADER}\n,L1,${'ABCDEF2345'.repeat(4)},30,Token2,c202\n`);
    expect(seeds(rows)).toEqual(['ABCDEF2345'.repeat(4)]);
  });

  it('reads seedEncoding in Token2 JSON entries and the file option', () => {
    const document = JSON.stringify({
      value: [
        { serialNumber: 'J1', secretKey: RFC6238_HEX, seedEncoding: 'hex', timeIntervalInSeconds: 30, manufacturer: 'Token2', model: 'c302' },
        { serialNumber: 'J2', secretKey: RFC6238_HEX, timeIntervalInSeconds: 30, manufacturer: 'Token2', model: 'c302' },
      ],
    });
    expect(seeds([...parseToken2Json(document)])).toEqual([RFC6238_BASE32, expect.stringMatching(/^2:secret key looks like hex/)]);
    expect(seeds([...parseToken2Json(document, { seedEncoding: 'hex' })])).toEqual([RFC6238_BASE32, RFC6238_BASE32]);
  });
});

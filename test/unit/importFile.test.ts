import { Readable } from 'node:stream';
import { ImportFileError, parseToken2Json, parseTokenCsv, type ParsedRow } from '../../shared/domain/importFile';

const SEED = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';

async function parseCsv(text: string): Promise<ParsedRow[]> {
  const rows: ParsedRow[] = [];
  for await (const row of parseTokenCsv(Readable.from([Buffer.from(text)]))) rows.push(row);
  return rows;
}

const reasons = (rows: ParsedRow[]) => rows.flatMap((r) => (r.ok ? [] : [`${r.error.line}:${r.error.reason}`]));

describe('parseTokenCsv', () => {
  it('reads the Entra portal format, normalising seeds and defaulting to SHA-1', async () => {
    const rows = await parseCsv(`${HEADER}\nada@contoso.com,60234567,jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp==,30,Token2,c202\n,60234568,${SEED},60,Token2,c202\n`);
    expect(rows).toEqual([
      { ok: true, row: { line: 2, serialNumber: '60234567', seed: SEED, timeIntervalInSeconds: 30, hashFunction: 'hmacsha1', manufacturer: 'Token2', model: 'c202', pool: '', userPrincipalName: 'ada@contoso.com' } },
      { ok: true, row: { line: 3, serialNumber: '60234568', seed: SEED, timeIntervalInSeconds: 60, hashFunction: 'hmacsha1', manufacturer: 'Token2', model: 'c202', pool: '' } },
    ]);
  });

  it('takes an explicit hash function column and columns in any order, and never guesses from seed length', async () => {
    const long = 'A'.repeat(52);
    const rows = await parseCsv(`Serial Number,Model,Manufacturer,Time Interval,Secret Key,Hash Function,UPN,Pool\nS1,c302,Token2,30,${long},hmacsha256,,GVA\nS2,c302,Token2,30,${long},,,\n`);
    expect(rows.map((r) => r.ok && [r.row.hashFunction, r.row.pool])).toEqual([
      ['hmacsha256', 'GVA'],
      ['hmacsha1', ''],
    ]);
  });

  it('reports every kind of bad row with its line and reason, without the seed', async () => {
    const file = [
      HEADER,
      `,S1,NOT-BASE32-189!,30,Token2,c202`,
      `,S2,${SEED},45,Token2,c202`,
      `,S3,${SEED},30,Token2,c202`,
      `,s3,${SEED},30,Token2,c202`,
      `,S4,${SEED},30,=HYPERLINK("x"),c202`,
      `,S5,${SEED},30,Token2,@SUM(A1)`,
      `,S6,ABCDEF,30,Token2,c202`,
      `,S7,${'A'.repeat(130)},30,Token2,c202`,
      `,S8,${SEED},30,Token2`,
      `not-an-upn,S9,${SEED},30,Token2,c202`,
      `,bad serial!,${SEED},30,Token2,c202`,
      `,S10,${SEED},30,Token2,c202`,
    ].join('\n');
    const rows = await parseCsv(`${file}\n`);
    expect(reasons(rows)).toEqual([
      '2:secret key is not Base32 (only A-Z and 2-7 are allowed)',
      '3:time interval must be 30 or 60 seconds',
      '5:duplicate serial number in this file (first at line 4)',
      '6:manufacturer starts with a formula character (= + - @ tab or CR)',
      '7:model starts with a formula character (= + - @ tab or CR)',
      '8:secret key is too short (at least 16 Base32 characters, 80 bits)',
      '9:secret key is too long (at most 128 Base32 characters)',
      '10:expected 6 fields, found 5',
      '11:upn is not a user principal name (name@domain, at most 113 characters)',
      '12:serial number must be 1-64 letters and digits, optionally joined by single hyphens',
    ]);
    expect(rows.filter((r) => r.ok)).toHaveLength(2);
    expect(JSON.stringify(rows.filter((r) => !r.ok))).not.toContain(SEED);
  });

  it('names the serial of a row with too few or too many fields, unless that cell could be a seed', async () => {
    const rows = await parseCsv(`${HEADER}\n,S1,${SEED},30,Token2\n,S2,${SEED},30,Token2,c202,extra\nS3,${SEED},30,Token2,c202\n,bad serial!,${SEED},30\n`);
    expect(rows.map((r) => !r.ok && [r.error.line, r.error.serial, r.error.reason])).toEqual([
      [2, 'S1', 'expected 6 fields, found 5'],
      [3, 'S2', 'expected 6 fields, found 7'],
      // The upn cell is missing: the seed moved into the serial column, and a report never holds a seed.
      [4, '', 'expected 6 fields, found 5'],
      [5, '', 'expected 6 fields, found 4'],
    ]);
    expect(JSON.stringify(rows)).not.toContain(SEED);
  });

  it('tells a semicolon-separated file apart from one missing its columns', async () => {
    const semicolons = `upn;serial number;secret key;time interval;manufacturer;model\n;S1;${SEED};30;Token2;c202\n`;
    await expect(parseCsv(semicolons)).rejects.toThrow(new ImportFileError('the file is separated by semicolons, not commas: save it as CSV with commas (in Excel: "CSV UTF-8 (Comma delimited)"), or replace the semicolons with commas'));
    await expect(parseCsv(`upn;serial number\n`)).rejects.toThrow('missing columns: serial number, secret key, time interval, manufacturer, model');
  });

  it('rejects an unknown hash function', async () => {
    const rows = await parseCsv(`${HEADER},hash function\n,S1,${SEED},30,Token2,c202,md5\n`);
    expect(reasons(rows)).toEqual(['2:hash function must be hmacsha1 or hmacsha256']);
  });

  it.each([
    ['upn,serial number,time interval,manufacturer,model\n', 'missing column: secret key'],
    ['upn,serial number\n', 'missing columns: secret key, time interval, manufacturer, model'],
    ['', 'the file is empty: expected a header row'],
    [`${HEADER},serial\n`, 'column "serial number" appears twice'],
  ])('refuses a whole file that cannot be read: %p', async (text, message) => {
    await expect(parseCsv(text)).rejects.toEqual(new ImportFileError(message));
  });

  it('counts physical lines across quoted multi-line fields and blank lines', async () => {
    const rows = await parseCsv(`${HEADER}\n\n,S1,${SEED},30,"Token2",c202\n,S2,${SEED},30,"Tok\nen2",c202\n,S3,${SEED},30,Token2,c202\n`);
    expect(rows.map((r) => (r.ok ? r.row.line : r.error.line))).toEqual([3, 5, 6]);
    expect(reasons(rows)).toEqual(['5:manufacturer holds control characters']);
  });
});

describe('parseToken2Json', () => {
  it('reads the #$delta seed file, with the interval as a string', () => {
    const document = {
      '@context': '#$delta',
      value: [
        { '@contentId': '1', serialNumber: '60234567', manufacturer: 'Token2', model: 'C202', secretKey: SEED, timeIntervalInSeconds: '30', hashFunction: 'hmacsha1' },
        { '@contentId': '2', serialNumber: '60234568', manufacturer: 'Token2', model: 'C202', secretKey: SEED, timeIntervalInSeconds: 60, hashFunction: 'hmacsha256' },
        { '@contentId': '3', serialNumber: '60234569', manufacturer: 'Token2', model: 'C202', secretKey: '', timeIntervalInSeconds: 30 },
      ],
    };
    const rows = [...parseToken2Json(JSON.stringify(document))];
    expect(rows[0]).toEqual({ ok: true, row: expect.objectContaining({ line: 1, timeIntervalInSeconds: 30, hashFunction: 'hmacsha1' }) });
    expect(rows[1]).toEqual({ ok: true, row: expect.objectContaining({ line: 2, timeIntervalInSeconds: 60, hashFunction: 'hmacsha256' }) });
    expect(rows[2]).toEqual({ ok: false, error: { line: 3, serial: '60234569', reason: 'secret key is empty' } });
  });

  it('refuses something that is not a seed document', () => {
    expect(() => [...parseToken2Json('{"value": 3}')]).toThrow('expected a JSON object with a "value" array of tokens');
    expect(() => [...parseToken2Json('{oops')]).toThrow('not valid JSON');
  });
});

import { Readable } from 'node:stream';
import { csvParts, jsonParts } from '../../cli/importParts';
import { parseTokenCsv } from '../../shared/domain/importFile';

const SEED = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

async function linesSeenByServer(part: { body: string; lineOffset: number }): Promise<number[]> {
  const lines: number[] = [];
  for await (const row of parseTokenCsv(Readable.from([Buffer.from(part.body)]))) lines.push((row.ok ? row.row.line : row.error.line) + part.lineOffset);
  return lines;
}

describe('csvParts', () => {
  it('cuts between records and keeps the original line numbers, across blank lines and quoted newlines', async () => {
    const text = [
      'upn,serial number,secret key,time interval,manufacturer,model',
      `,S1,${SEED},30,Token2,c202`,
      '',
      `,S2,${SEED},30,"Tok`,
      `en2",c202`,
      `,S3,${SEED},30,Token2,c202`,
      `,S4,${SEED},30,Token2,c202`,
      `,S5,${SEED},30,Token2,c202`,
    ].join('\n');
    const parts = csvParts(text, 2);
    expect(parts.map((p) => p.records)).toEqual([2, 2, 1]);
    const lines = [];
    for (const part of parts) lines.push(...(await linesSeenByServer(part)));
    const whole = await linesSeenByServer({ body: text, lineOffset: 0 });
    expect(lines).toEqual(whole);
    expect(whole).toEqual([2, 5, 6, 7, 8]);
  });
});

describe('jsonParts', () => {
  it('splits the value array and offsets entry numbers', () => {
    const parts = jsonParts(JSON.stringify({ '@context': '#$delta', value: [1, 2, 3, 4, 5] }), 2);
    expect(parts.map((p) => [p.lineOffset, p.records, JSON.parse(p.body).value])).toEqual([
      [0, 2, [1, 2]],
      [2, 2, [3, 4]],
      [4, 1, [5]],
    ]);
  });
});

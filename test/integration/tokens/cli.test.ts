import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Secret } from 'otpauth';
import { startTestApp, type TestApp } from '../../support/app';

const run = promisify(execFile);
const TSX = path.resolve(__dirname, '../../../node_modules/tsx/dist/cli.mjs');
const OATHCTL = path.resolve(__dirname, '../../../cli/oathctl.ts');
const ROWS = 10_000;

describe('oathctl against the admin API', () => {
  let app: TestApp;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const oathctl = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await run(process.execPath, [TSX, OATHCTL, ...args], { env, maxBuffer: 64 * 1024 * 1024 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };

  beforeAll(async () => {
    // Key Vault's create limit scaled up so 10k rows stay quick; the throttled case has its own test.
    app = await startTestApp({ keyVaultCreateLimit: { requests: 5000, windowMs: 1000 } });
    dir = mkdtempSync(path.join(os.tmpdir(), 'oathctl-'));
    env = { ...process.env, OATHCTL_URL: app.host.url, OATHCTL_TOKEN: await app.adminToken(['Tokens.Admin']) };
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`imports a file of ${ROWS} rows in parts, reporting bad rows with their original line numbers`, async () => {
    const lines = ['upn,serial number,secret key,time interval,manufacturer,model'];
    for (let i = 0; i < ROWS; i++) lines.push(`,BULK-${String(i).padStart(5, '0')},${new Secret({ size: 20 }).base32},30,Token2,C202`);
    lines[7778] = `,BULK-07777,not base32!,30,Token2,C202`;
    const file = path.join(dir, 'tokens.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);

    const result = await oathctl('import', file, '--json', '--rows', '2500');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(3);
    const summary = JSON.parse(result.stdout);
    expect(summary.imported).toBe(ROWS - 1);
    expect(summary.errors).toEqual([{ line: 7779, serial: 'BULK-07777', reason: 'secret key is not Base32 (only A-Z and 2-7 are allowed)' }]);
    expect((await app.graph.state()).devices).toBe(ROWS - 1);

    const again = await oathctl('import', file, '--rows', '5000');
    expect(again.stdout).toContain(`Imported 0, unchanged ${ROWS - 1}, rejected 1.`);
  }, 600_000);

  it('lists and shows tokens as tables and as JSON', async () => {
    const list = await oathctl('list', '--status', 'in_stock');
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^SERIAL\s+STATUS\s+POOL\s+NAME\s+HOLDER\s+MODEL\s+UPDATED$/);
    const show = await oathctl('show', 'BULK-00042', '--json');
    expect(JSON.parse(show.stdout)).toMatchObject({ serialNumber: 'BULK-00042', status: 'in_stock', registeredInEntra: true });
    const missing = await oathctl('show', 'NOPE-1');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^oathctl: 404 Not Found: No token with serial number NOPE-1/);
  });

  it('fails with a readable line and a non-zero code on bad usage or a refused token', async () => {
    expect((await oathctl('frobnicate')).code).toBe(2);
    const refused = await oathctl('list', '--token', 'not-a-jwt');
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe('oathctl: 401 Unauthorized: The bearer token is not valid');
  });
});

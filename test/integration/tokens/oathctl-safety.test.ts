import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { TableClient } from '@azure/data-tables';
import { serialKey } from '../../../shared/domain/token';
import { TABLES } from '../../../shared/app/storageNames';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';

const run = promisify(execFile);
const TSX = path.resolve(__dirname, '../../../node_modules/tsx/dist/cli.mjs');
const OATHCTL = path.resolve(__dirname, '../../../cli/oathctl.ts');

// eslint-disable-next-line no-control-regex -- what must never reach the terminal
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/;

describe('oathctl keeps tokens, seeds and terminals safe', () => {
  let app: TestApp;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const oathctl = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await run(process.execPath, [TSX, OATHCTL, ...args], { env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };
  const seedsArgs = (serial: string) => ['seeds', '--serials', serial, '--manufacturer', 'Token2', '--model', 'molto2'];
  const inInventory = async (serial: string) => (await app.call('GET', `tokens/${serial}`, { roles: ['Tokens.Read'] })).status === 200;

  beforeAll(async () => {
    app = await startTestApp();
    dir = mkdtempSync(path.join(os.tmpdir(), 'oathctl-safety-'));
    env = { ...process.env, OATHCTL_URL: app.host.url, OATHCTL_TOKEN: await app.adminToken(['Tokens.Admin']) };
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([['http://10.1.2.3:7071'], ['http://oath.contoso.com'], ['http://127.0.0.1.contoso.com:7071'], ['ftp://127.0.0.1']])('refuses %s before sending the token anywhere', async (url) => {
    const result = await oathctl('list', '--url', url);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^oathctl: --url .* (is plain http to another machine; use https|must be an https URL)/);
  });

  it('talks plain http to a loopback address', async () => {
    const port = new URL(app.host.url).port;
    expect((await oathctl('list', '--url', `http://localhost:${port}`)).code).toBe(0);
    expect((await oathctl('list', '--url', `http://127.0.0.1:${port}`)).code).toBe(0);
  });

  it('writes --out to a new file only, readable by its owner alone', async () => {
    const file = path.join(dir, 'new-seeds.csv');
    const result = await oathctl(...seedsArgs('OS-NEW'), '--out', file);
    expect(result.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^serial,secret key\r\nOS-NEW,[A-Z2-7]{32}\r\n$/);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('never writes over an existing file, and asks for no seeds then', async () => {
    const file = path.join(dir, 'existing.csv');
    writeFileSync(file, 'keep me\n');
    const result = await oathctl(...seedsArgs('OS-EXISTING'), '--out', file);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('already exists');
    expect(readFileSync(file, 'utf8')).toBe('keep me\n');
    expect(await inInventory('OS-EXISTING')).toBe(false);
  });

  it('never writes through a symbolic link, even a dangling one', async () => {
    const target = path.join(dir, 'target.txt');
    writeFileSync(target, 'untouched\n');
    const link = path.join(dir, 'link.csv');
    symlinkSync(target, link);
    const dangling = path.join(dir, 'dangling.csv');
    const nowhere = path.join(dir, 'nowhere.txt');
    symlinkSync(nowhere, dangling);

    for (const [out, serial] of [[link, 'OS-LINK'], [dangling, 'OS-DANGLING']] as const) {
      const result = await oathctl(...seedsArgs(serial), '--out', out);
      expect(result.code).toBe(2);
      expect(await inInventory(serial)).toBe(false);
    }
    expect(readFileSync(target, 'utf8')).toBe('untouched\n');
    expect(existsSync(nowhere)).toBe(false);
  });

  it('strips control characters and bidirectional overrides from what it prints', async () => {
    await app.graph.seedUsers([{ displayName: 'Terminal Test', userPrincipalName: 'term@contoso.com', employeeId: 'E7001' }]);
    // The note of a revocation is free text the service keeps in the token's last change.
    const assign = await app.call('POST', 'tokens/import', {
      body: `upn,serial number,secret key,time interval,manufacturer,model\nterm@contoso.com,OS-TERM2,${'JBSWY3DPEHPK3PXP'.repeat(2)},30,Token2,C202\n`,
      contentType: 'text/csv',
    });
    expect((await jsonOf(assign)).imported).toBe(1);
    const note = 'left \u001b[2J\u001b]0;pwned\u0007 on the \u202etrain\r';
    // The API refuses such a note; a row written before it did, or by hand in the table, may still hold one.
    const refused = await app.call('POST', 'users/term@contoso.com/token/revoke', { body: JSON.stringify({ reason: 'lost', note }), contentType: 'application/json' });
    expect(refused.status).toBe(400);
    const tokens = TableClient.fromConnectionString(app.stack.azurite.connectionString, TABLES.tokens, { allowInsecureConnection: true });
    await tokens.updateEntity({ partitionKey: 'token', rowKey: serialKey('OS-TERM2'), lastChangeReason: `revoked, lost: ${note}` }, 'Merge');
    const stored = await jsonOf(await app.call('GET', 'tokens/OS-TERM2', { roles: ['Tokens.Read'] }));
    expect(stored.lastChangeReason).toMatch(CONTROL);

    const shown = await oathctl('show', 'OS-TERM2');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('left [2J]0;pwned on the train');
    expect(shown.stdout).not.toMatch(CONTROL);
    const listed = await oathctl('list', '--all');
    expect(listed.stdout).not.toMatch(CONTROL);
  });
});

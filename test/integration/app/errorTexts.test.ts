import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { generateSeed } from '../../../shared/domain/seed';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { JOINER_HOST_JSON, joinerReaches, postSigned } from '../../support/hr';

const run = promisify(execFile);
const TSX = path.resolve(__dirname, '../../../node_modules/tsx/dist/cli.mjs');
const OATHCTL = path.resolve(__dirname, '../../../cli/oathctl.ts');
const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';
const ZOD_WORDING = /Invalid input|Invalid option|Too small|Too big|Invalid string|expected \w+, received|Unrecognized key/;

/** The error texts an administrator meets, through the real HTTP routes and the CLI. */
describe('error texts an administrator reads', () => {
  let app: TestApp;
  let dir: string;
  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON });
    await app.graph.seedUsers([{ displayName: 'Lin Empty', userPrincipalName: 'lin@contoso.com', employeeId: 'E4001' }]);
    dir = mkdtempSync(path.join(os.tmpdir(), 'errortexts-'));
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an HR event with empty optional fields is taken as if they were absent', async () => {
    const body = JSON.stringify({
      type: 'employee.hired',
      data: { employeeId: 'E4001', userPrincipalName: 'lin@contoso.com', displayName: '', hireDate: new Date().toISOString().slice(0, 10), location: '', terminationDate: '' },
    });
    const response = await postSigned(app, body);
    expect(response.status).toBe(202);
    // No stock: the hire fails for that reason, not for its empty fields; its location is absent.
    const joiner = await joinerReaches(app, 'E4001', ['failed', 'completed']);
    const record = await jsonOf(await app.call('GET', 'provisioning/E4001', { roles: ['Tokens.Read'] }));
    expect(record.joiner).toMatchObject({ location: null, status: joiner.status });
  });

  it('a refused body names each field in plain words, never in the validator wording', async () => {
    const hire = await postSigned(app, JSON.stringify({ type: 'employee.hired', data: { displayName: 42 } }));
    expect(hire.status).toBe(400);
    const problem = await jsonOf(hire);
    expect(problem.errors).toEqual([
      { path: 'data.employeeId', message: 'is required' },
      { path: 'data.displayName', message: 'must be text, not a number' },
    ]);

    const seeds = await app.call('POST', 'tokens/seeds', { body: JSON.stringify({ serials: [], model: 'C302', timeIntervalInSeconds: 45 }), contentType: 'application/json' });
    expect(seeds.status).toBe(400);
    const seedProblem = await jsonOf(seeds);
    expect(seedProblem.errors).toEqual(
      expect.arrayContaining([
        { path: 'serials', message: 'must list at least one item' },
        { path: 'manufacturer', message: 'is required' },
        { path: 'timeIntervalInSeconds', message: 'does not match any of the accepted forms' },
      ]),
    );
    for (const body of [problem, seedProblem]) expect(JSON.stringify(body)).not.toMatch(ZOD_WORDING);

    // The CLI prints the same, on one line.
    const env = { ...process.env, OATHCTL_URL: app.host.url, OATHCTL_TOKEN: await app.adminToken(['Tokens.Admin']) };
    const cli = await run(process.execPath, [TSX, OATHCTL, 'revoke', 'lin@contoso.com', '--reason', 'misplaced'], { env }).catch((error: { code: number; stderr: string }) => error);
    expect(cli).toMatchObject({ code: 1 });
    expect((cli as { stderr: string }).stderr.trim()).toBe('oathctl: 400 Bad Request: The request is not valid (reason: must be one of lost, stolen, damaged, returned, offboarded, unused)');
  });

  it('a CSV row with too few fields names its serial; a semicolon-separated file is told so', async () => {
    const seed = generateSeed('hmacsha1');
    const short = await app.call('POST', 'tokens/import', { body: `${HEADER}\n,ET-0001,${seed},30,Token2\n`, contentType: 'text/csv' });
    expect(short.status).toBe(200);
    expect((await jsonOf(short)).errors).toEqual([{ line: 2, serial: 'ET-0001', reason: 'expected 6 fields, found 5' }]);

    const file = path.join(dir, 'semicolons.csv');
    writeFileSync(file, `${HEADER.replace(/,/g, ';')}\n;ET-0002;${seed};30;Token2;C202\n`);
    const env = { ...process.env, OATHCTL_URL: app.host.url, OATHCTL_TOKEN: await app.adminToken(['Tokens.Admin']) };
    const cli = await run(process.execPath, [TSX, OATHCTL, 'import', file], { env }).catch((error: { code: number; stderr: string }) => error);
    expect(cli).toMatchObject({ code: 1 });
    expect((cli as { stderr: string }).stderr).toContain('The file cannot be imported: the file is separated by semicolons, not commas');
    expect((cli as { stderr: string }).stderr).not.toContain(seed);
  });

  it('a reader who calls an admin route is told the role it needs and the roles it has', async () => {
    const refused = await app.call('POST', 'provisioning/E4001/retry', { roles: ['Tokens.Read'] });
    expect(refused.status).toBe(403);
    const body = await jsonOf(refused);
    expect(body).toMatchObject({
      status: 403,
      requiredRole: 'Tokens.Admin',
      detail: expect.stringContaining('The Tokens.Admin role is required (or Tokens.PrivilegedAdmin, which includes it); your token has Tokens.Read.'),
    });
    const approve = await jsonOf(await app.call('POST', 'provisioning/E4001/approve', { roles: ['Tokens.Admin'] }));
    expect(approve).toMatchObject({ requiredRole: 'Tokens.PrivilegedAdmin', detail: expect.stringMatching(/^The Tokens\.PrivilegedAdmin role is required; your token has Tokens\.Admin\./) });
    const none = await jsonOf(await app.call('GET', 'tokens', { roles: [] }));
    expect(none.detail).toMatch(/^The Tokens\.Read role is required \(or Tokens\.Admin or Tokens\.PrivilegedAdmin, which include it\); your token has no role of this app\./);
  });
});

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestApp, type TestApp } from '../../support/app';
import { importTokens, JOINER_HOST_JSON, joinerReaches, provisioningOf, eventually } from '../../support/hr';
import { GLOBAL_ADMINISTRATOR, tenantCall } from '../targets/helpers';

const execute = promisify(execFile);
const TSX = path.resolve(__dirname, '../../../node_modules/tsx/dist/cli.mjs');
const ROOT = path.resolve(__dirname, '../../..');

/** The newcomer's dev commands, against a stack of the test's own: npm run dev:person and npm run dev:hr. */
describe('dev:person and dev:hr', () => {
  let app: TestApp;
  let dir: string;
  let settingsFile: string;
  const run = async (script: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await execute(process.execPath, [TSX, path.join(ROOT, 'dev', script), ...args], { cwd: ROOT });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };
  const person = (...args: string[]) => run('person.ts', '--graph', app.stack.graph.url, '--identity', app.stack.identity.url, ...args);
  const hr = (...args: string[]) => run('hr.ts', '--url', app.host.url, '--settings', settingsFile, ...args);

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON });
    dir = mkdtempSync(path.join(os.tmpdir(), 'devcommands-'));
    // What npm start writes to .local/dev-settings.json, for this test's stack.
    settingsFile = path.join(dir, 'dev-settings.json');
    writeFileSync(settingsFile, JSON.stringify({ HR_WEBHOOK_SECRETS: app.stack.hrWebhookSecret }));
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds a person with an employeeId, a directory role and a group, through the emulator and the standard Graph calls', async () => {
    const added = await person('--upn', 'nina.admin@contoso.com', '--name', 'Nina Admin', '--employee-id', 'E5001', '--role', 'Global Administrator', '--group', 'Tier 0 accounts');
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const lines = added.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^added Nina Admin <nina\.admin@contoso\.com>, employeeId E5001, object id [0-9a-f-]{36}$/);
    expect(lines.slice(1)).toEqual(['assigned the role Global Administrator', expect.stringMatching(/^added to the group Tier 0 accounts \(made now, id [0-9a-f-]{36}\)$/)]);
    const id = /object id (\S+)$/.exec(lines[0] ?? '')?.[1] ?? '';

    const user = await tenantCall(app, 'GET', `/users/${id}?$select=id,employeeId,userPrincipalName`);
    expect(user.body).toMatchObject({ employeeId: 'E5001', userPrincipalName: 'nina.admin@contoso.com' });
    const roles = await tenantCall(app, 'GET', `/roleManagement/directory/roleAssignments?$filter=principalId eq '${id}'`);
    expect(roles.body.value).toEqual([expect.objectContaining({ roleDefinitionId: GLOBAL_ADMINISTRATOR, directoryScopeId: '/' })]);
    const groups = await tenantCall(app, 'GET', `/users/${id}/transitiveMemberOf`);
    expect((groups.body.value as { displayName?: string }[]).map((g) => g.displayName)).toContain('Tier 0 accounts');

    // A second person joins the same group (found by name, not made twice).
    const again = await person('--upn', 'omar@contoso.com', '--employee-id', 'E5002', '--group', 'Tier 0 accounts');
    expect(again.stdout).toMatch(/added to the group Tier 0 accounts \([0-9a-f-]{36}\)/);
    expect(((await tenantCall(app, 'GET', `/groups?$filter=displayName eq 'Tier 0 accounts'`)).body.value as unknown[]).length).toBe(1);
  });

  it('refuses an unknown role before adding anybody, and a duplicate person with the emulator reason', async () => {
    const before = (await app.graph.state()).users;
    const typo = await person('--upn', 'typo@contoso.com', '--role', 'Global Admin');
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/^dev:person: unknown role "Global Admin": name one of Global Administrator, /);
    expect((await app.graph.state()).users).toBe(before);
    const twice = await person('--upn', 'omar@contoso.com');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('the Graph emulator refused the person');
    expect((await person('--employee-id', 'E1')).stderr).toMatch(/--upn must be a user principal name/);
  });

  it('sends a signed hire the app acts on (the role added above is refused as privileged), and a termination', async () => {
    const hire = await hr('hire', 'E5001', '--upn', 'nina.admin@contoso.com', '--location', 'GVA');
    expect(hire.stderr).toBe('');
    expect(hire.stdout).toMatch(/^employee\.hired for E5001 sent as msg_\S+: 202 queued\nFollow it with: npm run -s oathctl -- provisioning E5001\n$/);
    expect(await joinerReaches(app, 'E5001', ['failed'])).toMatchObject({ refusal: 'privileged_account' });

    await importTokens(app, [{ serial: 'DEV-0001' }]);
    expect((await hr('hire', 'E5002')).code).toBe(0);
    expect((await joinerReaches(app, 'E5002', ['completed'])).serialNumber).toBe('DEV-0001');
    const terminated = await hr('terminate', 'E5002', '--date', new Date().toISOString().slice(0, 10));
    expect(terminated.stdout).toMatch(/^employee\.terminated for E5002 sent as msg_\S+: 202 queued/);
    const leaver = await eventually('the leaver of E5002', async () => (await provisioningOf(app, 'E5002'))?.leaver ?? undefined);
    expect(leaver.terminationDate).toBeTruthy();
  }, 120_000);

  it('says what is wrong: a usage mistake, a refused event, a wrong secret, a missing settings file', async () => {
    expect((await hr('promote', 'E5001')).stderr).toMatch(/^dev:hr: the first word must be hire, terminate or update/);
    expect((await hr('terminate', 'E5001', '--hire-date', '2026-01-01')).stderr).toContain('--hire-date goes with hire');
    const refused = await hr('hire', 'E5003', '--location', 'Geneva, Switzerland');
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe('dev:hr: the webhook answered 400: The event is not valid (data.location: must be a short site code (1-16 letters, digits, "_" or "-"))');
    const otherSecret = path.join(dir, 'other.json');
    writeFileSync(otherSecret, JSON.stringify({ HR_WEBHOOK_SECRETS: `whsec_${randomBytes(32).toString('base64')}` }));
    const unsigned = await run('hr.ts', '--url', app.host.url, '--settings', otherSecret, 'hire', 'E5003');
    expect(unsigned.stderr).toMatch(/^dev:hr: the webhook answered 401: /);
    const missing = await run('hr.ts', '--url', app.host.url, '--settings', path.join(dir, 'nope.json'), 'hire', 'E5003');
    expect(missing.stderr).toMatch(/nope\.json is missing: start the local stack with npm start first/);
  });
});

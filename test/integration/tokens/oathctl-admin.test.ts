import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestApp, type TestApp } from '../../support/app';
import { importTokens, JOINER_HOST_JSON, joinerReaches, sendHire } from '../../support/hr';
import { makeGlobalAdmin } from '../targets/helpers';

const run = promisify(execFile);
const TSX = path.resolve(__dirname, '../../../node_modules/tsx/dist/cli.mjs');
const OATHCTL = path.resolve(__dirname, '../../../cli/oathctl.ts');

/**
 * The console's work from a terminal: provisioning status, retry and approve of a hire, the audit trail
 * with its filters, the last reconciliation report, and a revoke of a token in stock. The real CLI runs
 * against the local host, Azurite and the emulators.
 */
describe('oathctl: provisioning, approval, audit and reports', () => {
  let app: TestApp;
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
  const today = () => new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON });
    const [, admin] = await app.graph.seedUsers([
      { displayName: 'Ida Noel', userPrincipalName: 'ida@contoso.com', employeeId: 'E3001' },
      { displayName: 'Gil Admin', userPrincipalName: 'gil.admin@contoso.com', employeeId: 'E3002' },
    ]);
    await makeGlobalAdmin(app, admin!.id);
    env = { ...process.env, OATHCTL_URL: app.host.url, OATHCTL_TOKEN: await app.adminToken(['Tokens.Admin', 'Tokens.Read']) };
  }, 60_000);
  afterAll(() => app?.close());

  it('shows a failed hire with its reason and what to do, lists it by status, and retries it', async () => {
    // No token in stock yet: the hire fails visibly.
    expect((await sendHire(app, { employeeId: 'E3001', userPrincipalName: 'ida@contoso.com', hireDate: today() })).status).toBe(202);
    const failed = await joinerReaches(app, 'E3001', ['failed']);

    const one = await oathctl('provisioning', 'E3001');
    expect(one.code).toBe(0);
    expect(one.stdout.split('\n')[0]).toMatch(/^EMPLOYEE\s+NAME\s+KIND\s+STATUS\s+STEP\s+SERIAL\s+USER\s+ATTEMPTS\s+UPDATED\s+REASON$/);
    expect(one.stdout).toMatch(/E3001\s+Ida Noel\s+joiner\s+failed\s/);
    expect(one.stdout).toContain(failed.reason ?? 'no reason given');
    expect(one.stdout).toContain('Send it through again with: oathctl retry E3001');

    const listed = JSON.parse((await oathctl('provisioning', '--status', 'failed', '--json')).stdout);
    expect(listed).toEqual([expect.objectContaining({ employeeId: 'E3001', kind: 'joiner', status: 'failed' })]);
    expect(JSON.parse((await oathctl('provisioning', '--kind', 'leaver', '--json')).stdout)).toEqual([]);
    expect((await oathctl('provisioning', '--kind', 'mover')).code).toBe(2);
    const unknown = await oathctl('provisioning', 'E9999');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^oathctl: 404 Not Found: No provisioning work is recorded for employee E9999/);

    await importTokens(app, [{ serial: 'OC-0001' }, { serial: 'OC-0002' }, { serial: 'OC-0003' }]);
    const retried = await oathctl('retry', 'E3001');
    expect(retried.code).toBe(0);
    expect(retried.stdout).toMatch(/^E3001: joiner queued again \(event retry:\S+\)\. Follow it with: oathctl provisioning E3001/);
    expect((await joinerReaches(app, 'E3001', ['completed'])).serialNumber).toBeTruthy();
    const nothing = await oathctl('retry', 'E3001');
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/^oathctl: 409 /);
    expect((await oathctl('retry')).code).toBe(2);
  }, 120_000);

  it('approves a hire refused as a privileged account only with Tokens.PrivilegedAdmin', async () => {
    expect((await sendHire(app, { employeeId: 'E3002', userPrincipalName: 'gil.admin@contoso.com', hireDate: today() })).status).toBe(202);
    expect(await joinerReaches(app, 'E3002', ['failed'])).toMatchObject({ refusal: 'privileged_account' });
    expect((await oathctl('provisioning', 'E3002')).stdout).toContain('a Tokens.PrivilegedAdmin may let it go ahead with: oathctl approve E3002');

    const refused = await oathctl('approve', 'E3002');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^oathctl: 403 /);
    const approved = await oathctl('approve', 'E3002', '--token', await app.adminToken(['Tokens.PrivilegedAdmin']));
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(/^E3002: approved by admin admin-oid-1; the hire is queued\./);
    expect((await joinerReaches(app, 'E3002', ['completed'])).serialNumber).toBeTruthy();
  }, 120_000);

  it('reads the audit trail by user, serial, action (or a family of actions) and time', async () => {
    const byUser = JSON.parse((await oathctl('audit', '--user', 'E3001', '--json')).stdout) as { action: string; employeeId?: string; serialNumber?: string; at: string }[];
    expect(byUser.map((e) => e.action)).toEqual(expect.arrayContaining(['retry', 'token.provisioned']));
    expect(byUser.every((e) => e.employeeId === 'E3001')).toBe(true);

    const retries = JSON.parse((await oathctl('audit', '--user', 'E3001', '--action', 'retry', '--json')).stdout) as { action: string }[];
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.every((e) => e.action === 'retry')).toBe(true);

    // A family: every provisioning.* action, here the approval, across all employees.
    const family = JSON.parse((await oathctl('audit', '--action', 'provisioning', '--json')).stdout) as { action: string; employeeId?: string }[];
    expect(family).toEqual([expect.objectContaining({ action: 'provisioning.approved', employeeId: 'E3002' })]);
    expect(JSON.parse((await oathctl('audit', '--action', 'provisioning.approved', '--json')).stdout)).toHaveLength(1);
    expect(JSON.parse((await oathctl('audit', '--action', 'provision', '--json')).stdout)).toEqual([]);

    const serial = byUser.find((e) => e.action === 'token.provisioned' && e.serialNumber !== undefined);
    expect(serial?.serialNumber).toBeTruthy();
    const bySerial = await oathctl('audit', '--serial', serial!.serialNumber!);
    expect(bySerial.stdout.split('\n')[0]).toMatch(/^AT\s+ACTION\s+OUTCOME\s+SERIAL\s+EMPLOYEE\s+BY\s+DETAIL$/);
    expect(bySerial.stdout).toContain(serial!.serialNumber!);

    // Time: an age back from now, an ISO bound, and a window before anything happened.
    expect(JSON.parse((await oathctl('audit', '--since', '1h', '--user', 'E3001', '--json')).stdout)).toHaveLength(byUser.length);
    expect(JSON.parse((await oathctl('audit', '--user', 'E3001', '--until', '2000-01-01', '--json')).stdout)).toEqual([]);
    const middle = byUser[Math.floor(byUser.length / 2)]!.at;
    const after = JSON.parse((await oathctl('audit', '--user', 'E3001', '--since', middle, '--json')).stdout) as { at: string }[];
    const before = JSON.parse((await oathctl('audit', '--user', 'E3001', '--until', middle, '--json')).stdout) as { at: string }[];
    expect(after.every((e) => e.at >= middle) && before.every((e) => e.at < middle)).toBe(true);
    expect(after.length + before.length).toBe(byUser.length);

    const bare = await oathctl('audit');
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('audit needs at least one of --serial, --user, --action or --since');
    expect((await oathctl('audit', '--since', 'yesterday')).code).toBe(2);
    const badAction = await oathctl('audit', '--action', 'drop table');
    expect(badAction.code).toBe(1);
    expect(badAction.stderr).toMatch(/^oathctl: 400 .*action: must be an action/);
  });

  it('reconcile --latest prints the last report alone, and says when there is none yet', async () => {
    const none = await oathctl('reconcile', '--latest');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^oathctl: 404 /);
    const ran = await oathctl('reconcile', '--report', '--mode', 'report', '--json');
    expect(ran.code).toBe(0);
    const { runId } = JSON.parse(ran.stdout) as { runId: string };
    const latest = await oathctl('reconcile', '--latest');
    expect(latest.code).toBe(0);
    expect(latest.stdout).toMatch(new RegExp(`^Reconciliation ${runId} \\(mode report, by admin@contoso\\.com\\)`));
    expect((await oathctl('reconcile', '--latest', '--mode', 'safe')).code).toBe(2);
  }, 120_000);

  it('revoke --reason returned of a token in stock changes nothing; offboarded of one is refused with 409', async () => {
    const [spare] = JSON.parse((await oathctl('list', '--status', 'in_stock', '--json')).stdout) as { serialNumber: string }[];
    expect(spare?.serialNumber).toMatch(/^OC-000[123]$/);
    const serial = spare!.serialNumber;
    const returned = await oathctl('revoke', '--serial', serial, '--reason', 'returned');
    expect(returned.code).toBe(0);
    expect(returned.stdout.trim()).toBe(`${serial}: in_stock (already so; nothing changed)`);
    const offboarded = await oathctl('revoke', '--serial', serial, '--reason', 'offboarded');
    expect(offboarded.code).toBe(1);
    expect(offboarded.stderr.trim()).toBe(`oathctl: 409 Conflict: token ${serial} is in_stock; nobody holds it, so it cannot be offboarded`);
    expect((await app.graph.state({ serial })).matches?.devices).toEqual([expect.objectContaining({ serialNumber: serial, assignedTo: null })]);
  });
});

import { TableClient } from '@azure/data-tables';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Secret, TOTP } from 'otpauth';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';

const run = promisify(execFile);
const TSX = path.resolve(__dirname, '../../../node_modules/tsx/dist/cli.mjs');
const OATHCTL = path.resolve(__dirname, '../../../cli/oathctl.ts');
const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';
const codeAt = (seed: string, at: number) => new TOTP({ secret: Secret.fromBase32(seed), period: 30, digits: 6 }).generate({ timestamp: at });

const PEOPLE = [
  { displayName: 'Ada Lovelace', userPrincipalName: 'ada@contoso.com', employeeId: 'E1001', serial: 'REV-LOST' },
  { displayName: 'Grace Hopper', userPrincipalName: 'grace@contoso.com', employeeId: 'E1002', serial: 'REV-RET' },
  { displayName: 'Alan Turing', userPrincipalName: 'alan@contoso.com', employeeId: 'E1003', serial: 'REV-OFF' },
  { displayName: 'Katherine Johnson', userPrincipalName: 'katherine@contoso.com', employeeId: 'E1004', serial: 'REV-DMG' },
  { displayName: 'Edsger Dijkstra', userPrincipalName: 'edsger@contoso.com', employeeId: 'E1005', serial: 'REV-SUS' },
  { displayName: 'Barbara Liskov', userPrincipalName: 'barbara@contoso.com', employeeId: 'E1006', serial: 'REV-FLAKY' },
  { displayName: 'Frances Allen', userPrincipalName: 'frances@contoso.com', employeeId: 'E1007', serial: 'REV-KV' },
];

describe('revoking, suspending and resuming a user token', () => {
  let app: TestApp;
  const seeds = new Map<string, string>();
  const userIds = new Map<string, string>();

  const revoke = (user: string, body: unknown, roles?: string[]) =>
    app.call('POST', `users/${encodeURIComponent(user)}/token/revoke`, { body: JSON.stringify(body), contentType: 'application/json', ...(roles ? { roles } : {}) });
  const token = async (serial: string) => jsonOf(await app.call('GET', `tokens/${serial}`, { roles: ['Tokens.Read'] }));
  const device = async (serial: string) => (await app.graph.state({ serial })).matches?.devices[0];
  /** Whether any code near now still signs the person in: a revoked or suspended token must fail them all. */
  const canSignIn = async (upn: string, serial: string) => {
    for (const offset of [30_000, 60_000]) {
      if ((await app.graph.signIn({ userId: userIds.get(upn)!, code: codeAt(seeds.get(serial)!, Date.now() + offset) })).ok) return true;
    }
    return false;
  };

  beforeAll(async () => {
    app = await startTestApp();
    const users = await app.graph.seedUsers(PEOPLE.map(({ serial: _serial, ...user }) => user));
    for (const user of users) userIds.set(user.userPrincipalName, user.id);
    const rows = PEOPLE.map((p) => {
      const seed = new Secret({ size: 20 }).base32;
      seeds.set(p.serial, seed);
      return `${p.userPrincipalName},${p.serial},${seed},30,Token2,C202`;
    });
    const imported = await jsonOf(await app.call('POST', 'tokens/import', { body: `${HEADER}\n${rows.join('\n')}\n`, contentType: 'text/csv' }));
    expect(imported.imported).toBe(PEOPLE.length);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('lost: removes the method and the device from Entra, destroys the seed, and a repeat changes nothing', async () => {
    expect(await canSignIn('ada@contoso.com', 'REV-LOST')).toBe(true);
    const response = await revoke('ada@contoso.com', { reason: 'lost', note: 'left on the train' });
    expect(response.status).toBe(200);
    expect(await jsonOf(response)).toEqual({ serialNumber: 'REV-LOST', status: 'lost', changed: true });
    expect(await device('REV-LOST')).toBeUndefined();
    expect(await app.keyVault.secretExists('seed-REV-LOST')).toMatchObject({ exists: false });
    expect(await canSignIn('ada@contoso.com', 'REV-LOST')).toBe(false);
    expect(await token('REV-LOST')).toMatchObject({ status: 'lost', revocationReason: 'lost', registeredInEntra: false, userPrincipalName: 'ada@contoso.com' });

    const again = await revoke('E1001', { reason: 'lost' });
    expect(await jsonOf(again)).toEqual({ serialNumber: 'REV-LOST', status: 'lost', changed: false });

    const audit = TableClient.fromConnectionString(app.stack.azurite.connectionString, 'audit', { allowInsecureConnection: true });
    const entries = [];
    for await (const entry of audit.listEntities({ queryOptions: { filter: "serialNumber eq 'REV-LOST'" } })) entries.push(entry);
    expect(entries).toContainEqual(expect.objectContaining({ action: 'token.revoked.lost', actor: 'admin admin-oid-1', callerOid: 'admin-oid-1', callerName: 'admin@contoso.com', outcome: 'succeeded', detail: 'active -> lost; note: left on the train' }));
  });

  it('returned (a vendor seed never shown): back in stock, unassigned in Entra, seed kept', async () => {
    const response = await revoke('grace@contoso.com', { reason: 'returned' });
    expect(await jsonOf(response)).toEqual({ serialNumber: 'REV-RET', status: 'in_stock', changed: true });
    expect(await device('REV-RET')).toMatchObject({ status: 'available', assignedTo: null });
    expect(await app.keyVault.secretExists('seed-REV-RET')).toMatchObject({ exists: true });
    expect(await canSignIn('grace@contoso.com', 'REV-RET')).toBe(false);
    expect(await token('REV-RET')).toMatchObject({ status: 'in_stock', userPrincipalName: null, employeeId: null });
    expect((await revoke('grace@contoso.com', { reason: 'returned' })).status).toBe(404);
  });

  it('offboarded: revoked while it awaits its physical return, which a later "returned" settles', async () => {
    expect(await jsonOf(await revoke('alan@contoso.com', { reason: 'offboarded' }))).toEqual({ serialNumber: 'REV-OFF', status: 'revoked', changed: true });
    expect(await device('REV-OFF')).toMatchObject({ status: 'available', assignedTo: null });
    expect(await canSignIn('alan@contoso.com', 'REV-OFF')).toBe(false);
    expect(await jsonOf(await revoke('alan@contoso.com', { reason: 'offboarded' }))).toMatchObject({ status: 'revoked', changed: false });
    expect(await jsonOf(await revoke('alan@contoso.com', { reason: 'returned' }))).toEqual({ serialNumber: 'REV-OFF', status: 'in_stock', changed: true });
  });

  it('damaged: retired for good', async () => {
    expect(await jsonOf(await revoke('E1004', { reason: 'damaged' }))).toEqual({ serialNumber: 'REV-DMG', status: 'retired', changed: true });
    expect(await device('REV-DMG')).toBeUndefined();
    expect(await app.keyVault.secretExists('seed-REV-DMG')).toMatchObject({ exists: false });
  });

  it('suspends and resumes for a leave of absence', async () => {
    const suspend = await app.call('POST', 'users/edsger@contoso.com/token/suspend');
    expect(await jsonOf(suspend)).toEqual({ serialNumber: 'REV-SUS', status: 'suspended', changed: true });
    expect(await device('REV-SUS')).toMatchObject({ status: 'assigned' });
    expect(await canSignIn('edsger@contoso.com', 'REV-SUS')).toBe(false);
    const resume = await app.call('POST', 'users/edsger@contoso.com/token/resume');
    expect(await jsonOf(resume)).toEqual({ serialNumber: 'REV-SUS', status: 'active', changed: true });
    expect(await device('REV-SUS')).toMatchObject({ status: 'activated' });
    expect(await canSignIn('edsger@contoso.com', 'REV-SUS')).toBe(true);
  });

  it('completes on retry when Graph fails, and never says revoked while Entra still has the method', async () => {
    await app.graph.setFaults({ failNext: { status: 500, count: 1 } });
    const failed = await revoke('barbara@contoso.com', { reason: 'stolen' });
    expect(failed.status).toBe(503);
    expect(failed.headers.get('content-type')).toBe('application/problem+json');
    expect(failed.headers.get('retry-after')).toBe('5');
    expect(await jsonOf(failed)).toMatchObject({ status: 503, dependencyStatus: 500, detail: expect.stringContaining('sending the same request again') });
    expect(await token('REV-FLAKY')).toMatchObject({ status: 'active' });
    expect(await device('REV-FLAKY')).toMatchObject({ status: 'activated' });

    await app.graph.setFaults({ failNext: { status: 429, count: 2, retryAfterSeconds: 1 } });
    const retried = await revoke('barbara@contoso.com', { reason: 'stolen' });
    expect(await jsonOf(retried)).toEqual({ serialNumber: 'REV-FLAKY', status: 'lost', changed: true });
    expect(await device('REV-FLAKY')).toBeUndefined();
    expect(await canSignIn('barbara@contoso.com', 'REV-FLAKY')).toBe(false);
  });

  it('answers 503 with Retry-After when Key Vault fails after Entra let go, and the same request sent again finishes', async () => {
    await app.keyVault.setFaults({ failNext: { status: 503, count: 8 } });
    const failed = await revoke('frances@contoso.com', { reason: 'lost' });
    await app.keyVault.setFaults({ failNext: null });
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toMatch(/^\d+$/);
    // Entra went first: the token signs nobody in, whatever the row says yet.
    expect(await device('REV-KV')).toBeUndefined();
    expect(await canSignIn('frances@contoso.com', 'REV-KV')).toBe(false);

    const again = await revoke('frances@contoso.com', { reason: 'lost' });
    expect(await jsonOf(again)).toMatchObject({ serialNumber: 'REV-KV', status: 'lost' });
    expect(await app.keyVault.secretExists('seed-REV-KV')).toMatchObject({ exists: false });
    expect(await token('REV-KV')).toMatchObject({ status: 'lost', registeredInEntra: false });
  });

  it('answers 404 for someone without a token, 400 for a bad reason, and 401/403 to callers who may not, changing nothing', async () => {
    expect((await revoke('nobody@contoso.com', { reason: 'lost' })).status).toBe(404);
    const bad = await revoke('edsger@contoso.com', { reason: 'misplaced' });
    expect(bad.status).toBe(400);
    expect((await jsonOf(bad)).errors[0].path).toBe('reason');
    for (const note of ['\u001b[2Jcleared the screen', 'lost by \u202eyram']) {
      const unsafe = await revoke('edsger@contoso.com', { reason: 'lost', note });
      expect(unsafe.status).toBe(400);
      expect((await jsonOf(unsafe)).errors[0]).toMatchObject({ path: 'note', message: expect.stringContaining('control characters') });
    }
    expect((await fetch(`${app.api}/users/edsger@contoso.com/token/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"reason":"lost"}' })).status).toBe(401);
    expect((await revoke('edsger@contoso.com', { reason: 'lost' }, ['Tokens.Read'])).status).toBe(403);
    expect((await app.call('POST', 'users/edsger@contoso.com/token/suspend', { roles: ['Tokens.Read'] })).status).toBe(403);
    expect(await token('REV-SUS')).toMatchObject({ status: 'active' });
    expect(await device('REV-SUS')).toMatchObject({ status: 'activated' });
  });

  // A resume waits for TOTP steps Entra has not seen (the test's own sign-ins used some): real time.
  it('is what oathctl revoke, suspend and resume call, with a readable line for each', async () => {
    const env = { ...process.env, OATHCTL_URL: app.host.url, OATHCTL_TOKEN: await app.adminToken(['Tokens.Admin']) };
    const oathctl = async (...args: string[]) => {
      try {
        return { code: 0, ...(await run(process.execPath, [TSX, OATHCTL, ...args], { env })) };
      } catch (error) {
        return error as { code: number; stdout: string; stderr: string };
      }
    };
    expect((await oathctl('suspend', 'edsger@contoso.com')).stdout.trim()).toBe('REV-SUS: suspended');
    const resumed = await oathctl('resume', 'E1005', '--json');
    expect(resumed.stderr).toBe('');
    expect(resumed.stdout).toContain('"status": "active"');
    expect((await oathctl('revoke', 'edsger@contoso.com', '--reason', 'stolen', '--note', 'bag taken')).stdout.trim()).toBe('REV-SUS: lost');
    expect((await oathctl('revoke', 'edsger@contoso.com', '--reason', 'stolen')).stdout.trim()).toBe('REV-SUS: lost (already so; nothing changed)');
    const missing = await oathctl('revoke', 'nobody@contoso.com', '--reason', 'lost');
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('oathctl: 404 Not Found: nobody@contoso.com holds no token');
    expect((await oathctl('revoke', 'edsger@contoso.com')).code).toBe(2);
  }, 180_000);
});

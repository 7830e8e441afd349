import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { TableClient } from '@azure/data-tables';
import { totpCode } from '../../../shared/domain/seed';
import { TABLES } from '../../../shared/app/storageNames';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { importTokens, JOINER_HOST_JSON, joinerReaches, seedsIn, sendHire } from '../../support/hr';
import { ageTokenRows, editTokenRow, reconcile } from '../reconcile/helpers';

const run = promisify(execFile);
const TSX = path.resolve(__dirname, '../../../node_modules/tsx/dist/cli.mjs');
const OATHCTL = path.resolve(__dirname, '../../../cli/oathctl.ts');
const STEP_MS = 30_000;

/** The code a token shows whose clock runs `drift` steps ahead of now (behind when negative). */
const shownCode = (seed: string, drift: number, at = Date.now()) => totpCode(seed, 30, 'hmacsha1', new Date(at + drift * STEP_MS));

/**
 * Waits until at least 8 s of the current time step are left, so that the step this test computes a
 * code in is the step the app checks it in. Nothing is timed or asserted about time.
 */
async function awayFromStepEnd(): Promise<void> {
  while (STEP_MS - (Date.now() % STEP_MS) < 8_000) await new Promise((resolve) => setTimeout(resolve, 500));
}

describe('hand-over mode: reserve and assign at the hire, activate at the desk with the code the token shows', () => {
  let app: TestApp;
  const seedOf = new Map<string, string>();
  const userIds = new Map<string, string>();
  const serialOf = new Map<string, string>();
  /** When the fast token's code was accepted: its spent steps are counted from then. */
  let acceptedAt = 0;

  const handover = (serial: string, code: string) => app.call('POST', `tokens/${serial}/handover`, { body: JSON.stringify({ code }), contentType: 'application/json' });
  const token = async (serial: string) => jsonOf(await app.call('GET', `tokens/${serial}`, { roles: ['Tokens.Read'] }));
  const device = async (serial: string) => (await app.graph.state({ serial })).matches?.devices[0];
  const activations = async () => (await app.graph.stats()).requests['POST method.activate'] ?? 0;

  beforeAll(async () => {
    app = await startTestApp({
      hostJsonPath: JOINER_HOST_JSON,
      // A window wider than the emulator's (10 steps) to see Entra refuse a code that is this token's.
      settings: { ACTIVATION_MODE: 'handover', HANDOVER_DRIFT_STEPS: '15', DRIFT_ALERT_STEPS: '2' },
    });
    const users = await app.graph.seedUsers([
      { displayName: 'Ada Lovelace', userPrincipalName: 'ada@contoso.com', employeeId: 'E2001' },
      { displayName: 'Grace Hopper', userPrincipalName: 'grace@contoso.com', employeeId: 'E2002' },
      { displayName: 'Alan Turing', userPrincipalName: 'alan@contoso.com', employeeId: 'E2003' },
    ]);
    for (const user of users) userIds.set(user.userPrincipalName, user.id);
    const tokens = [
      { serial: 'HO-GVA-1', pool: 'GVA' },
      { serial: 'HO-GVA-2', pool: 'GVA' },
      { serial: 'HO-ZRH-1', pool: 'ZRH' },
      { serial: 'HO-SPARE', pool: 'ZRH' },
    ];
    const seeds = await importTokens(app, tokens);
    tokens.forEach((t, i) => seedOf.set(t.serial, seeds[i]!));

    await sendHire(app, { employeeId: 'E2001', userPrincipalName: 'ada@contoso.com', location: 'GVA' });
    await sendHire(app, { employeeId: 'E2002', userPrincipalName: 'grace@contoso.com', location: 'GVA' });
    await sendHire(app, { employeeId: 'E2003', userPrincipalName: 'alan@contoso.com', location: 'ZRH' });
    for (const [employeeId, upn] of [['E2001', 'ada@contoso.com'], ['E2002', 'grace@contoso.com'], ['E2003', 'alan@contoso.com']] as const) {
      const joiner = await joinerReaches(app, employeeId, ['completed', 'failed']);
      expect(joiner.status).toBe('completed');
      serialOf.set(upn, joiner.serialNumber!);
    }
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a hire ends assigned in Entra and not activated, awaiting hand-over at its site, and listed for that site only', async () => {
    const serial = serialOf.get('ada@contoso.com')!;
    expect(serial).toMatch(/^HO-GVA-/);
    expect(await token(serial)).toMatchObject({ status: 'awaiting_handover', userPrincipalName: 'ada@contoso.com', handover: { site: 'GVA' }, driftSteps: null });
    expect(await device(serial)).toMatchObject({ status: 'assigned', assignedTo: { id: userIds.get('ada@contoso.com') } });
    // Not activated, so no code signs anyone in yet.
    expect((await app.graph.signIn({ userId: 'ada@contoso.com', code: shownCode(seedOf.get(serial)!, 1) })).ok).toBe(false);

    const gva = await jsonOf(await app.call('GET', 'handovers?location=GVA', { roles: ['Tokens.Read'] }));
    expect(gva.handovers.map((h: { userPrincipalName: string }) => h.userPrincipalName).sort()).toEqual(['ada@contoso.com', 'grace@contoso.com']);
    expect(gva.handovers[0]).toMatchObject({ site: 'GVA', shipping: 'pending', tracking: null, employeeId: expect.stringMatching(/^E200[12]$/), since: expect.any(String) });
    const zrh = await jsonOf(await app.call('GET', 'handovers?location=ZRH', { roles: ['Tokens.Read'] }));
    expect(zrh.handovers).toEqual([expect.objectContaining({ userPrincipalName: 'alan@contoso.com', displayName: 'Alan Turing', site: 'ZRH' })]);
  });

  it('records shipping, which the pick list filters on; bad input is a problem, not a change', async () => {
    const serial = serialOf.get('grace@contoso.com')!;
    const ship = (body: unknown) => app.call('POST', `tokens/${serial}/shipment`, { body: JSON.stringify(body), contentType: 'application/json' });
    expect(await jsonOf(await ship({ status: 'shipped', tracking: 'CH-123 456' }))).toEqual({ serialNumber: serial, shipping: 'shipped', tracking: 'CH-123 456', changed: true });
    expect(await jsonOf(await ship({ status: 'shipped' }))).toMatchObject({ changed: false, tracking: 'CH-123 456' });
    const shipped = await jsonOf(await app.call('GET', 'handovers?location=GVA&status=shipped', { roles: ['Tokens.Read'] }));
    expect(shipped.handovers.map((h: { serialNumber: string }) => h.serialNumber)).toEqual([serial]);
    const pending = await jsonOf(await app.call('GET', 'handovers?location=GVA&status=pending', { roles: ['Tokens.Read'] }));
    expect(pending.handovers.map((h: { serialNumber: string }) => h.serialNumber)).toEqual([serialOf.get('ada@contoso.com')]);

    expect((await ship({ status: 'lost' })).status).toBe(400);
    expect((await app.call('GET', 'handovers?status=nowhere', { roles: ['Tokens.Read'] })).status).toBe(400);
    expect((await app.call('POST', `tokens/${serial}/shipment`, { body: JSON.stringify({ status: 'delivered' }), contentType: 'application/json', roles: ['Tokens.Read'] })).status).toBe(403);
    expect(await jsonOf(await ship({ status: 'delivered' }))).toMatchObject({ shipping: 'delivered', changed: true });
    expect((await ship({ status: 'shipped' })).status).toBe(409);
  });

  it("another token's code is refused as wrong_token and changes nothing", async () => {
    const serial = serialOf.get('ada@contoso.com')!;
    const before = await token(serial);
    const activationsBefore = await activations();
    const response = await handover(serial, shownCode(seedOf.get('HO-SPARE')!, 0));
    expect(response.status).toBe(422);
    expect(await jsonOf(response)).toMatchObject({ reason: 'wrong_token', serialNumber: serial });
    expect(await token(serial)).toEqual(before);
    expect(await device(serial)).toMatchObject({ status: 'assigned' });
    expect(await activations()).toBe(activationsBefore);
  });

  it('a token 4 steps fast activates with its own code, its drift of 4 is stored and audited, and Entra keeps accepting its drifted codes', async () => {
    const serial = serialOf.get('ada@contoso.com')!;
    const seed = seedOf.get(serial)!;
    await awayFromStepEnd();
    acceptedAt = Date.now();
    const code = shownCode(seed, 4, acceptedAt);
    const response = await handover(serial, code);
    expect(response.status).toBe(200);
    expect(await jsonOf(response)).toEqual({ serialNumber: serial, status: 'active', userPrincipalName: 'ada@contoso.com', displayName: 'Ada Lovelace', driftSteps: 4 });
    expect(await token(serial)).toMatchObject({ status: 'active', driftSteps: 4, handover: null });
    expect(await device(serial)).toMatchObject({ status: 'activated' });
    expect(app.logs.some((line) => line.includes(`TokenDrift serial=${serial} steps=4`))).toBe(true);

    // Entra learned the drift from the displayed code: the fob's next code (still 4 steps fast) signs in.
    expect((await app.graph.signIn({ userId: 'ada@contoso.com', code: shownCode(seed, 5) })).ok).toBe(true);

    const audit = TableClient.fromConnectionString(app.stack.azurite.connectionString, TABLES.audit, { allowInsecureConnection: true });
    const entries = [];
    for await (const entry of audit.listEntities({ queryOptions: { filter: `serialNumber eq '${serial}'` } })) entries.push(entry);
    expect(entries).toContainEqual(expect.objectContaining({ action: 'token.handover', outcome: 'succeeded', detail: expect.stringContaining('drift 4 steps') }));
  });

  it('a code already used is refused', async () => {
    const serial = serialOf.get('ada@contoso.com')!;
    // The step accepted (4 steps ahead of the hand-over's time) and one before it are both spent, however long ago that was.
    for (const drift of [4, 3]) {
      const response = await handover(serial, shownCode(seedOf.get(serial)!, drift, acceptedAt));
      expect(response.status).toBe(409);
      expect(await jsonOf(response)).toMatchObject({ reason: 'code_used' });
    }
  });

  it('when Entra refuses a code that is the token\'s own, the answer gives the drift and advises a replacement; that code is then spent', async () => {
    const serial = serialOf.get('grace@contoso.com')!;
    await awayFromStepEnd();
    const code = shownCode(seedOf.get(serial)!, 12);
    const response = await handover(serial, code);
    expect(response.status).toBe(409);
    const body = await jsonOf(response);
    expect(body).toMatchObject({ reason: 'entra_refused', driftSteps: 12, advice: 'replace' });
    expect(body.detail).toContain('token/replace');
    expect(await token(serial)).toMatchObject({ status: 'awaiting_handover', driftSteps: 12 });
    const again = await handover(serial, code);
    expect(await jsonOf(again)).toMatchObject({ reason: 'code_used' });
  });

  it('a token waiting longer than HANDOVER_MAX_DAYS is reported as handover_overdue; a refused hand-over is never retried from the seed', async () => {
    const serial = serialOf.get('grace@contoso.com')!;
    const row = await token(serial);
    await editTokenRow(app, serial, { handover: JSON.stringify({ ...row.handover, since: new Date(Date.now() - 20 * 24 * 3600_000).toISOString() }) });
    await ageTokenRows(app);
    const report = await reconcile(app, 'report');
    expect(report.items.filter((i) => i.serialNumber === serial).sort((a, b) => a.kind.localeCompare(b.kind))).toEqual([
      // Entra refused its code above; activating it from the seed would defeat the hand-over.
      expect.objectContaining({ kind: 'failed_activation', repair: 'none' }),
      expect.objectContaining({ kind: 'handover_overdue', repair: 'none', employeeId: 'E2002' }),
    ]);
    expect(report.drift.handover_overdue).toBe(1);
    // alan's token waits too, but only since today; ada's is active and agrees with Entra.
    expect(report.items.filter((i) => i.serialNumber === serialOf.get('alan@contoso.com') || i.serialNumber === serialOf.get('ada@contoso.com'))).toEqual([]);
  });

  it('oathctl prints the pick list as CSV and hands a token over', async () => {
    const serial = serialOf.get('alan@contoso.com')!;
    const env = { ...process.env, OATHCTL_URL: app.host.url, OATHCTL_TOKEN: await app.adminToken(['Tokens.Admin', 'Tokens.Read']) };
    const list = await run(process.execPath, [TSX, OATHCTL, 'handovers', '--location', 'ZRH', '--csv'], { env });
    expect(list.stdout.trim().split('\n')).toEqual(['site,serial number,name,holder,employee id,since,shipping,tracking,model', expect.stringMatching(new RegExp(`^ZRH,${serial},Alan Turing,alan@contoso.com,E2003,[^,]+,pending,,Token2 C302$`))]);
    await awayFromStepEnd();
    const done = await run(process.execPath, [TSX, OATHCTL, 'handover', serial, shownCode(seedOf.get(serial)!, -1), '--json'], { env });
    expect(JSON.parse(done.stdout)).toMatchObject({ serialNumber: serial, displayName: 'Alan Turing', driftSteps: -1 });
    // The token's last change names the holder and the admin by name; the admin's object id stays in the audit.
    const handedOver = await jsonOf(await app.call('GET', `tokens/${serial}`, { roles: ['Tokens.Read'] }));
    expect(handedOver.lastChangeReason).toMatch(/^handed over to Alan Turing \(alan@contoso\.com\) at site ZRH; .* \(by admin@contoso\.com\)$/);
    const empty = await run(process.execPath, [TSX, OATHCTL, 'handovers', '--location', 'ZRH'], { env });
    expect(empty.stdout.trim()).toBe('Nothing awaits hand-over.');
  });

  it('no seed in any log line, answer or table row', async () => {
    const seeds = [...seedOf.values()];
    expect(seedsIn(app.logs.join('\n'), seeds)).toEqual([]);
    for (const table of Object.values(TABLES)) {
      const client = TableClient.fromConnectionString(app.stack.azurite.connectionString, table, { allowInsecureConnection: true });
      const rows = [];
      try {
        for await (const row of client.listEntities()) rows.push(row);
      } catch {
        continue;
      }
      expect(seedsIn(JSON.stringify(rows), seeds)).toEqual([]);
    }
  });
});

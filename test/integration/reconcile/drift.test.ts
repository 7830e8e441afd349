import { TableClient } from '@azure/data-tables';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Secret } from 'otpauth';
import type { ReconcileReport } from '../../../shared/domain/drift';
import { TABLES } from '../../../shared/app/storageNames';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { JOINER_HOST_JSON, joinerReaches } from '../../support/hr';
import { ageTokenRows, editTokenRow, entraDevices, graphCall, inventorySnapshot, reconcile, vaultOf, vaultWrites } from './helpers';

const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model,pool';
const PEOPLE = [
  { displayName: 'Ada Lovelace', userPrincipalName: 'ada@contoso.com', employeeId: 'E7001' },
  { displayName: 'Bob Bemer', userPrincipalName: 'bob@contoso.com', employeeId: 'E7002' },
  { displayName: 'Cy Cray', userPrincipalName: 'cy@contoso.com', employeeId: 'E7003' },
  { displayName: 'Dee Dijkstra', userPrincipalName: 'dee@contoso.com', employeeId: 'E7004' },
  { displayName: 'Xena Hand', userPrincipalName: 'xena@contoso.com', employeeId: 'E7005' },
  { displayName: 'Sam Stuck', userPrincipalName: 'sam@contoso.com', employeeId: 'E7006' },
];
/** Held through an import with a UPN: active in Entra and in the inventory. */
const HELD = { 'RC-HA': 'ada@contoso.com', 'RC-HB': 'bob@contoso.com', 'RC-HC': 'cy@contoso.com', 'RC-HD': 'dee@contoso.com' };
const STOCK = ['RC-MISS', 'RC-NOSEED', 'RC-OUT', 'RC-S1', 'RC-S2'];
const DEVICES = '/directory/authenticationMethodDevices/hardwareOathDevices';
const TSX = path.resolve(__dirname, '../../../node_modules/tsx/dist/cli.mjs');
const OATHCTL = path.resolve(__dirname, '../../../cli/oathctl.ts');
const run = promisify(execFile);
const methods = (userId: string) => `/users/${userId}/authentication/hardwareOathMethods`;

describe('reconciliation finds each kind of drift and repairs it as the mode allows', () => {
  let app: TestApp;
  const users = new Map<string, string>();
  const deviceId = async (serial: string) => (await entraDevices(app)).find((d) => d.serialNumber === serial)?.id ?? '';
  const token = async (serial: string) => jsonOf(await app.call('GET', `tokens/${serial}`, { roles: ['Tokens.Read'] }));
  const importCsv = async (rows: string[]) => {
    const summary = await jsonOf(await app.call('POST', 'tokens/import', { body: `${HEADER}\n${rows.join('\n')}\n`, contentType: 'text/csv' }));
    expect(summary.errors).toEqual([]);
  };
  const row = (upn: string, serial: string, pool = '') => `${upn},${serial},${new Secret({ size: 20 }).base32},30,Token2,C302,${pool}`;

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON, settings: { LOW_STOCK_THRESHOLD: '2', RECONCILE_REPAIR_MODE: 'safe' } });
    for (const user of await app.graph.seedUsers(PEOPLE)) users.set(user.userPrincipalName, user.id);
    await importCsv([...Object.entries(HELD).map(([serial, upn]) => row(upn, serial)), ...STOCK.map((serial) => row('', serial)), row('', 'RC-G1', 'GVA')]);

    // Drift made on purpose, behind the app's back.
    await app.graph.seedDevices([{ serialNumber: 'RC-HAND', manufacturer: 'Token2', model: 'C302', secretKey: new Secret({ size: 20 }).base32, timeIntervalInSeconds: 30 }]);
    expect((await graphCall(app, 'DELETE', `${DEVICES}/${await deviceId('RC-MISS')}`)).status).toBe(204);
    const vault = vaultOf(app);
    await (await vault.beginDeleteSecret('seed-RC-NOSEED', { intervalInMs: 50 })).pollUntilDone();
    await vault.setSecret('seed-RC-ORPHAN', new Secret({ size: 20 }).base32, { tags: { managedBy: 'entra-oath-tokens' } });
    expect((await graphCall(app, 'POST', methods(users.get('xena@contoso.com')!), { device: { id: await deviceId('RC-OUT') } })).status).toBe(201);
    await editTokenRow(app, 'RC-HA', { status: 'assigned' });
    const hb = await deviceId('RC-HB');
    expect((await graphCall(app, 'DELETE', `${methods(users.get('bob@contoso.com')!)}/${hb}`)).status).toBe(204);
    expect((await graphCall(app, 'POST', methods(users.get('xena@contoso.com')!), { device: { id: hb } })).status).toBe(201);
    expect((await graphCall(app, 'DELETE', `${methods(users.get('cy@contoso.com')!)}/${await deviceId('RC-HC')}`)).status).toBe(204);
    const hd = await deviceId('RC-HD');
    expect((await graphCall(app, 'POST', `${methods(users.get('dee@contoso.com')!)}/${hd}/deactivate`, {})).status).toBe(204);
    expect((await graphCall(app, 'POST', `${methods(users.get('dee@contoso.com')!)}/${hd}/activate`, { verificationCode: '000000' })).status).toBe(400);
    const stuckAt = new Date(Date.now() - 3 * 3600_000).toISOString();
    const records = TableClient.fromConnectionString(app.stack.azurite.connectionString, TABLES.provisioning, { allowInsecureConnection: true });
    await records.createTable();
    await records.createEntity({
      partitionKey: 'E7006',
      rowKey: 'joiner',
      status: 'queued',
      attempts: 0,
      eventIds: JSON.stringify(['msg_stuck_1']),
      userPrincipalName: 'sam@contoso.com',
      location: 'GVA',
      createdAt: stuckAt,
      updatedAt: stuckAt,
    });
    const webhooks = TableClient.fromConnectionString(app.stack.azurite.connectionString, TABLES.webhookEvents, { allowInsecureConnection: true });
    await webhooks.createTable();
    await webhooks.createEntity({ partitionKey: 'msg_old', rowKey: '', state: 'queued', type: 'employee.hired', employeeId: 'E1', receivedAt: new Date(Date.now() - 10 * 24 * 3600_000).toISOString() });
    await ageTokenRows(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  const byKind = (report: ReconcileReport, kind: string) => report.items.filter((i) => i.kind === kind);

  it('answers 404 before any run, and refuses a run without the admin role or with a bad mode', async () => {
    expect((await app.call('GET', 'reports/reconcile/latest', { roles: ['Tokens.Read'] })).status).toBe(404);
    // A page waiting for a report asks for an empty answer instead of a 404 it would log as an error.
    const empty = await app.call('GET', 'reports/reconcile/latest?allowEmpty=true', { roles: ['Tokens.Read'] });
    expect(empty.status).toBe(200);
    expect(await jsonOf(empty)).toBeNull();
    expect((await app.call('POST', 'reconcile', { roles: ['Tokens.Read'] })).status).toBe(403);
    expect((await app.call('POST', 'reconcile', { body: '{"mode":"everything"}', contentType: 'application/json' })).status).toBe(400);
  });

  it('report mode: finds every kind and changes nothing anywhere', async () => {
    const rowsBefore = await inventorySnapshot(app);
    const entraBefore = await entraDevices(app);
    const vaultBefore = await vaultWrites(app);

    const report = await reconcile(app, 'report');
    expect(report.mode).toBe('report');
    expect(report.drift).toEqual({
      unknown_in_entra: 1,
      missing_in_entra: 1,
      assigned_elsewhere: 1,
      unassigned_in_entra: 1,
      activated_outside: 1,
      status_mismatch: 1,
      failed_activation: 1,
      seed_missing: 1,
      orphan_seed: 1,
      stuck_saga: 1,
      low_stock: 1,
      handover_overdue: 0,
      held_after_termination: 0,
      held_by_departed: 0,
      stale_reservation: 0,
      import_incomplete: 0,
      held_outside_targets: 0,
      unused: 0,
    });
    expect(byKind(report, 'unknown_in_entra')[0]).toMatchObject({ serialNumber: 'RC-HAND', repair: 'none' });
    expect(byKind(report, 'missing_in_entra')[0]).toMatchObject({ serialNumber: 'RC-MISS', repair: 'report_only' });
    expect(byKind(report, 'assigned_elsewhere')[0]).toMatchObject({ serialNumber: 'RC-HB' });
    expect(byKind(report, 'unassigned_in_entra')[0]).toMatchObject({ serialNumber: 'RC-HC' });
    expect(byKind(report, 'activated_outside')[0]).toMatchObject({ serialNumber: 'RC-OUT' });
    expect(byKind(report, 'status_mismatch')[0]).toMatchObject({ serialNumber: 'RC-HA', repair: 'report_only' });
    expect(byKind(report, 'failed_activation')[0]).toMatchObject({ serialNumber: 'RC-HD', repair: 'report_only' });
    expect(byKind(report, 'seed_missing')[0]).toMatchObject({ serialNumber: 'RC-NOSEED' });
    expect(byKind(report, 'orphan_seed')[0]).toMatchObject({ secretName: 'seed-RC-ORPHAN' });
    expect(byKind(report, 'stuck_saga')[0]).toMatchObject({ employeeId: 'E7006' });
    expect(report.lowStock).toEqual([{ pool: 'GVA', available: 1, threshold: 2 }]);
    expect(report.repairsQueued).toBe(0);
    expect(report.webhookDeliveriesPurged).toBe(0);
    expect(report.counts).toMatchObject({ tokensInInventory: 10, devicesInEntra: 10, seedsInVault: 10, inFlight: 0 });
    expect(report.counts.consistent).toBe(3);
    expect(report.graphPages).toBe(1);

    expect(await inventorySnapshot(app)).toEqual(rowsBefore);
    expect(await entraDevices(app)).toEqual(entraBefore);
    expect(await vaultWrites(app)).toEqual(vaultBefore);
    expect((await provisioning('E7006'))?.joiner.status).toBe('queued');

    // The latest report is served, and the warnings the alert rules read were logged.
    expect((await jsonOf(await app.call('GET', 'reports/reconcile/latest', { roles: ['Tokens.Read'] }))).runId).toBe(report.runId);
    expect(app.logs.some((line) => line.includes('WARN LowStock pool=GVA available=1 threshold=2'))).toBe(true);
    expect(app.logs.some((line) => line.includes('WARN ReconcileDrift kind=orphan_seed serial=RC-ORPHAN'))).toBe(true);
    expect(app.logs.some((line) => line.includes(`WARN ReconcileDrift summary run=${report.runId}`))).toBe(true);
  });

  const provisioning = async (employeeId: string) => {
    const answer = await app.call('GET', `provisioning/${employeeId}`, { roles: ['Tokens.Read'] });
    return answer.status === 200 ? jsonOf(answer) : undefined;
  };

  it('safe mode (the default): syncs the status, retries the activation, re-drives the stuck hire; destroys nothing', async () => {
    const report = await reconcile(app);
    expect(report.mode).toBe('safe');
    expect(report.repairsQueued).toBe(3);
    expect(byKind(report, 'status_mismatch')[0]?.repair).toBe('queued');
    expect(byKind(report, 'failed_activation')[0]?.repair).toBe('queued');
    expect(byKind(report, 'stuck_saga')[0]?.repair).toBe('queued');
    expect(byKind(report, 'orphan_seed')[0]?.repair).toBe('report_only');
    expect(report.webhookDeliveriesPurged).toBe(1);

    expect((await token('RC-HA')).status).toBe('active');
    expect((await entraDevices(app)).find((d) => d.serialNumber === 'RC-HD')?.status).toBe('activated');
    const joiner = await joinerReaches(app, 'E7006', ['completed', 'failed']);
    expect(joiner).toMatchObject({ status: 'completed', serialNumber: 'RC-G1' });
    // The destructive ones are left for an admin or mode all.
    expect((await token('RC-OUT')).status).toBe('in_stock');
    expect((await app.keyVault.secretExists('seed-RC-ORPHAN')).exists).toBe(true);
  });

  it('mode all: quarantines what cannot be trusted and destroys the orphan seed; a further run finds nothing', async () => {
    const report = await reconcile(app, 'all');
    expect(report.repairsQueued).toBe(6);
    for (const serial of ['RC-MISS', 'RC-NOSEED', 'RC-OUT', 'RC-HB', 'RC-HC']) expect([serial, (await token(serial)).status]).toEqual([serial, 'quarantined']);
    expect(await app.keyVault.secretExists('seed-RC-ORPHAN')).toMatchObject({ exists: false });
    // Never deleted from Entra: a device nobody here knows belongs to someone's manual upload.
    expect((await entraDevices(app)).some((d) => d.serialNumber === 'RC-HAND')).toBe(true);
    expect(byKind(report, 'unknown_in_entra')[0]?.repair).toBe('none');

    // The admin deals with the hand-made device and orders GVA stock; then nothing is left to find.
    expect((await graphCall(app, 'DELETE', `${DEVICES}/${await deviceId('RC-HAND')}`)).status).toBe(204);
    await importCsv([row('', 'RC-G2', 'GVA'), row('', 'RC-G3', 'GVA')]);
    await ageTokenRows(app);
    const again = await reconcile(app, 'all');
    expect(Object.entries(again.drift).filter(([, count]) => count > 0)).toEqual([]);
    expect(again.items).toEqual([]);
    expect(again.repairsQueued).toBe(0);
    expect(again.counts.consistent).toBe(again.counts.tokensInInventory);
  });

  it('oathctl reconcile --report runs one and prints the report as tables; --latest prints the last', async () => {
    await app.graph.seedDevices([{ serialNumber: 'RC-HAND2', manufacturer: 'Token2', model: 'C302', secretKey: new Secret({ size: 20 }).base32, timeIntervalInSeconds: 30 }]);
    const env = { ...process.env, OATHCTL_URL: app.host.url, OATHCTL_TOKEN: await app.adminToken(['Tokens.Admin', 'Tokens.Read']) };
    const { stdout } = await run(process.execPath, [TSX, OATHCTL, 'reconcile', '--report', '--mode', 'report'], { env });
    expect(stdout).toMatch(/^Reconciliation \S+ \(mode report, by /);
    expect(stdout).toMatch(/DRIFT\s+COUNT\nunknown_in_entra\s+1/);
    expect(stdout).toMatch(/unknown_in_entra\s+RC-HAND2\s+-\s+none/);
    const latest = await run(process.execPath, [TSX, OATHCTL, 'reconcile', '--report', '--latest', '--json'], { env });
    expect(JSON.parse(latest.stdout)).toMatchObject({ mode: 'report', drift: { unknown_in_entra: 1 } });
    await expect(run(process.execPath, [TSX, OATHCTL, 'reconcile', '--mode', 'sometimes'], { env })).rejects.toMatchObject({ code: 2 });
    expect((await graphCall(app, 'DELETE', `${DEVICES}/${await deviceId('RC-HAND2')}`)).status).toBe(204);
  });

  it('runs on the schedule too: the timer only queues a run', async () => {
    const before = (await jsonOf(await app.call('GET', 'reports/reconcile/latest', { roles: ['Tokens.Read'] }))).runId;
    await app.host.runNow('reconcileTimer');
    const latest = await (async () => {
      for (let i = 0; i < 300; i++) {
        const report = await jsonOf(await app.call('GET', 'reports/reconcile/latest', { roles: ['Tokens.Read'] }));
        if (report.runId !== before) return report;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('the scheduled run wrote no report');
    })();
    expect(latest).toMatchObject({ requestedBy: 'schedule', mode: 'safe' });
  });
});

import {
  classifyDevice,
  classifyRecord,
  classifySecret,
  classifyToken,
  lowStockOf,
  redriveMessage,
  repairAllowed,
  serialOfSeedName,
  syncedToken,
  type DeviceFacts,
  type ReconcileMessage,
  type ReconcileReport,
} from '../../shared/domain/drift';
import type { HrQueueMessage } from '../../shared/domain/hrEvent';
import { generateSeed } from '../../shared/domain/seed';
import { seedSecretName, type TokenRecord } from '../../shared/domain/token';
import { HeldByDeletedAccount, type AuditEntry, type DepartedAccount, type EntraDevice, type Inventory, type ProvisioningRecord, type SeedSecretInfo } from '../../shared/ports';
import { runReconciliation, type ReconcileDeps } from '../../shared/workflows/reconcile';
import { runRepair, type RepairDeps } from '../../shared/workflows/reconcileRepairs';

const NOW = new Date('2026-03-02T10:00:00Z');
const LONG_AGO = '2026-03-01T10:00:00Z';

function token(serial: string, changes: Partial<TokenRecord> = {}): TokenRecord {
  return {
    serialNumber: serial,
    manufacturer: 'Token2',
    model: 'C302',
    timeIntervalInSeconds: 30,
    hashFunction: 'hmacsha1',
    seedOrigin: 'vendor',
    pool: '',
    status: 'in_stock',
    seedSecretName: seedSecretName(serial),
    entraDeviceId: `dev-${serial}`,
    createdAt: LONG_AGO,
    updatedAt: LONG_AGO,
    lastChangeReason: 'imported',
    ...changes,
  };
}

const held = (serial: string, status: 'assigned' | 'active' | 'suspended', user = 'user-1') =>
  token(serial, { status, employeeId: 'E1', entraUserId: user, userPrincipalName: 'ada@contoso.com' });

function device(serial: string, status: DeviceFacts['status'] = 'available', assignedTo?: string): EntraDevice {
  return {
    id: `dev-${serial}`,
    serialNumber: serial,
    manufacturer: 'Token2',
    model: 'C302',
    status,
    timeIntervalInSeconds: 30,
    hashFunction: 'hmacsha1',
    ...(assignedTo ? { assignedTo: { id: assignedTo } } : {}),
  };
}

const kindsOf = (findings: ReturnType<typeof classifyDevice>) => (findings === 'in_flight' ? 'in_flight' : findings.map((f) => [f.kind, f.repair ?? null]));

describe('classifying an Entra device against its inventory row', () => {
  it.each([
    ['unknown in the inventory', device('A', 'activated', 'u9'), undefined, [['unknown_in_entra', null]]],
    ['free and available', device('A'), token('A'), []],
    ['active and activated for its holder', device('A', 'activated', 'user-1'), held('A', 'active'), []],
    ['assigned and assigned (user activation)', device('A', 'assigned', 'user-1'), held('A', 'assigned'), []],
    ['suspended and deactivated', device('A', 'assigned', 'user-1'), held('A', 'suspended'), []],
    ['in stock but activated for someone', device('A', 'activated', 'u9'), token('A'), [['activated_outside', 'quarantine']]],
    ['lost but assigned', device('A', 'assigned', 'u9'), token('A', { status: 'lost' }), [['activated_outside', null]]],
    ['held but available', device('A'), held('A', 'active'), [['unassigned_in_entra', 'quarantine']]],
    ['held by another user', device('A', 'activated', 'u9'), held('A', 'active'), [['assigned_elsewhere', 'quarantine']]],
    ['a failed activation', device('A', 'failedActivation', 'user-1'), held('A', 'assigned'), [['failed_activation', 'retry_activation']]],
    ['inventory behind an activation', device('A', 'activated', 'user-1'), held('A', 'assigned'), [['status_mismatch', 'sync_status']]],
    ['inventory behind a deactivation', device('A', 'assigned', 'user-1'), held('A', 'active'), [['status_mismatch', 'sync_status']]],
    ['an import left unfinished, its device registered', device('A'), token('A', { status: 'importing', entraDeviceId: undefined }), [['import_incomplete', null]]],
    ['stock without the device id (as earlier versions left an import)', device('A'), token('A', { entraDeviceId: undefined }), [['import_incomplete', null]]],
    ['quarantined (set aside for an admin)', device('A', 'activated', 'u9'), token('A', { status: 'quarantined' }), []],
  ])('%s', (_what, entra, row, expected) => {
    expect(kindsOf(classifyDevice(entra, row, NOW))).toEqual(expected);
  });

  it('leaves a reserved or just-changed token alone', () => {
    expect(classifyDevice(device('A', 'activated', 'u9'), token('A', { status: 'reserved' }), NOW)).toBe('in_flight');
    expect(classifyDevice(device('A', 'activated', 'u9'), token('A', { updatedAt: new Date(NOW.getTime() - 1000).toISOString() }), NOW)).toBe('in_flight');
    expect(kindsOf(classifyDevice(device('A', 'activated', 'u9'), token('A', { updatedAt: new Date(NOW.getTime() - 1000).toISOString() }), NOW, 0))).toEqual([['activated_outside', 'quarantine']]);
  });

  it('syncs only what the inventory got wrong, to what Entra says', () => {
    expect(syncedToken(held('A', 'assigned'), device('A', 'activated', 'user-1'), NOW)?.status).toBe('active');
    expect(syncedToken(held('A', 'suspended'), device('A', 'activated', 'user-1'), NOW)?.status).toBe('active');
    expect(syncedToken(held('A', 'active'), device('A', 'assigned', 'user-1'), NOW)?.status).toBe('suspended');
    expect(syncedToken(token('A', { entraDeviceId: 'dev-old' }), device('A'), NOW)).toMatchObject({ status: 'in_stock', entraDeviceId: 'dev-A' });
    // An unfinished import is never synced into stock: only its file holds the seed Entra must have.
    expect(syncedToken(token('A', { status: 'importing', entraDeviceId: undefined }), device('A'), NOW)).toBeUndefined();
    expect(syncedToken(token('A', { entraDeviceId: undefined }), device('A'), NOW)).toBeUndefined();
    expect(syncedToken(held('A', 'active'), device('A', 'activated', 'user-1'), NOW)).toBeUndefined();
    expect(syncedToken(held('A', 'active'), device('A', 'activated', 'u9'), NOW)).toBeUndefined();
  });
});

describe('classifying an inventory row against what Entra and Key Vault hold', () => {
  it('finds a token missing in Entra and a missing seed, with quarantine as the repair', () => {
    const findings = classifyToken(held('A', 'active'), { inEntra: false, seedInVault: false }, NOW);
    expect(findings).toEqual([expect.objectContaining({ kind: 'missing_in_entra', repair: 'quarantine' }), expect.objectContaining({ kind: 'seed_missing', repair: 'quarantine' })]);
  });

  it('expects nothing of lost, retired or quarantined tokens', () => {
    for (const status of ['lost', 'retired', 'quarantined'] as const) {
      expect(classifyToken(token('A', { status, entraDeviceId: undefined }), { inEntra: false, seedInVault: false }, NOW)).toEqual([]);
    }
  });

  it('reports an import left unfinished (importing, or in stock without a device as earlier versions left it), without a repair', () => {
    for (const row of [token('A', { status: 'importing', entraDeviceId: undefined }), token('A', { entraDeviceId: undefined })]) {
      const findings = classifyToken(row, { inEntra: false, seedInVault: false }, NOW);
      expect(findings).toEqual([{ kind: 'import_incomplete', serialNumber: 'A', detail: expect.stringContaining('send the same file again') }]);
    }
    // With its device in Entra, pass A reports it; a run that has just started it leaves it alone.
    expect(classifyToken(token('A', { status: 'importing', entraDeviceId: undefined }), { inEntra: true, seedInVault: true }, NOW)).toEqual([]);
    expect(classifyToken(token('A', { status: 'importing', entraDeviceId: undefined, updatedAt: new Date(NOW.getTime() - 1000).toISOString() }), { inEntra: false, seedInVault: true }, NOW)).toBe('in_flight');
  });
});

describe('classifying secrets and records', () => {
  const secret = (name: string, changes: Partial<SeedSecretInfo> = {}): SeedSecretInfo => ({ name, managedByUs: true, updatedOn: new Date(LONG_AGO), ...changes });

  it('reads the serial out of seed names only', () => {
    expect(serialOfSeedName('seed-ABC-1')).toBe('ABC-1');
    expect(serialOfSeedName('seed-ABC-1--v2')).toBe('ABC-1');
    expect(serialOfSeedName('hr-webhook-secret')).toBeUndefined();
  });

  it('finds an orphan seed; destroys only what this app wrote, and nothing written since the scan began', () => {
    expect(classifySecret(secret('seed-A'), false, NOW)).toMatchObject({ kind: 'orphan_seed', secretName: 'seed-A', repair: 'destroy_orphan_seed' });
    expect(classifySecret(secret('seed-A', { managedByUs: false }), false, NOW)?.repair).toBeUndefined();
    expect(classifySecret(secret('seed-A'), true, NOW)).toBeUndefined();
    expect(classifySecret(secret('other-secret'), false, NOW)).toBeUndefined();
    expect(classifySecret(secret('seed-A', { updatedOn: new Date(NOW.getTime() + 1000) }), false, NOW)).toBeUndefined();
  });

  const record = (changes: Partial<ProvisioningRecord>): ProvisioningRecord => ({
    employeeId: 'E1',
    kind: 'joiner',
    status: 'in_progress',
    attempts: 0,
    eventIds: ['msg_1', 'msg_2'],
    createdAt: LONG_AGO,
    updatedAt: LONG_AGO,
    ...changes,
  });
  const settings = { stuckMinutes: 60, provisionLeadDays: 7 };

  it('finds a saga stuck past the threshold, and only such', () => {
    expect(classifyRecord(record({}), NOW, settings)).toMatchObject({ kind: 'stuck_saga', employeeId: 'E1', recordKind: 'joiner', repair: 'redrive' });
    expect(classifyRecord(record({ updatedAt: new Date(NOW.getTime() - 30 * 60_000).toISOString() }), NOW, settings)).toBeUndefined();
    expect(classifyRecord(record({ status: 'completed' }), NOW, settings)).toBeUndefined();
    expect(classifyRecord(record({ status: 'failed' }), NOW, settings)).toBeUndefined();
    // Deferred to a hire date two months out: its message is asleep in the queue, not stuck.
    expect(classifyRecord(record({ status: 'deferred', hireDate: '2026-05-01' }), NOW, settings)).toBeUndefined();
    expect(classifyRecord(record({ status: 'deferred', hireDate: '2026-02-01', updatedAt: '2026-01-01T00:00:00Z' }), NOW, settings)).toBeDefined();
  });

  it('re-drives a failed leaver at once, and a retrying one only when its retries stopped', () => {
    const justNow = new Date(NOW.getTime() - 60_000).toISOString();
    expect(classifyRecord(record({ kind: 'leaver', status: 'failed', updatedAt: justNow, terminationDate: '2026-03-01' }), NOW, settings)).toMatchObject({ kind: 'stuck_saga', recordKind: 'leaver', repair: 'redrive' });
    expect(classifyRecord(record({ status: 'failed', updatedAt: justNow }), NOW, settings)).toBeUndefined();
    // The longest wait between two tries is 15 minutes: 70 minutes of silence is not yet stuck, 80 is.
    expect(classifyRecord(record({ kind: 'leaver', status: 'retrying', updatedAt: new Date(NOW.getTime() - 70 * 60_000).toISOString() }), NOW, settings)).toBeUndefined();
    expect(classifyRecord(record({ kind: 'leaver', status: 'retrying', updatedAt: new Date(NOW.getTime() - 80 * 60_000).toISOString() }), NOW, settings)).toBeDefined();
  });

  it('re-drives with the last event on the record', () => {
    expect(redriveMessage(record({ hireDate: '2026-03-01', location: 'GVA', userPrincipalName: 'ada@contoso.com' }))).toEqual({
      eventId: 'msg_2',
      type: 'employee.hired',
      employeeId: 'E1',
      userPrincipalName: 'ada@contoso.com',
      hireDate: '2026-03-01',
      location: 'GVA',
      firstSeenAt: LONG_AGO,
    });
    expect(redriveMessage(record({ kind: 'leaver', terminationDate: '2026-03-01' }))).toMatchObject({ type: 'employee.terminated', terminationDate: '2026-03-01' });
    expect(redriveMessage(record({ eventIds: [] }))).toBeUndefined();
  });

  it('allows repairs by mode: nothing, the safe ones, or all', () => {
    expect(repairAllowed('sync_status', 'report')).toBe(false);
    expect(['retry_activation', 'redrive', 'sync_status'].every((r) => repairAllowed(r as 'redrive', 'safe'))).toBe(true);
    expect(repairAllowed('quarantine', 'safe')).toBe(false);
    expect(repairAllowed('destroy_orphan_seed', 'safe')).toBe(false);
    expect(repairAllowed('destroy_orphan_seed', 'all')).toBe(true);
  });

  it('calls a pool low when it is below the threshold', () => {
    expect(lowStockOf(new Map([['', 5], ['GVA', 4], ['ZRH', 0]]), 5)).toEqual([
      { pool: 'GVA', available: 4, threshold: 5 },
      { pool: 'ZRH', available: 0, threshold: 5 },
    ]);
  });
});

/* ---------- the run and the repairs, against plain-object fakes ---------- */

function fakeInventory(rows: TokenRecord[]): Inventory & { rows: Map<string, TokenRecord>; writes: number } {
  const map = new Map(rows.map((r, i) => [r.serialNumber.toUpperCase(), { ...r, etag: `"${i}"` }]));
  let version = 1000;
  const self = {
    rows: map,
    writes: 0,
    async get(serial: string) {
      const row = map.get(serial.toUpperCase());
      return row ? { ...row } : undefined;
    },
    async add() {
      return 'exists' as const;
    },
    async replace(record: TokenRecord) {
      const row = map.get(record.serialNumber.toUpperCase());
      if (!row || row.etag !== record.etag) return 'conflict' as const;
      const stored = { ...record, etag: `"${++version}"` };
      map.set(record.serialNumber.toUpperCase(), stored);
      self.writes++;
      return { ...stored };
    },
    async remove() {
      return 'conflict' as const;
    },
    async list(_filter: unknown, page: { continuationToken?: string; pageSize: number }) {
      const all = [...map.values()];
      const start = Number(page.continuationToken ?? '0');
      const next = start + 2;
      return { tokens: all.slice(start, next).map((r) => ({ ...r })), ...(next < all.length ? { continuationToken: String(next) } : {}) };
    },
  };
  return self;
}

function world() {
  const inventory = fakeInventory([
    token('STOCK1'),
    token('STOCK2', { pool: 'GVA' }),
    held('HELD1', 'assigned'),
    held('GONE1', 'active', 'user-2'),
    token('LOST1', { status: 'lost', entraDeviceId: undefined }),
  ]);
  const devices = [device('STOCK1'), device('STOCK2'), device('HELD1', 'activated', 'user-1'), device('HAND1', 'activated', 'u9')];
  const secrets: SeedSecretInfo[] = ['seed-STOCK1', 'seed-STOCK2', 'seed-HELD1', 'seed-LOST1', 'seed-GONE1'].map((name) => ({ name, managedByUs: true, updatedOn: new Date(LONG_AGO) }));
  const sent: ReconcileMessage[] = [];
  const warnings: string[] = [];
  const saved: ReconcileReport[] = [];
  const heldRepairs: object[] = [];
  const records: ProvisioningRecord[] = [{ employeeId: 'E9', kind: 'joiner', status: 'in_progress', attempts: 1, eventIds: ['msg_9'], createdAt: LONG_AGO, updatedAt: LONG_AGO }];
  let devicePagesRead = 0;
  const departed: DepartedAccount[] = [];
  const deps: ReconcileDeps = {
    inventory,
    departed: {
      async *departedPages() {
        yield departed;
      },
    },
    devices: {
      async *devicePages() {
        for (let i = 0; i < devices.length; i += 3) {
          devicePagesRead++;
          yield devices.slice(i, i + 3);
        }
      },
    },
    seedCatalog: {
      async *secretPages() {
        yield secrets.slice(0, 2);
        yield secrets.slice(2);
      },
      async describe(name) {
        return secrets.find((s) => s.name === name);
      },
    },
    provisioningScan: {
      async *pages() {
        yield records;
      },
    },
    provisioning: {
      get: async (employeeId, kind) => records.find((r) => r.employeeId === employeeId && r.kind === kind),
      list: async (employeeId) => records.filter((r) => r.employeeId === employeeId),
    },
    webhookRetention: { purgeReceivedBefore: async () => 3 },
    work: {
      async send(message) {
        sent.push(message);
      },
    },
    reports: {
      async save(_runId, report) {
        saved.push(report as ReconcileReport);
      },
      get: async () => undefined,
      latest: async () => undefined,
      getVersioned: async () => undefined,
      replace: async () => 'conflict' as const,
      clearHeldRepairs: async () => {
        heldRepairs.length = 0;
      },
      appendHeldRepairs: async (_runId, repairs) => {
        heldRepairs.push(...repairs);
      },
      async *heldRepairs() {
        yield [...heldRepairs];
      },
    },
    clock: { now: () => NOW },
    warn: (line) => warnings.push(line),
    settings: { lowStockThreshold: 2, stuckSagaMinutes: 60, provisionLeadDays: 7, handoverMaxDays: 14, maxChanges: 50, unusedTokenDays: 90, notifyUnused: false, serviceLife: { months: 60, byModel: {} } },
    salt: 1,
    bloomSize: { bits: 4096, hashes: 4 },
  };
  return { deps, inventory, sent, warnings, saved, records, departed, heldRepairs, pagesRead: () => devicePagesRead };
}

describe('a reconciliation run', () => {
  it('purges webhook delivery claims only once they are older than every HR vendor\'s replay window', async () => {
    const { deps } = world();
    const cutoffs: string[] = [];
    deps.webhookRetention = { purgeReceivedBefore: async (cutoff) => (cutoffs.push(cutoff), 0) };
    await runReconciliation({ runId: 'run-r', requestedBy: 'test', mode: 'safe' }, deps);
    expect(cutoffs).toHaveLength(1);
    const keptMs = NOW.getTime() - Date.parse(cutoffs[0] ?? '');
    // Bob's body of 4 days ago, Personio's of 7, must still meet its claim.
    expect(keptMs).toBeGreaterThan(7 * 24 * 3600_000 + 5 * 60_000);
  });

  it('finds every kind of drift in one pass over each source and queues only the safe repairs by default', async () => {
    const { deps, sent, warnings, saved, inventory, pagesRead } = world();
    const report = await runReconciliation({ runId: 'run-1', requestedBy: 'test', mode: 'safe' }, deps);
    expect(report.drift).toMatchObject({
      unknown_in_entra: 1,
      status_mismatch: 1,
      missing_in_entra: 1,
      orphan_seed: 1,
      stuck_saga: 1,
      low_stock: 2,
      seed_missing: 0,
    });
    expect(report.counts).toMatchObject({ tokensInInventory: 5, devicesInEntra: 4, seedsInVault: 5, inFlight: 0 });
    // STOCK1, STOCK2 and LOST1 agree; HELD1 (behind Entra) and GONE1 (missing in Entra) do not.
    expect(report.counts.consistent).toBe(3);
    expect(report.graphPages).toBe(pagesRead());
    expect(report.webhookDeliveriesPurged).toBe(3);
    expect(sent).toEqual([
      { kind: 'sync_status', runId: 'run-1', serialNumber: 'HELD1' },
      { kind: 'redrive', runId: 'run-1', employeeId: 'E9', recordKind: 'joiner' },
    ]);
    expect(report.repairsQueued).toBe(2);
    expect(report.items.find((i) => i.kind === 'missing_in_entra')).toMatchObject({ serialNumber: 'GONE1', repair: 'report_only' });
    expect(report.items.find((i) => i.kind === 'unknown_in_entra')).toMatchObject({ serialNumber: 'HAND1', repair: 'none' });
    expect(report.lowStock).toEqual([
      { pool: '', available: 1, threshold: 2 },
      { pool: 'GVA', available: 1, threshold: 2 },
    ]);
    expect(warnings).toContain('LowStock pool=(shared) available=1 threshold=2');
    expect(warnings).toContain('LowStock pool=GVA available=1 threshold=2');
    expect(warnings.filter((w) => w.startsWith('ReconcileDrift kind='))).toHaveLength(3);
    expect(warnings.some((w) => w.startsWith('ReconcileDrift summary run=run-1'))).toBe(true);
    expect(saved).toEqual([report]);
    expect(inventory.writes).toBe(0);
  });

  it('queues nothing in report mode, and the destructive repairs too in mode all', async () => {
    const reportOnly = world();
    const quiet = await runReconciliation({ runId: 'run-2', requestedBy: 'test', mode: 'report' }, reportOnly.deps);
    expect(reportOnly.sent).toEqual([]);
    expect(quiet.items.every((i) => i.repair !== 'queued')).toBe(true);

    const all = world();
    await runReconciliation({ runId: 'run-3', requestedBy: 'test', mode: 'all' }, all.deps);
    expect(all.sent).toEqual(
      expect.arrayContaining([
        { kind: 'quarantine', runId: 'run-3', serialNumber: 'GONE1', reason: 'missing_in_entra' },
        { kind: 'destroy_orphan_seed', runId: 'run-3', secretName: 'seed-LOST1' },
      ]),
    );
    expect(all.sent.some((m) => m.kind === 'quarantine' && m.serialNumber === 'HAND1')).toBe(false);
  });

  it('lists at most 1000 items and caps the warning lines, while counting everything', async () => {
    const { deps, warnings } = world();
    const many = Array.from({ length: 1200 }, (_, i) => device(`HAND${i}`, 'activated', 'u9'));
    deps.devices = {
      async *devicePages() {
        for (let i = 0; i < many.length; i += 100) yield many.slice(i, i + 100);
      },
    };
    const report = await runReconciliation({ runId: 'run-4', requestedBy: 'test', mode: 'safe' }, deps);
    expect(report.drift.unknown_in_entra).toBe(1200);
    expect(report.items).toHaveLength(1000);
    expect(report.itemsTruncated).toBe(true);
    expect(report.graphPages).toBe(12);
    expect(warnings.filter((w) => w.startsWith('ReconcileDrift kind='))).toHaveLength(100);
  });
});

describe('a reconciliation run over a large, mostly consistent fleet', () => {
  it('point-reads the inventory only for the devices that drift, and still finds each of them', async () => {
    const { deps } = world();
    const rows = Array.from({ length: 2000 }, (_, i) => (i % 2 === 0 ? token(`OK${i}`) : token(`OK${i}`, { status: 'active', employeeId: `E${i}`, entraUserId: `user-${i}` })));
    const devices = rows.map((row, i) => device(row.serialNumber, i % 2 === 0 ? 'available' : 'activated', row.entraUserId));
    // Drift: one held elsewhere, one behind Entra, one unknown to the inventory, one stock activated outside.
    devices[1] = device('OK1', 'activated', 'someone-else');
    devices[3] = device('OK3', 'assigned', 'user-3');
    devices[4] = device('OK4', 'activated', 'u9');
    devices.push(device('STRAY1', 'activated', 'u9'));
    const inventory = fakeInventory(rows);
    const pointReads: string[] = [];
    deps.inventory = {
      ...inventory,
      get: async (serial: string) => {
        pointReads.push(serial);
        return inventory.get(serial);
      },
    };
    deps.devices = {
      async *devicePages() {
        for (let i = 0; i < devices.length; i += 100) yield devices.slice(i, i + 100);
      },
    };
    deps.bloomSize = { bits: 200_000, hashes: 7 };
    const report = await runReconciliation({ runId: 'run-big', requestedBy: 'test', mode: 'report' }, deps);
    expect(report.drift).toMatchObject({ assigned_elsewhere: 1, status_mismatch: 1, unknown_in_entra: 1, activated_outside: 1 });
    expect(pointReads.sort()).toEqual(['OK1', 'OK3', 'OK4', 'STRAY1']);
  });
});

describe('a reconciliation run that cannot run away', () => {
  it('holds every repair when there are more than maxChanges: none queued, the report held with the count', async () => {
    const { deps, sent, warnings, heldRepairs } = world();
    deps.settings = { ...deps.settings, maxChanges: 1 };
    const report = await runReconciliation({ runId: 'run-h', requestedBy: 'test', mode: 'all' }, deps);
    expect(sent).toEqual([]);
    expect(report).toMatchObject({ status: 'held', repairsQueued: 0, maxChanges: 1 });
    expect(report.changes).toBeGreaterThan(1);
    expect(report.repairsHeld).toBe(report.changes);
    expect(heldRepairs).toHaveLength(report.changes);
    expect(report.items.filter((i) => i.repair === 'queued')).toEqual([]);
    expect(report.items.some((i) => i.repair === 'held')).toBe(true);
    expect(warnings.some((w) => w.startsWith(`ReconcileHeld run=run-h mode=all changes=${report.changes} maxChanges=1`))).toBe(true);
  });

  it('queues them as before at or below maxChanges', async () => {
    const { deps, sent, heldRepairs } = world();
    const report = await runReconciliation({ runId: 'run-q', requestedBy: 'test', mode: 'all' }, deps);
    expect(report).toMatchObject({ status: 'completed', repairsHeld: 0 });
    expect(sent).toHaveLength(report.changes);
    expect(heldRepairs).toEqual([]);
  });
});

describe('leavers and reservations in a run', () => {
  const leaverRecords = (employeeId: string, userId: string, terminationDate = '2026-03-01'): ProvisioningRecord[] => [
    { employeeId, kind: 'joiner', status: 'completed', attempts: 0, eventIds: ['h'], entraUserId: userId, hireDate: '2025-01-01', createdAt: LONG_AGO, updatedAt: LONG_AGO },
    { employeeId, kind: 'leaver', status: 'completed', attempts: 0, eventIds: ['t'], terminationDate, createdAt: LONG_AGO, updatedAt: LONG_AGO },
  ];

  it('names a token Entra still has on a leaver, tied by the inventory or only by the records, and repairs it in safe mode', async () => {
    const { deps, sent, warnings, records, inventory } = world();
    records.push(...leaverRecords('E1', 'user-1'), ...leaverRecords('E7', 'u9'));
    inventory.rows.set('RH1', token('RH1', { status: 'revoked', employeeId: 'E1', entraUserId: 'user-1', revocationReason: 'offboarded' }));
    const report = await runReconciliation({ runId: 'run-l', requestedBy: 'test', mode: 'safe' }, deps);
    // HELD1 (inventory: E1) and HAND1 (unknown to the inventory, on E7's Entra account); not RH1, which Entra does not have.
    expect(report.drift.held_after_termination).toBe(2);
    expect(sent).toEqual(
      expect.arrayContaining([
        { kind: 'revoke_leaver', runId: 'run-l', serialNumber: 'HELD1', employeeId: 'E1' },
        { kind: 'revoke_leaver', runId: 'run-l', serialNumber: 'HAND1', employeeId: 'E7' },
      ]),
    );
    expect(warnings.some((w) => w.startsWith('ReconcileDrift kind=held_after_termination serial=HELD1 employeeId=E1 repair=queued'))).toBe(true);
  });

  it('names a token held by a deleted or disabled account by object id, whatever employeeId the row carries, and revokes it in safe mode', async () => {
    const { deps, sent, departed, inventory } = world();
    // HELD1's account is disabled; a row imported by UPN (no employeeId) whose account was deleted and Entra dropped its method.
    inventory.rows.set('UPN1', token('UPN1', { status: 'active', entraUserId: 'user-3', userPrincipalName: 'cy@contoso.com', entraDeviceId: 'dev-UPN1' }));
    deps.devices.devicePages = async function* () {
      yield [device('HELD1', 'activated', 'user-1'), device('UPN1', 'available')];
    };
    departed.push({ id: 'USER-1', why: 'disabled' }, { id: 'user-3', why: 'deleted' });
    const report = await runReconciliation({ runId: 'run-d', requestedBy: 'test', mode: 'safe' }, deps);
    expect(report.drift.held_by_departed).toBe(2);
    expect(report.items.filter((i) => i.kind === 'held_by_departed').map((i) => i.detail)).toEqual([
      expect.stringContaining('user user-1 (ada@contoso.com) is disabled'),
      expect.stringContaining('user user-3 (cy@contoso.com) is deleted'),
    ]);
    expect(sent).toEqual(
      expect.arrayContaining([
        { kind: 'revoke_departed', runId: 'run-d', serialNumber: 'HELD1', entraUserId: 'user-1' },
        { kind: 'revoke_departed', runId: 'run-d', serialNumber: 'UPN1', entraUserId: 'user-3' },
      ]),
    );
    const reportOnly = world();
    reportOnly.departed.push({ id: 'user-1', why: 'deleted' });
    const quiet = await runReconciliation({ runId: 'run-dr', requestedBy: 'test', mode: 'report' }, reportOnly.deps);
    expect(quiet.drift.held_by_departed).toBe(1);
    expect(reportOnly.sent).toEqual([]);
  });

  it('says repair=held on a leaver’s line when the run ends up holding its repairs', async () => {
    const { deps, sent, warnings, records } = world();
    deps.settings = { ...deps.settings, maxChanges: 1 };
    records.push(...leaverRecords('E1', 'user-1'), ...leaverRecords('E7', 'u9'));
    const report = await runReconciliation({ runId: 'run-lh', requestedBy: 'test', mode: 'safe' }, deps);
    expect(report.status).toBe('held');
    expect(sent).toEqual([]);
    const leaverLines = warnings.filter((w) => w.startsWith('ReconcileDrift kind=held_after_termination'));
    expect(leaverLines).toHaveLength(2);
    expect(leaverLines.every((w) => w.includes(' repair=held '))).toBe(true);
  });

  it('leaves a rehired person, and one whose termination is ahead, alone', async () => {
    const { deps, records } = world();
    records.push(...leaverRecords('E1', 'user-1', '2026-04-01'));
    const rehired = leaverRecords('E7', 'u9');
    rehired[0]!.hireDate = '2026-03-02';
    records.push(...rehired);
    expect((await runReconciliation({ runId: 'run-r', requestedBy: 'test', mode: 'safe' }, deps)).drift.held_after_termination).toBe(0);
  });

  it('finds a reservation whose hire is over, or that is older than STUCK_SAGA_MINUTES, but not a fresh one', async () => {
    const { deps, sent, records, inventory } = world();
    const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();
    records.push({ employeeId: 'E5', kind: 'joiner', status: 'failed', attempts: 0, eventIds: ['h'], createdAt: LONG_AGO, updatedAt: LONG_AGO });
    records.push({ employeeId: 'E6', kind: 'joiner', status: 'in_progress', attempts: 0, eventIds: ['h'], createdAt: LONG_AGO, updatedAt: minutesAgo(1) });
    inventory.rows.set('RS1', token('RS1', { status: 'reserved', employeeId: 'E5', updatedAt: minutesAgo(10) }));
    inventory.rows.set('RS2', token('RS2', { status: 'reserved', employeeId: 'E6', updatedAt: minutesAgo(90) }));
    inventory.rows.set('RS3', token('RS3', { status: 'reserved', employeeId: 'E6', updatedAt: minutesAgo(10) }));
    inventory.rows.set('RS4', token('RS4', { status: 'reserved', employeeId: 'E5', updatedAt: minutesAgo(1) }));
    const report = await runReconciliation({ runId: 'run-s', requestedBy: 'test', mode: 'safe' }, deps);
    expect(report.drift.stale_reservation).toBe(2);
    expect(sent.filter((m) => m.kind === 'release_reservation').map((m) => (m as { serialNumber: string }).serialNumber).sort()).toEqual(['RS1', 'RS2']);
  });
});

describe('a repair', () => {
  function repairDeps(rows: TokenRecord[], entra: EntraDevice[], records: ProvisioningRecord[] = []) {
    const inventory = fakeInventory(rows);
    const audit: AuditEntry[] = [];
    const hr: HrQueueMessage[] = [];
    const queued = new Set<string>();
    const stored = new Map(records.map((r) => [`${r.employeeId}/${r.kind}`, { ...r, etag: '"r1"' }]));
    const deps: RepairDeps = {
      inventory,
      directory: {
        findDeviceBySerial: async (serial) => entra.find((d) => d.serialNumber === serial),
        createDevices: async () => [],
        deleteDevice: async () => undefined,
        findUserByUpn: async () => undefined,
        findUserByEmployeeId: async () => undefined,
        methodDevicesOf: async (userId) => entra.filter((d) => d.assignedTo?.id === userId),
        findUserById: async () => undefined,
        assign: async () => undefined,
        assignAndActivate: async () => undefined,
        activate: async () => undefined,
        deactivate: async () => undefined,
        unassign: async () => undefined,
      },
      targets: { check: async () => ({ ok: true, privileged: false }) },
      seeds: { put: async () => 'stored', get: async () => undefined, destroy: async () => undefined },
      seedCatalog: { async *secretPages() {}, describe: async () => undefined },
      provisioning: {
        get: async (employeeId, kind) => stored.get(`${employeeId}/${kind}`),
        list: async (employeeId) => [...stored.values()].filter((r) => r.employeeId === employeeId),
        leaversNaming: async (entraUserId) => [...stored.values()].filter((r) => r.kind === 'leaver' && r.entraUserId === entraUserId),
        add: async () => 'exists',
        replace: async (record) => {
          const key = `${record.employeeId}/${record.kind}`;
          if (stored.get(key)?.etag !== record.etag) return 'conflict';
          const next = { ...record, etag: '"r2"' };
          stored.set(key, next);
          return next;
        },
      },
      hrEvents: { send: async (message) => void hr.push(message) },
      deliveries: {
        claim: async (eventId, facts) => ({ first: !queued.has(eventId), state: queued.has(eventId) ? 'queued' : 'received', receivedAt: facts.receivedAt, etag: '"c"' }),
        markQueued: async (eventId) => void queued.add(eventId),
      },
      audit: { record: async (entry) => void audit.push(entry) },
      clock: { now: () => NOW },
      settings: { stuckSagaMinutes: 60, provisionLeadDays: 7 },
    };
    return { deps, inventory, audit, hr, stored };
  }

  it('syncs a status the inventory got wrong, once, and audits it as reconcile', async () => {
    const { deps, inventory, audit } = repairDeps([held('HELD1', 'assigned')], [device('HELD1', 'activated', 'user-1')]);
    expect(await runRepair({ kind: 'sync_status', runId: 'r', serialNumber: 'HELD1' }, deps)).toMatchObject({ outcome: 'repaired' });
    expect(inventory.rows.get('HELD1')?.status).toBe('active');
    expect(audit).toEqual([expect.objectContaining({ actor: 'reconcile', action: 'reconcile.sync_status', serialNumber: 'HELD1' })]);
    expect(await runRepair({ kind: 'sync_status', runId: 'r', serialNumber: 'HELD1' }, { ...deps, recentChangeMs: 0 })).toMatchObject({ outcome: 'skipped' });
  });

  it('leaves a token alone while its holder\'s hire is running, or once the drift is gone', async () => {
    const running: ProvisioningRecord = { employeeId: 'E1', kind: 'joiner', status: 'in_progress', attempts: 0, eventIds: ['m'], createdAt: NOW.toISOString(), updatedAt: NOW.toISOString() };
    const busy = repairDeps([held('HELD1', 'assigned')], [device('HELD1', 'activated', 'user-1')], [running]);
    expect(await runRepair({ kind: 'sync_status', runId: 'r', serialNumber: 'HELD1' }, busy.deps)).toMatchObject({ outcome: 'skipped' });
    expect(busy.inventory.writes).toBe(0);

    const gone = repairDeps([held('HELD1', 'active')], [device('HELD1', 'activated', 'user-1')]);
    expect(await runRepair({ kind: 'quarantine', runId: 'r', serialNumber: 'HELD1', reason: 'unassigned_in_entra' }, gone.deps)).toMatchObject({ outcome: 'skipped' });
    expect(gone.inventory.writes).toBe(0);
  });

  it('takes a token from a departed account only while Entra still says the account is gone', async () => {
    const entra = [device('HELD1', 'activated', 'user-1')];
    const { deps, inventory, audit } = repairDeps([held('HELD1', 'active')], entra);
    const unassigned: string[] = [];
    deps.directory.unassign = async (userId, deviceId) => {
      unassigned.push(`${userId}/${deviceId}`);
      const found = entra.find((d) => d.id === deviceId);
      if (found) Object.assign(found, { assignedTo: undefined, status: 'available' });
    };
    const message = { kind: 'revoke_departed', runId: 'r', serialNumber: 'HELD1', entraUserId: 'user-1' } as const;

    // Enabled again, or disabled before the hire date: nothing is taken.
    deps.directory.findUserById = async (id) => ({ id, userPrincipalName: 'ada@contoso.com', accountEnabled: true });
    expect(await runRepair(message, deps)).toMatchObject({ outcome: 'skipped' });
    deps.directory.findUserById = async (id) => ({ id, userPrincipalName: 'ada@contoso.com', accountEnabled: false, employeeHireDate: new Date(NOW.getTime() + 86_400_000).toISOString() });
    expect(await runRepair(message, deps)).toMatchObject({ outcome: 'skipped' });
    expect(unassigned).toEqual([]);
    expect(inventory.writes).toBe(0);

    // Deleted: taken off the account in Entra, the row revoked as offboarded.
    deps.directory.findUserById = async () => undefined;
    expect(await runRepair(message, deps)).toMatchObject({ outcome: 'repaired' });
    expect(unassigned).toEqual(['user-1/dev-HELD1']);
    expect(inventory.rows.get('HELD1')).toMatchObject({ status: 'revoked', revocationReason: 'offboarded', entraUserId: 'user-1' });
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['token.revoked.offboarded', 'reconcile.revoke_departed']));
  });

  it('retries a failed activation only for a holder who is no leaver, under the row\'s employeeId or by object id under another', async () => {
    const seed = generateSeed('hmacsha1');
    const message = { kind: 'retry_activation', runId: 'r', serialNumber: 'HELD1' } as const;
    const failed = (records: ProvisioningRecord[]) => {
      const w = repairDeps([held('HELD1', 'assigned')], [device('HELD1', 'failedActivation', 'user-1')], records);
      const activated: string[] = [];
      w.deps.seeds.get = async () => seed;
      w.deps.directory.findUserByUpn = async (id) => (id === 'user-1' ? { id, userPrincipalName: 'ada@contoso.com', employeeId: 'E1', userType: 'Member' } : undefined);
      w.deps.directory.activate = async (userId, deviceId) => void activated.push(`${userId}/${deviceId}`);
      return { ...w, activated };
    };
    const leaver: ProvisioningRecord = { employeeId: 'E7', kind: 'leaver', status: 'completed', entraUserId: 'user-1', terminationDate: '2026-03-01', attempts: 0, eventIds: ['t'], createdAt: LONG_AGO, updatedAt: LONG_AGO };
    for (const records of [[{ ...leaver, employeeId: 'E1' }], [leaver]]) {
      const w = failed(records);
      expect(await runRepair(message, w.deps)).toEqual({ outcome: 'skipped', detail: expect.stringMatching(/^not activated: leaver: .* is a leaver/) });
      expect(w.activated).toEqual([]);
      expect(w.inventory.writes).toBe(0);
      expect(w.audit).toEqual([expect.objectContaining({ action: 'reconcile.retry_activation', outcome: 'failed', detail: expect.stringContaining('leaver') })]);
    }
    const clean = failed([]);
    expect(await runRepair(message, clean.deps)).toMatchObject({ outcome: 'repaired' });
    expect(clean.activated).toEqual(['user-1/dev-HELD1']);
  });

  it('a deleted account Entra still shows holding the token: the repair fails without revoking the row, and raises the account\'s leaver once', async () => {
    const entra = [device('HELD1', 'activated', 'user-1')];
    const { deps, inventory, audit, hr } = repairDeps([held('HELD1', 'active')], entra);
    deps.directory.unassign = async (userId, deviceId) => {
      throw new HeldByDeletedAccount(userId, deviceId);
    };
    const message = { kind: 'revoke_departed', runId: 'r', serialNumber: 'HELD1', entraUserId: 'user-1' } as const;
    for (let attempt = 0; attempt < 2; attempt++) await expect(runRepair(message, deps)).rejects.toBeInstanceOf(HeldByDeletedAccount);
    expect(inventory.rows.get('HELD1')).toMatchObject({ status: 'active', employeeId: 'E1', entraUserId: 'user-1' });
    expect(hr).toEqual([expect.objectContaining({ eventId: 'entra-removed:user-1', type: 'employee.terminated', employeeId: 'E1', entraUserId: 'user-1' })]);
    const failed = audit.filter((a) => a.action === 'reconcile.revoke_departed');
    expect(failed.map((a) => a.outcome)).toEqual(['failed', 'failed']);
    expect(failed[0]?.detail).toMatch(/a leaver is raised/);
    expect(failed[1]?.detail).toMatch(/leaver was raised before/);
    expect(audit.some((a) => a.action === 'token.revoked.offboarded')).toBe(false);

    // A row not tied to the account (imported by UPN, revoked long ago): the leaver goes under the object id.
    const other = repairDeps([token('UPN1', { status: 'revoked', revocationReason: 'offboarded' })], [device('UPN1', 'activated', 'user-3')]);
    other.deps.directory.unassign = deps.directory.unassign;
    await expect(runRepair({ kind: 'revoke_departed', runId: 'r', serialNumber: 'UPN1', entraUserId: 'user-3' }, other.deps)).rejects.toBeInstanceOf(HeldByDeletedAccount);
    expect(other.hr).toEqual([expect.objectContaining({ employeeId: 'user-3', entraUserId: 'user-3' })]);
  });

  it('quarantines a token whose drift is still there', async () => {
    const { deps, inventory } = repairDeps([held('HELD1', 'active')], [device('HELD1')]);
    expect(await runRepair({ kind: 'quarantine', runId: 'r', serialNumber: 'HELD1', reason: 'unassigned_in_entra' }, deps)).toMatchObject({ outcome: 'repaired' });
    expect(inventory.rows.get('HELD1')).toMatchObject({ status: 'quarantined' });
  });

  it('re-checks a device missing in Entra with a lookup that waits for $filter to catch up, and leaves a token whose device shows then', async () => {
    const lookups: ({ expectExisting?: boolean } | undefined)[] = [];
    const { deps, inventory } = repairDeps([held('HELD1', 'active')], [device('HELD1')]);
    // A device just created is missing from $filter until the lookup waits for it.
    deps.directory.findDeviceBySerial = async (serial, lookup) => {
      lookups.push(lookup);
      return lookup?.expectExisting ? device(serial) : undefined;
    };
    expect(await runRepair({ kind: 'quarantine', runId: 'r', serialNumber: 'HELD1', reason: 'missing_in_entra' }, deps)).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('is gone') });
    expect(lookups).toEqual([{ expectExisting: true }]);
    expect(inventory.writes).toBe(0);
  });

  it('re-drives a stuck saga once: the conditional write stops a second run', async () => {
    const stuck: ProvisioningRecord = { employeeId: 'E1', kind: 'joiner', status: 'in_progress', attempts: 0, eventIds: ['msg_1'], createdAt: LONG_AGO, updatedAt: LONG_AGO };
    const { deps, hr, stored } = repairDeps([], [], [stuck]);
    const message = { kind: 'redrive' as const, runId: 'r', employeeId: 'E1', recordKind: 'joiner' as const };
    expect(await runRepair(message, deps)).toMatchObject({ outcome: 'repaired' });
    expect(await runRepair(message, deps)).toMatchObject({ outcome: 'skipped' });
    expect(hr).toEqual([expect.objectContaining({ eventId: 'msg_1', type: 'employee.hired', employeeId: 'E1' })]);
    expect(stored.get('E1/joiner')?.reason).toMatch(/re-driven by reconciliation/);
  });
});

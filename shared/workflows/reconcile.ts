import { randomInt } from 'node:crypto';
import { mapWithLimit } from '../concurrency';
import { createBloomFilter, type BloomFilter, type BloomSize } from '../domain/bloom';
import {
  classifyDevice,
  classifyHandover,
  classifyRecord,
  classifySecret,
  classifyToken,
  countsAsStock,
  emptyDriftCounts,
  inFlight,
  keepsSeed,
  lowStockOf,
  RECENT_CHANGE_MS,
  repairAllowed,
  repairMessageOf,
  serialOfSeedName,
  type DriftFinding,
  type ReconcileMessage,
  type ReconcileReport,
  type RepairMode,
  type ReportItem,
} from '../domain/drift';
import { serialKey, type TokenRecord } from '../domain/token';
import type { Clock, DeviceCatalog, Inventory, ProvisioningScan, ReportStore, SeedCatalog, WebhookRetention, WorkQueue } from '../ports';

/**
 * One reconciliation run: Entra's devices, the inventory, the seeds in Key Vault and the provisioning
 * records are read page by page and compared; every drift found is counted, the first ones listed,
 * and each repair the mode allows is put on the reconcile-work queue (the run itself changes nothing
 * but old webhook delivery rows). Memory stays flat in the number of tokens: what one pass must
 * remember for a later one is kept in fixed-size Bloom filters, salted per run.
 *
 * Passes: A Entra devices (each page's serials point-read from the inventory); B1 the inventory, for
 * the seed names tokens still need; C Key Vault's secret names; B2 the inventory again, against what
 * A and C saw; D the provisioning records.
 */

export interface ReconcileSettings {
  lowStockThreshold: number;
  stuckSagaMinutes: number;
  provisionLeadDays: number;
  handoverMaxDays: number;
}

export interface ReconcileDeps {
  inventory: Inventory;
  devices: DeviceCatalog;
  seedCatalog: SeedCatalog;
  provisioningScan: ProvisioningScan;
  webhookRetention: WebhookRetention;
  work: WorkQueue<ReconcileMessage>;
  reports: ReportStore;
  clock: Clock;
  /** One warning line (context.warn): what alert rules read. */
  warn: (line: string) => void;
  settings: ReconcileSettings;
  /** Tests: a fixed salt, smaller filters, or no grace for recent changes. */
  salt?: number;
  bloomSize?: BloomSize;
  recentChangeMs?: number;
}

export interface ReconcileRun {
  runId: string;
  requestedBy: string;
  mode: RepairMode;
}

/** About 2 million keys at 1% false positives: 2.4 MB per filter, whatever the tenant's size. */
export const DEFAULT_BLOOM_SIZE: BloomSize = { bits: 19_200_000, hashes: 7 };
/** The serials pass A found drifting, to count consistent tokens in B2: fewer keys, smaller filter. */
const DRIFTED_BLOOM_SIZE: BloomSize = { bits: 2_000_000, hashes: 7 };
/** Items listed in a report; the counts per kind are always complete. */
export const MAX_REPORT_ITEMS = 1000;
/** ReconcileDrift warning lines per run, before the one summary line. */
export const MAX_DRIFT_WARNINGS = 100;
/** Inventory point reads in flight during pass A. */
const POINT_READ_CONCURRENCY = 16;
const INVENTORY_PAGE_SIZE = 1000;
/**
 * Destructive repairs wait this long in the queue before their second look: a revoke or hire that was
 * between its Entra write and its row write when the scan looked has finished by then.
 */
export const DESTRUCTIVE_REPAIR_DELAY_SECONDS = 30;
/** Webhook delivery rows older than this cannot meet a redelivery any more. */
const WEBHOOK_RETENTION_MS = 7 * 24 * 3600_000;

/** Key=value text for a log line: no spaces or quotes that would split it. */
const field = (value: string): string => value.replace(/[\s"]+/g, '_').slice(0, 200);

async function* inventoryPages(inventory: Inventory): AsyncGenerator<TokenRecord[]> {
  let continuationToken: string | undefined;
  do {
    const page = await inventory.list({}, { pageSize: INVENTORY_PAGE_SIZE, ...(continuationToken ? { continuationToken } : {}) });
    yield page.tokens;
    continuationToken = page.continuationToken;
  } while (continuationToken);
}

export async function runReconciliation(run: ReconcileRun, deps: ReconcileDeps): Promise<ReconcileReport> {
  const { inventory, settings } = deps;
  const started = deps.clock.now();
  const now = () => deps.clock.now();
  const recentChangeMs = deps.recentChangeMs ?? RECENT_CHANGE_MS;
  const salt = deps.salt ?? randomInt(2 ** 32);
  const size = deps.bloomSize ?? DEFAULT_BLOOM_SIZE;
  const bloom = (offset: number, bloomSize: BloomSize = size): BloomFilter => createBloomFilter(bloomSize, (salt + offset) >>> 0);
  const entraSerials = bloom(1);
  const liveSeedNames = bloom(2);
  const vaultNames = bloom(3);
  const driftedInEntraPass = bloom(4, DRIFTED_BLOOM_SIZE);

  const drift = emptyDriftCounts();
  const items: ReportItem[] = [];
  let itemsTruncated = false;
  let repairsQueued = 0;
  let warnings = 0;
  let unrepaired = 0;
  const counts = { tokensInInventory: 0, devicesInEntra: 0, seedsInVault: 0, consistent: 0, inFlight: 0 };
  let graphPages = 0;

  const note = async (finding: DriftFinding): Promise<void> => {
    drift[finding.kind]++;
    let repair: ReportItem['repair'] = 'none';
    if (finding.repair) {
      const message = repairAllowed(finding.repair, run.mode) ? repairMessageOf(finding, run.runId) : undefined;
      if (message) {
        const destructive = message.kind === 'quarantine' || message.kind === 'destroy_orphan_seed';
        await deps.work.send(message, destructive ? { delaySeconds: DESTRUCTIVE_REPAIR_DELAY_SECONDS } : undefined);
        repairsQueued++;
        repair = 'queued';
      } else {
        repair = 'report_only';
      }
    }
    if (repair !== 'queued') {
      unrepaired++;
      if (warnings < MAX_DRIFT_WARNINGS) {
        warnings++;
        deps.warn(
          `ReconcileDrift kind=${finding.kind} serial=${finding.serialNumber ?? '-'}${finding.employeeId ? ` employeeId=${field(finding.employeeId)}` : ''}${finding.secretName ? ` secret=${finding.secretName}` : ''} repair=${repair} run=${run.runId} detail="${finding.detail.replace(/"/g, "'")}"`,
        );
      }
    }
    if (items.length < MAX_REPORT_ITEMS) {
      items.push({
        kind: finding.kind,
        ...(finding.serialNumber ? { serialNumber: finding.serialNumber } : {}),
        ...(finding.employeeId ? { employeeId: finding.employeeId } : {}),
        ...(finding.secretName ? { secretName: finding.secretName } : {}),
        detail: finding.detail,
        repair,
      });
    } else {
      itemsTruncated = true;
    }
  };

  // Pass A: Entra, one Graph page at a time; each page's serials point-read from the inventory.
  for await (const page of deps.devices.devicePages()) {
    graphPages++;
    counts.devicesInEntra += page.length;
    const rows = await mapWithLimit(page, POINT_READ_CONCURRENCY, (device) => inventory.get(device.serialNumber));
    for (const [index, device] of page.entries()) {
      const key = serialKey(device.serialNumber);
      entraSerials.add(key);
      const findings = classifyDevice(device, rows[index], now(), recentChangeMs);
      if (findings === 'in_flight') continue;
      if (findings.length > 0 && rows[index]) driftedInEntraPass.add(key);
      for (const finding of findings) await note(finding);
    }
  }

  // Pass B1: the seed names tokens still need, for pass C to tell an orphan.
  for await (const tokens of inventoryPages(inventory)) {
    for (const token of tokens) if (keepsSeed(token.status)) liveSeedNames.add(token.seedSecretName);
  }

  // Pass C: Key Vault's secret names (never values).
  for await (const secrets of deps.seedCatalog.secretPages()) {
    for (const secret of secrets) {
      vaultNames.add(secret.name);
      if (!serialOfSeedName(secret.name)) continue;
      counts.seedsInVault++;
      const finding = classifySecret(secret, liveSeedNames.mightContain(secret.name), started);
      if (finding) await note(finding);
    }
  }

  // Pass B2: every token against what Entra and Key Vault hold; stock per pool.
  const stockByPool = new Map<string, number>();
  for await (const tokens of inventoryPages(inventory)) {
    for (const token of tokens) {
      counts.tokensInInventory++;
      const key = serialKey(token.serialNumber);
      const inEntra = entraSerials.mightContain(key);
      if (keepsSeed(token.status)) stockByPool.set(token.pool, (stockByPool.get(token.pool) ?? 0) + (countsAsStock(token, inEntra) ? 1 : 0));
      if (inFlight(token, now(), recentChangeMs)) {
        counts.inFlight++;
        continue;
      }
      const findings = classifyToken(token, { inEntra, seedInVault: vaultNames.mightContain(token.seedSecretName) }, now(), recentChangeMs);
      if (findings === 'in_flight') {
        counts.inFlight++;
        continue;
      }
      for (const finding of findings) await note(finding);
      const overdue = classifyHandover(token, now(), settings.handoverMaxDays);
      if (overdue) await note(overdue);
      if (findings.length === 0 && !overdue && !driftedInEntraPass.mightContain(key)) counts.consistent++;
    }
  }

  // Pass D: joiners and leavers that stopped moving.
  for await (const records of deps.provisioningScan.pages()) {
    for (const record of records) {
      const finding = classifyRecord(record, now(), { stuckMinutes: settings.stuckSagaMinutes, provisionLeadDays: settings.provisionLeadDays });
      if (finding) await note(finding);
    }
  }

  // A safe repair done inline; a report-only run changes nothing anywhere.
  const webhookDeliveriesPurged = run.mode === 'report' ? 0 : await deps.webhookRetention.purgeReceivedBefore(new Date(now().getTime() - WEBHOOK_RETENTION_MS).toISOString());

  const lowStock = lowStockOf(stockByPool, settings.lowStockThreshold);
  drift.low_stock = lowStock.length;
  for (const low of lowStock) deps.warn(`LowStock pool=${low.pool === '' ? '(shared)' : field(low.pool)} available=${low.available} threshold=${low.threshold}`);
  if (unrepaired > 0) {
    const byKind = Object.entries(drift)
      .filter(([kind, count]) => count > 0 && kind !== 'low_stock')
      .map(([kind, count]) => `${kind}=${count}`)
      .join(' ');
    deps.warn(`ReconcileDrift summary run=${run.runId} mode=${run.mode} unrepaired=${unrepaired} repairsQueued=${repairsQueued} ${byKind}`);
  }

  const finished = now();
  const report: ReconcileReport = {
    runId: run.runId,
    mode: run.mode,
    requestedBy: run.requestedBy,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    counts,
    drift,
    items,
    itemsTruncated,
    lowStock,
    repairsQueued,
    graphPages,
    webhookDeliveriesPurged,
  };
  await deps.reports.save(run.runId, report);
  return report;
}

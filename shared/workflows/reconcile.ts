import { randomInt } from 'node:crypto';
import { mapWithLimit } from './concurrency';
import { pastLife, type ServiceLife } from '../domain/ageing';
import { createBloomFilter, type BloomFilter, type BloomSize } from '../domain/bloom';
import {
  classifyDevice,
  classifyHandover,
  classifyHolderTarget,
  classifyRecord,
  classifyReservation,
  classifySecret,
  classifyToken,
  classifyUsage,
  countsAsStock,
  emptyDriftCounts,
  entraUsersOf,
  heldAfterTermination,
  heldByDeparted,
  inFlight,
  isDestructiveRepair,
  keepsSeed,
  lowStockOf,
  mayBeUnused,
  reconcileMessageSchema,
  RECENT_CHANGE_MS,
  repairAllowed,
  repairMessageOf,
  serialOfSeedName,
  terminationPassed,
  usageStale,
  type DeviceFacts,
  type DriftFinding,
  type ReconcileMessage,
  type ReconcileReport,
  type RepairMessage,
  type RepairMode,
  type ReportItem,
} from '../domain/drift';
import { notificationKeys, type Notification } from '../domain/notification';
import { isHeld, serialKey, type TokenRecord } from '../domain/token';
import { DELIVERY_RETENTION_MS } from '../domain/vendorWebhooks';
import type { AuditLog, Clock, DepartedAccount, DepartedAccounts, DeviceCatalog, Inventory, PrivilegedSet, ProvisioningRecord, ProvisioningScan, ProvisioningStore, ReportStore, SeedCatalog, WebhookRetention, WorkQueue } from '../ports';

/**
 * One reconciliation run: Entra's devices, the inventory, the seeds in Key Vault and the provisioning
 * records are read page by page and compared; every drift found is counted, the first ones listed,
 * and each repair the mode allows is put on the reconcile-work queue (the run itself changes nothing
 * but old webhook delivery rows). Memory stays flat in the number of tokens: what one pass must
 * remember for a later one is kept in fixed-size Bloom filters, salted per run.
 *
 * Passes: P the provisioning records, for who has left, and Entra's deleted and disabled accounts; B1 the inventory, for the seed names tokens
 * still need and a fingerprint of the Entra state each row implies; A Entra devices, beside C Key
 * Vault's secret names; B2 the inventory again, against what A and C saw; D the provisioning records
 * again, for stuck sagas and leavers holding tokens the inventory does not tie to them.
 *
 * Pass A reads the inventory only for devices whose fingerprint B1 did not record: real drift, or a
 * row B1 could not vouch for (in flight, a possible leaver's). So its point reads grow with drift, not
 * with the fleet. Those devices are classified exactly; a false positive of the fingerprint filter
 * (about 1% of drifting devices at most) passes a drifting device as consistent for this run only:
 * the next run's salt is different, so it is found then.
 *
 * A run cannot run away: when its repairs would change more than `maxChanges` things, it queues none,
 * keeps them beside the report (`held`), and an admin applies them after reading it.
 */

export interface ReconcileSettings {
  lowStockThreshold: number;
  stuckSagaMinutes: number;
  provisionLeadDays: number;
  handoverMaxDays: number;
  /** RECONCILE_MAX_CHANGES: more repairs than this in one run are held for an admin. */
  maxChanges: number;
  /** UNUSED_TOKEN_DAYS: an active token nobody signed in with for this long is reported `unused`. */
  unusedTokenDays: number;
  /** UNUSED_TOKEN_NOTIFY: each unused token is also told to its holder's manager and its pool's desk. */
  notifyUnused: boolean;
  /** TOKEN_SERVICE_LIFE_MONTHS(_BY_MODEL): stock past its life is not counted as stock. */
  serviceLife: ServiceLife;
}

export interface ReconcileDeps {
  inventory: Inventory;
  devices: DeviceCatalog;
  /** Deleted and disabled Entra accounts: a token they hold is taken back by object id. */
  departed: DepartedAccounts;
  seedCatalog: SeedCatalog;
  provisioningScan: ProvisioningScan;
  /** Point reads that confirm what a Bloom filter only suggests (a leaver), and a reservation's hire. */
  provisioning: Pick<ProvisioningStore, 'get' | 'list'>;
  webhookRetention: WebhookRetention;
  work: WorkQueue<ReconcileMessage>;
  reports: ReportStore;
  clock: Clock;
  /** The notifications queue: each low pool is told to its site's desk (once a day). */
  notifications?: WorkQueue<Notification>;
  /** One warning line (context.warn): what alert rules read. */
  warn: (line: string) => void;
  /**
   * Who is outside the allowed targets (the target check's privileged set): each held device is checked
   * against it, so a token the target check's window let through, or whose holder became privileged
   * later, is found and taken back. Without it, holders are not checked.
   */
  privilegedSet?: () => Promise<PrivilegedSet>;
  settings: ReconcileSettings;
  /** Tests: a fixed salt, smaller filters, or no grace for recent changes. */
  salt?: number;
  bloomSize?: BloomSize;
  recentChangeMs?: number;
}

export interface ReconcileRun {
  runId: string;
  requestedBy: string;
  requestedByName?: string;
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
/** Inventory point reads in flight during pass A (only for devices B1 did not vouch for). */
const POINT_READ_CONCURRENCY = 16;
const INVENTORY_PAGE_SIZE = 1000;
/**
 * Destructive repairs wait this long in the queue before their second look: a revoke or hire that was
 * between its Entra write and its row write when the scan looked has finished by then.
 */
export const DESTRUCTIVE_REPAIR_DELAY_SECONDS = 30;
/** Devices held in Entra by a user the inventory does not tie to anyone, remembered for pass D; beyond this, counted only. */
const MAX_UNTIED_HOLDERS = 10_000;
/** Deleted or disabled accounts one run remembers; beyond this, counted only (the next run, after repairs, sees the rest). */
const MAX_DEPARTED_ACCOUNTS = 200_000;
/** Never-used tokens remembered until pass A has seen whether Entra shows any last use at all; beyond this, counted only. */
const MAX_NEVER_USED_WAITING = 10_000;
/** Held repairs written to the report store per append. */
const HELD_BATCH = 500;

/** A pool that is a site code is its desk's (NOTIFY_SITES). */
const SITE_CODE = /^[A-Za-z0-9_-]{1,16}$/;

/** Key=value text for a log line: no spaces or quotes that would split it. */
const field = (value: string): string => value.replace(/[\s"]+/g, '_').slice(0, 200);

/** The records of one employee at a time: a scan answers them sorted by partition (employee), across page breaks. */
async function* employeeRecords(scan: ProvisioningScan): AsyncGenerator<ProvisioningRecord[]> {
  let group: ProvisioningRecord[] = [];
  for await (const records of scan.pages()) {
    for (const record of records) {
      if (group[0] && group[0].employeeId !== record.employeeId) {
        yield group;
        group = [];
      }
      group.push(record);
    }
  }
  if (group.length > 0) yield group;
}

async function* inventoryPages(inventory: Inventory): AsyncGenerator<TokenRecord[]> {
  let continuationToken: string | undefined;
  do {
    const page = await inventory.list({}, { pageSize: INVENTORY_PAGE_SIZE, ...(continuationToken ? { continuationToken } : {}) });
    yield page.tokens;
    continuationToken = page.continuationToken;
  } while (continuationToken);
}

const DEVICE_STATUSES: readonly DeviceFacts['status'][] = ['available', 'assigned', 'activated', 'failedActivation'];

/** What pass A compares: a device's serial, id, holder and status. */
const fingerprintOf = (serialNumber: string, deviceId: string, holder: string | undefined, status: DeviceFacts['status']): string =>
  `${serialKey(serialNumber)}\u0000${deviceId}\u0000${holder ?? ''}\u0000${status}`;

const deviceFingerprint = (device: DeviceFacts): string => fingerprintOf(device.serialNumber, device.id, device.assignedTo?.id, device.status);

/** The Entra states classifyDevice finds nothing wrong with for this row: its device id, its holder, each status that agrees. */
function consistentFingerprints(token: TokenRecord, now: Date, recentChangeMs: number): string[] {
  if (!token.entraDeviceId) return [];
  const deviceId = token.entraDeviceId;
  const holder = token.entraUserId ? { id: token.entraUserId } : undefined;
  return DEVICE_STATUSES.filter((status) => {
    const findings = classifyDevice({ id: deviceId, serialNumber: token.serialNumber, status, ...(holder ? { assignedTo: holder } : {}) }, token, now, recentChangeMs);
    return findings !== 'in_flight' && findings.length === 0;
  }).map((status) => fingerprintOf(token.serialNumber, deviceId, holder?.id, status));
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
  const leftEmployees = bloom(5);
  const leftUsers = bloom(6);
  const consistentDevices = bloom(7);
  const unusedCandidates = bloom(8);

  const drift = emptyDriftCounts();
  const items: ReportItem[] = [];
  let itemsTruncated = false;
  let repairsQueued = 0;
  let warnings = 0;
  let unrepaired = 0;
  const counts = { tokensInInventory: 0, devicesInEntra: 0, seedsInVault: 0, consistent: 0, inFlight: 0 };
  let graphPages = 0;

  // Repairs wait here until the run knows how many there are: up to maxChanges in memory, past that
  // the run is held and they go, a batch at a time, to the report store.
  let changes = 0;
  let held = false;
  let pending: RepairMessage[] = [];
  const holdRepair = async (message: RepairMessage): Promise<void> => {
    changes++;
    if (!held && changes > settings.maxChanges) {
      held = true;
      await deps.reports.clearHeldRepairs(run.runId);
    }
    pending.push(message);
    if (held && pending.length >= HELD_BATCH) {
      await deps.reports.appendHeldRepairs(run.runId, pending);
      pending = [];
    }
  };

  const queuedWarnings: ((repair: 'queued' | 'held') => string)[] = [];
  const noteNow = async (finding: DriftFinding): Promise<void> => {
    drift[finding.kind]++;
    let repair: ReportItem['repair'] = 'none';
    if (finding.repair) {
      const message = repairAllowed(finding.repair, run.mode) ? repairMessageOf(finding, run.runId) : undefined;
      if (message) {
        await holdRepair(message);
        repair = 'queued';
      } else {
        repair = 'report_only';
      }
    }
    // A leaver (or a gone account) still holding a token is always a warning line, repaired or not; a queued
    // repair's line waits for the end of the run, which may still hold every repair.
    if (repair !== 'queued' || finding.kind === 'held_after_termination' || finding.kind === 'held_by_departed') {
      if (repair !== 'queued') unrepaired++;
      if (warnings < MAX_DRIFT_WARNINGS) {
        warnings++;
        const line = (said: string) =>
          `ReconcileDrift kind=${finding.kind} serial=${finding.serialNumber ?? '-'}${finding.employeeId ? ` employeeId=${field(finding.employeeId)}` : ''}${finding.secretName ? ` secret=${finding.secretName}` : ''} repair=${said} run=${run.runId} detail="${finding.detail.replace(/"/g, "'")}"`;
        if (repair === 'queued') queuedWarnings.push(line);
        else deps.warn(line(repair));
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

  // Passes A and C run side by side: their findings are noted one at a time, in the order they come.
  let noting: Promise<void> = Promise.resolve();
  const note = (finding: DriftFinding): Promise<void> => {
    const noted = noting.then(() => noteNow(finding));
    noting = noted.catch(() => undefined);
    return noted;
  };

  // Pass P: who has left (termination date passed, no rehire since), by employee id and Entra user id.
  for await (const records of employeeRecords(deps.provisioningScan)) {
    if (!terminationPassed(records, now())) continue;
    leftEmployees.add(records[0]?.employeeId ?? '');
    for (const userId of entraUsersOf(records)) leftUsers.add(userId);
  }

  // Pass P, on: the accounts that are gone (deleted, or disabled past their hire date), by object id.
  const departed = new Map<string, DepartedAccount['why']>();
  let departedDropped = 0;
  for await (const accounts of deps.departed.departedPages(now())) {
    for (const account of accounts) {
      if (departed.size < MAX_DEPARTED_ACCOUNTS) departed.set(account.id.toLowerCase(), account.why);
      else departedDropped++;
    }
  }
  const departedWhy = (userId: string | undefined) => (userId ? departed.get(userId.toLowerCase()) : undefined);

  // Pass B1: the seed names tokens still need, for pass C to tell an orphan; and for pass A, each
  // Entra state a row would call consistent, unless its holder may have left (that needs a closer look).
  for await (const tokens of inventoryPages(inventory)) {
    for (const token of tokens) {
      if (keepsSeed(token.status)) liveSeedNames.add(token.seedSecretName);
      if (mayBeUnused(token, now(), settings.unusedTokenDays)) unusedCandidates.add(serialKey(token.serialNumber));
      if ((token.employeeId && leftEmployees.mightContain(token.employeeId)) || (token.entraUserId && leftUsers.mightContain(token.entraUserId)) || departedWhy(token.entraUserId)) continue;
      for (const fingerprint of consistentFingerprints(token, now(), recentChangeMs)) consistentDevices.add(fingerprint);
    }
  }

  // A tenant may answer lastUsedDateTime null for every device (it does not record it): "never used"
  // counts only once some device shows a use. Until then such findings wait here.
  let lastUseShown = false;
  const neverUsedWaiting: { finding: DriftFinding; token: TokenRecord; device: DeviceFacts }[] = [];
  let neverUsedDropped = 0;
  const noteUnused = async (finding: DriftFinding, token: TokenRecord, device: DeviceFacts): Promise<void> => {
    await note(finding);
    if (!settings.notifyUnused || !deps.notifications || !token.entraUserId) return;
    const lastUsed = device.lastUsedDateTime ?? 'never';
    await deps.notifications.send({
      kind: 'token_unused',
      key: notificationKeys.tokenUnused(token.serialNumber, lastUsed),
      serialNumber: token.serialNumber,
      entraUserId: token.entraUserId,
      ...(token.userPrincipalName ? { userPrincipalName: token.userPrincipalName } : {}),
      ...(token.displayName ? { displayName: token.displayName } : {}),
      ...(token.employeeId ? { employeeId: token.employeeId } : {}),
      ...(SITE_CODE.test(token.pool) ? { site: token.pool } : {}),
      lastUsed,
      days: settings.unusedTokenDays,
    });
  };

  /** Entra holders the inventory does not tie to an employee, who may have left: settled in pass D. */
  const untiedHolders = new Map<string, { serialNumber: string; deviceStatus: string }[]>();
  let untiedDropped = 0;

  // Pass A: Entra, one Graph page at a time; a device B1 vouched for is consistent, the others' rows are point-read.
  const passA = async (): Promise<void> => {
    const targets = await deps.privilegedSet?.();
    const standingOf = (holder: string) => {
      const id = holder.toLowerCase();
      return { privileged: targets?.privileged.has(id) ?? false, outsideAllowedGroup: targets?.allowed !== undefined && !targets.allowed.has(id) };
    };
    for await (const page of deps.devices.devicePages()) {
      graphPages++;
      counts.devicesInEntra += page.length;
      if (page.some((device) => typeof device.lastUsedDateTime === 'string')) lastUseShown = true;
      // A device B1 vouched for is read anyway when it may be unused: their reads grow with unused tokens, not the fleet.
      const unvouched = page.filter(
        (device) => !consistentDevices.mightContain(deviceFingerprint(device)) || (usageStale(device, now(), settings.unusedTokenDays) && unusedCandidates.mightContain(serialKey(device.serialNumber))),
      );
      const rows = await mapWithLimit(unvouched, POINT_READ_CONCURRENCY, (device) => inventory.get(device.serialNumber));
      for (const device of page) entraSerials.add(serialKey(device.serialNumber));
      for (const [index, device] of unvouched.entries()) {
        const key = serialKey(device.serialNumber);
        const row = rows[index];
        let findings = classifyDevice(device, row, now(), recentChangeMs);
        if (findings === 'in_flight') continue;
        const holder = device.assignedTo?.id;
        const serial = row?.serialNumber ?? device.serialNumber;
        const rowHolder = !holder && row && isHeld(row.status) && row.status !== 'reserved' ? row.entraUserId : undefined;
        const holderGone = departedWhy(holder);
        const rowHolderGone = departedWhy(rowHolder);
        // Only devices this system manages (in the inventory): a device uploaded by hand stays unknown_in_entra.
        if (row && holder && holderGone) {
          findings = [heldByDeparted(serial, holder, holderGone, `Entra has it ${device.status} for user ${holder}`, row)];
        } else if (rowHolder && rowHolderGone) {
          // Entra dropped the method with the account; the row still says held.
          findings = [heldByDeparted(serial, rowHolder, rowHolderGone, `inventory says ${row?.status ?? '?'}, Entra has the device ${device.status}`, row)];
        } else if (holder) {
          const tiedTo = row?.employeeId && row.entraUserId === holder ? row.employeeId : undefined;
          // The filter may be wrong about "yes": the person's own records settle it.
          const terminated = tiedTo && leftEmployees.mightContain(tiedTo) ? terminationPassed(await deps.provisioning.list(tiedTo), now()) : undefined;
          if (tiedTo && terminated) {
            findings = [heldAfterTermination(row?.serialNumber ?? device.serialNumber, tiedTo, holder, terminated, device.status)];
          } else if (!tiedTo && leftUsers.mightContain(holder)) {
            const known = untiedHolders.get(holder);
            if (known) known.push({ serialNumber: row?.serialNumber ?? device.serialNumber, deviceStatus: device.status });
            else if (untiedHolders.size < MAX_UNTIED_HOLDERS) untiedHolders.set(holder, [{ serialNumber: row?.serialNumber ?? device.serialNumber, deviceStatus: device.status }]);
            else untiedDropped++;
          }
        }
        if (findings.length > 0 && row) driftedInEntraPass.add(key);
        for (const finding of findings) await note(finding);
        const unused = findings.length === 0 && row ? classifyUsage(device, row, now(), settings.unusedTokenDays) : undefined;
        if (!unused || !row) continue;
        driftedInEntraPass.add(key);
        if (device.lastUsedDateTime !== null || lastUseShown) await noteUnused(unused, row, device);
        else if (neverUsedWaiting.length < MAX_NEVER_USED_WAITING) neverUsedWaiting.push({ finding: unused, token: row, device });
        else neverUsedDropped++;
      }
      // Holders outside the allowed targets are few: only their rows are read, vouched for or not.
      for (const device of page) {
        const holder = device.assignedTo?.id;
        if (!holder || !targets) continue;
        const standing = standingOf(holder);
        if (!standing.privileged && !standing.outsideAllowedGroup) continue;
        const unvouchedAt = unvouched.indexOf(device);
        const row = unvouchedAt >= 0 ? rows[unvouchedAt] : await inventory.get(device.serialNumber);
        const finding = classifyHolderTarget(device, row, standing, now(), recentChangeMs);
        if (!finding) continue;
        if (row) driftedInEntraPass.add(serialKey(device.serialNumber));
        await note(finding);
      }
    }
  };

  // Pass C: Key Vault's secret names (never values), read while pass A waits on Graph.
  const passC = async (): Promise<void> => {
    for await (const secrets of deps.seedCatalog.secretPages()) {
      for (const secret of secrets) {
        vaultNames.add(secret.name);
        if (!serialOfSeedName(secret.name)) continue;
        counts.seedsInVault++;
        const finding = classifySecret(secret, liveSeedNames.mightContain(secret.name), started);
        if (finding) await note(finding);
      }
    }
  };
  await Promise.all([passA(), passC()]);
  if (lastUseShown) {
    for (const waiting of neverUsedWaiting) await noteUnused(waiting.finding, waiting.token, waiting.device);
    if (neverUsedDropped > 0) deps.warn(`ReconcileDrift never-used run=${run.runId} more never-used tokens than one run lists (${neverUsedDropped} not reported); run again after acting on these`);
  } else if (neverUsedWaiting.length > 0) {
    deps.warn(`ReconcileUsageUnknown run=${run.runId} Entra shows no last use for any device (lastUsedDateTime null or absent everywhere): ${neverUsedWaiting.length + neverUsedDropped} tokens never used by that account are not reported as unused`);
  }
  neverUsedWaiting.length = 0;

  // Pass B2: every token against what Entra and Key Vault hold; stock per pool.
  const stockByPool = new Map<string, number>();
  const pastLifeByPool = new Map<string, number>();
  for await (const tokens of inventoryPages(inventory)) {
    for (const token of tokens) {
      counts.tokensInInventory++;
      const key = serialKey(token.serialNumber);
      const inEntra = entraSerials.mightContain(key);
      if (keepsSeed(token.status)) {
        const stock = countsAsStock(token, inEntra);
        // A token past its service life is as good as gone: the pool must be restocked before it runs out.
        const expired = stock && pastLife(token, now(), settings.serviceLife);
        if (expired) pastLifeByPool.set(token.pool, (pastLifeByPool.get(token.pool) ?? 0) + 1);
        stockByPool.set(token.pool, (stockByPool.get(token.pool) ?? 0) + (stock && !expired ? 1 : 0));
      }
      if (token.status === 'reserved' && now().getTime() - Date.parse(token.updatedAt) >= recentChangeMs) {
        // Reserved tokens are few (hires in flight): their hire's record is read to tell a leak.
        const joiner = token.employeeId ? await deps.provisioning.get(token.employeeId, 'joiner') : undefined;
        const finding = classifyReservation(token, joiner, now(), settings.stuckSagaMinutes, recentChangeMs);
        if (finding) {
          await note(finding);
          continue;
        }
      }
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

  // Pass D: joiners and leavers that stopped moving, and leavers Entra still shows holding a token.
  for await (const records of employeeRecords(deps.provisioningScan)) {
    for (const record of records) {
      const finding = classifyRecord(record, now(), { stuckMinutes: settings.stuckSagaMinutes, provisionLeadDays: settings.provisionLeadDays });
      if (finding) await note(finding);
    }
    if (untiedHolders.size === 0) continue;
    const terminated = terminationPassed(records, now());
    if (!terminated) continue;
    for (const userId of entraUsersOf(records)) {
      for (const device of untiedHolders.get(userId) ?? []) await note(heldAfterTermination(device.serialNumber, records[0]?.employeeId ?? '', userId, terminated, device.deviceStatus));
    }
  }
  if (departedDropped > 0) deps.warn(`ReconcileDrift departed-accounts run=${run.runId} more deleted or disabled accounts than one run follows (${departedDropped} not checked); run again after repairs`);
  if (untiedDropped > 0) deps.warn(`ReconcileDrift untied-holders run=${run.runId} more devices held by possible leavers than one run follows (${untiedDropped} not checked); run again after repairs`);

  // Queue the repairs, or hold them all when there are too many for one run to be trusted.
  for (const line of queuedWarnings) deps.warn(line(held ? 'held' : 'queued'));
  if (held) {
    await deps.reports.appendHeldRepairs(run.runId, pending);
    for (const item of items) if (item.repair === 'queued') item.repair = 'held';
    deps.warn(`ReconcileHeld run=${run.runId} mode=${run.mode} changes=${changes} maxChanges=${settings.maxChanges}: no repair queued; an admin applies them with POST /api/reconcile/${run.runId}/apply after reading the report`);
  } else {
    for (const message of pending) {
      await deps.work.send(message, isDestructiveRepair(message.kind) ? { delaySeconds: DESTRUCTIVE_REPAIR_DELAY_SECONDS } : undefined);
      repairsQueued++;
    }
  }
  pending = [];

  // A safe repair done inline; a report-only run changes nothing anywhere.
  const webhookDeliveriesPurged = run.mode === 'report' ? 0 : await deps.webhookRetention.purgeReceivedBefore(new Date(now().getTime() - DELIVERY_RETENTION_MS).toISOString());

  const lowStock = lowStockOf(stockByPool, settings.lowStockThreshold).map((low) => {
    const expired = pastLifeByPool.get(low.pool) ?? 0;
    return expired > 0 ? { ...low, pastLife: expired } : low;
  });
  drift.low_stock = lowStock.length;
  for (const low of lowStock) {
    deps.warn(`LowStock pool=${low.pool === '' ? '(shared)' : field(low.pool)} available=${low.available} threshold=${low.threshold}${low.pastLife ? ` pastLife=${low.pastLife}` : ''}`);
    await deps.notifications?.send({ kind: 'low_stock', key: notificationKeys.lowStock(low.pool, now().toISOString().slice(0, 10)), pool: low.pool, available: low.available, threshold: low.threshold });
  }
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
    status: held ? 'held' : 'completed',
    mode: run.mode,
    requestedBy: run.requestedBy,
    ...(run.requestedByName ? { requestedByName: run.requestedByName } : {}),
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    counts,
    drift,
    items,
    itemsTruncated,
    lowStock,
    repairsQueued,
    changes,
    maxChanges: settings.maxChanges,
    repairsHeld: held ? changes : 0,
    graphPages,
    webhookDeliveriesPurged,
    lastUseShown,
  };
  await deps.reports.save(run.runId, report);
  return report;
}

export type ApplyResult =
  | { outcome: 'applying'; runId: string; repairs: number }
  | { outcome: 'not_found'; detail: string }
  | { outcome: 'refused'; detail: string };

/**
 * An admin who has read a held run's report applies its repairs: the report moves from held to
 * applied by a conditional write (so a run is applied once, however many ask at the same time), then
 * one 'apply' message hands the repairs to the queue. Each repair still looks again before it acts.
 */
export async function applyHeldRun(
  runId: string,
  context: { actor: string; actorName?: string },
  deps: { reports: ReportStore; work: WorkQueue<ReconcileMessage>; audit: AuditLog; clock: Clock },
): Promise<ApplyResult> {
  const { actor } = context;
  const refuse = async (detail: string): Promise<ApplyResult> => {
    await deps.audit.record({ actor, action: 'reconcile.apply', correlationId: runId, outcome: 'rejected', detail });
    return { outcome: 'refused', detail };
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    const found = await deps.reports.getVersioned(runId);
    if (!found) return { outcome: 'not_found', detail: `No report for run ${runId}` };
    const report = found.report as ReconcileReport;
    if (report.status === 'applied') return refuse(`run ${runId} was already applied by ${report.applied?.name ?? report.applied?.by ?? 'an admin'} at ${report.applied?.at ?? '?'}`);
    if (report.status !== 'held') return refuse(`run ${runId} is not held (${report.status ?? 'completed'}): its repairs were queued when it ran`);
    const applied: ReconcileReport = { ...report, status: 'applied', applied: { by: actor, ...(context.actorName ? { name: context.actorName } : {}), at: deps.clock.now().toISOString() } };
    if ((await deps.reports.replace(runId, applied, found.etag)) === 'conflict') continue;
    try {
      await deps.work.send({ kind: 'apply', runId, requestedBy: actor.slice(0, 300) });
    } catch (error) {
      // Nothing was queued: the run stays held, so the admin can apply it again.
      const again = await deps.reports.getVersioned(runId);
      if (again) await deps.reports.replace(runId, report, again.etag);
      throw error;
    }
    await deps.audit.record({ actor, action: 'reconcile.apply', correlationId: runId, outcome: 'succeeded', detail: `${report.repairsHeld} held repairs of run ${runId} (mode ${report.mode}) queued` });
    return { outcome: 'applying', runId, repairs: report.repairsHeld };
  }
  return refuse(`run ${runId} kept changing while it was being applied; read it again`);
}

/** The 'apply' message: a held run's repairs go on the queue, a batch at a time. Answers how many. */
export async function queueHeldRepairs(runId: string, deps: { reports: ReportStore; work: WorkQueue<ReconcileMessage> }): Promise<number> {
  let queued = 0;
  for await (const batch of deps.reports.heldRepairs(runId)) {
    for (const raw of batch) {
      const parsed = reconcileMessageSchema.safeParse(raw);
      if (!parsed.success || parsed.data.kind === 'run' || parsed.data.kind === 'apply' || parsed.data.runId !== runId) {
        throw new Error(`a held repair of run ${runId} is not understood`);
      }
      await deps.work.send(parsed.data, isDestructiveRepair(parsed.data.kind) ? { delaySeconds: DESTRUCTIVE_REPAIR_DELAY_SECONDS } : undefined);
      queued++;
    }
  }
  return queued;
}

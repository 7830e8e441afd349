import { timingSafeEqual } from 'node:crypto';
import { mapWithLimit } from './concurrency';
import type { ImportRow, ParsedRow, RowError } from '../domain/importFile';
import { totpCode } from '../domain/seed';
import { heldStatusFor, isImporting, seedSecretName, serialKey, withoutHolder, type ActivationMode, type SeedOrigin, type TokenRecord } from '../domain/token';
import { DirectoryRefusal, type AuditLog, type Clock, type DeviceListing, type Directory, type EntraDevice, type EntraUser, type Inventory, type SeedTags, type SeedVault, type UserLookup } from '../ports';
import type { TargetCheck } from './targetCheck';

/**
 * Brings tokens into service: seed into Key Vault, a row in the inventory, the device registered in
 * Entra as available (and assigned when the file names a user). Each row either lands whole or is
 * reported and rolled back; rows already imported the same way are "unchanged", so a file can be
 * sent again safely, and an import cut short resumes where it stopped. A row is `importing` from
 * its first write until Entra has its device: never stock before.
 *
 * Graph reads per row: whether Entra has a serial already is answered from the tenant's device
 * listing, read once per import while it stays within a page per ROWS_PER_LISTING_PAGE rows that
 * ask (a small tenant: a page or two for the whole file); past that, by one `$filter` per row.
 */

export interface ImportDeps {
  inventory: Inventory;
  seeds: SeedVault;
  directory: Directory;
  deviceListing: DeviceListing;
  /** Who may receive a token: asked for every row that names a user, before anything is written. */
  targets: TargetCheck;
  /** The accounts a chunk's rows name, read together; without it, one read per row. */
  userLookup?: UserLookup;
  audit: AuditLog;
  clock: Clock;
  activationMode: ActivationMode;
}

export interface ImportContext {
  /** Who asked, for the audit trail. */
  actor: string;
  correlationId: string;
  seedOrigin: SeedOrigin;
  /** The caller holds Tokens.PrivilegedAdmin: rows may name directory role holders and protected accounts. */
  privilegedAllowed?: boolean;
}

export interface ImportSummary {
  imported: number;
  unchanged: number;
  errors: RowError[];
}

export interface ImportOptions {
  /** Rows handled together (one Entra bulk request). */
  chunkSize?: number;
  /** Rows in flight at once against Key Vault and the inventory, per chunk. */
  concurrency?: number;
  /** Chunks worked on at once. */
  chunksInFlight?: number;
  /** Called after each chunk with the running totals. */
  onProgress?: (summary: Readonly<ImportSummary>) => void;
  /** Called for each row that lands, e.g. to answer generated seeds once. */
  onImported?: (row: ImportRow) => void;
}

/**
 * `deviceMayExist`: an interrupted import of this same seed may have registered the device already.
 * `user`: the account the row names, as prepare found and checked it.
 */
type RowOutcome =
  | { kind: 'unchanged' }
  | { kind: 'error'; reason: string; code?: string }
  | { kind: 'pending'; record: TokenRecord; row: ImportRow; deviceMayExist: boolean; user?: EntraUser; privilegedApprovedBy?: string };

/** Key Vault keeps deleted names for the retention period; move on to a fresh name this many times. */
const MAX_SEED_GENERATIONS = 20;

/**
 * A row without its Entra device that may take a seed: an import cut short (importing, or in stock
 * without a device as earlier versions left it), or a returned programmable token awaiting a fresh
 * generated seed. Lost or retired tokens never come back.
 */
export const awaitsSeed = (token: TokenRecord, origin: SeedOrigin): boolean =>
  !token.entraDeviceId && (isImporting(token) || (token.status === 'quarantined' && token.seedOrigin === 'generated' && origin === 'generated'));

/**
 * Listing pages an import may read for every this many rows that need to know whether Entra has their
 * serial: a tenant larger than that is asked row by row instead, so a large tenant costs at most a
 * tenth more reads than asking every row, and a small one a page or two for the whole file.
 */
export const ROWS_PER_LISTING_PAGE = 10;

/** Which serials Entra has, from its device listing read as far as the rows asking pay for, else asked one by one. */
function tenantSerials(listing: DeviceListing, directory: Directory) {
  const bySerial = new Map<string, EntraDevice>();
  let started = false;
  let nextLink: string | undefined;
  let pagesRead = 0;
  let asking = 0;
  // Pages are read one after another, whichever chunk asks.
  let reading: Promise<void> = Promise.resolve();
  const complete = () => started && nextLink === undefined;

  return {
    /** `rows` more rows will ask: the listing may go that much further before they do. */
    async cover(rows: number): Promise<void> {
      asking += rows;
      const budget = Math.ceil(asking / ROWS_PER_LISTING_PAGE);
      reading = reading.then(async () => {
        while (!complete() && pagesRead < budget) {
          const page = await listing.devicePage(nextLink);
          started = true;
          pagesRead++;
          nextLink = page.nextLink;
          for (const device of page.devices) bySerial.set(serialKey(device.serialNumber), device);
        }
      });
      await reading;
    },
    /** The device Entra has under this serial (compared without case), or undefined. */
    async device(serialNumber: string): Promise<EntraDevice | undefined> {
      const listed = bySerial.get(serialKey(serialNumber));
      if (listed || complete()) return listed;
      return directory.findDeviceBySerial(serialNumber);
    },
  };
}

const sameSeed = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

const sameDescription = (token: TokenRecord, tags: SeedTags): boolean =>
  token.seedOrigin === tags.seedOrigin &&
  token.manufacturer === tags.manufacturer &&
  token.model === tags.model &&
  token.timeIntervalInSeconds === tags.timeIntervalInSeconds &&
  token.hashFunction === tags.hashFunction;

function describe(error: unknown): string {
  if (error instanceof DirectoryRefusal) return `Entra refused it (${error.code}): ${error.message}`;
  throw error;
}

export async function importTokens(rows: AsyncIterable<ParsedRow> | Iterable<ParsedRow>, deps: ImportDeps, context: ImportContext, options: ImportOptions = {}): Promise<ImportSummary> {
  const chunkSize = options.chunkSize ?? 100;
  const concurrency = options.concurrency ?? 16;
  const chunksInFlight = options.chunksInFlight ?? 3;
  const summary: ImportSummary = { imported: 0, unchanged: 0, errors: [] };
  const now = () => deps.clock.now().toISOString();
  const entra = tenantSerials(deps.deviceListing, deps.directory);

  const audit = (row: ImportRow, outcome: 'succeeded' | 'failed' | 'rejected', detail?: string) =>
    deps.audit.record({
      actor: context.actor,
      action: context.seedOrigin === 'generated' ? 'token.seeded' : 'token.imported',
      serialNumber: row.serialNumber,
      correlationId: context.correlationId,
      outcome,
      ...(detail ? { detail } : {}),
    });

  const reject = async (row: ImportRow, reason: string, code?: string): Promise<void> => {
    summary.errors.push({ line: row.line, serial: row.serialNumber, reason, ...(code ? { code } : {}) });
    await audit(row, 'rejected', code ? `${code}: ${reason}` : reason);
  };

  /** Whether the row must learn from Entra if its serial is there: a new row, or one an import left unfinished. */
  const asksEntra = (existing: TokenRecord | undefined): boolean => !existing || awaitsSeed(existing, context.seedOrigin);

  /** Phase one: decide what the row needs, check Entra and the user, write the pending row and the seed. */
  const prepare = async (row: ImportRow, existing: TokenRecord | undefined, accounts: Map<string, EntraUser> | undefined): Promise<RowOutcome> => {
    if (existing?.entraDeviceId) {
      const stored = await deps.seeds.get(existing.seedSecretName);
      const same =
        stored !== undefined &&
        sameSeed(stored, row.seed) &&
        existing.manufacturer === row.manufacturer &&
        existing.model === row.model &&
        existing.timeIntervalInSeconds === row.timeIntervalInSeconds &&
        existing.hashFunction === row.hashFunction;
      return same ? { kind: 'unchanged' } : { kind: 'error', reason: 'already in the inventory with a different seed or attributes' };
    }
    if (existing && !awaitsSeed(existing, context.seedOrigin)) {
      return { kind: 'error', reason: `already in the inventory as ${existing.status}; it is not imported again` };
    }
    if (!existing) {
      const inEntra = await entra.device(row.serialNumber);
      if (inEntra) return { kind: 'error', reason: 'already registered in Entra outside this system (for example by a portal CSV upload); not registered twice' };
    }
    let user: EntraUser | undefined;
    let privilegedApprovedBy: string | undefined;
    if (row.userPrincipalName) {
      user = accounts ? accounts.get(row.userPrincipalName.toLowerCase()) : await deps.directory.findUserByUpn(row.userPrincipalName);
      if (!user) return { kind: 'error', reason: `user ${row.userPrincipalName} not found in Entra` };
      const verdict = await deps.targets.check(user, { privilegedAllowed: context.privilegedAllowed === true });
      if (!verdict.ok) return { kind: 'error', reason: verdict.detail, code: verdict.refusal };
      if (verdict.privileged) {
        privilegedApprovedBy = context.actor;
        await deps.audit.record({ actor: context.actor, action: 'token.target.privileged', serialNumber: row.serialNumber, correlationId: context.correlationId, outcome: 'succeeded', detail: verdict.detail ?? 'privileged account' });
      }
    }

    // What describes the token, both in its inventory row and on its Key Vault secret.
    const description: SeedTags = {
      serialNumber: row.serialNumber,
      manufacturer: row.manufacturer,
      model: row.model,
      timeIntervalInSeconds: row.timeIntervalInSeconds,
      hashFunction: row.hashFunction,
      seedOrigin: context.seedOrigin,
    };
    let record: TokenRecord;
    let sameAsBefore = false;
    if (existing) {
      // A row left by an interrupted import takes this seed whole (origin, interval and hash follow it), and a
      // device that import registered holds the earlier seed (Entra never shows it), so it goes.
      const stored = isImporting(existing) ? await deps.seeds.get(existing.seedSecretName) : undefined;
      sameAsBefore = stored !== undefined && sameSeed(stored, row.seed) && sameDescription(existing, description);
      if (sameAsBefore) {
        record = existing;
      } else {
        const earlier = await entra.device(row.serialNumber);
        if (earlier && (earlier.status !== 'available' || earlier.assignedTo)) {
          return { kind: 'error', reason: `registered in Entra with an earlier seed and ${earlier.status}; not seeded again` };
        }
        if (earlier) await deps.directory.deleteDevice(earlier.id);
        const followed = await deps.inventory.replace({ ...existing, ...description, pool: row.pool, updatedAt: now(), lastChangeReason: 'import started again with another seed' });
        if (followed === 'conflict') return { kind: 'error', reason: 'changed by another request at the same time' };
        record = followed;
      }
    } else {
      const added = await deps.inventory.add({
        ...description,
        pool: row.pool,
        status: 'importing',
        seedSecretName: seedSecretName(row.serialNumber),
        createdAt: now(),
        updatedAt: now(),
        lastChangeReason: 'import started',
      });
      if (added === 'exists') return { kind: 'error', reason: 'being imported by another request at the same time' };
      record = added;
    }

    for (let generation = 0; ; generation++) {
      const stored = await deps.seeds.put(record.seedSecretName, row.seed, description);
      if (stored === 'stored') break;
      if (generation >= MAX_SEED_GENERATIONS) {
        await rollback(record);
        return { kind: 'error', reason: 'no free Key Vault secret name: earlier seeds of this serial are still soft-deleted' };
      }
      const renamed = await deps.inventory.replace({ ...record, seedSecretName: seedSecretName(row.serialNumber, generation + 1), updatedAt: now() });
      if (renamed === 'conflict') return { kind: 'error', reason: 'changed by another request at the same time' };
      record = renamed;
    }
    return { kind: 'pending', record, row, deviceMayExist: sameAsBefore, ...(user ? { user } : {}), ...(privilegedApprovedBy ? { privilegedApprovedBy } : {}) };
  };

  /** Undoes a row that cannot land: nothing of it may stay behind. */
  const rollback = async (record: TokenRecord, deviceId?: string): Promise<void> => {
    if (deviceId) await deps.directory.deleteDevice(deviceId);
    await deps.seeds.destroy(record.seedSecretName);
    await deps.inventory.remove(record);
  };

  /** Phase two, after the bulk registration: assign where asked, and record the device in the row. */
  const complete = async (pending: Extract<RowOutcome, { kind: 'pending' }>, device: EntraDevice): Promise<string | undefined> => {
    const { row, user } = pending;
    const reseeded = pending.record.status === 'quarantined';
    let record: TokenRecord = { ...withoutHolder(pending.record), status: 'in_stock', entraDeviceId: device.id, updatedAt: now(), lastChangeReason: reseeded ? 're-seeded and back in stock' : 'imported' };
    if (user) {
      try {
        if (deps.activationMode === 'auto') {
          await deps.directory.assignAndActivate(user.id, device.id, totpCode(row.seed, row.timeIntervalInSeconds, row.hashFunction, deps.clock.now()));
        } else {
          await deps.directory.assign(user.id, device.id);
        }
      } catch (error) {
        const reason = describe(error);
        await rollback(pending.record, device.id);
        return `not assigned to ${row.userPrincipalName}: ${reason}`;
      }
      record = {
        ...record,
        status: heldStatusFor(deps.activationMode),
        ...(deps.activationMode === 'handover' ? { handover: { site: record.pool, since: now() } } : {}),
        ...(deps.activationMode === 'auto' ? { activatedAt: now() } : {}),
        entraUserId: user.id,
        userPrincipalName: user.userPrincipalName,
        ...(user.displayName ? { displayName: user.displayName } : {}),
        ...(user.employeeId ? { employeeId: user.employeeId } : {}),
        ...(pending.privilegedApprovedBy ? { privilegedApprovedBy: pending.privilegedApprovedBy } : {}),
        lastChangeReason: `imported and assigned to ${user.userPrincipalName}`,
      };
    }
    const written = await deps.inventory.replace(record);
    if (written === 'conflict') throw new Error(`token ${row.serialNumber} changed while it was being imported`);
    return undefined;
  };

  const handleChunk = async (chunk: ImportRow[]): Promise<void> => {
    const existing = await mapWithLimit(chunk, concurrency, (row) => deps.inventory.get(row.serialNumber));
    await entra.cover(existing.filter(asksEntra).length);
    // The accounts the chunk names, a few to a request, rather than one read per row.
    const named = chunk.map((row) => row.userPrincipalName).filter((upn): upn is string => !!upn);
    const accounts = deps.userLookup && named.length > 0 ? await deps.userLookup.findUsersByUpn(named) : undefined;
    const outcomes = await mapWithLimit(chunk, concurrency, (row, index) => prepare(row, existing[index], accounts));
    const pending: Extract<RowOutcome, { kind: 'pending' }>[] = [];
    for (const [index, outcome] of outcomes.entries()) {
      const row = chunk[index] as ImportRow;
      if (outcome.kind === 'unchanged') summary.unchanged++;
      else if (outcome.kind === 'error') await reject(row, outcome.reason, outcome.code);
      else pending.push(outcome);
    }
    if (pending.length === 0) return;

    // A row resumed with the seed it started with may already have its device in Entra.
    const known = await mapWithLimit(pending, concurrency, async (p) => (p.deviceMayExist ? entra.device(p.row.serialNumber) : undefined));
    const toCreate = pending.filter((_, index) => !known[index]);
    const created = await deps.directory.createDevices(
      toCreate.map((p) => ({
        serialNumber: p.row.serialNumber,
        manufacturer: p.row.manufacturer,
        model: p.row.model,
        secretKey: p.row.seed,
        timeIntervalInSeconds: p.row.timeIntervalInSeconds,
        hashFunction: p.row.hashFunction,
      })),
    );
    const createdBySerial = new Map(toCreate.map((p, index) => [p.row.serialNumber, created[index]]));

    await mapWithLimit(pending, concurrency, async (p, index) => {
      const result = known[index] ? { ok: true as const, device: known[index] } : createdBySerial.get(p.row.serialNumber);
      if (!result || !result.ok) {
        await rollback(p.record);
        await reject(p.row, result ? describe(result.error) : 'Entra did not register it');
        return;
      }
      const problem = await complete(p, result.device);
      if (problem) {
        await reject(p.row, problem);
        return;
      }
      summary.imported++;
      options.onImported?.(p.row);
      await audit(p.row, 'succeeded', p.row.userPrincipalName ? `assigned to ${p.row.userPrincipalName}` : undefined);
    });
  };

  // Chunks overlap (a few at a time) so Key Vault stays busy while another chunk talks to Entra.
  const inFlight = new Set<Promise<void>>();
  let failure: Error | undefined;
  const launch = (rowsOfChunk: ImportRow[]): void => {
    const work = handleChunk(rowsOfChunk).then(
      () => options.onProgress?.(summary),
      (error: unknown) => {
        failure ??= error instanceof Error ? error : new Error('an import chunk failed');
      },
    );
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };

  let chunk: ImportRow[] = [];
  for await (const parsed of rows) {
    if (failure) break;
    if (!parsed.ok) {
      summary.errors.push(parsed.error);
      continue;
    }
    chunk.push(parsed.row);
    if (chunk.length >= chunkSize) {
      launch(chunk);
      chunk = [];
      while (inFlight.size >= chunksInFlight) await Promise.race(inFlight);
    }
  }
  if (chunk.length > 0 && !failure) launch(chunk);
  await Promise.all(inFlight);
  if (failure) throw failure;
  summary.errors.sort((a, b) => a.line - b.line);
  return summary;
}

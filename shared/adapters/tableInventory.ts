import { odata, type TableClient, type TableEntityResult } from '@azure/data-tables';
import type { HashFunction, TimeInterval } from '../domain/seed';
import { serialKey, type Handover, type RevokeReason, type SeedOrigin, type TokenRecord, type TokenStatus } from '../domain/token';
import { InvalidContinuationToken, type Inventory, type InventoryPage, type TokenFilter } from '../ports';
import { tableRows } from './tableRows';

/**
 * The inventory in Azure Table storage: one row per physical token in one partition (so imports can
 * write 100 rows per transaction), keyed by the upper-cased serial. Every write carries the ETag.
 */
const PARTITION = 'token';

interface TokenEntity {
  partitionKey: string;
  rowKey: string;
  serialNumber: string;
  manufacturer: string;
  model: string;
  timeIntervalInSeconds: number;
  hashFunction: string;
  seedOrigin: string;
  pool: string;
  status: string;
  seedSecretName: string;
  entraDeviceId?: string;
  employeeId?: string;
  entraUserId?: string;
  userPrincipalName?: string;
  /** The UPN lower-cased: UPNs compare without case, Table queries with it. */
  upnKey?: string;
  displayName?: string;
  revocationReason?: string;
  privilegedApprovedBy?: string;
  /** JSON of the Handover (site, since, shipment). */
  handover?: string;
  driftSteps?: number;
  lastCodeStep?: number;
  activatedAt?: string;
  createdAt: string;
  updatedAt: string;
  lastChangeReason: string;
}

function toEntity(record: TokenRecord): TokenEntity {
  return {
    partitionKey: PARTITION,
    rowKey: serialKey(record.serialNumber),
    serialNumber: record.serialNumber,
    manufacturer: record.manufacturer,
    model: record.model,
    timeIntervalInSeconds: record.timeIntervalInSeconds,
    hashFunction: record.hashFunction,
    seedOrigin: record.seedOrigin,
    pool: record.pool,
    status: record.status,
    seedSecretName: record.seedSecretName,
    // Replace semantics drop absent properties, so clearing a holder is just leaving it out.
    ...(record.entraDeviceId ? { entraDeviceId: record.entraDeviceId } : {}),
    ...(record.employeeId ? { employeeId: record.employeeId } : {}),
    ...(record.entraUserId ? { entraUserId: record.entraUserId } : {}),
    ...(record.userPrincipalName ? { userPrincipalName: record.userPrincipalName, upnKey: upnKey(record.userPrincipalName) } : {}),
    ...(record.displayName ? { displayName: record.displayName } : {}),
    ...(record.revocationReason ? { revocationReason: record.revocationReason } : {}),
    ...(record.privilegedApprovedBy ? { privilegedApprovedBy: record.privilegedApprovedBy } : {}),
    ...(record.handover ? { handover: JSON.stringify(record.handover) } : {}),
    ...(record.driftSteps !== undefined ? { driftSteps: record.driftSteps } : {}),
    ...(record.lastCodeStep !== undefined ? { lastCodeStep: record.lastCodeStep } : {}),
    ...(record.activatedAt ? { activatedAt: record.activatedAt } : {}),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    lastChangeReason: record.lastChangeReason,
  };
}

/** Earlier versions wrote a row being imported as in_stock without its device id: it is read as importing. */
const statusOf = (entity: TokenEntity): TokenStatus => (entity.status === 'in_stock' && !entity.entraDeviceId ? 'importing' : (entity.status as TokenStatus));

export function fromEntity(entity: TableEntityResult<TokenEntity>): TokenRecord {
  return {
    serialNumber: entity.serialNumber,
    manufacturer: entity.manufacturer,
    model: entity.model,
    timeIntervalInSeconds: entity.timeIntervalInSeconds as TimeInterval,
    hashFunction: entity.hashFunction as HashFunction,
    seedOrigin: entity.seedOrigin as SeedOrigin,
    pool: entity.pool ?? '',
    status: statusOf(entity),
    seedSecretName: entity.seedSecretName,
    ...(entity.entraDeviceId ? { entraDeviceId: entity.entraDeviceId } : {}),
    ...(entity.employeeId ? { employeeId: entity.employeeId } : {}),
    ...(entity.entraUserId ? { entraUserId: entity.entraUserId } : {}),
    ...(entity.userPrincipalName ? { userPrincipalName: entity.userPrincipalName } : {}),
    ...(entity.displayName ? { displayName: entity.displayName } : {}),
    ...(entity.revocationReason ? { revocationReason: entity.revocationReason as RevokeReason } : {}),
    ...(entity.privilegedApprovedBy ? { privilegedApprovedBy: entity.privilegedApprovedBy } : {}),
    ...(entity.handover ? { handover: JSON.parse(entity.handover) as Handover } : {}),
    ...(typeof entity.driftSteps === 'number' ? { driftSteps: entity.driftSteps } : {}),
    ...(typeof entity.lastCodeStep === 'number' ? { lastCodeStep: entity.lastCodeStep } : {}),
    ...(entity.activatedAt ? { activatedAt: entity.activatedAt } : {}),
    // A row written without createdAt (by hand, or another tool) arrived no later than the service's own Timestamp of it.
    createdAt: entity.createdAt ?? entity.timestamp ?? entity.updatedAt,
    updatedAt: entity.updatedAt,
    lastChangeReason: entity.lastChangeReason,
    ...(entity.etag ? { etag: entity.etag } : {}),
  };
}

const upnKey = (upn: string): string => upn.toLowerCase();

export function filterExpression(filter: TokenFilter): string {
  const clauses = [odata`PartitionKey eq ${PARTITION}`];
  // Stock is registered stock; importing takes in the rows earlier versions left in_stock without a device (read as importing, and the rest dropped by list).
  if (filter.status === 'importing') clauses.push(`(${odata`status eq ${'importing'}`} or ${odata`status eq ${'in_stock'}`})`);
  else if (filter.status) clauses.push(odata`status eq ${filter.status}`);
  if (filter.status === 'in_stock') clauses.push(`entraDeviceId gt ''`);
  if (filter.pool !== undefined) clauses.push(odata`pool eq ${filter.pool}`);
  // A row without the property never compares true, so this also leaves out rows that never had one.
  if (filter.registered) clauses.push(`entraDeviceId gt ''`);
  if (filter.user) {
    // userPrincipalName itself still matches rows written before upnKey existed.
    clauses.push(
      `(${odata`employeeId eq ${filter.user}`} or ${odata`upnKey eq ${upnKey(filter.user)}`} or ${odata`userPrincipalName eq ${filter.user}`} or ${odata`entraUserId eq ${filter.user}`})`,
    );
  }
  return clauses.join(' and ');
}

/** A key as the Table service hands them out: printable ASCII, bounded. */
const CONTINUATION_KEY = /^[\x20-\x7e]{1,1024}$/;
const MAX_CONTINUATION_TOKEN_LENGTH = 4096;

/**
 * Checks a continuation token before the SDK decodes it: base64 of the JSON object
 * {nextPartitionKey, nextRowKey?} with string keys, as @azure/data-tables encodes it. Anything else
 * (`null`, numbers, other fields) would make the SDK or the service fail with a 500.
 */
export function checkContinuationToken(token: string): void {
  if (token.length > MAX_CONTINUATION_TOKEN_LENGTH || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(token)) throw new InvalidContinuationToken();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64').toString('latin1'));
  } catch {
    throw new InvalidContinuationToken();
  }
  if (!decoded || typeof decoded !== 'object' || Array.isArray(decoded)) throw new InvalidContinuationToken();
  const { nextPartitionKey, nextRowKey, ...rest } = decoded as Record<string, unknown>;
  const isKey = (value: unknown): boolean => typeof value === 'string' && CONTINUATION_KEY.test(value);
  if (Object.keys(rest).length > 0 || !isKey(nextPartitionKey) || (nextRowKey !== undefined && !isKey(nextRowKey))) throw new InvalidContinuationToken();
}

/** Table pages one list call reads at most while the rows it finds are all filtered out. */
const MAX_EMPTY_PAGES = 10;

export function tableInventory(table: TableClient): Inventory {
  const rows = tableRows(table, toEntity, fromEntity);
  const { ensureTable } = rows;

  return {
    get: (serialNumber) => rows.get(PARTITION, serialKey(serialNumber)),
    add: (record) => rows.add(record),
    replace: (record) => rows.replace(record),
    remove: (record) => rows.remove(record),

    async list(filter, page): Promise<InventoryPage> {
      if (page.continuationToken !== undefined) checkContinuationToken(page.continuationToken);
      await ensureTable();
      const pages = table
        .listEntities<TokenEntity>({ queryOptions: { filter: filterExpression(filter) } })
        .byPage({ maxPageSize: page.pageSize, ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}) });
      // The importing filter reads stock too and drops it here: a page left empty moves on, a few pages at most.
      for (let read = 1; ; read++) {
        const next = await pages.next();
        if (next.done) return { tokens: [] };
        const result = next.value;
        const tokens = result.map(fromEntity).filter((token) => filter.status === undefined || token.status === filter.status);
        if (tokens.length > 0 || !result.continuationToken || read >= MAX_EMPTY_PAGES) {
          return { tokens, ...(result.continuationToken ? { continuationToken: result.continuationToken } : {}) };
        }
      }
    },
  };
}

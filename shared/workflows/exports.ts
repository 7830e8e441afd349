import { csvLine } from '../domain/csv';
import { redactSeeds } from '../domain/seed';
import type { TokenRecord } from '../domain/token';
import type { AuditQuery, AuditRecord, AuditTrail, Inventory, TokenFilter } from '../ports';

/**
 * CSV exports of the inventory and the audit trail, for auditors: a page of the store at a time, each
 * page turned into text and handed on before the next is read, so memory stays flat however many rows
 * there are. Only what the list APIs show: never a seed or a pass (free text is redacted as well).
 */

/** Rows read per page: the Table service's largest page. */
export const EXPORT_PAGE_SIZE = 1000;

export const TOKEN_COLUMNS = [
  'serialNumber',
  'manufacturer',
  'model',
  'timeIntervalInSeconds',
  'hashFunction',
  'seedOrigin',
  'pool',
  'status',
  'registeredInEntra',
  'entraDeviceId',
  'employeeId',
  'userPrincipalName',
  'displayName',
  'entraUserId',
  'revocationReason',
  'handoverSite',
  'driftSteps',
  'activatedAt',
  'createdAt',
  'updatedAt',
  'lastChangeReason',
] as const;

export const AUDIT_COLUMNS = ['at', 'actor', 'callerName', 'action', 'outcome', 'serialNumber', 'employeeId', 'correlationId', 'detail'] as const;

const tokenLine = (t: TokenRecord): string =>
  csvLine([
    t.serialNumber,
    t.manufacturer,
    t.model,
    t.timeIntervalInSeconds,
    t.hashFunction,
    t.seedOrigin,
    t.pool,
    t.status,
    t.entraDeviceId !== undefined,
    t.entraDeviceId,
    t.employeeId,
    t.userPrincipalName,
    t.displayName,
    t.entraUserId,
    t.revocationReason,
    t.handover?.site,
    t.driftSteps,
    t.activatedAt,
    t.createdAt,
    t.updatedAt,
    redactSeeds(t.lastChangeReason),
  ]);

const auditLine = (e: AuditRecord): string => csvLine([e.at, e.actor, e.caller?.name, e.action, e.outcome, e.serialNumber, e.employeeId, e.correlationId, e.detail === undefined ? undefined : redactSeeds(e.detail)]);

/** One chunk of CSV text per store page; the header is its own first chunk. */
export async function* tokensCsv(inventory: Pick<Inventory, 'list'>, filter: TokenFilter): AsyncGenerator<string> {
  yield csvLine(TOKEN_COLUMNS);
  let continuationToken: string | undefined;
  do {
    const page = await inventory.list(filter, { pageSize: EXPORT_PAGE_SIZE, ...(continuationToken ? { continuationToken } : {}) });
    if (page.tokens.length > 0) yield page.tokens.map(tokenLine).join('');
    continuationToken = page.continuationToken;
  } while (continuationToken);
}

export async function* auditCsv(trail: AuditTrail, query: AuditQuery): AsyncGenerator<string> {
  yield csvLine(AUDIT_COLUMNS);
  let continuationToken: string | undefined;
  do {
    const page = await trail.find(query, { pageSize: EXPORT_PAGE_SIZE, ...(continuationToken ? { continuationToken } : {}) });
    if (page.entries.length > 0) yield page.entries.map(auditLine).join('');
    continuationToken = page.continuationToken;
  } while (continuationToken);
}

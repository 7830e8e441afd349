import { randomUUID } from 'node:crypto';
import { odata, type TableClient, type TableEntityResult } from '@azure/data-tables';
import type { AuditLog, AuditQuery, AuditRecord, AuditTrail, Clock } from '../ports';
import { createdOnce } from './createdOnce';
import { checkContinuationToken } from './tableInventory';

interface AuditEntity {
  at: string;
  actor: string;
  action: string;
  outcome: AuditRecord['outcome'];
  serialNumber?: string;
  employeeId?: string;
  correlationId?: string;
  detail?: string;
  callerOid?: string;
  callerTenantId?: string;
  callerAppId?: string;
  callerName?: string;
}

function fromEntity(entity: TableEntityResult<AuditEntity>): AuditRecord {
  return {
    at: entity.at,
    actor: entity.actor,
    action: entity.action,
    outcome: entity.outcome,
    ...(entity.serialNumber ? { serialNumber: entity.serialNumber } : {}),
    ...(entity.employeeId ? { employeeId: entity.employeeId } : {}),
    ...(entity.correlationId ? { correlationId: entity.correlationId } : {}),
    ...(entity.detail ? { detail: entity.detail } : {}),
    // The admin's name kept with the entry, so the audit shows a person and keeps the id beside it.
    ...(entity.callerOid
      ? { caller: { oid: entity.callerOid, ...(entity.callerTenantId ? { tenantId: entity.callerTenantId } : {}), ...(entity.callerAppId ? { appId: entity.callerAppId } : {}), ...(entity.callerName ? { name: entity.callerName } : {}) } }
      : {}),
  };
}

/** Partitions are months and rows start with the time, so `since` and `until` bound both keys and the scan stays between them. */
function filterOf(query: AuditQuery): string | undefined {
  const clauses: string[] = [];
  if (query.since) clauses.push(odata`PartitionKey ge ${query.since.slice(0, 7)}`, odata`RowKey ge ${query.since}`);
  if (query.until) clauses.push(odata`PartitionKey le ${query.until.slice(0, 7)}`, odata`RowKey lt ${query.until}`);
  // A family is every action under it: "." is followed by "/" in code-point order, so [X., X/) is X.*.
  if (query.action) clauses.push(odata`(action eq ${query.action} or (action ge ${`${query.action}.`} and action lt ${`${query.action}/`}))`);
  if (query.serialNumber) clauses.push(odata`serialNumber eq ${query.serialNumber}`);
  if (query.employeeId) clauses.push(odata`employeeId eq ${query.employeeId}`);
  return clauses.length > 0 ? clauses.join(' and ') : undefined;
}

/**
 * The audit trail in Table storage: one partition per month, rows keyed by time then a random id,
 * only ever added (never updated or deleted by the app).
 */
export function tableAuditLog(table: TableClient, clock: Clock): AuditLog & AuditTrail {
  const ensureTable = createdOnce(() => table.createTable());
  return {
    async record(entry) {
      await ensureTable();
      const at = clock.now().toISOString();
      await table.createEntity({
        partitionKey: at.slice(0, 7),
        rowKey: `${at}_${randomUUID()}`,
        at,
        actor: entry.actor,
        action: entry.action,
        outcome: entry.outcome,
        ...(entry.serialNumber ? { serialNumber: entry.serialNumber } : {}),
        ...(entry.employeeId ? { employeeId: entry.employeeId } : {}),
        ...(entry.correlationId ? { correlationId: entry.correlationId } : {}),
        ...(entry.callerCorrelationId ? { callerCorrelationId: entry.callerCorrelationId } : {}),
        ...(entry.caller
          ? {
              callerOid: entry.caller.oid,
              ...(entry.caller.tenantId ? { callerTenantId: entry.caller.tenantId } : {}),
              ...(entry.caller.appId ? { callerAppId: entry.caller.appId } : {}),
              ...(entry.caller.name ? { callerName: entry.caller.name.slice(0, 256) } : {}),
            }
          : {}),
        ...(entry.detail ? { detail: entry.detail.slice(0, 4000) } : {}),
      });
    },

    async find(query, page) {
      if (page.continuationToken !== undefined) checkContinuationToken(page.continuationToken);
      await ensureTable();
      const filter = filterOf(query);
      const pages = table
        .listEntities<AuditEntity>(filter ? { queryOptions: { filter } } : {})
        .byPage({ maxPageSize: page.pageSize, ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}) });
      const next = await pages.next();
      if (next.done) return { entries: [] };
      return { entries: next.value.map(fromEntity), ...(next.value.continuationToken ? { continuationToken: next.value.continuationToken } : {}) };
    },
  };
}

import { odata, type TableClient, type TableEntityResult } from '@azure/data-tables';
import type { ProvisioningKind, ProvisioningListing, ProvisioningRecord, ProvisioningScan, ProvisioningStatus, ProvisioningStore } from '../ports';
import { checkContinuationToken } from './tableInventory';
import { tableRows } from './tableRows';

/**
 * Provisioning records in Table storage: partition = employee id, row = 'joiner' | 'leaver', so one
 * partition read answers everything about an employee. Every write carries the ETag.
 */

interface ProvisioningEntity {
  partitionKey: string;
  rowKey: string;
  status: string;
  step?: string;
  serialNumber?: string;
  entraUserId?: string;
  userPrincipalName?: string;
  displayName?: string;
  reason?: string;
  attempts: number;
  /** JSON array: Table storage has no list type. */
  eventIds: string;
  hireDate?: string;
  terminationDate?: string;
  location?: string;
  note?: string;
  refusal?: string;
  approvedFor?: string;
  approvedBy?: string;
  createdAt: string;
  updatedAt: string;
}

const OPTIONAL_FIELDS = ['step', 'serialNumber', 'entraUserId', 'userPrincipalName', 'displayName', 'reason', 'hireDate', 'terminationDate', 'location', 'note', 'refusal', 'approvedFor', 'approvedBy'] as const;

/** Admin-readable text stays well inside a Table property's 64 KB. */
const MAX_TEXT = 2000;

function toEntity(record: ProvisioningRecord): ProvisioningEntity {
  const entity: ProvisioningEntity = {
    partitionKey: record.employeeId,
    rowKey: record.kind,
    status: record.status,
    attempts: record.attempts,
    eventIds: JSON.stringify(record.eventIds),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
  // Replace semantics drop absent properties, so clearing a field is leaving it out.
  for (const field of OPTIONAL_FIELDS) {
    const value = record[field];
    if (value) entity[field] = value.slice(0, MAX_TEXT);
  }
  return entity;
}

function parseEventIds(text: string | undefined): string[] {
  try {
    const parsed: unknown = JSON.parse(text ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

function fromEntity(entity: TableEntityResult<ProvisioningEntity>): ProvisioningRecord {
  const record: ProvisioningRecord = {
    employeeId: entity.partitionKey ?? '',
    kind: entity.rowKey as ProvisioningKind,
    status: entity.status as ProvisioningStatus,
    attempts: entity.attempts ?? 0,
    eventIds: parseEventIds(entity.eventIds),
    createdAt: entity.createdAt,
    updatedAt: entity.updatedAt,
    ...(entity.etag ? { etag: entity.etag } : {}),
  };
  for (const field of OPTIONAL_FIELDS) {
    const value = entity[field];
    if (value) record[field] = value;
  }
  return record;
}

export function tableProvisioning(table: TableClient): ProvisioningStore & ProvisioningScan & ProvisioningListing {
  const rows = tableRows(table, toEntity, fromEntity);
  const { ensureTable } = rows;

  return {
    async *pages(pageSize = 1000) {
      await ensureTable();
      for await (const page of table.listEntities<ProvisioningEntity>().byPage({ maxPageSize: pageSize })) {
        yield page.map(fromEntity);
      }
    },

    get: (employeeId, kind) => rows.get(employeeId, kind),

    async list(employeeId) {
      await ensureTable();
      const records: ProvisioningRecord[] = [];
      for await (const entity of table.listEntities<ProvisioningEntity>({ queryOptions: { filter: odata`PartitionKey eq ${employeeId}` } })) {
        records.push(fromEntity(entity));
      }
      return records;
    },

    async leaversNaming(entraUserId) {
      await ensureTable();
      // Table storage has no secondary index: a filtered scan, done by the service. Object ids are compared as written and in lower case (Graph's form).
      const ids = [...new Set([entraUserId, entraUserId.toLowerCase()])];
      const filter = `${odata`RowKey eq ${'leaver'}`} and (${ids.map((id) => odata`entraUserId eq ${id}`).join(' or ')})`;
      const records: ProvisioningRecord[] = [];
      for await (const entity of table.listEntities<ProvisioningEntity>({ queryOptions: { filter } })) records.push(fromEntity(entity));
      return records;
    },

    async find(filter, page) {
      if (page.continuationToken !== undefined) checkContinuationToken(page.continuationToken);
      await ensureTable();
      const clauses = [
        ...(filter.kind ? [odata`RowKey eq ${filter.kind}`] : []),
        ...(filter.status ? [odata`status eq ${filter.status}`] : []),
      ];
      const pages = table
        .listEntities<ProvisioningEntity>(clauses.length > 0 ? { queryOptions: { filter: clauses.join(' and ') } } : {})
        .byPage({ maxPageSize: page.pageSize, ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}) });
      const next = await pages.next();
      if (next.done) return { records: [] };
      return { records: next.value.map(fromEntity), ...(next.value.continuationToken ? { continuationToken: next.value.continuationToken } : {}) };
    },

    add: (record) => rows.add(record),
    replace: (record) => rows.replace(record),
  };
}

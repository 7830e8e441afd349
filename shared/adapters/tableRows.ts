import type { TableClient, TableEntity, TableEntityResult } from '@azure/data-tables';
import { statusOf } from './sdkErrors';
import { createdOnce } from './createdOnce';

/**
 * Reads and ETag-conditional writes of one kind of record in a table, shared by the adapters that
 * keep state other workers change at the same time: a stale write answers 'conflict', never overwrites.
 */
export interface TableRows<Row extends { etag?: string }> {
  readonly ensureTable: () => Promise<void>;
  get(partitionKey: string, rowKey: string): Promise<Row | undefined>;
  add(row: Row): Promise<Row | 'exists'>;
  replace(row: Row): Promise<Row | 'conflict'>;
  remove(row: Row): Promise<'removed' | 'conflict'>;
}

export function tableRows<Row extends { etag?: string }, Entity extends object>(
  table: TableClient,
  toEntity: (row: Row) => TableEntity<Entity>,
  fromEntity: (entity: TableEntityResult<Entity>) => Row,
): TableRows<Row> {
  const ensureTable = createdOnce(() => table.createTable());
  const withEtag = (row: Row, etag: string | undefined): Row => ({ ...row, ...(etag ? { etag } : {}) });

  return {
    ensureTable,

    async get(partitionKey, rowKey) {
      await ensureTable();
      try {
        return fromEntity(await table.getEntity<Entity>(partitionKey, rowKey));
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },

    async add(row) {
      await ensureTable();
      try {
        return withEtag(row, (await table.createEntity(toEntity(row))).etag);
      } catch (error) {
        if (statusOf(error) === 409) return 'exists';
        throw error;
      }
    },

    async replace(row) {
      if (!row.etag) throw new Error('replace needs the ETag of the row it read');
      await ensureTable();
      try {
        return withEtag(row, (await table.updateEntity(toEntity(row), 'Replace', { etag: row.etag })).etag);
      } catch (error) {
        if (statusOf(error) === 412 || statusOf(error) === 404) return 'conflict';
        throw error;
      }
    },

    async remove(row) {
      if (!row.etag) throw new Error('remove needs the ETag of the row it read');
      await ensureTable();
      const entity = toEntity(row);
      try {
        await table.deleteEntity(entity.partitionKey, entity.rowKey, { etag: row.etag });
        return 'removed';
      } catch (error) {
        if (statusOf(error) === 412 || statusOf(error) === 404) return 'conflict';
        throw error;
      }
    },
  };
}

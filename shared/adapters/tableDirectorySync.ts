import { odata, type TableClient } from '@azure/data-tables';
import type { DirectorySyncStore, WatchedUser } from '../ports';
import { createdOnce } from './createdOnce';
import { statusOf } from './sdkErrors';

/**
 * Directory sync's state in Table storage: the users/delta cursor (one row) and the users whose hire,
 * leave or disabled grace is still ahead (one row each, keyed by Entra object id). Every write is
 * conditional on the row's ETag, like the inventory's.
 */

const CURSOR = { partitionKey: 'cursor', rowKey: 'usersDelta' };
const WATCH = 'watch';

interface CursorEntity {
  partitionKey: string;
  rowKey: string;
  link: string;
}

interface WatchEntity {
  partitionKey: string;
  rowKey: string;
  facts: string;
}

const ignoreConflict = (error: unknown): void => {
  // Another run wrote or removed the row first; it derived the same facts from Entra.
  if (statusOf(error) !== 409 && statusOf(error) !== 412 && statusOf(error) !== 404) throw error;
};

export function tableDirectorySync(table: TableClient): DirectorySyncStore {
  const ensureTable = createdOnce(() => table.createTable());
  return {
    async cursor() {
      await ensureTable();
      try {
        const row = await table.getEntity<CursorEntity>(CURSOR.partitionKey, CURSOR.rowKey);
        return { link: row.link, ...(row.etag ? { etag: row.etag } : {}) };
      } catch (error) {
        if (statusOf(error) === 404) return {};
        throw error;
      }
    },

    async saveCursor(link, etag) {
      await ensureTable();
      try {
        const written = etag ? await table.updateEntity({ ...CURSOR, link }, 'Replace', { etag }) : await table.createEntity({ ...CURSOR, link });
        return { etag: written.etag ?? '' };
      } catch (error) {
        if (statusOf(error) === 409 || statusOf(error) === 412 || statusOf(error) === 404) return 'conflict';
        throw error;
      }
    },

    async watched() {
      await ensureTable();
      const users: WatchedUser[] = [];
      for await (const row of table.listEntities<WatchEntity>({ queryOptions: { filter: odata`PartitionKey eq ${WATCH}` } })) {
        users.push({ ...(JSON.parse(row.facts) as WatchedUser), userId: row.rowKey, ...(row.etag ? { etag: row.etag } : {}) });
      }
      return users;
    },

    async watch(user) {
      await ensureTable();
      const { etag, ...facts } = user;
      const entity = { partitionKey: WATCH, rowKey: user.userId, facts: JSON.stringify(facts) };
      try {
        if (etag) await table.updateEntity(entity, 'Replace', { etag });
        else await table.createEntity(entity);
      } catch (error) {
        ignoreConflict(error);
      }
    },

    async unwatch(user) {
      if (!user.etag) return;
      await ensureTable();
      try {
        await table.deleteEntity(WATCH, user.userId, { etag: user.etag });
      } catch (error) {
        ignoreConflict(error);
      }
    },
  };
}

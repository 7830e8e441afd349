import { odata, type TableClient, type TableEntityResult } from '@azure/data-tables';
import type { ClaimedSlot, Clock, SlotClaims } from '../ports';
import { createdOnce } from './createdOnce';
import { statusOf } from './sdkErrors';

/**
 * Claims in Table storage that hold across instances: one partition per key, a fixed set of rows
 * `slot-0`..`slot-{limit-1}`, each taken until a time. A slot is taken by creating its row, or by an
 * ETag-conditional replace of one whose time has passed, so two instances can never take the same slot,
 * a key never has more than `limit` at once, and a slot whose holder crashed is free once its time passes.
 */

interface SlotEntity {
  partitionKey: string;
  rowKey: string;
  /** ISO time after which the slot is free. */
  until: string;
  /** What the holder is doing with it, for whoever reads the table ('in_progress', 'failed'). */
  state: string;
}

/** A key as a PartitionKey: base64url never holds the characters Table storage forbids there (/ \ # ?). */
const partitionOf = (key: string): string => Buffer.from(key, 'utf8').toString('base64url').slice(0, 512);

export interface TableSlot extends ClaimedSlot {
  /** As ClaimedSlot.holdAgain, marking the row with `state`. */
  holdAgain(state?: string): Promise<boolean>;
}

/** SlotClaims, whose slots can also mark their row. */
export interface TableSlotClaims extends SlotClaims {
  claim(key: string): Promise<{ ok: true; slot: TableSlot } | { ok: false; retryAfterSeconds: number }>;
}

export function tableSlots(table: TableClient, clock: Clock, settings: { limit: number; holdMs: number }): TableSlotClaims {
  const ensureTable = createdOnce(() => table.createTable());
  const untilFromNow = () => new Date(clock.now().getTime() + settings.holdMs).toISOString();
  const slotOf = (partitionKey: string, rowKey: string, etag: string): TableSlot => {
    let taken = etag;
    return {
      async holdAgain(state = 'in_progress') {
        try {
          taken = (await table.updateEntity<SlotEntity>({ partitionKey, rowKey, until: untilFromNow(), state }, 'Replace', { etag: taken })).etag ?? '';
          return true;
        } catch (error) {
          // Held past its time and taken by another (412), or given back meanwhile (404): no longer this holder's.
          if (statusOf(error) !== 412 && statusOf(error) !== 404) throw error;
          return false;
        }
      },
      async release() {
        try {
          await table.deleteEntity(partitionKey, rowKey, { etag: taken });
        } catch (error) {
          if (statusOf(error) !== 412 && statusOf(error) !== 404) throw error;
        }
      },
    };
  };

  return {
    async claim(key) {
      await ensureTable();
      const partitionKey = partitionOf(key);
      const now = clock.now();
      const until = untilFromNow();
      const rows = new Map<string, TableEntityResult<SlotEntity>>();
      for await (const row of table.listEntities<SlotEntity>({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey}` } })) rows.set(row.rowKey ?? '', row);
      for (let i = 0; i < settings.limit; i++) {
        const rowKey = `slot-${i}`;
        const row = rows.get(rowKey);
        try {
          if (!row) {
            const created = await table.createEntity<SlotEntity>({ partitionKey, rowKey, until, state: 'in_progress' });
            return { ok: true, slot: slotOf(partitionKey, rowKey, created.etag ?? '') };
          }
          if (Date.parse(row.until) <= now.getTime()) {
            const replaced = await table.updateEntity<SlotEntity>({ partitionKey, rowKey, until, state: 'in_progress' }, 'Replace', { etag: row.etag });
            return { ok: true, slot: slotOf(partitionKey, rowKey, replaced.etag ?? '') };
          }
        } catch (error) {
          // Another instance took this slot between the read and the write: try the next one.
          if (statusOf(error) !== 409 && statusOf(error) !== 412 && statusOf(error) !== 404) throw error;
        }
      }
      const soonest = Math.min(...[...rows.values()].map((row) => Date.parse(row.until)).filter((t) => Number.isFinite(t)));
      const seconds = Number.isFinite(soonest) ? Math.ceil((soonest - now.getTime()) / 1000) : 60;
      return { ok: false, retryAfterSeconds: Math.max(1, seconds) };
    },
  };
}

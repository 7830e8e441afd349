import { odata, type TableClient, type TableEntityResult } from '@azure/data-tables';
import type { Clock, IntakeFailureLimit, IntakeSlot } from '../ports';
import { createdOnce } from './createdOnce';
import { statusOf } from './sdkErrors';

/**
 * The failed-intake budget in Table storage, so that it holds across instances: one partition per
 * caller, a fixed set of rows `slot-0`..`slot-{limit-1}`, each taken until a time. A slot is taken by
 * creating its row, or by an ETag-conditional replace of one whose time has passed, so two instances
 * can never take the same slot and a caller can never have more than `limit` at once.
 */

interface SlotEntity {
  partitionKey: string;
  rowKey: string;
  /** ISO time after which the slot is free. */
  until: string;
  state: 'in_progress' | 'failed';
}

const INTAKE_FAILURE_WINDOW_MS = 60 * 60 * 1000;

/** A caller id as a PartitionKey: base64url never holds the characters Table storage forbids there (/ \ # ?). */
const partitionOf = (callerId: string): string => Buffer.from(callerId, 'utf8').toString('base64url').slice(0, 512);

export function tableIntakeFailures(table: TableClient, clock: Clock, limit: number): IntakeFailureLimit {
  const ensureTable = createdOnce(() => table.createTable());
  const slotOf = (partitionKey: string, rowKey: string, taken: { etag: string }): IntakeSlot => ({
    async failed() {
      const until = new Date(clock.now().getTime() + INTAKE_FAILURE_WINDOW_MS).toISOString();
      try {
        await table.updateEntity<SlotEntity>({ partitionKey, rowKey, until, state: 'failed' }, 'Replace', { etag: taken.etag });
      } catch (error) {
        // Held past its hour and taken by another intake: that one counts against the caller now.
        if (statusOf(error) !== 412 && statusOf(error) !== 404) throw error;
      }
    },
    async release() {
      try {
        await table.deleteEntity(partitionKey, rowKey, { etag: taken.etag });
      } catch (error) {
        if (statusOf(error) !== 412 && statusOf(error) !== 404) throw error;
      }
    },
  });

  return {
    async claim(callerId) {
      await ensureTable();
      const partitionKey = partitionOf(callerId);
      const now = clock.now();
      const until = new Date(now.getTime() + INTAKE_FAILURE_WINDOW_MS).toISOString();
      const rows = new Map<string, TableEntityResult<SlotEntity>>();
      for await (const row of table.listEntities<SlotEntity>({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey}` } })) rows.set(row.rowKey ?? '', row);
      for (let i = 0; i < limit; i++) {
        const rowKey = `slot-${i}`;
        const row = rows.get(rowKey);
        try {
          if (!row) {
            const created = await table.createEntity<SlotEntity>({ partitionKey, rowKey, until, state: 'in_progress' });
            return { ok: true, slot: slotOf(partitionKey, rowKey, { etag: created.etag ?? '' }) };
          }
          if (Date.parse(row.until) <= now.getTime()) {
            const replaced = await table.updateEntity<SlotEntity>({ partitionKey, rowKey, until, state: 'in_progress' }, 'Replace', { etag: row.etag });
            return { ok: true, slot: slotOf(partitionKey, rowKey, { etag: replaced.etag ?? '' }) };
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

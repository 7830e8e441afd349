import type { TableClient } from '@azure/data-tables';
import type { BudgetStore, SharedBudget } from './graphPacing';
import { tableRows } from './tableRows';

/**
 * The app's Graph budget in one table row that every instance reads and writes with ETags (a stale
 * write answers 412 and is done again over the fresh row), so instances coming and going share it.
 */

type BudgetEntity = { [K in keyof SharedBudget]: SharedBudget[K] };
type BudgetRow = SharedBudget & { etag?: string };

const PARTITION = 'graph';
/** Tries of one change before the contention is reported as a failure (the pacer then paces alone a while). */
const MAX_TRIES = 20;

export function tableGraphBudget(table: TableClient, appKey: string): BudgetStore {
  const rowKey = appKey.replace(/[^0-9A-Za-z-]/g, '-') || 'app';
  const rows = tableRows<BudgetRow, BudgetEntity>(
    table,
    ({ etag: _etag, ...budget }) => ({ partitionKey: PARTITION, rowKey, ...budget }),
    (entity) => ({
      rate: Number(entity.rate),
      tat: Number(entity.tat),
      pauseUntil: Number(entity.pauseUntil),
      changedAt: Number(entity.changedAt),
      cutAt: Number(entity.cutAt),
      easedAt: Number(entity.easedAt),
      climbing: entity.climbing === true,
      limitSeen: Number(entity.limitSeen),
      ...(entity.etag ? { etag: entity.etag } : {}),
    }),
  );
  const plain = (row: BudgetRow | undefined): SharedBudget | undefined => {
    if (!row) return undefined;
    const { etag: _etag, ...budget } = row;
    return budget;
  };
  return {
    async update(change) {
      for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
        const current = await rows.get(PARTITION, rowKey);
        const next = change(plain(current));
        if (!next) return plain(current);
        const written = current ? await rows.replace({ ...next, ...(current.etag ? { etag: current.etag } : {}) }) : await rows.add(next);
        if (written !== 'conflict' && written !== 'exists') return plain(written);
      }
      throw new Error(`the Graph budget row stayed contended over ${MAX_TRIES} tries`);
    },
  };
}

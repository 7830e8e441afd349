/** The numbers of the Overview's unused and ageing charts, from the latest report, the token list and GET /api/reports/ageing. */

export interface UnusedItem {
  kind: string;
  serialNumber?: string;
}

export interface AgeingPool {
  pool: string;
  pastLife: { inUse: number; inStock: number };
  months: { month: string; inUse: number; inStock: number }[];
}

/** Unused tokens the report lists, per pool of the token ('' is the shared pool; '?' when the token is not in the list read). */
export function unusedByPool(items: readonly UnusedItem[], tokens: readonly { serialNumber: string; pool: string }[]): { pool: string; unused: number }[] {
  const poolOf = new Map(tokens.map((t) => [t.serialNumber.toUpperCase(), t.pool]));
  const counts = new Map<string, number>();
  for (const item of items) {
    if (item.kind !== 'unused' || !item.serialNumber) continue;
    const pool = poolOf.get(item.serialNumber.toUpperCase()) ?? '?';
    counts.set(pool, (counts.get(pool) ?? 0) + 1);
  }
  return [...counts.entries()].map(([pool, unused]) => ({ pool, unused })).sort((a, b) => a.pool.localeCompare(b.pool));
}

/** Tokens reaching their end per month, all pools together; the first entry is those already past it. */
export function ageingByMonth(pools: readonly AgeingPool[]): { month: string; inUse: number; inStock: number }[] {
  const past = { month: 'past life', inUse: 0, inStock: 0 };
  const months = new Map<string, { month: string; inUse: number; inStock: number }>();
  for (const pool of pools) {
    past.inUse += pool.pastLife.inUse;
    past.inStock += pool.pastLife.inStock;
    for (const m of pool.months) {
      const entry = months.get(m.month) ?? { month: m.month, inUse: 0, inStock: 0 };
      entry.inUse += m.inUse;
      entry.inStock += m.inStock;
      months.set(m.month, entry);
    }
  }
  return [past, ...[...months.values()].sort((a, b) => a.month.localeCompare(b.month))];
}

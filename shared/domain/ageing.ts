import { instantOf } from './hrEvent';
import type { TokenRecord, TokenStatus } from './token';

/**
 * Ageing, pure: a token serves a number of months from its arrival (TOKEN_SERVICE_LIFE_MONTHS, or its
 * model's), after which it is counted as gone: a classic token's battery cannot be changed. The forecast
 * counts, per pool and month, the tokens in use and in stock whose life ends then.
 */

export interface ServiceLife {
  months: number;
  /** Model (lower-cased) -> months. */
  byModel: Readonly<Record<string, number>>;
}

export const lifeMonthsOf = (model: string, life: ServiceLife): number => life.byModel[model.toLowerCase()] ?? life.months;

/** `at` plus `months` calendar months, the day kept (or the month's last day when it has fewer). */
export function addMonths(at: Date, months: number): Date {
  const target = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + months, 1, at.getUTCHours(), at.getUTCMinutes(), at.getUTCSeconds(), at.getUTCMilliseconds()));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(at.getUTCDate(), lastDay));
  return target;
}

/** When the token arrived: its row's creation (the import). */
export const arrivedAt = (token: Pick<TokenRecord, 'createdAt'>): Date => instantOf(token.createdAt);

export const endOfLife = (token: Pick<TokenRecord, 'createdAt' | 'model'>, life: ServiceLife): Date => addMonths(arrivedAt(token), lifeMonthsOf(token.model, life));

export const pastLife = (token: Pick<TokenRecord, 'createdAt' | 'model'>, now: Date, life: ServiceLife): boolean => endOfLife(token, life).getTime() <= now.getTime();

const IN_USE: readonly TokenStatus[] = ['reserved', 'assigned', 'awaiting_handover', 'active', 'suspended'];

/** What the forecast counts a token as: in use, in stock (registered, free), or neither (gone, revoked, set aside, importing). */
export function ageingUse(token: Pick<TokenRecord, 'status' | 'entraDeviceId'>): 'inUse' | 'inStock' | undefined {
  if (IN_USE.includes(token.status)) return 'inUse';
  if (token.status === 'in_stock' && token.entraDeviceId) return 'inStock';
  return undefined;
}

export interface AgeingCounts {
  inUse: number;
  inStock: number;
}

export interface PoolAgeing {
  pool: string;
  /** Tokens counted now. */
  total: AgeingCounts;
  /** Already past their life: counted as gone by the low-stock warning. */
  pastLife: AgeingCounts;
  /** Tokens whose life ends in each month of the horizon (YYYY-MM, this month first); months with none are listed too. */
  months: ({ month: string } & AgeingCounts)[];
  /** Stock that is still within its life at the horizon's end. */
  inStockAfterHorizon: number;
}

export interface AgeingReport {
  generatedAt: string;
  horizonMonths: number;
  serviceLife: ServiceLife;
  pools: PoolAgeing[];
}

export const monthOf = (at: Date): string => at.toISOString().slice(0, 7);

/** Adds tokens to per-pool counters; memory grows with pools and months, never with tokens. */
export function ageingTally(now: Date, horizonMonths: number, life: ServiceLife) {
  const months = Array.from({ length: horizonMonths }, (_, i) => monthOf(addMonths(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)), i)));
  const index = new Map(months.map((month, i) => [month, i]));
  const pools = new Map<string, PoolAgeing>();
  const poolOf = (pool: string): PoolAgeing => {
    let found = pools.get(pool);
    if (!found) {
      found = { pool, total: { inUse: 0, inStock: 0 }, pastLife: { inUse: 0, inStock: 0 }, months: months.map((month) => ({ month, inUse: 0, inStock: 0 })), inStockAfterHorizon: 0 };
      pools.set(pool, found);
    }
    return found;
  };
  return {
    add(token: TokenRecord): void {
      const use = ageingUse(token);
      if (!use) return;
      const pool = poolOf(token.pool);
      pool.total[use]++;
      const end = endOfLife(token, life);
      if (end.getTime() <= now.getTime()) {
        pool.pastLife[use]++;
        return;
      }
      const at = index.get(monthOf(end));
      const slot = at === undefined ? undefined : pool.months[at];
      if (slot) slot[use]++;
      else if (use === 'inStock') pool.inStockAfterHorizon++;
    },
    report(): AgeingReport {
      return { generatedAt: now.toISOString(), horizonMonths, serviceLife: life, pools: [...pools.values()].sort((a, b) => a.pool.localeCompare(b.pool)) };
    },
  };
}

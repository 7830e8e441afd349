import { ageingTally, type AgeingReport, type ServiceLife } from '../domain/ageing';
import type { Clock, Inventory, TokenFilter } from '../ports';

/** The ageing forecast: the inventory read a page at a time, each token counted where its life ends. */

const PAGE_SIZE = 1000;

export async function ageingForecast(deps: { inventory: Pick<Inventory, 'list'>; clock: Clock; serviceLife: ServiceLife }, options: { horizonMonths: number; pool?: string }): Promise<AgeingReport> {
  const tally = ageingTally(deps.clock.now(), options.horizonMonths, deps.serviceLife);
  const filter: TokenFilter = options.pool !== undefined ? { pool: options.pool } : {};
  let continuationToken: string | undefined;
  do {
    const page = await deps.inventory.list(filter, { pageSize: PAGE_SIZE, ...(continuationToken ? { continuationToken } : {}) });
    for (const token of page.tokens) tally.add(token);
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return tally.report();
}

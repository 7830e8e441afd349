import { TableClient } from '@azure/data-tables';
import { createGraphPacer, type GraphPacer, type PacingClock } from '../../../shared/adapters/graphPacing';
import { tableGraphBudget } from '../../../shared/adapters/tableGraphBudget';
import { startAzurite, type Azurite } from '../../support/azurite';

/** One clock for both instances; their sleeps move it on at once, while the table calls are real. */
function fakeClock(): PacingClock {
  let now = Date.UTC(2026, 0, 1);
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  };
}

const ok = (): undefined => undefined;
const throttled = (name: string): string | undefined => (name.toLowerCase() === 'retry-after' ? '2' : undefined);

async function send(pacer: GraphPacer, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    (await pacer.acquire())();
    pacer.observe(200, ok);
  }
}

describe('the Graph budget shared by two instances through a table row (Azurite)', () => {
  let azurite: Azurite;

  beforeAll(async () => {
    azurite = await startAzurite();
  });

  afterAll(async () => {
    await azurite.stop();
  });

  /** Each instance with its own table client, as two processes would have. */
  const instance = (clock: PacingClock, table: string, requestsPerSecond = 20) =>
    createGraphPacer(
      { requestsPerSecond, maxInFlight: 4 },
      { clock, store: tableGraphBudget(TableClient.fromConnectionString(azurite.connectionString, table, { allowInsecureConnection: true }), '0d6c1a5e-app') },
    );

  it('a 429 one instance meets pauses and slows the other, and the row says so', async () => {
    const clock = fakeClock();
    const a = instance(clock, 'budgetPause');
    const b = instance(clock, 'budgetPause');
    await send(a, 5);
    await send(b, 5);
    expect([a.stats.rate, b.stats.rate]).toEqual([20, 20]);

    const throttledAt = clock.now();
    const done = await a.acquire();
    done();
    a.observe(429, throttled);
    // a tells the row at once; b has not met any 429 itself.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await send(b, 1);
    expect(clock.now() - throttledAt).toBeGreaterThanOrEqual(2000);
    expect(b.stats.throttled).toBe(0);
    expect(b.stats.pausedMs).toBeGreaterThan(0);
    expect(b.stats.rate).toBe(14);
    expect(a.stats.rate).toBe(14);

    const row = await TableClient.fromConnectionString(azurite.connectionString, 'budgetPause', { allowInsecureConnection: true }).getEntity<{ rate: number; pauseUntil: number; limitSeen: number }>('graph', '0d6c1a5e-app');
    expect(row.rate).toBe(14);
    expect(row.limitSeen).toBe(14);
    expect(row.pauseUntil).toBeGreaterThanOrEqual(throttledAt + 2000);
  });

  it('two instances together send at the app\'s rate, not each at it', async () => {
    const clock = fakeClock();
    const pacers = [instance(clock, 'budgetShare', 10), instance(clock, 'budgetShare', 10)];
    const start = clock.now();
    // In turn: with one fake clock, concurrent sleeps would each move it on.
    for (let i = 0; i < 60; i++) await send(pacers[i % 2] as GraphPacer, 1);
    // 60 requests at 10 a second, half a second's worth at once: at least 5.5 s on the clock.
    expect(clock.now() - start).toBeGreaterThanOrEqual(5400);
  });
});

import { createGraphPacer, retryAfterMs, throttleFraction, type PacingClock } from '../../shared/adapters/graphPacing';

/** A clock whose sleeps move time on at once: the pacer's waits are read off it, never waited for. */
function fakeClock(): PacingClock & { slept: number[] } {
  let now = 1_000_000;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

const headers =
  (values: Record<string, string>) =>
  (name: string): string | undefined =>
    values[name.toLowerCase()];

async function send(pacer: ReturnType<typeof createGraphPacer>, count: number): Promise<void> {
  for (let i = 0; i < count; i++) (await pacer.acquire())();
}

describe('the Graph budget of an instance', () => {
  it('lets a second of requests through at once, then one per 1/rate', async () => {
    const clock = fakeClock();
    const pacer = createGraphPacer({ requestsPerSecond: 10, maxInFlight: 4 }, clock);
    const start = clock.now();
    await send(pacer, 10);
    expect(clock.now() - start).toBe(0);
    await send(pacer, 15);
    expect(clock.now() - start).toBeGreaterThanOrEqual(1500);
    expect(clock.now() - start).toBeLessThan(1600);
    expect(pacer.stats.requests).toBe(25);
  });

  it('stops every caller for the Retry-After of a 429, and starts again from an empty bucket', async () => {
    const clock = fakeClock();
    const pacer = createGraphPacer({ requestsPerSecond: 10, maxInFlight: 4 }, clock);
    await send(pacer, 1);
    const throttledAt = clock.now();
    pacer.observe(429, headers({ 'retry-after': '3' }));
    await send(pacer, 1);
    expect(clock.now() - throttledAt).toBeGreaterThanOrEqual(3000);
    // No burst after the pause: the next ones come at the rate.
    const resumed = clock.now();
    await send(pacer, 5);
    expect(clock.now() - resumed).toBeGreaterThanOrEqual(400);
    expect(pacer.stats.throttled).toBe(1);
  });

  it('pauses for a 429 without Retry-After too, and for a 503 only when it says how long', async () => {
    const clock = fakeClock();
    const pacer = createGraphPacer({ requestsPerSecond: 1000, maxInFlight: 4 }, clock);
    pacer.observe(503, headers({}));
    let before = clock.now();
    await send(pacer, 1);
    expect(clock.now() - before).toBeLessThan(10);
    pacer.observe(429, headers({}));
    before = clock.now();
    await send(pacer, 1);
    expect(clock.now() - before).toBeGreaterThanOrEqual(1000);
  });

  it('slows down while Graph says more than 0.8 of its limit is used, and speeds up when it stops saying so', async () => {
    const clock = fakeClock();
    const pacer = createGraphPacer({ requestsPerSecond: 10, maxInFlight: 4 }, clock);
    await send(pacer, 10);
    pacer.observe(200, headers({ 'x-ms-throttle-limit-percentage': '1.6' }));
    let before = clock.now();
    await send(pacer, 5);
    // Half the rate: 200 ms a request instead of 100.
    expect(clock.now() - before).toBeGreaterThanOrEqual(1000);
    pacer.observe(200, headers({}));
    before = clock.now();
    await send(pacer, 5);
    expect(clock.now() - before).toBeLessThan(600);
  });

  it('keeps at most maxInFlight requests out at once', async () => {
    const pacer = createGraphPacer({ requestsPerSecond: 1000, maxInFlight: 2 }, fakeClock());
    const first = await pacer.acquire();
    await pacer.acquire();
    let third = false;
    const waiting = pacer.acquire().then((done) => {
      third = true;
      return done;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(third).toBe(false);
    first();
    (await waiting)();
    expect(third).toBe(true);
  });

  it('reads Retry-After as seconds or a date, and the percentage as Graph documents it (0.8 to 1.8) or as a percent', () => {
    expect(retryAfterMs('2', 0)).toBe(2000);
    expect(retryAfterMs(new Date(5000).toUTCString(), 1000)).toBe(4000);
    expect(retryAfterMs('soon', 0)).toBeUndefined();
    expect(retryAfterMs('999999', 0)).toBe(120_000);
    expect(throttleFraction('0.95')).toBe(0.95);
    expect(throttleFraction('95')).toBe(0.95);
    expect(throttleFraction(undefined)).toBeUndefined();
    expect(() => createGraphPacer({ requestsPerSecond: 0, maxInFlight: 1 })).toThrow(/requestsPerSecond/);
  });
});

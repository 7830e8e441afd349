import {
  createGraphPacer,
  memoryBudgetStore,
  nextBudget,
  retryAfterMs,
  throttleFraction,
  START_RATE,
  type BudgetStore,
  type GraphPacer,
  type PacingClock,
} from '../../shared/adapters/graphPacing';

/** A clock whose sleeps move time on at once: the pacer's waits are read off it, never waited for. */
function fakeClock(): PacingClock & { advance(ms: number): void } {
  let now = 1_000_000;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

const headers =
  (values: Record<string, string>) =>
  (name: string): string | undefined =>
    values[name.toLowerCase()];

async function send(pacer: GraphPacer, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    (await pacer.acquire())();
    pacer.observe(200, headers({}));
  }
}

/** Graph's single bucket (today's emulator model) on the fake clock: `limit` requests a second, 1 s deep. */
function fakeGraph(clock: PacingClock, limit: number) {
  let tokens = limit;
  let at = clock.now();
  const counts = { served: 0, throttled: 0 };
  return {
    counts,
    answer(): { status: number; headers: Record<string, string> } {
      const now = clock.now();
      tokens = Math.min(limit, tokens + ((now - at) / 1000) * limit);
      at = now;
      if (tokens < 1) {
        counts.throttled++;
        return { status: 429, headers: { 'retry-after': String(Math.max(1, Math.ceil((1 - tokens) / limit))) } };
      }
      tokens -= 1;
      counts.served++;
      const used = 1 - tokens / limit;
      return { status: 200, headers: used > 0.8 ? { 'x-ms-throttle-limit-percentage': used.toFixed(2) } : {} };
    },
  };
}

/** Requests taken in turn from the pacers (instances), each answered by Graph and observed by its pacer. */
async function drive(pacers: GraphPacer[], graph: ReturnType<typeof fakeGraph>, requests: number): Promise<void> {
  for (let i = 0; i < requests; i++) {
    const pacer = pacers[i % pacers.length] as GraphPacer;
    const done = await pacer.acquire();
    const answer = graph.answer();
    done();
    pacer.observe(answer.status, headers(answer.headers));
  }
}

describe('the Graph budget: pacing one instance', () => {
  it('starts at the lower of the setting and 20 a second: half a second of requests at once, then one per 1/rate', async () => {
    const clock = fakeClock();
    const pacer = createGraphPacer({ requestsPerSecond: 10, maxInFlight: 4 }, { clock });
    const start = clock.now();
    await send(pacer, 5);
    expect(clock.now() - start).toBe(0);
    await send(pacer, 20);
    expect(clock.now() - start).toBeGreaterThanOrEqual(2000);
    expect(clock.now() - start).toBeLessThan(2100);
    expect(pacer.stats.requests).toBe(25);
    expect(pacer.stats.rate).toBe(10);
    expect(createGraphPacer({ requestsPerSecond: 500, maxInFlight: 4 }, { clock }).stats.rate).toBe(START_RATE);
  });

  it('stops every caller for the Retry-After of a 429, cuts the rate to 70%, and sends no burst after the pause', async () => {
    const clock = fakeClock();
    const pacer = createGraphPacer({ requestsPerSecond: 10, maxInFlight: 4 }, { clock });
    await send(pacer, 1);
    const throttledAt = clock.now();
    pacer.observe(429, headers({ 'retry-after': '3' }));
    await send(pacer, 1);
    expect(clock.now() - throttledAt).toBeGreaterThanOrEqual(3000);
    expect(pacer.stats.rate).toBe(7);
    const resumed = clock.now();
    await send(pacer, 5);
    // 7 a second now: 143 ms apart.
    expect(clock.now() - resumed).toBeGreaterThanOrEqual(4 * 142);
    expect(pacer.stats.throttled).toBe(1);
  });

  it('pauses for a 429 without Retry-After too, and for a 503 only when it says how long (without cutting the rate)', async () => {
    const clock = fakeClock();
    const pacer = createGraphPacer({ requestsPerSecond: 20, maxInFlight: 4 }, { clock });
    pacer.observe(503, headers({}));
    let before = clock.now();
    await send(pacer, 1);
    expect(clock.now() - before).toBeLessThan(10);
    pacer.observe(503, headers({ 'retry-after': '2' }));
    before = clock.now();
    await send(pacer, 1);
    expect(clock.now() - before).toBeGreaterThanOrEqual(2000);
    expect(pacer.stats.rate).toBe(20);
    pacer.observe(429, headers({}));
    before = clock.now();
    await send(pacer, 1);
    expect(clock.now() - before).toBeGreaterThanOrEqual(1000);
    expect(pacer.stats.rate).toBe(14);
  });

  it('eases off by 5% a second while Graph says more than 0.8 of a limit is used, by 15% above 0.9, and climbs back when it stops saying so', async () => {
    const clock = fakeClock();
    const pacer = createGraphPacer({ requestsPerSecond: 100, maxInFlight: 4 }, { clock });
    await send(pacer, 30);
    // More than a second of answers without a sign of the limit: the rate climbed by half.
    expect(pacer.stats.rate).toBe(30);
    const percentSecond = async (value: string) => {
      const until = clock.now() + 1000;
      while (clock.now() < until) {
        (await pacer.acquire())();
        pacer.observe(200, headers({ 'x-ms-throttle-limit-percentage': value }));
      }
    };
    await percentSecond('0.85');
    expect(pacer.stats.rate).toBeCloseTo(30 * 0.95, 5);
    await percentSecond('0.85');
    await percentSecond('1.2');
    const eased = pacer.stats.rate;
    expect(eased).toBeLessThan(30 * 0.95 * 0.95);
    expect(eased).toBeGreaterThanOrEqual(30 * 0.95 * 0.95 * 0.85 * 0.85);
    // Without the header it climbs again (by a few percent now the limit was seen), never above the setting.
    await send(pacer, 200);
    expect(pacer.stats.rate).toBeGreaterThan(eased);
    await send(pacer, 3000);
    expect(pacer.stats.rate).toBe(100);
  });

  it('keeps at most maxInFlight requests out at once', async () => {
    const pacer = createGraphPacer({ requestsPerSecond: 1000, maxInFlight: 2 }, { clock: fakeClock() });
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

describe('the Graph budget: one for the app, shared by its instances', () => {
  it('a 429 one instance meets pauses and slows the other', async () => {
    const clock = fakeClock();
    const store = memoryBudgetStore();
    const a = createGraphPacer({ requestsPerSecond: 20, maxInFlight: 4 }, { clock, store });
    const b = createGraphPacer({ requestsPerSecond: 20, maxInFlight: 4 }, { clock, store });
    await send(a, 5);
    await send(b, 5);
    const throttledAt = clock.now();
    a.observe(429, headers({ 'retry-after': '2' }));
    await new Promise((resolve) => setImmediate(resolve));
    await send(b, 1);
    expect(clock.now() - throttledAt).toBeGreaterThanOrEqual(2000);
    expect(b.stats.rate).toBe(14);
    expect(b.stats.pausedMs).toBeGreaterThan(0);
  });

  it('two instances share the rate: together they send what one would', async () => {
    const clock = fakeClock();
    const store = memoryBudgetStore();
    const pacers = [0, 1].map(() => createGraphPacer({ requestsPerSecond: 10, maxInFlight: 4 }, { clock, store }));
    const start = clock.now();
    for (let i = 0; i < 60; i++) {
      const pacer = pacers[i % 2] as GraphPacer;
      (await pacer.acquire())();
      pacer.observe(200, headers({}));
    }
    // 5 at once, then 55 at 10 a second.
    expect(clock.now() - start).toBeGreaterThanOrEqual(5400);
  });

  it('whatever the setting says, finds a limit of 20 a second: few 429s and most of the limit used', async () => {
    for (const [instances, setting] of [
      [1, 500],
      [4, 500],
      [4, 20],
    ] as const) {
      const clock = fakeClock();
      const store = memoryBudgetStore();
      const graph = fakeGraph(clock, 20);
      const pacers = Array.from({ length: instances }, () => createGraphPacer({ requestsPerSecond: setting, maxInFlight: 16 }, { clock, store }));
      const start = clock.now();
      await drive(pacers, graph, 2000);
      const seconds = (clock.now() - start) / 1000;
      expect(graph.counts.throttled).toBeLessThan(2000 * 0.01);
      expect(graph.counts.served / seconds).toBeGreaterThan(20 * 0.9);
    }
  });

  it('climbs back to what Graph allows once a lower limit is gone', async () => {
    const clock = fakeClock();
    const store = memoryBudgetStore();
    const pacer = createGraphPacer({ requestsPerSecond: 500, maxInFlight: 16 }, { clock, store });
    await drive([pacer], fakeGraph(clock, 10), 300);
    expect(pacer.stats.rate).toBeLessThan(15);
    const roomy = fakeGraph(clock, 200);
    await drive([pacer], roomy, 3000);
    expect(pacer.stats.rate).toBeGreaterThan(100);
    expect(roomy.counts.throttled).toBeLessThan(3000 * 0.02);
  });

  it('paces alone for a while when the shared row cannot be reached, and says so', async () => {
    const clock = fakeClock();
    const lines: string[] = [];
    let failures = 1;
    const healthy = memoryBudgetStore();
    const flaky: BudgetStore = {
      update: async (change) => {
        if (failures-- > 0) throw new Error('storage is down');
        return healthy.update(change);
      },
    };
    const pacer = createGraphPacer({ requestsPerSecond: 10, maxInFlight: 4 }, { clock, store: flaky, warn: (line) => lines.push(line) });
    const start = clock.now();
    await send(pacer, 20);
    expect(clock.now() - start).toBeGreaterThanOrEqual(900);
    expect(lines).toEqual([expect.stringMatching(/shared budget could not be read or written \(storage is down\); this instance paces alone/)]);
  });
});

describe('nextBudget', () => {
  const ceiling = 100;
  it('claims at most a quarter second of the rate and cuts once per burst of 429s', () => {
    const now = 5_000_000;
    const first = nextBudget(undefined, { now, ceiling, signals: { answered: 0 }, want: 50 });
    expect(first.grant).toEqual({ start: now - 500 + 50, count: 5, spacingMs: 50 });
    const cut = nextBudget(first.budget, { now, ceiling, signals: { answered: 0, throttled: true, retryAfterMs: 1000 }, want: 0 });
    // The first 429 (still climbing): the limit is put where the cut leaves the rate.
    expect(cut.budget).toMatchObject({ rate: 14, pauseUntil: now + 1000, climbing: false, limitSeen: 14 });
    // A second 429 from the same burst (sent before the pause) does not cut again.
    const again = nextBudget(cut.budget, { now: now + 10, ceiling, signals: { answered: 0, throttled: true, retryAfterMs: 1000 }, want: 1 });
    expect(again.budget.rate).toBe(14);
    expect(again.grant?.start).toBe(now + 1010);
  });
});

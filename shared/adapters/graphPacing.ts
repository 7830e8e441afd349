import type { Context, Middleware } from '@microsoft/microsoft-graph-client';

/**
 * One Graph budget per instance, shared by every Graph call (imports, hires, leavers, reconciliation):
 * a token bucket at the app's share of Graph's rate, a cap on requests in flight, and a pause for
 * everyone when Graph says so. Graph counts its limits per app and tenant, not per caller, so a 429
 * one caller meets means the next caller's request would meet it too: Retry-After stops them all
 * (beyond the client's own retry of the one request), and `x-ms-throttle-limit-percentage` (sent from
 * 0.8 of the limit up to 1.8) slows the bucket before the 429s begin.
 */

export interface GraphPacingSettings {
  /** Requests per second this instance sends at most (GRAPH_REQUESTS_PER_SECOND). */
  requestsPerSecond: number;
  /** Requests in flight at once. */
  maxInFlight: number;
}

export interface PacingClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface GraphPacer {
  /** Waits for a slot and a token; call the answer once the response is in. */
  acquire(): Promise<() => void>;
  /** What a response said about the budget. */
  observe(status: number, header: (name: string) => string | null | undefined): void;
  /** Figures for benchmarks and logs. */
  readonly stats: { requests: number; throttled: number; pausedMs: number };
}

/** Requests one instance has in flight to Graph at once, whatever asks: imports, hires, reconciliation. */
export const GRAPH_MAX_IN_FLIGHT = 16;

const realClock: PacingClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Where Graph's percentage starts to be sent, and from where we slow down in proportion. */
const SLOWDOWN_FROM = 0.8;
/** Without a Retry-After, a 429 still stops everyone this long (Graph's guidance: back off). */
const DEFAULT_PAUSE_MS = 1000;
/** A Retry-After beyond this is read as this: a confused header must not stop the instance for hours. */
const MAX_PAUSE_MS = 120_000;

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(MAX_PAUSE_MS, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.min(MAX_PAUSE_MS, Math.max(0, at - now));
}

/** Graph documents 0.8 to 1.8; a value written as a percentage (80 to 180) is read as its fraction. */
export function throttleFraction(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) return undefined;
  return number > 10 ? number / 100 : number;
}

export function createGraphPacer(settings: GraphPacingSettings, clock: PacingClock = realClock): GraphPacer {
  if (!(settings.requestsPerSecond > 0) || !(settings.maxInFlight >= 1)) throw new Error('Graph pacing needs requestsPerSecond > 0 and maxInFlight >= 1');
  const capacity = Math.max(1, settings.requestsPerSecond);
  let tokens = capacity;
  let refilledAt = clock.now();
  let pauseUntil = 0;
  /** 1 at full rate; below 1 while Graph says we are near its limit. */
  let pace = 1;
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  const stats = { requests: 0, throttled: 0, pausedMs: 0 };

  const refill = (): void => {
    const now = clock.now();
    tokens = Math.min(capacity, tokens + ((now - refilledAt) / 1000) * settings.requestsPerSecond * pace);
    refilledAt = now;
  };

  const slot = async (): Promise<void> => {
    if (inFlight < settings.maxInFlight) {
      inFlight++;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else inFlight--;
  };

  // Callers queue for tokens one at a time, so they are served in order and none starves.
  let queue: Promise<void> = Promise.resolve();
  const token = (): Promise<void> => {
    const turn = queue.then(async () => {
      for (;;) {
        const paused = pauseUntil - clock.now();
        if (paused > 0) {
          stats.pausedMs += paused;
          await clock.sleep(paused);
          continue;
        }
        refill();
        if (tokens >= 1) {
          tokens -= 1;
          return;
        }
        await clock.sleep(Math.ceil(((1 - tokens) * 1000) / (settings.requestsPerSecond * pace)));
      }
    });
    queue = turn;
    return turn;
  };

  return {
    stats,
    async acquire() {
      await slot();
      try {
        await token();
      } catch (error) {
        release();
        throw error;
      }
      stats.requests++;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        release();
      };
    },
    observe(status, header) {
      const now = clock.now();
      if (status === 429 || status === 503) {
        if (status === 429) stats.throttled++;
        const wait = retryAfterMs(header('retry-after'), now) ?? (status === 429 ? DEFAULT_PAUSE_MS : undefined);
        if (wait !== undefined) pauseUntil = Math.max(pauseUntil, now + wait);
        // What was saved up was not Graph's to give: start again from empty after the pause.
        refill();
        tokens = Math.min(tokens, 0);
        refilledAt = Math.max(now, pauseUntil);
        return;
      }
      const used = throttleFraction(header('x-ms-throttle-limit-percentage'));
      refill();
      pace = used !== undefined && used > SLOWDOWN_FROM ? Math.max(0.25, SLOWDOWN_FROM / used) : 1;
    },
  };
}

/**
 * The pacer in the Graph client's chain, after its RetryHandler: each try the client makes waits its
 * turn, and each answer (a 429 the client will retry included) tells the pacer about the budget.
 */
export class GraphPacingHandler implements Middleware {
  private next: Middleware | undefined;

  constructor(private readonly pacer: GraphPacer) {}

  async execute(context: Context): Promise<void> {
    if (!this.next) throw new Error('GraphPacingHandler needs a next middleware');
    const done = await this.pacer.acquire();
    try {
      await this.next.execute(context);
    } finally {
      done();
    }
    const response = context.response;
    if (response) this.pacer.observe(response.status, (name) => response.headers.get(name));
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}

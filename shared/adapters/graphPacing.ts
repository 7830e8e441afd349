import type { Context, Middleware } from '@microsoft/microsoft-graph-client';

/**
 * The app's Graph budget, shared by every caller of every instance (imports, hires, leavers,
 * reconciliation). Graph counts its limits per app and tenant, and nobody knows a tenant's limit in
 * advance, so the budget finds it: a rate cut to 70% on a 429 (and everyone pauses for its
 * Retry-After), easing off while `x-ms-throttle-limit-percentage` says the app is near a limit, and
 * climbing back while Graph answers without either (see climbStep), never above GRAPH_REQUESTS_PER_SECOND.
 *
 * Instances share one row (BudgetStore, a table row in Azure Storage updated with ETags): the rate,
 * the pause, and a schedule of send times (GCRA). Each instance claims a few send times at once (at
 * most a quarter second of the app's rate) and reads the row again before it sends on a claim older
 * than that, so a 429 one instance meets slows all of them within a quarter second.
 */

export interface GraphPacingSettings {
  /** The most requests per second the app sends, all instances together (GRAPH_REQUESTS_PER_SECOND). */
  requestsPerSecond: number;
  /** Requests this instance has in flight at once. */
  maxInFlight: number;
}

export interface PacingClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The app's budget as instances share it. Times are epoch milliseconds. */
export interface SharedBudget {
  /** Requests per second the app may send now. */
  rate: number;
  /** When the send times granted so far run out (the GCRA's theoretical arrival time). */
  tat: number;
  /** No request goes before this (a 429's Retry-After). */
  pauseUntil: number;
  /** When the rate last moved or was held; it climbs at most once a step. */
  changedAt: number;
  /** When the rate was last halved for a 429; the next halving waits for this one to take effect. */
  cutAt: number;
  /** When the rate last eased off for a high throttle percentage; at most once a step. */
  easedAt: number;
  /** True until the first sign of Graph's limit: the rate climbs by half instead of a few percent. */
  climbing: boolean;
  /** Where the last 429 puts the limit (0 before any): near it the rate climbs by 2% a second only. */
  limitSeen: number;
}

/** Where instances keep the shared budget. */
export interface BudgetStore {
  /**
   * Reads the row and, when `change` answers a new one, writes it only over the row it read (retrying
   * on a conflict, `change` called again). Answers the row as it stands after.
   */
  update(change: (current: SharedBudget | undefined) => SharedBudget | undefined): Promise<SharedBudget | undefined>;
}

/** What the answers an instance saw since it last wrote the row said about the limit. */
export interface BudgetSignals {
  /** Set when a 429 (or a 503 with Retry-After) came: how long everyone waits. */
  retryAfterMs?: number;
  /** A 429 came: the rate was above a limit. */
  throttled?: boolean;
  /** The highest x-ms-throttle-limit-percentage seen, as a fraction. */
  limitUsed?: number;
  /** Answers that got through. */
  answered: number;
}

export interface Grant {
  /** Send time of the first request granted; the others follow every spacingMs. */
  start: number;
  count: number;
  spacingMs: number;
}

export interface GraphPacer {
  /** Waits for a slot and a send time; call the answer once the response is in. */
  acquire(): Promise<() => void>;
  /** What a response said about the budget. */
  observe(status: number, header: (name: string) => string | null | undefined): void;
  /** Figures for benchmarks and logs; rate is the app's current rate as this instance last saw it. */
  readonly stats: { requests: number; throttled: number; pausedMs: number; rate: number };
}

/** Requests one instance has in flight to Graph at once, whatever asks: imports, hires, reconciliation. */
export const GRAPH_MAX_IN_FLIGHT = 16;

/** Where a new budget starts: Graph's documented sustained write rate per app and tenant (3,000 per 150 s). */
export const START_RATE = 20;
const MIN_RATE = 1;
/** An idle app may send this much of its rate at once. */
const BURST_MS = 500;
/** One claim covers at most this much of the app's rate, and a claim older than this is read again. */
const CLAIM_MS = 250;
/** The rate climbs at most once per step. */
const STEP_MS = 1000;
/** A 429 cuts the rate to this share of what it was. */
const CUT_TO = 0.7;
/** After a cut, 429s of requests sent before it do not cut again until this long after the pause. */
const CUT_SETTLES_MS = 500;
/** From 0.8 of a limit (where Graph starts to say) the rate eases off by 5% a step, above this by 15%. */
const EASE_MORE_FROM = 0.9;
/** Without a Retry-After, a 429 still stops everyone this long (Graph's guidance: back off). */
const DEFAULT_PAUSE_MS = 1000;
/** A Retry-After beyond this is read as this: a confused header must not stop the app for hours. */
const MAX_PAUSE_MS = 120_000;
/** When the shared row cannot be reached, the instance paces alone this long before it tries again. */
const STORE_RETRY_MS = 10_000;

const realClock: PacingClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

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

const hasSignals = (signals: BudgetSignals): boolean => signals.retryAfterMs !== undefined || signals.throttled === true || signals.limitUsed !== undefined || signals.answered > 0;

/**
 * How much the rate climbs in a step without a sign of the limit: 50% until the first sign, then
 * 10% a second back towards where the last 429 put the limit, 2% from 85% of it to 150% (the limit is near:
 * slowly enough for Graph's percentage to warn before a 429), 5% beyond.
 */
function climbStep(budget: SharedBudget): number {
  if (budget.climbing) return budget.rate * 0.5;
  if (budget.limitSeen <= 0 || budget.rate > budget.limitSeen * 1.5) return Math.max(0.5, budget.rate * 0.05);
  return budget.rate < budget.limitSeen * 0.85 ? Math.max(0.5, budget.rate * 0.1) : Math.max(0.2, budget.rate * 0.02);
}

/** A budget no instance wrote yet: the start rate, and a burst allowed. */
const freshBudget = (ceiling: number): SharedBudget => ({ rate: Math.min(ceiling, START_RATE), tat: 0, pauseUntil: 0, changedAt: 0, cutAt: 0, easedAt: 0, climbing: true, limitSeen: 0 });

/**
 * The budget after what an instance saw, and the send times it claims (`want` of them, at most a
 * claim's worth). Pure: the same for the row in a table and in memory.
 */
export function nextBudget(current: SharedBudget | undefined, input: { now: number; ceiling: number; signals: BudgetSignals; want: number }): { budget: SharedBudget; grant?: Grant } {
  const { now, ceiling, signals } = input;
  const budget: SharedBudget = { ...(current ?? freshBudget(ceiling)) };
  budget.rate = Math.min(budget.rate, ceiling);
  if (signals.retryAfterMs !== undefined) {
    budget.pauseUntil = Math.max(budget.pauseUntil, now + signals.retryAfterMs);
    budget.tat = Math.max(budget.tat, budget.pauseUntil);
  }
  if (signals.throttled) {
    if (now >= budget.cutAt + CUT_SETTLES_MS) {
      // Climbing, the rate may be up to half again above the limit: what the cut leaves is the better guess.
      budget.limitSeen = budget.climbing ? budget.rate * CUT_TO : budget.rate;
      budget.rate = Math.max(MIN_RATE, budget.rate * CUT_TO);
      budget.cutAt = budget.changedAt = Math.max(now, budget.pauseUntil);
    }
    budget.climbing = false;
  } else if (signals.limitUsed !== undefined && signals.limitUsed > 0.8) {
    budget.climbing = false;
    // Right after a cut the percentage still tells of the 429's burst: the cut has answered it.
    if (now >= budget.easedAt + STEP_MS && now >= budget.cutAt + STEP_MS) {
      budget.rate = Math.max(MIN_RATE, budget.rate * (signals.limitUsed > EASE_MORE_FROM ? 0.85 : 0.95));
      budget.easedAt = now;
    }
    budget.changedAt = Math.max(budget.changedAt, now);
  } else if (signals.answered > 0 && now >= budget.pauseUntil && now >= budget.changedAt + STEP_MS && budget.tat >= now - CLAIM_MS) {
    // Only while the app uses its rate (send times granted up to about now): a rate nobody uses says nothing of the limit.
    budget.rate = Math.min(ceiling, budget.rate + climbStep(budget));
    budget.changedAt = now;
  }
  if (input.want <= 0) return { budget };
  const count = Math.max(1, Math.min(input.want, Math.floor((budget.rate * CLAIM_MS) / 1000)));
  const spacingMs = 1000 / budget.rate;
  // GCRA: a request's send time is spacingMs after the one before; an idle app catches up half a second's worth.
  const start = Math.max(budget.tat, now - BURST_MS + spacingMs, budget.pauseUntil);
  budget.tat = start + count * spacingMs;
  return { budget, grant: { start, count, spacingMs } };
}

/** The shared row in memory: one instance alone, unit tests, and the fallback while storage is out. */
export function memoryBudgetStore(initial?: SharedBudget): BudgetStore {
  let row = initial && { ...initial };
  return {
    async update(change) {
      const next = change(row && { ...row });
      if (next) row = { ...next };
      return row && { ...row };
    },
  };
}

export interface PacerOptions {
  clock?: PacingClock;
  /** The app's shared row; without one the instance paces alone. */
  store?: BudgetStore;
  /** Where a storage failure is reported (the instance then paces alone a while). */
  warn?: (line: string) => void;
}

export function createGraphPacer(settings: GraphPacingSettings, options: PacerOptions = {}): GraphPacer {
  if (!(settings.requestsPerSecond > 0) || !(settings.maxInFlight >= 1)) throw new Error('Graph pacing needs requestsPerSecond > 0 and maxInFlight >= 1');
  const clock = options.clock ?? realClock;
  const shared = options.store ?? memoryBudgetStore();
  const ceiling = settings.requestsPerSecond;
  const stats = { requests: 0, throttled: 0, pausedMs: 0, rate: freshBudget(ceiling).rate };

  let pauseUntil = 0;
  let grant: (Grant & { used: number }) | undefined;
  let syncedAt = -Infinity;
  let pending: BudgetSignals = { answered: 0 };
  let waitingForToken = 0;
  let lastSeen: SharedBudget | undefined;
  let alone: { store: BudgetStore; until: number } | undefined;

  const learn = (row: SharedBudget | undefined): void => {
    if (!row) return;
    lastSeen = row;
    stats.rate = row.rate;
    if (row.pauseUntil > pauseUntil) {
      pauseUntil = row.pauseUntil;
      // Send times claimed before the pause belong to a rate Graph refused.
      grant = undefined;
    }
  };

  // One read-or-write of the row at a time per instance.
  let syncing: Promise<void> = Promise.resolve();
  const sync = (want: number): Promise<void> => {
    const run = syncing.then(async () => {
      const signals = pending;
      pending = { answered: 0 };
      let claimed: Grant | undefined;
      const now = clock.now();
      if (alone && now >= alone.until) alone = undefined;
      const store = alone?.store ?? shared;
      const change = (current: SharedBudget | undefined): SharedBudget | undefined => {
        const { budget, grant: granted } = nextBudget(current, { now: clock.now(), ceiling, signals, want });
        claimed = granted;
        return current && want === 0 && !hasSignals(signals) ? undefined : budget;
      };
      try {
        learn(await store.update(change));
      } catch (error) {
        options.warn?.(`Graph pacing: the shared budget could not be read or written (${error instanceof Error ? error.message : String(error)}); this instance paces alone for ${STORE_RETRY_MS / 1000} s`);
        alone = { store: memoryBudgetStore(lastSeen), until: now + STORE_RETRY_MS };
        learn(await alone.store.update(change));
      }
      syncedAt = clock.now();
      if (claimed) grant = { ...claimed, used: 0 };
    });
    // The next sync queues behind this one whatever its outcome; its own caller sees the outcome.
    syncing = run.catch(() => undefined);
    return run;
  };

  let inFlight = 0;
  const waiting: (() => void)[] = [];
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

  // Callers queue for send times one at a time, so they are served in order and none starves.
  let queue: Promise<void> = Promise.resolve();
  const token = (): Promise<void> => {
    waitingForToken++;
    const turn = queue.then(async () => {
      for (;;) {
        const now = clock.now();
        if (pauseUntil > now) {
          stats.pausedMs += pauseUntil - now;
          await clock.sleep(pauseUntil - now);
          continue;
        }
        const next = grant && grant.used < grant.count ? grant.start + grant.used * grant.spacingMs : undefined;
        if (next === undefined || next < now - BURST_MS) {
          await sync(waitingForToken);
          continue;
        }
        if (now - syncedAt > CLAIM_MS) {
          // Before sending on an old claim, hear whether another instance met a 429 meanwhile.
          await sync(0);
          continue;
        }
        if (next > now) {
          await clock.sleep(Math.min(Math.ceil(next - now), CLAIM_MS));
          continue;
        }
        if (grant) grant.used++;
        waitingForToken--;
        return;
      }
    });
    // The next caller queues behind this one whatever its outcome; this caller sees the outcome.
    queue = turn.catch(() => undefined);
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
        const wait = retryAfterMs(header('retry-after'), now) ?? (status === 429 ? DEFAULT_PAUSE_MS : undefined);
        if (status === 503 && wait === undefined) return;
        if (status === 429) stats.throttled++;
        const pause = wait ?? DEFAULT_PAUSE_MS;
        pending.retryAfterMs = Math.max(pending.retryAfterMs ?? 0, pause);
        if (status === 429) pending.throttled = true;
        pauseUntil = Math.max(pauseUntil, now + pause);
        grant = undefined;
        // Tell the other instances now, not at this one's next claim.
        void sync(0);
        return;
      }
      if (status >= 200 && status < 400) pending.answered++;
      const used = throttleFraction(header('x-ms-throttle-limit-percentage'));
      if (used !== undefined) pending.limitUsed = Math.max(pending.limitUsed ?? 0, used);
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

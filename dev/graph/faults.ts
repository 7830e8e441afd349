import { badRequest } from './errors';
import { isObject, requireObject } from './inputs';
import type { EmulatorStats, FaultSettings } from './types';

export interface InjectedFailure {
  status: number;
  retryAfterSeconds?: number;
  /** True when the throttle (not failNext/failRate) produced it. */
  throttled: boolean;
}

const FAILURE_STATUSES = new Set([429, 500, 503]);

function failureStatus(value: unknown): 429 | 500 | 503 {
  if (typeof value === 'number' && FAILURE_STATUSES.has(value)) return value as 429 | 500 | 503;
  throw badRequest('status must be 429, 500 or 503.');
}

function nonNegative(value: unknown, name: string, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw badRequest(`${name} must be a non-negative ${integer ? 'integer' : 'number'}.`);
  }
  return value;
}

function optionalRetryAfter(body: Record<string, unknown>): { retryAfterSeconds?: number } {
  return body.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: nonNegative(body.retryAfterSeconds, 'retryAfterSeconds', true) };
}

function routeKey(value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Z]+ [\w.-]+$/.test(value)) throw badRequest('failNext.route must be "METHOD kind", as the stats name requests (e.g. "PATCH devices.delta").');
  return value;
}

/** Checks a POST /_emulator/faults body. */
export function parseFaultSettings(raw: unknown): FaultSettings {
  const body = requireObject(raw, 'Fault settings');
  const settings: FaultSettings = {};
  if (body.latencyMs !== undefined) settings.latencyMs = nonNegative(body.latencyMs, 'latencyMs');
  if (body.failNext !== undefined) {
    const failNext = requireObject(body.failNext, 'failNext');
    settings.failNext = {
      status: failureStatus(failNext.status),
      count: nonNegative(failNext.count ?? 1, 'failNext.count', true),
      ...optionalRetryAfter(failNext),
      ...(failNext.route === undefined ? {} : { route: routeKey(failNext.route) }),
    };
  }
  if (body.failRate !== undefined) {
    const failRate = requireObject(body.failRate, 'failRate');
    const probability = nonNegative(failRate.probability, 'failRate.probability');
    if (probability > 1) throw badRequest('failRate.probability must be between 0 and 1.');
    settings.failRate = { status: failureStatus(failRate.status), probability, ...optionalRetryAfter(failRate) };
  }
  if (body.throttle !== undefined) {
    const throttle = isObject(body.throttle) ? body.throttle : {};
    const requests = nonNegative(throttle.requests, 'throttle.requests', true);
    const windowMs = nonNegative(throttle.windowMs, 'throttle.windowMs');
    if (requests < 1 || windowMs <= 0) throw badRequest('throttle needs requests >= 1 and windowMs > 0.');
    settings.throttle = { requests, windowMs };
  }
  return settings;
}

/**
 * The emulator's misbehaviour: added latency, scripted failures, random failures and a token-bucket
 * throttle like Graph's. State lives here so that the HTTP layer stays a translation.
 */
export class FaultInjector {
  private settings: FaultSettings = {};
  private failNextRemaining = 0;
  private bucketTokens = 0;
  private bucketUpdatedAt = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  current(): FaultSettings {
    const failNext = this.settings.failNext && { ...this.settings.failNext, count: this.failNextRemaining };
    return { ...this.settings, ...(failNext ? { failNext } : {}) };
  }

  set(settings: FaultSettings): void {
    this.settings = settings;
    this.failNextRemaining = settings.failNext?.count ?? 0;
    this.bucketTokens = settings.throttle?.requests ?? 0;
    this.bucketUpdatedAt = this.now();
  }

  clear(): void {
    this.set({});
  }

  latencyMs(): number {
    return this.settings.latencyMs ?? 0;
  }

  /**
   * The share of the throttle's window used, as Graph sends it in x-ms-throttle-limit-percentage on
   * answers that got through: only from 0.8 up (docs: "Returned only when the application consumed
   * more than 0.8 of its limit"), undefined below that or with no throttle set.
   */
  limitUsed(): number | undefined {
    const { throttle } = this.settings;
    if (!throttle) return undefined;
    const now = this.now();
    const tokens = Math.min(throttle.requests, this.bucketTokens + (now - this.bucketUpdatedAt) * (throttle.requests / throttle.windowMs));
    const used = 1 - tokens / throttle.requests;
    return used > 0.8 ? used : undefined;
  }

  /** Decides the fate of one API request ("METHOD kind"): undefined lets it through. */
  nextFailure(route: string): InjectedFailure | undefined {
    const { failNext, failRate, throttle } = this.settings;
    if (failNext && this.failNextRemaining > 0 && (failNext.route === undefined || failNext.route === route)) {
      this.failNextRemaining--;
      return { status: failNext.status, retryAfterSeconds: retryAfter(failNext.status, failNext.retryAfterSeconds), throttled: false };
    }
    if (throttle) {
      const rate = throttle.requests / throttle.windowMs;
      const now = this.now();
      this.bucketTokens = Math.min(throttle.requests, this.bucketTokens + (now - this.bucketUpdatedAt) * rate);
      this.bucketUpdatedAt = now;
      if (this.bucketTokens < 1) {
        const waitMs = (1 - this.bucketTokens) / rate;
        return { status: 429, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)), throttled: true };
      }
      this.bucketTokens -= 1;
    }
    if (failRate && this.random() < failRate.probability) {
      return { status: failRate.status, retryAfterSeconds: retryAfter(failRate.status, failRate.retryAfterSeconds), throttled: false };
    }
    return undefined;
  }
}

/** Graph always sends Retry-After with a 429; for 5xx only when asked to. */
function retryAfter(status: number, seconds: number | undefined): number | undefined {
  return seconds ?? (status === 429 ? 1 : undefined);
}

/** Counters for GET /_emulator/stats. */
export class RequestStats {
  private stats: EmulatorStats = RequestStats.empty();
  /** Until when the last 429 told the app to wait (ms). */
  private retryAfterUntil = 0;

  constructor(private readonly now: () => number = Date.now) {}

  private static empty(): EmulatorStats {
    return { requests: {}, statuses: {}, throttled: 0, injected: {}, duringRetryAfter: 0 };
  }

  request(method: string, routeKind: string): void {
    const key = `${method} ${routeKind}`;
    this.stats.requests[key] = (this.stats.requests[key] ?? 0) + 1;
    if (this.now() < this.retryAfterUntil) this.stats.duringRetryAfter++;
  }

  response(status: number, retryAfterSeconds?: number): void {
    this.stats.statuses[status] = (this.stats.statuses[status] ?? 0) + 1;
    if (status !== 429) return;
    this.stats.throttled++;
    if (retryAfterSeconds !== undefined) this.retryAfterUntil = Math.max(this.retryAfterUntil, this.now() + retryAfterSeconds * 1000);
  }

  injected(status: number): void {
    this.stats.injected[status] = (this.stats.injected[status] ?? 0) + 1;
  }

  snapshot(): EmulatorStats {
    return structuredClone(this.stats);
  }

  reset(): void {
    this.stats = RequestStats.empty();
    this.retryAfterUntil = 0;
  }
}

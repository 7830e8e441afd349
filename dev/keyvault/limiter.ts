/** A request budget: at most `requests` in any `windowMs` span, as Key Vault's service limits are stated. */
export interface RateLimit {
  requests: number;
  windowMs: number;
}

/**
 * Sliding-window request limiter. It remembers when each admitted request arrived, so a refused
 * caller learns exactly when the oldest one leaves the window (the Retry-After Key Vault sends).
 */
export class SlidingWindowLimiter {
  private admitted: number[] = [];

  constructor(
    private limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {}

  get current(): RateLimit {
    return { ...this.limit };
  }

  setLimit(limit: RateLimit): void {
    this.limit = { ...limit };
  }

  /** Admits a request (undefined) or answers how many milliseconds until one would be admitted. */
  take(): number | undefined {
    const now = this.now();
    const windowStart = now - this.limit.windowMs;
    let expired = 0;
    while (expired < this.admitted.length && (this.admitted[expired] ?? 0) <= windowStart) expired++;
    if (expired > 0) this.admitted = this.admitted.slice(expired);
    if (this.admitted.length < this.limit.requests) {
      this.admitted.push(now);
      return undefined;
    }
    // The request that frees a slot is the one `requests` places back from the end.
    const blocking = this.admitted[this.admitted.length - this.limit.requests] ?? now;
    return Math.max(1, blocking + this.limit.windowMs - now);
  }

  clear(): void {
    this.admitted = [];
  }
}

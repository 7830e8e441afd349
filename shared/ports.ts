/**
 * The interfaces workflows are written against. Adapters in shared/adapters implement them for
 * Azure; unit tests implement them with plain objects.
 */

/** One outside dependency that the health check asks to answer. */
export interface DependencyProbe {
  /** Shown to admins: "storage", "keyVault", "graph". */
  name: string;
  /** Resolves when the dependency answers; rejects with a reason otherwise. */
  check(): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

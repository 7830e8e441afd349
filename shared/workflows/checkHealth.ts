import type { Clock, DependencyProbe } from '../ports';

export interface DependencyHealth {
  name: string;
  ok: boolean;
  /** Why it failed, in words safe to show (never a secret). */
  reason?: string;
}

export interface HealthReport {
  healthy: boolean;
  dependencies: DependencyHealth[];
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Asks every dependency at once; one slow dependency cannot hold the answer past `timeoutMs`. */
export async function checkHealth(probes: readonly DependencyProbe[], timeoutMs = 5000): Promise<HealthReport> {
  const dependencies = await Promise.all(
    probes.map(async (probe): Promise<DependencyHealth> => {
      try {
        await withTimeout(probe.check(), timeoutMs);
        return { name: probe.name, ok: true };
      } catch (error) {
        return { name: probe.name, ok: false, reason: describeFailure(error) };
      }
    }),
  );
  return { healthy: dependencies.every((d) => d.ok), dependencies };
}

/** How long one dependency check answers every health request. */
export const HEALTH_CACHE_MS = 30_000;

export interface CheckedHealth {
  report: HealthReport;
  /** When the dependencies were asked (ISO). */
  checkedAt: string;
}

/**
 * The dependency check shared by every health request for `ttlMs`, and never more than one at a
 * time, so however often health is called (it is anonymous) storage, Key Vault and Graph are asked
 * at most once per `ttlMs`.
 */
export function cachedHealthCheck(
  probes: readonly DependencyProbe[],
  clock: Clock,
  options: { ttlMs?: number; timeoutMs?: number } = {},
): () => Promise<CheckedHealth> {
  const ttlMs = options.ttlMs ?? HEALTH_CACHE_MS;
  let last: CheckedHealth | undefined;
  let inFlight: Promise<CheckedHealth> | undefined;
  return () => {
    const now = clock.now();
    if (last && now.getTime() - Date.parse(last.checkedAt) < ttlMs) return Promise.resolve(last);
    inFlight ??= checkHealth(probes, options.timeoutMs)
      .then((report) => {
        last = { report, checkedAt: now.toISOString() };
        return last;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}

/** A short reason from an SDK error: its status and code, not its message (which may echo a request). */
function describeFailure(error: unknown): string {
  if (error && typeof error === 'object') {
    const { statusCode, code, message } = error as { statusCode?: unknown; code?: unknown; message?: unknown };
    const parts = [typeof statusCode === 'number' ? `status ${statusCode}` : undefined, typeof code === 'string' ? code : undefined].filter(Boolean);
    if (parts.length > 0) return parts.join(', ');
    if (typeof message === 'string' && message.startsWith('no answer within')) return message;
  }
  return 'did not answer';
}

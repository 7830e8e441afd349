import type { DependencyProbe } from '../ports';

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

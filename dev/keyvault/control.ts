import { request } from 'node:https';
import type { KeyVaultFaults, KeyVaultLimits, KeyVaultStats, SecretPresence } from './server';

/**
 * Typed client of the Key Vault emulator's control API (/_emulator), for tests, benchmarks and
 * scripts running in another process than the emulator.
 */
export interface KeyVaultControl {
  stats(): Promise<KeyVaultStats>;
  reset(): Promise<void>;
  limits(): Promise<KeyVaultLimits>;
  setLimits(limits: Partial<KeyVaultLimits>): Promise<KeyVaultLimits>;
  faults(): Promise<KeyVaultFaults>;
  setFaults(faults: Partial<KeyVaultFaults>): Promise<KeyVaultFaults>;
  secretExists(name: string): Promise<SecretPresence>;
}

export interface KeyVaultControlOptions {
  /** PEM of the CA that signed the emulator's certificate (the dev CA). */
  ca: string;
}

export function createKeyVaultControl(vaultUrl: string, options: KeyVaultControlOptions): KeyVaultControl {
  const base = vaultUrl.replace(/\/+$/, '');

  function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    return new Promise<T>((resolve, reject) => {
      const req = request(`${base}/_emulator${path}`, { method, ca: options.ca, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            reject(new Error(`Key Vault emulator control ${method} ${path} answered ${status}: ${text.slice(0, 300)}`));
            return;
          }
          try {
            resolve(JSON.parse(text) as T);
          } catch {
            reject(new Error(`Key Vault emulator control ${method} ${path} answered non-JSON`));
          }
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  return {
    stats: () => call<KeyVaultStats>('GET', '/stats'),
    reset: async () => {
      await call<unknown>('POST', '/reset', {});
    },
    limits: () => call<KeyVaultLimits>('GET', '/limits'),
    setLimits: (limits) => call<KeyVaultLimits>('POST', '/limits', limits),
    faults: () => call<KeyVaultFaults>('GET', '/faults'),
    setFaults: (faults) => call<KeyVaultFaults>('POST', '/faults', faults),
    secretExists: (name) => call<SecretPresence>('GET', `/secrets/${encodeURIComponent(name)}/exists`),
  };
}

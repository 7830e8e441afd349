import { requestText } from '../net';
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

  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const { status, text } = await requestText(method, `${base}/_emulator${path}`, body, options.ca);
    if (status < 200 || status >= 300) throw new Error(`Key Vault emulator control ${method} ${path} answered ${status}: ${text.slice(0, 300)}`);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`Key Vault emulator control ${method} ${path} answered non-JSON`);
    }
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

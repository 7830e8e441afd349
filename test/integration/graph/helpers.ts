import { randomBytes } from 'node:crypto';
import { Client } from '@microsoft/microsoft-graph-client';
import { Secret, TOTP } from 'otpauth';
import { ensureDevCa } from '../../../dev/tls';
import { type GraphEmulator, startGraphEmulator } from '../../../dev/graph/server';
import type { GraphEmulatorOptions } from '../../../dev/graph/server';

export const TEST_TOKEN = 'test-bearer-token';

/** An emulator on a free port that accepts exactly TEST_TOKEN (no identity server needed). */
export function startTestEmulator(options: Partial<GraphEmulatorOptions> = {}): Promise<GraphEmulator> {
  return startGraphEmulator({
    ca: ensureDevCa(),
    verifyToken: async (token) => token === TEST_TOKEN,
    ...options,
  });
}

/** The real Graph SDK client, pointed at the emulator. The SDK matches custom hosts without the port. */
export function graphClient(emulator: GraphEmulator, token: string = TEST_TOKEN): Client {
  return Client.initWithMiddleware({
    authProvider: { getAccessToken: async () => token },
    baseUrl: `${emulator.url}/`,
    defaultVersion: 'beta',
    customHosts: new Set([new URL(emulator.url).hostname]),
  });
}

/** A fresh random seed in Base32, as a vendor would ship it. */
export function newSeed(bytes = 20): string {
  return Secret.fromHex(randomBytes(bytes).toString('hex')).base32;
}

export function codeAt(seed: string, timestampMs: number, period: 30 | 60 = 30, algorithm: 'SHA1' | 'SHA256' = 'SHA1'): string {
  return TOTP.generate({ secret: Secret.fromBase32(seed), period, algorithm, digits: 6, timestamp: timestampMs });
}

export function currentCode(seed: string, period: 30 | 60 = 30, algorithm: 'SHA1' | 'SHA256' = 'SHA1'): string {
  return codeAt(seed, Date.now(), period, algorithm);
}

/** A 6-digit code that matches no time step near now (so it fails even with the activation window). */
export function wrongCode(seed: string, period: 30 | 60 = 30): string {
  const near = new Set<string>();
  for (let step = -15; step <= 15; step++) near.add(codeAt(seed, Date.now() + step * period * 1000, period));
  for (let candidate = 0; ; candidate++) {
    const code = String(candidate).padStart(6, '0');
    if (!near.has(code)) return code;
  }
}

/** The status of a GraphError thrown by the SDK. */
export async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    return (error as { statusCode: number }).statusCode;
  }
  throw new Error('expected the Graph call to fail');
}

export async function errorOf(promise: Promise<unknown>): Promise<{ statusCode: number; code: string; body: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { statusCode: number; code: string; body: string };
  }
  throw new Error('expected the Graph call to fail');
}

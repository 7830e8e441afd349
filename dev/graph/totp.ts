import { timingSafeEqual } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import type { HashFunction } from './types';


export interface TotpParameters {
  /** Base32 seed, as stored. */
  secretKey: string;
  hashFunction: HashFunction;
  timeIntervalInSeconds: 30 | 60;
}

const ALGORITHM: Record<HashFunction, string> = { hmacsha1: 'SHA1', hmacsha256: 'SHA256' };

/**
 * The time step at which `code` is valid, searching `window` steps either side of `nowMs` and only steps
 * after `lastAcceptedStep` (a code is never accepted twice). Null when no step matches.
 */
export function matchingTimeStep(
  parameters: TotpParameters,
  code: string,
  nowMs: number,
  window: number,
  lastAcceptedStep: number,
): number | null {
  const period = parameters.timeIntervalInSeconds;
  const secret = Secret.fromBase32(parameters.secretKey);
  const currentStep = Math.floor(nowMs / 1000 / period);
  const wanted = Buffer.from(code);
  // Nearest steps first, so the accepted step is the most plausible one.
  for (let distance = 0; distance <= window; distance++) {
    for (const step of distance === 0 ? [currentStep] : [currentStep - distance, currentStep + distance]) {
      if (step <= lastAcceptedStep || step < 0) continue;
      const expected = Buffer.from(
        TOTP.generate({ secret, algorithm: ALGORITHM[parameters.hashFunction], digits: 6, period, timestamp: step * period * 1000 }),
      );
      if (expected.length === wanted.length && timingSafeEqual(expected, wanted)) return step;
    }
  }
  return null;
}

/** Activation tolerates large drift (Entra accepts tokens that sat in a drawer for a while). */
export const ACTIVATION_WINDOW_STEPS = 10;

/** Sign-in tolerates about +-1 min for 30 s tokens and +-2 min for 60 s tokens: two steps either way. */
export const SIGN_IN_WINDOW_STEPS = 2;

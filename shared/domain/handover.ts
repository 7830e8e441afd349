import { timingSafeEqual } from 'node:crypto';
import { totpCode, type HashFunction, type TimeInterval } from './seed';

/**
 * Hand-over at the desk, pure: the code read off the token is matched against its seed in a wide
 * window, which proves that this physical token is the one in front of the desk and measures how far
 * its clock is off, in time steps (+ ahead, - behind).
 */

export const CODE_PATTERN = /^\d{6}$/;

export interface CodeMatch {
  /** The TOTP time step (seconds since the epoch / interval) the code belongs to. */
  step: number;
  /** step minus the current step: how many steps the token's clock runs ahead (negative: behind). */
  driftSteps: number;
}

/** The step within `windowSteps` either side of `now` whose code is `code`, nearest first; undefined when none is. */
export function matchCode(seed: string, interval: TimeInterval, hash: HashFunction, code: string, now: Date, windowSteps: number): CodeMatch | undefined {
  const current = Math.floor(now.getTime() / 1000 / interval);
  const wanted = Buffer.from(code);
  for (let distance = 0; distance <= windowSteps; distance++) {
    for (const offset of distance === 0 ? [0] : [distance, -distance]) {
      const step = current + offset;
      const expected = Buffer.from(totpCode(seed, interval, hash, new Date(step * interval * 1000)));
      if (expected.length === wanted.length && timingSafeEqual(expected, wanted)) return { step, driftSteps: offset };
    }
  }
  return undefined;
}

/** Site codes as HR sends them (location), and tracking numbers: short, printable, nothing that breaks a CSV or a log line. */
export const SITE_PATTERN = /^[A-Za-z0-9_-]{1,16}$/;
export const TRACKING_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 _./:-]{0,99}$/;

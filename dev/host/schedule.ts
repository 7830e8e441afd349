import { CronExpressionParser } from 'cron-parser';
import { ConfigError } from '../../shared/app/config';
import { parseTimeSpan } from './hostJson';

/**
 * Timer schedules as the Functions host reads them: a six-field NCRONTAB expression (seconds first)
 * or a TimeSpan interval, either possibly given as `%SETTING%` and resolved from the app settings.
 */

export interface Schedule {
  /** The expression after %SETTING% resolution. */
  expression: string;
  /** The first occurrence strictly after `after`. */
  next(after: Date): Date;
  /** The last occurrence strictly before `before`. */
  previous(before: Date): Date;
}

/** Replaces each `%NAME%` with that app setting; a missing one is a ConfigError naming it. */
export function resolveSettingReferences(text: string, settings: Readonly<Record<string, string | undefined>>, usedBy: string): string {
  return text.replace(/%([^%\s]+)%/g, (_whole, name: string) => {
    const value = settings[name];
    if (value === undefined || value.trim() === '') throw new ConfigError(`Setting ${name}: missing (${usedBy} refers to %${name}%)`);
    return value.trim();
  });
}

function intervalSchedule(expression: string, intervalMs: number): Schedule {
  return {
    expression,
    next: (after) => new Date(after.getTime() + intervalMs),
    previous: (before) => new Date(before.getTime() - intervalMs),
  };
}

function cronSchedule(expression: string, tz: string): Schedule {
  const parse = (currentDate: Date) => CronExpressionParser.parse(expression, { currentDate, tz });
  parse(new Date()).next();
  return {
    expression,
    next: (after) => parse(after).next().toDate(),
    previous: (before) => parse(before).prev().toDate(),
  };
}

/**
 * Parses a resolved schedule. NCRONTAB runs in UTC unless WEBSITE_TIME_ZONE names an IANA zone, as on
 * Linux plans. Problems are ConfigErrors naming the function.
 */
export function parseSchedule(expression: string, functionName: string, timeZone = 'UTC'): Schedule {
  const trimmed = expression.trim();
  if (/^[\d.]+:\d+:\d+/.test(trimmed)) {
    let intervalMs: number;
    try {
      intervalMs = parseTimeSpan(trimmed);
    } catch (error) {
      throw new ConfigError(`Function ${functionName}: schedule ${(error as Error).message}`);
    }
    if (intervalMs <= 0) throw new ConfigError(`Function ${functionName}: schedule "${trimmed}" must be a positive interval`);
    return intervalSchedule(trimmed, intervalMs);
  }
  if (trimmed.split(/\s+/).length !== 6) {
    throw new ConfigError(`Function ${functionName}: schedule "${trimmed}" must be a six-field NCRONTAB expression (seconds first), e.g. "0 0 2 * * *"`);
  }
  try {
    return cronSchedule(trimmed, timeZone);
  } catch (error) {
    throw new ConfigError(`Function ${functionName}: schedule "${trimmed}" is not valid NCRONTAB: ${(error as Error).message}`);
  }
}

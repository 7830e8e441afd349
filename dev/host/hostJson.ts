import { readFileSync } from 'node:fs';
import { ConfigError } from '../../shared/app/config';

/**
 * The parts of host.json the local host honours, with the Functions host's defaults, so that
 * `func start` and the local host behave alike on the same file.
 */

export type FunctionLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';

export interface QueueOptions {
  batchSize: number;
  newBatchThreshold: number;
  maxPollingIntervalMs: number;
  /** How long a failed message stays invisible before its next try. */
  visibilityTimeoutMs: number;
  maxDequeueCount: number;
  messageEncoding: 'base64' | 'none';
}

export interface HostOptions {
  /** Without slashes; '' serves routes at the root. */
  routePrefix: string;
  queues: QueueOptions;
  /** host.json logging.logLevel, keys as written ("default", "Function", "Function.<name>"). */
  logLevels: Readonly<Record<string, FunctionLogLevel>>;
}

/** The host's own floor for the queue polling interval. */
export const MIN_POLLING_INTERVAL_MS = 100;
/** Storage refuses to hand out more than 32 messages per receive. */
const MAX_BATCH_SIZE = 32;

const LOG_LEVELS: Record<string, FunctionLogLevel> = {
  trace: 'trace',
  debug: 'debug',
  information: 'information',
  warning: 'warning',
  error: 'error',
  critical: 'critical',
  none: 'none',
};

/** .NET TimeSpan text as host.json writes it: `[d.]hh:mm:ss[.fffffff]`. */
export function parseTimeSpan(text: string): number {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a TimeSpan (hh:mm:ss)`);
  const [, days, hours, minutes, seconds, fraction] = match;
  if (Number(hours) > 23 || Number(minutes) > 59 || Number(seconds) > 59) throw new Error(`"${text}" is not a TimeSpan (hh:mm:ss)`);
  const fractionMs = fraction ? Number(`0.${fraction}`) * 1000 : 0;
  return Math.round(((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 + Number(seconds) * 1000 + fractionMs);
}

function objectAt(value: unknown, where: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where} must be an object`);
  return value as Record<string, unknown>;
}

function timeSpanAt(section: Record<string, unknown>, key: string, fallbackMs: number, where: string): number {
  const value = section[key];
  if (value === undefined) return fallbackMs;
  if (typeof value !== 'string') throw new Error(`${where}.${key} must be a TimeSpan string such as "00:00:10"`);
  try {
    return parseTimeSpan(value);
  } catch (error) {
    throw new Error(`${where}.${key}: ${(error as Error).message}`, { cause: error });
  }
}

function wholeNumberAt(section: Record<string, unknown>, key: string, fallback: number, min: number, max: number, where: string): number {
  const value = section[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${where}.${key} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/** host.json contents (already parsed) to options; throws a plain Error naming the bad field. */
export function hostOptionsFrom(json: unknown): HostOptions {
  const root = objectAt(json, 'host.json');
  const extensions = objectAt(root.extensions, 'extensions');
  const http = objectAt(extensions.http, 'extensions.http');
  const queues = objectAt(extensions.queues, 'extensions.queues');
  const logging = objectAt(root.logging, 'logging');
  const logLevel = objectAt(logging.logLevel, 'logging.logLevel');

  const routePrefix = http.routePrefix ?? 'api';
  if (typeof routePrefix !== 'string') throw new Error('extensions.http.routePrefix must be a string');

  const batchSize = wholeNumberAt(queues, 'batchSize', 16, 1, MAX_BATCH_SIZE, 'extensions.queues');
  const maxPollingIntervalMs = timeSpanAt(queues, 'maxPollingInterval', 60_000, 'extensions.queues');
  if (maxPollingIntervalMs < MIN_POLLING_INTERVAL_MS) {
    throw new Error(`extensions.queues.maxPollingInterval must be at least ${MIN_POLLING_INTERVAL_MS} ms`);
  }
  const messageEncoding = queues.messageEncoding ?? 'base64';
  if (messageEncoding !== 'base64' && messageEncoding !== 'none') throw new Error('extensions.queues.messageEncoding must be "base64" or "none"');

  const logLevels: Record<string, FunctionLogLevel> = {};
  for (const [category, level] of Object.entries(logLevel)) {
    const known = typeof level === 'string' ? LOG_LEVELS[level.toLowerCase()] : undefined;
    if (!known) throw new Error(`logging.logLevel.${category} must be one of Trace, Debug, Information, Warning, Error, Critical, None`);
    logLevels[category] = known;
  }

  return {
    routePrefix: routePrefix.replace(/^\/+|\/+$/g, ''),
    queues: {
      batchSize,
      newBatchThreshold: wholeNumberAt(queues, 'newBatchThreshold', Math.floor(batchSize / 2), 0, 1000, 'extensions.queues'),
      maxPollingIntervalMs,
      visibilityTimeoutMs: timeSpanAt(queues, 'visibilityTimeout', 0, 'extensions.queues'),
      maxDequeueCount: wholeNumberAt(queues, 'maxDequeueCount', 5, 1, 1000, 'extensions.queues'),
      messageEncoding,
    },
    logLevels,
  };
}

/** Reads host.json; without a path, the host's defaults. Problems are ConfigErrors naming the file. */
export function readHostOptions(hostJsonPath?: string): HostOptions {
  if (hostJsonPath === undefined) return hostOptionsFrom({});
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(hostJsonPath, 'utf8'));
  } catch (error) {
    throw new ConfigError(`host.json (${hostJsonPath}): ${(error as Error).message}`);
  }
  try {
    return hostOptionsFrom(json);
  } catch (error) {
    throw new ConfigError(`host.json (${hostJsonPath}): ${(error as Error).message}`);
  }
}

const LEVEL_ORDER: FunctionLogLevel[] = ['trace', 'debug', 'information', 'warning', 'error', 'critical', 'none'];

/** Whether a function's log line at `level` passes host.json's filter, most specific category first. */
export function logLevelEnabled(levels: Readonly<Record<string, FunctionLogLevel>>, functionName: string, level: FunctionLogLevel): boolean {
  const threshold = levels[`Function.${functionName}`] ?? levels.Function ?? levels.default ?? 'information';
  return LEVEL_ORDER.indexOf(level) >= LEVEL_ORDER.indexOf(threshold);
}

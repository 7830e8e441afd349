import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from './config';

/** The Storage extension's default when host.json does not say. */
const DEFAULT_MAX_DEQUEUE_COUNT = 5;

/** host.json at the app root: beside package.json, above shared/ (sources) or dist/shared/ (build). */
function hostJsonPath(): string | undefined {
  for (let dir = __dirname, up = 0; up < 3; dir = path.dirname(dir), up++) {
    const candidate = path.join(dir, 'host.json');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * extensions.queues.maxDequeueCount from the app's host.json, read once at start-up: the try on which
 * the host moves a failing message to `<queue>-poison`, so a workflow can settle visibly before that.
 */
export function queueMaxDequeueCount(file = hostJsonPath()): number {
  if (!file) return DEFAULT_MAX_DEQUEUE_COUNT;
  let value: unknown;
  try {
    value = (JSON.parse(readFileSync(file, 'utf8')) as { extensions?: { queues?: { maxDequeueCount?: unknown } } }).extensions?.queues?.maxDequeueCount;
  } catch (error) {
    throw new ConfigError(`host.json (${file}): ${(error as Error).message}`);
  }
  if (value === undefined) return DEFAULT_MAX_DEQUEUE_COUNT;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new ConfigError(`host.json (${file}): extensions.queues.maxDequeueCount must be a whole number of at least 1`);
  return value;
}

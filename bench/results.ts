import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../dev/paths';

export const RESULTS_FILE = path.join(REPO_ROOT, 'bench', 'results.json');

/** Merges one benchmark's figures into bench/results.json, keeping the others' keys. */
export function saveResult(name: string, figures: object): void {
  const results = existsSync(RESULTS_FILE) ? (JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as Record<string, unknown>) : {};
  results[name] = { ...figures, measuredAt: new Date().toISOString() };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
}

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../dev/paths';
import { ensureDevCa } from '../dev/tls';
import { benchHires } from './hires';
import { benchImport } from './import';
import { benchReconcile } from './reconcile';

/**
 * `npm run bench [-- NAME...]`: runs the benchmarks (all, or the ones named), prints their figures and
 * merges them into bench/results.json, keeping the keys of benchmarks not run this time. Nothing here
 * asserts anything about time.
 */

const RESULTS_FILE = path.join(REPO_ROOT, 'bench', 'results.json');

const BENCHMARKS: Record<string, () => Promise<object>> = {
  hires: () => benchHires({ hires: 1000, graphRequestsPerSecond: 100, graphLatencyMs: 50, workerHosts: 2 }),
  // 10k tokens against Key Vault's create limit scaled to 1000 per 10 s; 2k beside it to show memory stays flat.
  import: async () => {
    const small = await benchImport(2000, 1000);
    const large = await benchImport(10_000, 1000);
    return { small, large, peakMemoryLargeOverSmall: Math.round((large.hostPeakRssMb / small.hostPeakRssMb) * 100) / 100 };
  },
  // A report-only run over 10k and 100k consistent tokens: time, Graph calls against pages, and peak memory of each.
  reconcile: async () => {
    const small = await benchReconcile(10_000);
    const large = await benchReconcile(100_000);
    return { small, large, peakMemoryLargeOverSmall: Math.round((large.hostPeakRssMb / small.hostPeakRssMb) * 100) / 100 };
  },
};

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) throw new Error(`no benchmark named ${unknown.join(', ')}; there are: ${Object.keys(BENCHMARKS).join(', ')}`);
  const names = asked.length > 0 ? asked : Object.keys(BENCHMARKS);

  const results = existsSync(RESULTS_FILE) ? (JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as Record<string, unknown>) : {};
  for (const name of names) {
    const run = BENCHMARKS[name];
    if (!run) continue;
    console.log(`${name}: running...`);
    const figures = await run();
    console.log(`${name}:`);
    for (const [key, value] of Object.entries(figures)) console.log(`  ${key.padEnd(30)} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
    results[name] = { ...figures, measuredAt: new Date().toISOString() };
    writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  }
  console.log(`Results written to ${path.relative(process.cwd(), RESULTS_FILE)}.`);
}

// The emulators' certificates come from the dev CA, which Node trusts only through NODE_EXTRA_CA_CERTS
// read at start-up: unless it names the dev CA, run again in a child process where it does.
const ca = ensureDevCa();
if (process.env.NODE_EXTRA_CA_CERTS && path.resolve(process.env.NODE_EXTRA_CA_CERTS) === path.resolve(ca.certPath)) {
  main().catch((error: unknown) => {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
} else {
  const child = spawn(process.execPath, [__filename, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, NODE_EXTRA_CA_CERTS: ca.certPath } });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

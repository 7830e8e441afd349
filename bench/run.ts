import path from 'node:path';
import { runTrustingDevCa } from './devCa';
import { benchExport } from './export';
import { benchHires } from './hires';
import { benchImport, benchImportPaced } from './import';
import { benchPacing } from './pacing';
import { benchReconcile } from './reconcile';
import { RESULTS_FILE, saveResult } from './results';
import { benchSideBySide } from './sideBySide';
import { THROTTLE_MODELS } from './throttleModels';

/**
 * `npm run bench [-- NAME...]`: runs the benchmarks (all, or the ones named), prints their figures and
 * merges them into bench/results.json, keeping the keys of benchmarks not run this time. Nothing here
 * asserts anything about time.
 */

const BENCHMARKS: Record<string, () => Promise<object>> = {
  // Graph's identity-write rate per app and tenant (20/s), shared by the two instances' budgets.
  // Under each throttle model the emulator offers.
  hires: async () => {
    const figures: Record<string, object> = {};
    for (const throttleModel of THROTTLE_MODELS) figures[throttleModel] = await benchHires({ hires: 1000, graphRequestsPerSecond: 20, graphLatencyMs: 50, workerHosts: 2, throttleModel });
    return figures;
  },
  // 10k tokens against Key Vault's create limit scaled to 1000 per 10 s; 2k beside it to show memory stays flat.
  import: async () => {
    const small = await benchImport(2000, 1000);
    const large = await benchImport(10_000, 1000);
    // 2k tokens against Graph throttled to its identity-write rate (20/s) with 50 ms latency, the app's budget the same.
    const paced = await benchImportPaced(2000, 20, 50);
    // 2k rows naming users (checked, assigned and activated), so Graph's 20/s bounds the import.
    const pacedNamedUsers = await benchImportPaced(2000, 20, 50, { namedUsers: true });
    return { small, large, peakMemoryLargeOverSmall: Math.round((large.hostPeakRssMb / small.hostPeakRssMb) * 100) / 100, paced, pacedNamedUsers };
  },
  // The table (200 users, Graph at 20 requests/s, 50 ms): the app budget set right against left
  // above the limit, and four host processes sharing one limit.
  pacing: benchPacing,
  // 200 users each given one activated token: the peer's requests against ours, under each throttle model at 20 requests/s and 50 ms.
  sideBySide: () => benchSideBySide({ tokens: 200, rate: 20, latencyMs: 50 }),
  // The same with the app's budget left above the limit: pacing finds it by itself, no hand-tuning.
  sideBySideUntuned: () => benchSideBySide({ tokens: 200, rate: 20, latencyMs: 50, appBudget: 'default' }),
  // A report-only run over 10k and 100k consistent tokens: time, Graph calls against pages, and peak memory of each.
  reconcile: async () => {
    const small = await benchReconcile(10_000);
    const large = await benchReconcile(100_000);
    return { small, large, timeLargeOverSmall: Math.round((large.seconds / small.seconds) * 100) / 100, peakMemoryLargeOverSmall: Math.round((large.hostPeakRssMb / small.hostPeakRssMb) * 100) / 100 };
  },
  // The inventory and the audit trail as CSV, 10k then 100k rows each: peak memory of the streaming host.
  export: () => benchExport(10_000, 100_000),
};

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) throw new Error(`no benchmark named ${unknown.join(', ')}; there are: ${Object.keys(BENCHMARKS).join(', ')}`);
  const names = asked.length > 0 ? asked : Object.keys(BENCHMARKS);

  for (const name of names) {
    const run = BENCHMARKS[name];
    if (!run) continue;
    console.log(`${name}: running...`);
    const figures = await run();
    console.log(`${name}:`);
    for (const [key, value] of Object.entries(figures)) console.log(`  ${key.padEnd(30)} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
    saveResult(name, figures);
  }
  console.log(`Results written to ${path.relative(process.cwd(), RESULTS_FILE)}.`);
}

runTrustingDevCa(__filename, 'bench', main);

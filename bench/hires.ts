import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { graphEmulatorControl, type EmulatorStats } from '../dev/graph/control';
import { createKeyVaultControl } from '../dev/keyvault/control';
import type { KeyVaultStats } from '../dev/keyvault/server';
import { startStack } from '../dev/stack';
import { mapWithLimit } from '../shared/workflows/concurrency';
import { generateSeed } from '../shared/domain/seed';
import { signWebhook } from '../shared/domain/webhookSignature';
import { poisonQueueOf, QUEUES, TABLES } from '../shared/app/storageNames';
import { startCountingProxy } from './countingProxy';
import { startHostProcess, type HostProcess } from './hostProcess';
import { applyThrottleModel, type ThrottleModel } from './throttleModels';

/**
 * Hires benchmark: N hires through the real webhook, queue and worker (several local hosts, each in a
 * process of its own with its own Graph budget, as Functions instances are) against the emulators,
 * with Graph answering after a fixed latency and throttling like Graph does. Table operations are
 * counted by a proxy in front of Azurite's table endpoint; Graph and Key Vault calls, and requests
 * sent while a 429's Retry-After still ran, by the emulators' own statistics.
 */

export interface HiresOptions {
  hires?: number;
  /** The Graph throttle: this many requests per second (token bucket, 429 with Retry-After beyond it). */
  graphRequestsPerSecond?: number;
  graphLatencyMs?: number;
  workerHosts?: number;
  /** Each host's GRAPH_REQUESTS_PER_SECOND; 'default' leaves the local stack's. Default: the throttle's rate. */
  appBudget?: number | 'default';
  /** The Graph emulator's throttle model (bench/throttleModels.ts); singleBucket unless given. */
  throttleModel?: ThrottleModel;
}

export interface HiresFigures {
  throttleModel: ThrottleModel;
  hires: number;
  completed: number;
  failed: number;
  poisoned: number;
  seconds: number;
  hiresPerSecond: number;
  graphLatencyMs: number;
  graphThrottle: { requests: number; windowSeconds: number };
  /** The most hires per second the throttle admits: its rate over the Graph calls a hire made. */
  throttleBoundHiresPerSecond: number;
  ratioToThrottleBound: number;
  /** Graph requests Graph served (429 answers not counted), per hire. */
  graphCallsPerHire: number;
  /** Every Graph request sent, 429-answered ones included, per hire. */
  graphRequestsPerHire: number;
  /** Graph requests per hire, by "METHOD route": which reads and writes a hire costs. */
  graphRequestsPerHireByKind: Record<string, number>;
  graph429s: number;
  /** Requests that reached Graph while a 429's Retry-After still ran (goal 0). */
  requestsDuringRetryAfter: number;
  keyVaultCallsPerHire: number;
  tableOperationsPerHire: number;
  workerHosts: number;
  /** Graph requests Graph served over what the throttle allowed in the run's time (goal >= 0.9). */
  shareOfGraphBudget: number;
  graph429sPer1000Requests: number;
  /** Seconds from the webhook's send to the hire's record completed. */
  webhookToActivatedSeconds: { p50: number; p95: number; p99: number };
}

const WEBHOOK_CONCURRENCY = 16;
const POLL_MS = 200;
/** The run gives up waiting once nothing settles for this long (a bound, not a measurement). */
const STALL_MS = 60_000;
const HOST_HEAP_CAP_MB = 512;
/** The import that stocks the inventory is set-up, not measured: its host has a budget of its own. */
const SETUP_GRAPH_REQUESTS_PER_SECOND = 1000;

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

const sum = (values: Record<string, number | undefined>) => Object.values(values).reduce<number>((total, n) => total + (n ?? 0), 0);

function graphDelta(before: EmulatorStats, after: EmulatorStats) {
  const requests = sum(after.requests) - sum(before.requests);
  const throttled = after.throttled - before.throttled;
  const byKind: Record<string, number> = {};
  for (const [kind, count] of Object.entries(after.requests)) {
    const delta = count - (before.requests[kind] ?? 0);
    if (delta > 0) byKind[kind] = delta;
  }
  return { requests, throttled, served: requests - throttled, byKind, duringRetryAfter: after.duringRetryAfter - before.duringRetryAfter };
}

const keyVaultCalls = (stats: KeyVaultStats) => sum(stats.operations);

export async function benchHires(options: HiresOptions = {}): Promise<HiresFigures> {
  const hires = options.hires ?? 1000;
  const rate = options.graphRequestsPerSecond ?? 100;
  const latencyMs = options.graphLatencyMs ?? 50;
  const hostCount = options.workerHosts ?? 2;

  const stack = await startStack({ keyVaultCreateLimit: { requests: 100_000, windowMs: 1000 } });
  const tableOrigin = new URL(stack.azurite.tableUrl).origin;
  const proxy = await startCountingProxy(tableOrigin);
  const proxied = stack.azurite.connectionString.replace(`TableEndpoint=${tableOrigin}`, `TableEndpoint=${proxy.url}`);
  const scratch = mkdtempSync(path.join(tmpdir(), 'bench-hires-'));
  const hostJsonPath = path.join(scratch, 'host.json');
  // Several instances' worth of queue workers; a failed try comes back after 1 s.
  writeFileSync(
    hostJsonPath,
    JSON.stringify({
      version: '2.0',
      extensions: { queues: { maxPollingInterval: '00:00:00.5', visibilityTimeout: '00:00:01', batchSize: 16, newBatchThreshold: 8, maxDequeueCount: 5, messageEncoding: 'base64' } },
      logging: { logLevel: { default: 'Warning' } },
    }),
  );
  const problems: string[] = [];
  const onLine = (line: string) => {
    if (/ (ERROR|WARN) /.test(line) && problems.length < 20) problems.push(line);
  };
  const hosts: HostProcess[] = [];
  try {
    const graph = graphEmulatorControl(stack.graph.url, { caCertPem: stack.ca.certPem });
    // Set first, so a model the emulator lacks ends the run before its set-up; the set-up import's few requests fit any model.
    const throttleModel = options.throttleModel ?? 'singleBucket';
    await applyThrottleModel(graph, throttleModel, rate, latencyMs);
    const keyVault = createKeyVaultControl(stack.keyVault.url, { ca: stack.ca.certPem });
    const upn = (i: number) => `bench${String(i).padStart(5, '0')}@contoso.com`;
    const employeeId = (i: number) => `B${String(i).padStart(5, '0')}`;
    await graph.seedUsers(Array.from({ length: hires }, (_, i) => ({ displayName: `Bench ${i}`, userPrincipalName: upn(i), employeeId: employeeId(i) })));

    const adminToken = await stack.identity.mintToken({ audience: stack.appSettings.ADMIN_AUTH_AUDIENCE ?? '', roles: ['Tokens.Admin'], name: 'bench' });
    const csv = ['upn,serial number,secret key,time interval,manufacturer,model', ...Array.from({ length: hires }, (_, i) => `,BH-${String(i).padStart(6, '0')},${generateSeed('hmacsha1')},30,Token2,C302`)];
    const setup = await startHostProcess(stack, HOST_HEAP_CAP_MB, { GRAPH_REQUESTS_PER_SECOND: String(SETUP_GRAPH_REQUESTS_PER_SECOND) }, { onLine });
    try {
      const imported = await fetch(`${setup.url}/api/tokens/import`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'text/csv' }, body: csv.join('\n') });
      const summary = (await imported.json()) as { imported?: number; detail?: string };
      if (summary.imported !== hires) throw new Error(`the token import brought in ${summary.imported ?? 0} of ${hires} tokens (HTTP ${imported.status}: ${summary.detail ?? 'no detail'})`);
    } finally {
      await setup.stop();
    }
    // The set-up import taught the app's shared Graph budget a rate of its own; the measured app starts fresh.
    const budget = TableClient.fromConnectionString(stack.azurite.connectionString, TABLES.graphBudget, { allowInsecureConnection: true });
    for await (const row of budget.listEntities()) await budget.deleteEntity(row.partitionKey ?? '', row.rowKey ?? '');
    // The budget is the app's, shared by the instances through a table row.
    const appBudget = options.appBudget ?? rate;
    const budgetSetting: Record<string, string> = appBudget === 'default' ? {} : { GRAPH_REQUESTS_PER_SECOND: String(appBudget) };
    for (let i = 0; i < hostCount; i++) hosts.push(await startHostProcess(stack, HOST_HEAP_CAP_MB, { AzureWebJobsStorage: proxied, ...budgetSetting }, { hostJsonPath, onLine }));

    const graphBefore = await graph.stats();
    const keyVaultBefore = await keyVault.stats();
    proxy.reset();

    const provisioning = TableClient.fromConnectionString(stack.azurite.connectionString, TABLES.provisioning, { allowInsecureConnection: true });
    const settledCount = async () => {
      let completed = 0;
      let failed = 0;
      try {
        for await (const row of provisioning.listEntities<{ status: string }>({ queryOptions: { select: ['status'] } })) {
          if (row.status === 'completed') completed++;
          else if (row.status === 'failed') failed++;
        }
      } catch (error) {
        // The table appears with the first hire.
        if ((error as { statusCode?: number }).statusCode !== 404) throw error;
      }
      return { completed, failed };
    };

    const sentAt = new Map<string, number>();
    const started = performance.now();
    await mapWithLimit(
      Array.from({ length: hires }, (_, i) => i),
      WEBHOOK_CONCURRENCY,
      async (i) => {
        const eventId = `msg_bench_${i}`;
        const body = JSON.stringify({ type: 'employee.hired', data: { employeeId: employeeId(i), userPrincipalName: upn(i) } });
        const timestamp = Math.floor(Date.now() / 1000);
        sentAt.set(employeeId(i), Date.now());
        const response = await fetch(`${hosts[i % hosts.length]?.url}/api/hr/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'webhook-id': eventId, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(stack.hrWebhookSecret, eventId, timestamp, body) },
          body,
        });
        if (response.status !== 202) throw new Error(`the webhook answered ${response.status} for hire ${i}`);
      },
    );

    let settled = { completed: 0, failed: 0 };
    let lastProgress = performance.now();
    while (settled.completed + settled.failed < hires && performance.now() - lastProgress < STALL_MS) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      const now = await settledCount();
      if (now.completed + now.failed > settled.completed + settled.failed) lastProgress = performance.now();
      settled = now;
    }
    const seconds = (performance.now() - started) / 1000;

    const tableOperations = proxy.total();
    const graphCalls = graphDelta(graphBefore, await graph.stats());
    const keyVaultReads = keyVaultCalls(await keyVault.stats()) - keyVaultCalls(keyVaultBefore);
    await graph.clearFaults();
    const poisoned = (await new QueueClient(stack.azurite.connectionString, poisonQueueOf(QUEUES.hrEvents)).getProperties()).approximateMessagesCount ?? 0;
    const hiresPerSecond = settled.completed / seconds;
    const latencies: number[] = [];
    for await (const row of provisioning.listEntities<{ status: string; updatedAt: string }>({ queryOptions: { select: ['PartitionKey', 'status', 'updatedAt'] } })) {
      const sent = sentAt.get(row.partitionKey ?? '');
      if (row.status === 'completed' && sent !== undefined) latencies.push((Date.parse(row.updatedAt) - sent) / 1000);
    }
    latencies.sort((a, b) => a - b);
    const percentile = (p: number) => round(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0, 1);
    const callsPerHire = graphCalls.served / Math.max(1, settled.completed);
    const bound = rate / Math.max(1, callsPerHire);
    if (problems.length > 0) console.warn(`The hosts logged problems, the first ones:\n  ${problems.slice(0, 5).join('\n  ')}`);
    return {
      throttleModel,
      hires,
      completed: settled.completed,
      failed: settled.failed,
      poisoned,
      seconds: round(seconds, 1),
      hiresPerSecond: round(hiresPerSecond, 1),
      graphLatencyMs: latencyMs,
      graphThrottle: { requests: rate, windowSeconds: 1 },
      throttleBoundHiresPerSecond: round(bound, 1),
      ratioToThrottleBound: round(hiresPerSecond / bound),
      graphCallsPerHire: round(graphCalls.served / hires),
      graphRequestsPerHire: round(graphCalls.requests / hires),
      graphRequestsPerHireByKind: Object.fromEntries(Object.entries(graphCalls.byKind).map(([kind, count]) => [kind, round(count / hires)])),
      graph429s: graphCalls.throttled,
      requestsDuringRetryAfter: graphCalls.duringRetryAfter,
      keyVaultCallsPerHire: round(keyVaultReads / hires),
      tableOperationsPerHire: round(tableOperations / hires, 1),
      workerHosts: hostCount,
      shareOfGraphBudget: round(graphCalls.served / (seconds * rate)),
      graph429sPer1000Requests: round((graphCalls.throttled / Math.max(1, graphCalls.requests)) * 1000, 1),
      webhookToActivatedSeconds: { p50: percentile(50), p95: percentile(95), p99: percentile(99) },
    };
  } catch (error) {
    if (problems.length > 0) console.error(`The hosts logged:\n  ${problems.slice(0, 5).join('\n  ')}`);
    throw error;
  } finally {
    for (const host of hosts) await host.stop();
    await proxy.close();
    await stack.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

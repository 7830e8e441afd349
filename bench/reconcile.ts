import { TableClient, type TransactionAction } from '@azure/data-tables';
import { Secret } from 'otpauth';
import { graphEmulatorControl } from '../dev/graph/control';
import { startStack } from '../dev/stack';
import { startHostProcess } from './hostProcess';
import { appCredential, secretClient } from '../shared/adapters/azureClients';
import { mapWithLimit } from '../shared/workflows/concurrency';
import type { ReconcileReport } from '../shared/domain/drift';
import { seedSecretName, serialKey } from '../shared/domain/token';
import { TABLES } from '../shared/app/storageNames';

/**
 * Reconcile benchmark: N consistent tokens (Entra devices, inventory rows, seeds) loaded straight into
 * the emulators, then one report-only run in a local host of its own process, under a heap cap, so
 * its peak memory is the scan's alone. Graph answers 100 devices a page (its default) after a page
 * latency like a real tenant's, so the run can be set against the time Graph paging alone takes.
 */
export interface ReconcileFigures {
  tokens: number;
  loadSeconds: number;
  seconds: number;
  graphPages: number;
  graphCalls: number;
  graphPageLatencyMs: number;
  /** Pages x page latency: what no reconciliation can beat. */
  graphPagingSeconds: number;
  ratioToGraphPaging: number;
  driftFound: number;
  consistent: number;
  hostPeakRssMb: number;
  hostHeapCapMb: number;
}

const HOST_HEAP_CAP_MB = 128;
/** A list page of 100 devices from Graph takes this long in a real tenant (order of magnitude). */
const GRAPH_LATENCY_MS = 100;
const SEED_CHUNK = 5000;



const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

export async function benchReconcile(tokens: number): Promise<ReconcileFigures> {
  const stack = await startStack({ keyVaultCreateLimit: { requests: 1_000_000, windowMs: 10_000 } });
  const graph = graphEmulatorControl(stack.graph.url, { caCertPem: stack.ca.certPem });
  const loadStarted = process.hrtime.bigint();
  try {
    const serials = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `RB-${String(from + i).padStart(7, '0')}`);
    const table = TableClient.fromConnectionString(stack.azurite.connectionString, TABLES.tokens, { allowInsecureConnection: true });
    await table.createTable();
    const settings = stack.appSettings;
    const vault = secretClient(
      { keyVaultUrl: settings.KEY_VAULT_URL ?? '' },
      appCredential({ kind: 'clientSecret', tenantId: settings.AZURE_TENANT_ID ?? '', clientId: settings.AZURE_CLIENT_ID ?? '', clientSecret: settings.AZURE_CLIENT_SECRET ?? '', authorityHost: settings.AZURE_AUTHORITY_HOST ?? '' }),
    );
    const past = new Date(Date.now() - 24 * 3600_000).toISOString();
    for (let start = 0; start < tokens; start += SEED_CHUNK) {
      const chunk = serials(start, Math.min(tokens, start + SEED_CHUNK));
      const seeds = chunk.map(() => new Secret({ size: 20 }).base32);
      const { ids } = await graph.seedDevices(chunk.map((serialNumber, i) => ({ serialNumber, manufacturer: 'Token2', model: 'C302', secretKey: seeds[i] ?? '', timeIntervalInSeconds: 30 })));
      const batches: TransactionAction[][] = [];
      for (let i = 0; i < chunk.length; i += 100) {
        batches.push(
          chunk.slice(i, i + 100).map((serial, j): TransactionAction => [
            'create',
            {
              partitionKey: 'token',
              rowKey: serialKey(serial),
              serialNumber: serial,
              manufacturer: 'Token2',
              model: 'C302',
              timeIntervalInSeconds: 30,
              hashFunction: 'hmacsha1',
              seedOrigin: 'vendor',
              pool: `site${(i + j) % 10}`,
              status: 'in_stock',
              seedSecretName: seedSecretName(serial),
              entraDeviceId: ids[i + j] ?? '',
              createdAt: past,
              updatedAt: past,
              lastChangeReason: 'bench',
            },
          ]),
        );
      }
      await mapWithLimit(batches, 8, (batch) => table.submitTransaction(batch));
      await mapWithLimit(chunk, 64, (serial, i) => vault.setSecret(seedSecretName(serial), seeds[i] ?? '', { tags: { managedBy: 'entra-oath-tokens' } }));
    }
    const loadSeconds = Number(process.hrtime.bigint() - loadStarted) / 1e9;

    const host = await startHostProcess(stack, HOST_HEAP_CAP_MB, { LOW_STOCK_THRESHOLD: '0' });
    const url = host.url;
    try {
      await graph.setFaults({ latencyMs: GRAPH_LATENCY_MS });
      const before = sum((await graph.stats()).requests);
      const token = await stack.identity.mintToken({ audience: stack.appSettings.ADMIN_AUTH_AUDIENCE ?? '', roles: ['Tokens.Admin', 'Tokens.Read'], name: 'bench' });
      const headers = { authorization: `Bearer ${token}` };
      const started = await fetch(`${url}/api/reconcile`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{"mode":"report"}' });
      if (started.status !== 202) throw new Error(`POST /api/reconcile answered ${started.status}`);
      const { runId } = (await started.json()) as { runId: string };
      let report: ReconcileReport | undefined;
      for (let poll = 0; !report; poll++) {
        if (poll > 6000) throw new Error('the reconciliation did not finish within 10 minutes');
        const answer = await fetch(`${url}/api/reports/reconcile/${runId}`, { headers });
        if (answer.status === 200) report = (await answer.json()) as ReconcileReport;
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const graphCalls = sum((await graph.stats()).requests) - before;
      const graphPagingSeconds = (report.graphPages * GRAPH_LATENCY_MS) / 1000;
      return {
        tokens,
        loadSeconds: Math.round(loadSeconds * 10) / 10,
        seconds: Math.round(report.durationMs / 100) / 10,
        graphPages: report.graphPages,
        graphCalls,
        graphPageLatencyMs: GRAPH_LATENCY_MS,
        graphPagingSeconds,
        ratioToGraphPaging: Math.round((report.durationMs / 1000 / graphPagingSeconds) * 100) / 100,
        driftFound: Object.values(report.drift).reduce((a, b) => a + b, 0),
        consistent: report.counts.consistent,
        hostPeakRssMb: host.peakRssMb(),
        hostHeapCapMb: HOST_HEAP_CAP_MB,
      };
    } finally {
      await host.stop();
    }
  } finally {
    await stack.stop();
  }
}

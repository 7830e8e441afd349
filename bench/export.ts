import { randomUUID } from 'node:crypto';
import { TableClient, type TransactionAction } from '@azure/data-tables';
import { startStack } from '../dev/stack';
import { mapWithLimit } from '../shared/workflows/concurrency';
import { seedSecretName, serialKey } from '../shared/domain/token';
import { TABLES } from '../shared/app/storageNames';
import { startHostProcess } from './hostProcess';

/**
 * Export benchmark: the inventory and the audit trail streamed as CSV from a local host of its own
 * process under a heap cap, first with `small` rows in each table, then with `large`. Peak memory is the
 * host's high-water mark after each: an export that held its rows would grow with them (or run out
 * of heap); one that streams page by page stays where the small one left it.
 */
export interface ExportFigures {
  small: number;
  large: number;
  hostHeapCapMb: number;
  hostIdlePeakRssMb: number;
  tokens: { smallPeakRssMb: number; largePeakRssMb: number; largeRows: number; largeMb: number; largeSeconds: number };
  audit: { smallPeakRssMb: number; largePeakRssMb: number; largeRows: number; largeMb: number; largeSeconds: number };
  peakMemoryLargeOverSmall: number;
}

const HOST_HEAP_CAP_MB = 128;
const LOAD_CONCURRENCY = 8;

const chunks = <T>(items: T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

async function loadTokens(table: TableClient, from: number, to: number): Promise<void> {
  const past = new Date(Date.now() - 24 * 3600_000).toISOString();
  const rows = Array.from({ length: to - from }, (_, i) => {
    const serial = `XB-${String(from + i).padStart(7, '0')}`;
    return {
      partitionKey: 'token',
      rowKey: serialKey(serial),
      serialNumber: serial,
      manufacturer: 'Token2',
      model: 'C302',
      timeIntervalInSeconds: 30,
      hashFunction: 'hmacsha1',
      seedOrigin: 'vendor',
      pool: `site${i % 10}`,
      status: i % 3 === 0 ? 'active' : 'in_stock',
      seedSecretName: seedSecretName(serial),
      entraDeviceId: randomUUID(),
      ...(i % 3 === 0 ? { employeeId: `E${from + i}`, userPrincipalName: `user${from + i}@contoso.com`, entraUserId: randomUUID(), activatedAt: past } : {}),
      createdAt: past,
      updatedAt: past,
      lastChangeReason: 'imported by the export bench, with a reason as long as real ones tend to be',
    };
  });
  await mapWithLimit(chunks(rows, 100), LOAD_CONCURRENCY, (batch) => table.submitTransaction(batch.map((row): TransactionAction => ['create', row])));
}

async function loadAudit(table: TableClient, from: number, to: number): Promise<void> {
  const start = Date.UTC(2026, 10, 1);
  const rows = Array.from({ length: to - from }, (_, i) => {
    const at = new Date(start + (from + i) * 1000).toISOString();
    return {
      partitionKey: at.slice(0, 7),
      rowKey: `${at}_${randomUUID()}`,
      at,
      actor: 'admin 00000000-0000-0000-0000-000000000001',
      action: 'token.revoked.lost',
      outcome: 'succeeded',
      serialNumber: `XB-${String(from + i).padStart(7, '0')}`,
      employeeId: `E${from + i}`,
      correlationId: randomUUID(),
      detail: 'revoked: lost, left on a train (by admin 00000000-0000-0000-0000-000000000001)',
    };
  });
  // A transaction is one partition: group by month.
  const byPartition = new Map<string, typeof rows>();
  for (const row of rows) {
    const partition = byPartition.get(row.partitionKey);
    if (partition) partition.push(row);
    else byPartition.set(row.partitionKey, [row]);
  }
  const batches = [...byPartition.values()].flatMap((partition) => chunks(partition, 100));
  await mapWithLimit(batches, LOAD_CONCURRENCY, (batch) => table.submitTransaction(batch.map((row): TransactionAction => ['create', row])));
}

/** Reads the whole answer a chunk at a time, keeping only counts. */
async function drain(url: string, headers: Record<string, string>): Promise<{ rows: number; bytes: number; seconds: number }> {
  const started = process.hrtime.bigint();
  const response = await fetch(url, { headers });
  if (response.status !== 200 || !response.body) throw new Error(`GET ${url} answered ${response.status}`);
  let rows = 0;
  let bytes = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    for (const byte of chunk) if (byte === 0x0a) rows++;
  }
  return { rows: rows - 1, bytes, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

export async function benchExport(small: number, large: number): Promise<ExportFigures> {
  const stack = await startStack();
  try {
    const tokens = TableClient.fromConnectionString(stack.azurite.connectionString, TABLES.tokens, { allowInsecureConnection: true });
    const audit = TableClient.fromConnectionString(stack.azurite.connectionString, TABLES.audit, { allowInsecureConnection: true });
    await tokens.createTable();
    await audit.createTable();
    await loadTokens(tokens, 0, small);
    await loadAudit(audit, 0, small);

    const host = await startHostProcess(stack, HOST_HEAP_CAP_MB, { LOW_STOCK_THRESHOLD: '0' });
    try {
      const token = await stack.identity.mintToken({ audience: stack.appSettings.ADMIN_AUTH_AUDIENCE ?? '', roles: ['Tokens.Read'], name: 'bench' });
      const headers = { authorization: `Bearer ${token}` };
      const idle = host.peakRssMb();
      await drain(`${host.url}/api/tokens/export`, headers);
      const tokensSmall = host.peakRssMb();
      await drain(`${host.url}/api/audit/export`, headers);
      const auditSmall = host.peakRssMb();

      await loadTokens(tokens, small, large);
      await loadAudit(audit, small, large);
      const tokensLarge = await drain(`${host.url}/api/tokens/export`, headers);
      const tokensLargePeak = host.peakRssMb();
      const auditLarge = await drain(`${host.url}/api/audit/export`, headers);
      const auditLargePeak = host.peakRssMb();
      if (tokensLarge.rows !== large || auditLarge.rows !== large) throw new Error(`exported ${tokensLarge.rows} tokens and ${auditLarge.rows} audit entries, not ${large} each`);
      const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
      const s = (seconds: number) => Math.round(seconds * 10) / 10;
      return {
        small,
        large,
        hostHeapCapMb: HOST_HEAP_CAP_MB,
        hostIdlePeakRssMb: idle,
        tokens: { smallPeakRssMb: tokensSmall, largePeakRssMb: tokensLargePeak, largeRows: tokensLarge.rows, largeMb: mb(tokensLarge.bytes), largeSeconds: s(tokensLarge.seconds) },
        audit: { smallPeakRssMb: auditSmall, largePeakRssMb: auditLargePeak, largeRows: auditLarge.rows, largeMb: mb(auditLarge.bytes), largeSeconds: s(auditLarge.seconds) },
        peakMemoryLargeOverSmall: Math.round((auditLargePeak / auditSmall) * 100) / 100,
      };
    } finally {
      await host.stop();
    }
  } finally {
    await stack.stop();
  }
}

import type { ContainerClient } from '@azure/storage-blob';
import type { ReportStore } from '../ports';
import { statusOf } from './sdkErrors';
import { createdOnce } from './createdOnce';

/**
 * Reconciliation reports as JSON blobs: `reconcile/<runId>.json` for each run and a copy at
 * `reconcile/latest.json`, so the latest answers with one read.
 */
export function blobReports(container: ContainerClient, prefix = 'reconcile'): ReportStore {
  const ensureContainer = createdOnce(() => container.createIfNotExists());

  const write = async (name: string, text: string, options: { metadata?: Record<string, string>; conditions?: { ifMatch?: string; ifNoneMatch?: string } } = {}) => {
    await container.getBlockBlobClient(name).upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: 'application/json' }, ...options });
  };

  /**
   * latest.json moves only forward: run ids start with the run's start time, and the copy is written
   * on the condition that nobody changed it since it was read, so of two runs finishing together the
   * newer one stays.
   */
  const advanceLatest = async (runId: string, text: string): Promise<void> => {
    const latest = container.getBlockBlobClient(`${prefix}/latest.json`);
    for (let attempt = 0; attempt < 5; attempt++) {
      let current: { etag?: string; runId?: string } | undefined;
      try {
        const properties = await latest.getProperties();
        current = { ...(properties.etag ? { etag: properties.etag } : {}), ...(properties.metadata?.runid ? { runId: properties.metadata.runid } : {}) };
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
      if (current?.runId && current.runId > runId) return;
      try {
        await write(`${prefix}/latest.json`, text, { metadata: { runid: runId }, conditions: current?.etag ? { ifMatch: current.etag } : { ifNoneMatch: '*' } });
        return;
      } catch (error) {
        if (statusOf(error) !== 412 && statusOf(error) !== 409) throw error;
      }
    }
    throw new Error(`reports/${prefix}/latest.json kept changing; run ${runId} is saved under its own name`);
  };

  /**
   * One GET for the whole blob: downloadToBuffer asks for the length first and then for ranges, so a
   * run overwriting latest.json in between would hand back a torn copy.
   */
  const read = async (name: string): Promise<unknown> => {
    await ensureContainer();
    try {
      const response = await container.getBlockBlobClient(name).download();
      const chunks: Buffer[] = [];
      for await (const chunk of response.readableStreamBody ?? []) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  };

  /** Held repairs are one JSON line each in an append blob: written and read a batch at a time, never whole in memory. */
  const heldBlob = (runId: string) => container.getAppendBlobClient(`${prefix}/${runId}.held-repairs.jsonl`);
  const HELD_BATCH = 500;

  return {
    async save(runId, report) {
      await ensureContainer();
      const text = JSON.stringify(report);
      await write(`${prefix}/${runId}.json`, text);
      await advanceLatest(runId, text);
    },
    get: (runId) => read(`${prefix}/${runId}.json`),
    latest: () => read(`${prefix}/latest.json`),
    async getVersioned(runId) {
      await ensureContainer();
      const blob = container.getBlockBlobClient(`${prefix}/${runId}.json`);
      try {
        const response = await blob.download();
        const chunks: Buffer[] = [];
        for await (const chunk of response.readableStreamBody ?? []) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
        return { report: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown, etag: response.etag ?? '' };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },
    async replace(runId, report, etag) {
      const text = JSON.stringify(report);
      try {
        await write(`${prefix}/${runId}.json`, text, { conditions: { ifMatch: etag } });
      } catch (error) {
        if (statusOf(error) === 412) return 'conflict';
        throw error;
      }
      await advanceLatest(runId, text);
      return 'replaced';
    },
    async clearHeldRepairs(runId) {
      await ensureContainer();
      await heldBlob(runId).deleteIfExists();
    },
    async appendHeldRepairs(runId, repairs) {
      if (repairs.length === 0) return;
      const blob = heldBlob(runId);
      await blob.createIfNotExists();
      const text = repairs.map((r) => `${JSON.stringify(r)}\n`).join('');
      await blob.appendBlock(text, Buffer.byteLength(text));
    },
    async *heldRepairs(runId) {
      await ensureContainer();
      let response;
      try {
        response = await heldBlob(runId).download();
      } catch (error) {
        if (statusOf(error) === 404) return;
        throw error;
      }
      let rest = '';
      let batch: unknown[] = [];
      for await (const chunk of response.readableStreamBody ?? []) {
        const lines = (rest + (Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk))).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          if (line.trim() === '') continue;
          batch.push(JSON.parse(line) as unknown);
          if (batch.length >= HELD_BATCH) {
            yield batch;
            batch = [];
          }
        }
      }
      if (rest.trim() !== '') batch.push(JSON.parse(rest) as unknown);
      if (batch.length > 0) yield batch;
    },
  };
}

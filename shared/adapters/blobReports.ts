import type { ContainerClient } from '@azure/storage-blob';
import type { ReportStore } from '../ports';
import { statusOf } from './sdkErrors';

/**
 * Reconciliation reports as JSON blobs: `reconcile/<runId>.json` for each run and a copy at
 * `reconcile/latest.json`, so the latest answers with one read.
 */
export function blobReports(container: ContainerClient, prefix = 'reconcile'): ReportStore {
  let ready: Promise<unknown> | undefined;
  const ensureContainer = () => {
    ready ??= container.createIfNotExists().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };

  const write = async (name: string, text: string) => {
    await container.getBlockBlobClient(name).upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: 'application/json' } });
  };

  const read = async (name: string): Promise<unknown> => {
    await ensureContainer();
    try {
      const body = await container.getBlockBlobClient(name).downloadToBuffer();
      return JSON.parse(body.toString('utf8')) as unknown;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  };

  return {
    async save(runId, report) {
      await ensureContainer();
      const text = JSON.stringify(report);
      await write(`${prefix}/${runId}.json`, text);
      await write(`${prefix}/latest.json`, text);
    },
    get: (runId) => read(`${prefix}/${runId}.json`),
    latest: () => read(`${prefix}/latest.json`),
  };
}

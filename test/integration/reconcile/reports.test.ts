import { ContainerClient } from '@azure/storage-blob';
import { startAzurite, type Azurite } from '../../../dev/azurite';
import { blobReports } from '../../../shared/adapters/blobReports';

describe('reconciliation reports in blob storage (Azurite)', () => {
  let azurite: Azurite;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it('keeps every run under its id, and latest moves only forward when runs finish out of order or together', async () => {
    const reports = blobReports(new ContainerClient(azurite.connectionString, 'reports'));
    expect(await reports.latest()).toBeUndefined();
    await reports.save('20261128T010000000Z-bbbb', { runId: 'b' });
    await reports.save('20261128T005900000Z-aaaa', { runId: 'a' });
    expect(await reports.latest()).toEqual({ runId: 'b' });
    expect(await reports.get('20261128T005900000Z-aaaa')).toEqual({ runId: 'a' });

    await Promise.all([reports.save('20261128T020000000Z-dddd', { runId: 'd' }), reports.save('20261128T015900000Z-cccc', { runId: 'c' })]);
    expect(await reports.latest()).toEqual({ runId: 'd' });
    expect(await reports.get('20261128T015900000Z-cccc')).toEqual({ runId: 'c' });
  });

  it('a read while a run overwrites latest gets one whole report, never a torn one', async () => {
    const reports = blobReports(new ContainerClient(azurite.connectionString, 'reports-race'));
    const sizes = [10, 50_000, 200, 120_000, 5];
    const runIds = sizes.map((_, i) => `20261128T03${String(i).padStart(2, '0')}00000Z-race`);
    let writing = true;
    const writer = (async () => {
      for (const [i, size] of sizes.entries()) await reports.save(runIds[i] ?? '', { runId: runIds[i], items: 'x'.repeat(size) });
      writing = false;
    })();
    const seen: unknown[] = [];
    // A failed read is kept, not thrown, so the writer always finishes before Azurite stops.
    while (writing) seen.push(await reports.latest().catch((error: unknown) => error));
    await writer;
    expect(seen.filter((r) => r instanceof Error)).toEqual([]);
    for (const report of seen.filter((r) => r !== undefined)) {
      const { runId, items } = report as { runId: string; items: string };
      expect(items.length).toBe(sizes[runIds.indexOf(runId)]);
    }
    expect(await reports.latest()).toMatchObject({ runId: runIds.at(-1) });
  });
});

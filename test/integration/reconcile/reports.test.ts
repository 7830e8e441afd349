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
});

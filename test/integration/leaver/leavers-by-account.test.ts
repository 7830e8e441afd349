import { TableClient } from '@azure/data-tables';
import { tableProvisioning } from '../../../shared/adapters/tableProvisioning';
import type { ProvisioningRecord } from '../../../shared/ports';
import { startAzurite, type Azurite } from '../../support/azurite';

/** The leaver records that name an Entra object id, whatever employee they are filed under, as the Table adapter finds them (Azurite). */
describe('leaver records by Entra object id (Azurite)', () => {
  let azurite: Azurite;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  const record = (employeeId: string, kind: 'joiner' | 'leaver', entraUserId?: string): ProvisioningRecord => ({
    employeeId,
    kind,
    status: 'completed',
    attempts: 0,
    eventIds: ['e'],
    terminationDate: '2026-12-01',
    createdAt: '2026-12-01T00:00:00Z',
    updatedAt: '2026-12-01T00:00:00Z',
    ...(entraUserId ? { entraUserId } : {}),
  });

  it('finds leavers under any employeeId naming the account, and no joiner, no other account', async () => {
    const store = tableProvisioning(TableClient.fromConnectionString(azurite.connectionString, 'provisioningByAccount', { allowInsecureConnection: true }));
    const id = '6f1d2c3b-0000-4000-8000-00000000000a';
    for (const r of [record('E1', 'leaver', id), record(id, 'leaver', id), record('E2', 'joiner', id), record('E3', 'leaver', '6f1d2c3b-0000-4000-8000-00000000000b'), record('E4', 'leaver')]) await store.add(r);
    const found = await store.leaversNaming(id);
    expect(found.map((r) => `${r.employeeId}/${r.kind}`).sort()).toEqual([`${id}/leaver`, 'E1/leaver']);
    // Graph answers object ids in lower case; an id given in upper case finds them too.
    expect((await store.leaversNaming(id.toUpperCase())).map((r) => r.employeeId).sort()).toEqual([id, 'E1']);
    // A value that would break out of the filter is only a value.
    expect(await store.leaversNaming("x' or RowKey eq 'leaver")).toEqual([]);
  });
});

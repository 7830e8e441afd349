import type { TokenRecord } from '../../shared/domain/token';
import { tokenRow } from '../support/tokenRow';
import { DirectoryRefusal, type Directory, type EntraDevice, type Inventory } from '../../shared/ports';
import { suspendUserToken, type RevokeDeps } from '../../shared/workflows/revokeToken';

const NOW = new Date('2026-03-01T10:00:00Z');
const TOKEN = tokenRow('SUS-1', {
  status: 'active',
  entraDeviceId: 'dev-1',
  employeeId: 'E1',
  entraUserId: 'user-1',
  userPrincipalName: 'ada@contoso.com',
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
  lastChangeReason: 'imported and assigned to ada@contoso.com',
  etag: '1',
});
const ASSIGNED: EntraDevice = { id: 'dev-1', serialNumber: 'SUS-1', status: 'activated', assignedTo: { id: 'user-1', displayName: 'Ada' } } as EntraDevice;

/** Entra answers the device as assigned, then the method is gone when deactivate runs: a revoke got there first. */
function deps(afterDeactivate: EntraDevice | undefined) {
  const writes: TokenRecord[] = [];
  let reads = 0;
  const directory = {
    findDeviceBySerial: async () => (reads++ === 0 ? ASSIGNED : afterDeactivate),
    deactivate: async () => {
      throw new DirectoryRefusal(404, 'Request_ResourceNotFound', 'the user holds no method for device dev-1');
    },
  } as unknown as Directory;
  const inventory = {
    list: async () => ({ tokens: [TOKEN] }),
    replace: async (record: TokenRecord) => {
      writes.push(record);
      return record;
    },
  } as unknown as Inventory;
  const revokeDeps = { inventory, directory, seeds: {}, audit: { record: async () => undefined }, clock: { now: () => NOW }, provisioning: {} } as unknown as RevokeDeps;
  return { revokeDeps, writes };
}

describe('suspendUserToken', () => {
  it('answers not_allowed, writing nothing, when Entra took the token from its holder meanwhile', async () => {
    const { revokeDeps, writes } = deps({ ...ASSIGNED, status: 'available', assignedTo: null } as unknown as EntraDevice);
    const result = await suspendUserToken(revokeDeps, 'ada@contoso.com', { actor: 'admin', correlationId: 'c1' });
    expect(result).toMatchObject({ outcome: 'not_allowed', serialNumber: 'SUS-1', detail: expect.stringContaining('while it was being suspended') });
    expect(writes).toEqual([]);
  });

  it('still reports the refusal when Entra shows the holder unchanged', async () => {
    const { revokeDeps, writes } = deps(ASSIGNED);
    await expect(suspendUserToken(revokeDeps, 'ada@contoso.com', { actor: 'admin', correlationId: 'c2' })).rejects.toBeInstanceOf(DirectoryRefusal);
    expect(writes).toEqual([]);
  });
});

import type { TokenRecord } from '../../shared/domain/token';
import { tokenRow } from '../support/tokenRow';
import type { Directory, EntraDevice, Inventory, ProvisioningStore, SeedVault } from '../../shared/ports';
import { revokeToken, type RevokeDeps } from '../../shared/workflows/revokeToken';

const NOW = new Date('2026-03-01T10:00:00Z');
const TOKEN = tokenRow('HALF-1', {
  status: 'active',
  entraDeviceId: 'dev-1',
  employeeId: 'E1',
  entraUserId: 'user-1',
  userPrincipalName: 'ada@contoso.com',
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
  lastChangeReason: 'hired',
  etag: '1',
});

/** Entra and Key Vault as a revocation finds them: the device (or none) and the seed (or none). */
function deps(device: EntraDevice | undefined, seed: string | undefined) {
  const writes: TokenRecord[] = [];
  const directory = {
    findDeviceBySerial: async () => device,
    unassign: async () => undefined,
  } as unknown as Directory;
  const inventory = {
    replace: async (record: TokenRecord) => {
      writes.push(record);
      return record;
    },
  } as unknown as Inventory;
  const seeds = { get: async () => seed, destroy: async () => undefined } as unknown as SeedVault;
  const provisioning = { get: async () => undefined } as unknown as ProvisioningStore;
  const revokeDeps = { inventory, directory, seeds, audit: { record: async () => undefined }, clock: { now: () => NOW }, provisioning } as unknown as RevokeDeps;
  return { revokeDeps, writes };
}

describe('revokeToken after an earlier revocation stopped half-way', () => {
  it('quarantines a held token whose device Entra no longer has and whose seed Key Vault no longer holds', async () => {
    const { revokeDeps, writes } = deps(undefined, undefined);
    const result = await revokeToken(revokeDeps, TOKEN, 'offboarded', undefined, { actor: 'leaver', correlationId: 'c1' });
    expect(result).toMatchObject({ outcome: 'done', status: 'quarantined' });
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({ status: 'quarantined', revocationReason: 'offboarded' });
    expect(writes[0]!.entraDeviceId).toBeUndefined();
  });

  it('revokes as usual when the seed is still there, even if Entra shows no device yet', async () => {
    const { revokeDeps, writes } = deps(undefined, 'JBSWY3DPEHPK3PXP');
    const result = await revokeToken(revokeDeps, TOKEN, 'offboarded', undefined, { actor: 'leaver', correlationId: 'c2' });
    expect(result).toMatchObject({ outcome: 'done', status: 'revoked' });
    expect(writes[0]).toMatchObject({ status: 'revoked', entraDeviceId: 'dev-1' });
  });
});

import { randomBytes } from 'node:crypto';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { keyVaultSeedVault } from '../../../shared/adapters/keyVaultSeeds';
import type { SeedTags } from '../../../shared/ports';
import { createKeyVaultControl } from '../../../dev/keyvault/control';
import { startKeyVaultEmulator, type KeyVaultEmulator } from '../../../dev/keyvault/server';
import { startDevIdentity, type DevIdentity } from '../../../dev/identity/server';
import { ensureDevCa } from '../../../dev/tls';

/**
 * The seed vault adapter against Key Vault's answers around deletes (docs/local-stack.md, "Key Vault emulator
 * variants"): a delete or purge still in progress (409 ObjectIsBeingDeleted), empty list pages that
 * carry a nextLink, and a purge refused by RBAC rather than by purge protection.
 */

const CLIENT_ID = 'keyvault-variants-app';
const CLIENT_SECRET = randomBytes(24).toString('base64url');
const TAGS: SeedTags = { serialNumber: 'KV-1', manufacturer: 'Token2', model: 'C202', timeIntervalInSeconds: 30, hashFunction: 'hmacsha1', seedOrigin: 'vendor' };

let identity: DevIdentity;
const vaults: KeyVaultEmulator[] = [];

beforeAll(async () => {
  identity = await startDevIdentity({ port: 0, ca: ensureDevCa(), clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }] });
});
afterAll(async () => {
  for (const vault of vaults) await vault.close();
  await identity?.close();
});

async function vaultWith(purgeProtection: boolean) {
  const ca = ensureDevCa();
  const vault = await startKeyVaultEmulator({ port: 0, ca, authority: identity.authority, purgeProtection });
  vaults.push(vault);
  const credential = new ClientSecretCredential(identity.tenantId, CLIENT_ID, CLIENT_SECRET, { authorityHost: identity.authorityHost, disableInstanceDiscovery: true });
  const client = new SecretClient(vault.url, credential, { disableChallengeResourceVerification: true });
  const warnings: string[] = [];
  const seeds = keyVaultSeedVault(client, { pollIntervalMs: 20, beingDeletedRetryMs: [200, 400, 800, 1600], warn: (line) => warnings.push(line) });
  return { vault, control: createKeyVaultControl(vault.url, { ca: ca.certPem }), seeds, warnings };
}

describe('Key Vault variants', () => {
  it('a purge right after the delete answers 409 "currently being deleted": it is asked again, and the name is usable once the purge is done', async () => {
    const { control, seeds } = await vaultWith(false);
    await control.setFaults({ deletionMs: 600 });
    expect(await seeds.put('seed-KV-1', 'JBSWY3DPEHPK3PXP', TAGS)).toBe('stored');
    await seeds.destroy('seed-KV-1');
    expect(await control.secretExists('seed-KV-1')).toMatchObject({ exists: false, deleted: false });
    // Right after the purge the name is still being deleted: the write waits for it.
    expect(await seeds.put('seed-KV-1', 'GEZDGNBVGY3TQOJQ', TAGS)).toBe('stored');
    expect(await seeds.get('seed-KV-1')).toBe('GEZDGNBVGY3TQOJQ');
  });

  it('empty list pages that still carry a nextLink: every secret is listed', async () => {
    const { control, seeds } = await vaultWith(false);
    for (const serial of ['A', 'B', 'C']) await seeds.put(`seed-KV-${serial}`, 'JBSWY3DPEHPK3PXP', { ...TAGS, serialNumber: `KV-${serial}` });
    await control.setFaults({ emptyListPages: 3 });
    const names: string[] = [];
    let pages = 0;
    for await (const page of seeds.secretPages()) {
      pages++;
      names.push(...page.map((secret) => secret.name));
    }
    expect(pages).toBeGreaterThan(3);
    expect(names.sort()).toEqual(['seed-KV-A', 'seed-KV-B', 'seed-KV-C']);
  });

  it('a purge refused by RBAC is reported, unlike one refused by purge protection; the seed is deleted either way', async () => {
    const rbac = await vaultWith(false);
    await rbac.control.setFaults({ purgeForbiddenByRbac: true });
    await rbac.seeds.put('seed-KV-1', 'JBSWY3DPEHPK3PXP', TAGS);
    await rbac.seeds.destroy('seed-KV-1');
    expect(await rbac.control.secretExists('seed-KV-1')).toMatchObject({ exists: false, deleted: true });
    expect(rbac.warnings).toEqual([expect.stringContaining('KeyVaultPurgeForbiddenByRbac secret=seed-KV-1')]);

    const protectedVault = await vaultWith(true);
    await protectedVault.seeds.put('seed-KV-1', 'JBSWY3DPEHPK3PXP', TAGS);
    await protectedVault.seeds.destroy('seed-KV-1');
    expect(await protectedVault.control.secretExists('seed-KV-1')).toMatchObject({ exists: false, deleted: true });
    expect(protectedVault.warnings).toEqual([]);
  });
});

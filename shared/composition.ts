import type { Config } from './config';
import { jwtAdminAuthenticator } from './adapters/adminAuth';
import { appCredential, graphClient, secretClient, tableClient } from './adapters/azureClients';
import { graphDirectory } from './adapters/graphDirectory';
import { graphProbe, keyVaultProbe, storageProbe } from './adapters/healthProbes';
import { keyVaultSeedVault } from './adapters/keyVaultSeeds';
import { tableAuditLog } from './adapters/tableAudit';
import { tableInventory } from './adapters/tableInventory';
import { systemClock, type AdminAuthenticator, type AuditLog, type Clock, type DependencyProbe, type Directory, type Inventory, type SeedVault } from './ports';
import { TABLES } from './storageNames';

/** Everything the functions need, built from config: the one place where adapters are wired. */
export interface AppServices {
  config: Config;
  clock: Clock;
  healthProbes: DependencyProbe[];
  adminAuth: AdminAuthenticator;
  inventory: Inventory;
  seeds: SeedVault;
  directory: Directory;
  audit: AuditLog;
}

export function composeServices(config: Config): AppServices {
  const credential = appCredential(config.credential);
  const secrets = secretClient(config, credential);
  const graph = graphClient(config, credential);
  const tokensTable = tableClient(config.storage, TABLES.tokens);
  return {
    config,
    clock: systemClock,
    healthProbes: [storageProbe(tokensTable), keyVaultProbe(secrets), graphProbe(graph)],
    adminAuth: jwtAdminAuthenticator(config.adminAuth),
    inventory: tableInventory(tokensTable),
    seeds: keyVaultSeedVault(secrets),
    directory: graphDirectory(graph),
    audit: tableAuditLog(tableClient(config.storage, TABLES.audit), systemClock),
  };
}

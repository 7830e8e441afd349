import type { Config } from './config';
import { jwtAdminAuthenticator } from './adapters/adminAuth';
import { appCredential, graphClient, queueClient, secretClient, tableClient } from './adapters/azureClients';
import { graphDirectory } from './adapters/graphDirectory';
import { graphProbe, keyVaultProbe, storageProbe } from './adapters/healthProbes';
import { keyVaultSeedVault } from './adapters/keyVaultSeeds';
import { tableAuditLog } from './adapters/tableAudit';
import { storageWorkQueue } from './adapters/storageWorkQueue';
import { tableInventory } from './adapters/tableInventory';
import { tableProvisioning } from './adapters/tableProvisioning';
import { tableWebhookEvents } from './adapters/tableWebhookEvents';
import type { HrQueueMessage } from './domain/hrEvent';
import {
  systemClock,
  type AdminAuthenticator,
  type AuditLog,
  type Clock,
  type DependencyProbe,
  type Directory,
  type Inventory,
  type ProvisioningStore,
  type SeedVault,
  type WebhookDeliveries,
  type WorkQueue,
} from './ports';
import { QUEUES, TABLES } from './storageNames';

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
  provisioning: ProvisioningStore;
  webhookDeliveries: WebhookDeliveries;
  hrEvents: WorkQueue<HrQueueMessage>;
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
    provisioning: tableProvisioning(tableClient(config.storage, TABLES.provisioning)),
    webhookDeliveries: tableWebhookEvents(tableClient(config.storage, TABLES.webhookEvents)),
    hrEvents: storageWorkQueue<HrQueueMessage>(queueClient(config.storage, QUEUES.hrEvents)),
  };
}

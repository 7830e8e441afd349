import type { Config } from './config';
import { jwtAdminAuthenticator } from '../adapters/adminAuth';
import { appCredential, containerClient, graphClient, queueClient, secretClient, tableClient } from '../adapters/azureClients';
import { blobReports } from '../adapters/blobReports';
import { graphDirectory } from '../adapters/graphDirectory';
import { createGraphPacer, GRAPH_MAX_IN_FLIGHT } from '../adapters/graphPacing';
import { tableGraphBudget } from '../adapters/tableGraphBudget';
import { graphLifecycleCallbacks } from '../adapters/graphLifecycle';
import { httpHrVendorApis, keyVaultVendorSecrets } from '../adapters/hrVendorApis';
import { graphDirectoryChanges } from '../adapters/graphUsersDelta';
import { tableDirectorySync } from '../adapters/tableDirectorySync';
import { graphPrincipals } from '../adapters/graphPrincipals';
import { graphProbe, keyVaultProbe, storageProbe } from '../adapters/healthProbes';
import { keyVaultIntakeKeys } from '../adapters/keyVaultIntakeKeys';
import { keyVaultSeedVault } from '../adapters/keyVaultSeeds';
import { tableAuditLog } from '../adapters/tableAudit';
import { storageWorkQueue } from '../adapters/storageWorkQueue';
import { tableIntakeFailures } from '../adapters/tableIntakeFailures';
import { tableSlots } from '../adapters/tableSlots';
import { tableInventory } from '../adapters/tableInventory';
import { tableProvisioning } from '../adapters/tableProvisioning';
import { tableWebhookEvents } from '../adapters/tableWebhookEvents';
import type { DirectorySyncMessage } from '../domain/directorySignals';
import type { ReconcileMessage } from '../domain/drift';
import type { HrQueueMessage } from '../domain/hrEvent';
import {
  systemClock,
  type AccessPasses,
  type Mailer,
  type Managers,
  type NotificationLedger,
  type TeamsChannel,
  type AdminAuthenticator,
  type AuditLog,
  type AuditTrail,
  type Clock,
  type DependencyProbe,
  type DeviceCatalog,
  type DeviceListing,
  type DepartedAccounts,
  type Directory,
  type DirectoryChanges,
  type DirectorySyncStore,
  type IntakeFailureLimit,
  type IntakeKeyVault,
  type HrVendorApis,
  type Inventory,
  type LifecycleCallbacks,
  type VendorSecrets,
  type ProvisioningListing,
  type ProvisioningScan,
  type ProvisioningStore,
  type ReportStore,
  type SeedCatalog,
  type SeedVault,
  type SlotClaims,
  type WebhookDeliveries,
  type WebhookRetention,
  type WorkQueue,
  type PrivilegedSet,
  type UserLookup,
} from '../ports';
import { queueMaxDequeueCount } from './hostSettings';
import { CONTAINERS, QUEUES, TABLES } from './storageNames';
import { INTAKE_FAILURES_PER_HOUR } from '../workflows/intakeLimit';
import { REPLACE_CLAIM_SECONDS } from '../workflows/replaceToken';
import { cachedTargetCheck, targetCheck, type TargetCheck } from '../workflows/targetCheck';
import type { Notification } from '../domain/notification';
import { tableNotifications } from '../adapters/tableNotifications';
import { teamsWebhook } from '../adapters/teamsWebhook';

/** Everything the functions need, built from config: the one place where adapters are wired. */
export interface AppServices {
  config: Config;
  clock: Clock;
  /** host.json extensions.queues.maxDequeueCount: the try after which the host moves a message to poison. */
  maxDequeueCount: number;
  healthProbes: DependencyProbe[];
  adminAuth: AdminAuthenticator;
  inventory: Inventory;
  seeds: SeedVault;
  directory: Directory;
  /** Entra's devices a page at a time: an import's check of which serials Entra has. */
  deviceListing: DeviceListing;
  accessPasses: AccessPasses;
  /** Who may receive a token: directory roles, protected and allowed groups, read from Entra. */
  targets: TargetCheck;
  /** Accounts by UPN, many to a request (imports naming users). */
  userLookup: UserLookup;
  /** The privileged set read now, for reconciliation (the target check keeps its own copy). */
  privilegedSet: () => Promise<PrivilegedSet>;
  audit: AuditLog;
  auditTrail: AuditTrail;
  provisioning: ProvisioningStore;
  provisioningListing: ProvisioningListing;
  webhookDeliveries: WebhookDeliveries;
  hrEvents: WorkQueue<HrQueueMessage>;
  /** Reconciliation: the tenant, the vault and the records read page by page, its queue and its reports. */
  deviceCatalog: DeviceCatalog;
  /** Deleted and disabled accounts, whose tokens reconciliation takes back. */
  departedAccounts: DepartedAccounts;
  seedCatalog: SeedCatalog;
  provisioningScan: ProvisioningScan;
  webhookRetention: WebhookRetention;
  reconcileWork: WorkQueue<ReconcileMessage>;
  reports: ReportStore;
  /** Directory sync: users/delta, its cursor and watched users, and the queue its timer feeds. */
  directoryChanges: DirectoryChanges;
  directorySyncStore: DirectorySyncStore;
  directorySyncWork: WorkQueue<DirectorySyncMessage>;
  /** The Key Vault secrets that open vendors' seed files (PSKC keys, the OpenPGP intake key). */
  intakeKeys: IntakeKeyVault;
  /** At most INTAKE_FAILURES_PER_HOUR refused seed files per caller, counted across instances. */
  intakeFailures: IntakeFailureLimit;
  /** One replacement with a Temporary Access Pass per person at a time, across instances. */
  replaceClaims: SlotClaims;
  /** Lifecycle Workflows' resume action, for tasks that wait on a joiner or leaver. */
  lifecycle: LifecycleCallbacks;
  /** HR vendors' APIs and the secrets their webhooks and APIs use. */
  hrVendorApis: HrVendorApis;
  vendorSecrets: VendorSecrets;
  /** Notifications: their queue, the ledger that sends each once, and the channels. */
  notifications: WorkQueue<Notification>;
  notificationLedger: NotificationLedger;
  mailer: Mailer;
  managers: Managers;
  teams?: TeamsChannel;
}

/** The admin API's token check; also built alone when other settings are broken (health detail). */
export const composeAdminAuth = (settings: Config['adminAuth']): AdminAuthenticator => jwtAdminAuthenticator(settings);

export function composeServices(config: Config): AppServices {
  const credential = appCredential(config.credential);
  const secrets = secretClient(config, credential);
  // Graph counts its limits per app: every instance of this app paces from one shared row.
  const budget = tableGraphBudget(tableClient(config.storage, TABLES.graphBudget), config.credential.clientId ?? 'app');
  const pacer = createGraphPacer({ requestsPerSecond: config.graph.requestsPerSecond, maxInFlight: GRAPH_MAX_IN_FLIGHT }, { store: budget, warn: (line) => console.warn(`WARN ${line}`) });
  const graph = graphClient(config, credential, pacer);
  const tokensTable = tableClient(config.storage, TABLES.tokens);
  const directory = graphDirectory(graph);
  const principals = graphPrincipals(graph);
  // The one setup fault an adapter reports itself: the Functions host keeps console output in its logs.
  const seeds = keyVaultSeedVault(secrets, { warn: (line) => console.warn(`WARN ${line}`) });
  const provisioning = tableProvisioning(tableClient(config.storage, TABLES.provisioning));
  const vendorSecrets = keyVaultVendorSecrets(secrets);
  const audit = tableAuditLog(tableClient(config.storage, TABLES.audit), systemClock);
  const webhookDeliveries = tableWebhookEvents(tableClient(config.storage, TABLES.webhookEvents));
  return {
    config,
    clock: systemClock,
    maxDequeueCount: queueMaxDequeueCount(),
    healthProbes: [storageProbe(tokensTable), keyVaultProbe(secrets), graphProbe(graph)],
    adminAuth: composeAdminAuth(config.adminAuth),
    inventory: tableInventory(tokensTable),
    seeds,
    directory,
    accessPasses: directory,
    privilegedSet: () => principals.readPrivilegedSet(config.targets),
    userLookup: directory,
    targets: cachedTargetCheck(targetCheck(principals, config.targets), principals, config.targets, { maxAgeMs: config.targets.privilegedSetMaxAgeSeconds * 1000 }),
    audit,
    auditTrail: audit,
    provisioning,
    provisioningListing: provisioning,
    webhookDeliveries,
    hrEvents: storageWorkQueue<HrQueueMessage>(queueClient(config.storage, QUEUES.hrEvents)),
    deviceCatalog: directory,
    departedAccounts: directory,
    deviceListing: directory,
    seedCatalog: seeds,
    provisioningScan: provisioning,
    webhookRetention: webhookDeliveries,
    reconcileWork: storageWorkQueue<ReconcileMessage>(queueClient(config.storage, QUEUES.reconcileWork)),
    reports: blobReports(containerClient(config.storage, CONTAINERS.reports)),
    directoryChanges: graphDirectoryChanges(graph, { locationAttribute: config.directorySync.locationAttribute }),
    directorySyncStore: tableDirectorySync(tableClient(config.storage, TABLES.directorySync)),
    directorySyncWork: storageWorkQueue<DirectorySyncMessage>(queueClient(config.storage, QUEUES.directorySync)),
    intakeKeys: keyVaultIntakeKeys(secrets),
    intakeFailures: tableIntakeFailures(tableClient(config.storage, TABLES.intakeFailures), systemClock, INTAKE_FAILURES_PER_HOUR),
    replaceClaims: tableSlots(tableClient(config.storage, TABLES.replaceClaims), systemClock, { limit: 1, holdMs: REPLACE_CLAIM_SECONDS * 1000 }),
    lifecycle: graphLifecycleCallbacks(graph),
    hrVendorApis: httpHrVendorApis(config.hrVendors, vendorSecrets),
    vendorSecrets,
    notifications: storageWorkQueue<Notification>(queueClient(config.storage, QUEUES.notifications)),
    notificationLedger: tableNotifications(tableClient(config.storage, TABLES.notifications)),
    mailer: directory,
    managers: directory,
    ...(config.notify.teamsWebhookUrl ? { teams: teamsWebhook(config.notify.teamsWebhookUrl) } : {}),
  };
}

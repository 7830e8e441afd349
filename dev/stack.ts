import { randomBytes } from 'node:crypto';
import { startAzurite, type Azurite, type AzuritePorts } from './azurite';
import { startGraphEmulator, type GraphEmulator } from './graph/server';
import { DEV_ADMIN_AUDIENCE, startDevIdentity, type DevIdentity } from './identity/server';
import { startKeyVaultEmulator, type KeyVaultEmulator } from './keyvault/server';
import { keepGraphState, keptDataPaths, keptSecrets } from './keepData';
import { ensureDevCa, type DevCa } from './tls';

/**
 * The local stack: Azurite, the dev identity, and the Graph and Key Vault emulators, wired to each
 * other. `npm start` runs it on the fixed ports local.settings.json names; tests run it on free ports.
 */

export interface StackPorts {
  identity: number;
  graph: number;
  keyVault: number;
  storage: AzuritePorts;
}

/** The ports local.settings.json points at. */
export const DEFAULT_PORTS: StackPorts = {
  identity: 8445,
  graph: 8443,
  keyVault: 8444,
  storage: { blob: 10000, queue: 10001, table: 10002 },
};

/** The client id the function app uses against the dev identity (local.settings.json AZURE_CLIENT_ID). */
export const DEV_APP_CLIENT_ID = 'entra-oath-tokens-local';

/** The admin console's app registration in the dev identity (CONSOLE_CLIENT_ID): a single-page application. */
export const DEV_CONSOLE_CLIENT_ID = '6c0f5e1a-7d2b-4c3e-9a8f-00000000c0de';

export interface StackOptions {
  /** The admin console's redirect URIs (`http://127.0.0.1:7071/api/console/`): the dev identity signs people in there. */
  consoleRedirectUris?: string[];
  /** Fixed ports, or free ones (the default, for tests). */
  ports?: StackPorts;
  /** Key Vault create throttle; Key Vault's own (300 per 10 s) unless given. */
  keyVaultCreateLimit?: { requests: number; windowMs: number };
  /** Keeps Azurite's data in this folder, so messages and rows outlive a crash; in memory unless given. */
  storageLocation?: string;
  /**
   * Keeps the local data across restarts in this folder (`npm start -- --keep-data`): Azurite's storage,
   * the Key Vault emulator's secrets, the Graph emulator's people, groups, roles and devices, the dev
   * identity's signing key (so minted tokens stay valid) and the dev secrets. Everything is fresh without it.
   */
  dataDir?: string;
  /** The dev identity's port when `ports` is not given: its issuer (which names the port) then stays that of an earlier run. */
  identityPort?: number;
  /** The Graph application permissions the dev app holds; DEV_GRAPH_APP_ROLES (every feature on) unless given. */
  graphRoles?: readonly string[];
}

export interface LocalStack {
  ca: DevCa;
  azurite: Azurite;
  identity: DevIdentity;
  graph: GraphEmulator;
  keyVault: KeyVaultEmulator;
  /** App settings that point the function app at this stack, dev secrets included. */
  appSettings: Record<string, string>;
  /** The HR webhook signing secret in appSettings, for scripts that send events. */
  hrWebhookSecret: string;
  stop(): Promise<void>;
}

function newDevSecrets(): { clientSecret: string; hrWebhookSecret: string } {
  return { clientSecret: randomBytes(24).toString('base64url'), hrWebhookSecret: `whsec_${randomBytes(32).toString('base64')}` };
}

export async function startStack(options: StackOptions = {}): Promise<LocalStack> {
  const ca = ensureDevCa();
  const ports = options.ports;
  const kept = options.dataDir === undefined ? undefined : keptDataPaths(options.dataDir);
  const { clientSecret, hrWebhookSecret } = kept ? keptSecrets(kept.secretsFile, newDevSecrets) : newDevSecrets();
  const started: { stop(): Promise<void> }[] = [];
  try {
    const azurite = await startAzurite(ports?.storage, '127.0.0.1', kept?.azuriteDir ?? options.storageLocation);
    started.push(azurite);
    const identity = await startDevIdentity({ ca, port: ports?.identity ?? options.identityPort ?? 0, clients: [{ clientId: DEV_APP_CLIENT_ID, clientSecret, ...(options.graphRoles ? { roles: { 'https://graph.microsoft.com': options.graphRoles } } : {}) }],
      spaClients: [{ clientId: DEV_CONSOLE_CLIENT_ID, redirectUris: options.consoleRedirectUris ?? [] }],
      ...(kept ? { signingKeyFile: kept.signingKeyFile } : {}),
    });
    started.push({ stop: () => identity.close() });
    // As in Azure: each call needs its documented permission in the token (the dev app holds what infra/ grants).
    const graph = await startGraphEmulator({ ca, port: ports?.graph ?? 0, jwksUri: identity.jwksUri, issuer: identity.issuer, enforceRoles: true });
    started.push({ stop: () => graph.close() });
    if (kept) started.push(keepGraphState(graph.store, kept.graphFile));
    const keyVault = await startKeyVaultEmulator({
      ca,
      port: ports?.keyVault ?? 0,
      jwksUri: identity.jwksUri,
      issuer: identity.issuer,
      authority: `${identity.url}/${identity.tenantId}`,
      // As infra/ deploys the vault: deleted seeds stay recoverable until retention ends, never purged.
      purgeProtection: true,
      ...(options.keyVaultCreateLimit ? { createLimit: options.keyVaultCreateLimit } : {}),
      ...(kept ? { stateFile: kept.keyVaultFile } : {}),
    });
    started.push({ stop: () => keyVault.close() });
    const appSettings: Record<string, string> = {
      FUNCTIONS_WORKER_RUNTIME: 'node',
      AzureWebJobsStorage: azurite.connectionString,
      KEY_VAULT_URL: keyVault.url,
      GRAPH_BASE_URL: graph.url,
      GRAPH_API_VERSION: 'beta',
      // Far above what the emulator's documented limits let through locally; tests and benches that throttle set their own.
      GRAPH_REQUESTS_PER_SECOND: '500',
      HR_WEBHOOK_SECRETS: hrWebhookSecret,
      ADMIN_AUTH_ISSUER: identity.issuer,
      ADMIN_AUTH_AUDIENCE: DEV_ADMIN_AUDIENCE,
      ACTIVATION_MODE: 'auto',
      // The dev app holds UserAuthenticationMethod.ReadWrite.All (DEV_GRAPH_APP_ROLES), so passes are on.
      TEMPORARY_ACCESS_PASS: 'on',
      PROVISION_LEAD_DAYS: '7',
      LOW_STOCK_THRESHOLD: '5',
      RECONCILE_SCHEDULE: '0 0 2 * * *',
      AZURE_TENANT_ID: identity.tenantId,
      AZURE_CLIENT_ID: DEV_APP_CLIENT_ID,
      AZURE_CLIENT_SECRET: clientSecret,
      AZURE_AUTHORITY_HOST: identity.url,
      CONSOLE_CLIENT_ID: DEV_CONSOLE_CLIENT_ID,
    };
    const stop = async (): Promise<void> => {
      for (const part of started.reverse()) await part.stop();
    };
    return { ca, azurite, identity, graph, keyVault, appSettings, hrWebhookSecret, stop };
  } catch (error) {
    for (const part of started.reverse()) await part.stop().catch(() => undefined);
    throw error;
  }
}

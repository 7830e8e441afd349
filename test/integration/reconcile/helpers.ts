import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { DEV_GRAPH_APP_ROLES } from '../../../dev/identity/server';
import { appCredential, secretClient } from '../../../shared/adapters/azureClients';
import type { ReconcileReport } from '../../../shared/domain/drift';
import { QUEUES, TABLES } from '../../../shared/app/storageNames';
import type { TestApp } from '../../support/app';
import { eventually } from '../../support/hr';

/** Runs a reconciliation through the API, waits for its report and for every repair it queued to finish. */
export async function reconcile(app: TestApp, mode?: 'report' | 'safe' | 'all'): Promise<ReconcileReport> {
  const response = await app.call('POST', 'reconcile', { body: JSON.stringify(mode ? { mode } : {}), contentType: 'application/json' });
  if (response.status !== 202) throw new Error(`POST reconcile answered ${response.status}: ${await response.text()}`);
  const { runId } = (await response.json()) as { runId: string };
  const report = await eventually(`the report of ${runId}`, async () => {
    const answer = await app.call('GET', `reports/reconcile/${runId}`, { roles: ['Tokens.Read'] });
    return answer.status === 200 ? ((await answer.json()) as ReconcileReport) : undefined;
  });
  const queue = new QueueClient(app.stack.azurite.connectionString, QUEUES.reconcileWork);
  // Destructive repairs wait 30 s in the queue before their second look.
  await eventually('the queued repairs to finish', async () => (await queue.getProperties()).approximateMessagesCount === 0, { tries: 900, pauseMs: 100 });
  return report;
}

/** A call to the Graph emulator with an app token, behind the function app's back. */
export async function graphCall(app: TestApp, method: string, path: string, body?: unknown): Promise<Response> {
  const token = await app.stack.identity.mintToken({ audience: 'https://graph.microsoft.com', roles: [...DEV_GRAPH_APP_ROLES] });
  return fetch(`${app.stack.graph.url}/beta${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

export const tokensTable = (app: TestApp) => TableClient.fromConnectionString(app.stack.azurite.connectionString, TABLES.tokens, { allowInsecureConnection: true });

/** Moves every token row's last change into the past, so reconciliation no longer treats it as in flight. */
export async function ageTokenRows(app: TestApp, ageMs = 2 * 3600_000): Promise<void> {
  const table = tokensTable(app);
  const past = new Date(Date.now() - ageMs).toISOString();
  for await (const row of table.listEntities<{ updatedAt: string }>()) {
    await table.updateEntity({ partitionKey: row.partitionKey ?? '', rowKey: row.rowKey ?? '', updatedAt: past }, 'Merge', { etag: row.etag });
  }
}

/** Changes one token row behind the app's back. */
export async function editTokenRow(app: TestApp, serial: string, changes: Record<string, string>): Promise<void> {
  const table = tokensTable(app);
  const row = await table.getEntity('token', serial.toUpperCase());
  await table.updateEntity({ partitionKey: 'token', rowKey: serial.toUpperCase(), ...changes }, 'Merge', { etag: row.etag });
}

/** Every token row as stored, ETag included: equal snapshots mean nothing wrote a row. */
export async function inventorySnapshot(app: TestApp): Promise<Record<string, unknown>> {
  const rows: Record<string, unknown> = {};
  for await (const row of tokensTable(app).listEntities()) rows[row.rowKey ?? ''] = row;
  return rows;
}

export interface DeviceView {
  id: string;
  serialNumber: string;
  status: string;
  assignedTo: { id: string } | null;
}

/** Every device in Entra, read page by page through Graph. */
export async function entraDevices(app: TestApp): Promise<DeviceView[]> {
  const devices: DeviceView[] = [];
  let next: string | undefined = '/directory/authenticationMethodDevices/hardwareOathDevices?$top=999';
  while (next) {
    const response = await graphCall(app, 'GET', next);
    const page = (await response.json()) as { value: DeviceView[]; '@odata.nextLink'?: string };
    devices.push(...page.value.map((d) => ({ id: d.id, serialNumber: d.serialNumber, status: d.status, assignedTo: d.assignedTo ? { id: d.assignedTo.id } : null })));
    next = page['@odata.nextLink']?.replace(/^https:\/\/[^/]+\/beta/, '');
  }
  return devices.sort((a, b) => a.serialNumber.localeCompare(b.serialNumber));
}

/** A Key Vault client with the app's own dev credentials. */
export function vaultOf(app: TestApp) {
  const settings = app.stack.appSettings;
  return secretClient(
    { keyVaultUrl: settings.KEY_VAULT_URL ?? '' },
    appCredential({ kind: 'clientSecret', tenantId: settings.AZURE_TENANT_ID ?? '', clientId: settings.AZURE_CLIENT_ID ?? '', clientSecret: settings.AZURE_CLIENT_SECRET ?? '', authorityHost: settings.AZURE_AUTHORITY_HOST ?? '' }),
  );
}

/** Key Vault write operations so far: a run that changes nothing leaves these as they were. */
export async function vaultWrites(app: TestApp): Promise<Record<string, number>> {
  const { operations } = await app.keyVault.stats();
  return {
    setSecret: operations.setSecret ?? 0,
    deleteSecret: operations.deleteSecret ?? 0,
    purgeDeletedSecret: operations.purgeDeletedSecret ?? 0,
    updateSecret: operations.updateSecret ?? 0,
  };
}

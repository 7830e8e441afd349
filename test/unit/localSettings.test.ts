import { describeSetting, mergeLocalSettings } from '../../dev/localSettings';

/** The stack on free ports, as dev/stack.ts hands its settings to `npm start`. */
const STACK = {
  AzureWebJobsStorage: 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:41000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:41001/devstoreaccount1;TableEndpoint=http://127.0.0.1:41002/devstoreaccount1;',
  KEY_VAULT_URL: 'https://127.0.0.1:41444',
  GRAPH_BASE_URL: 'https://127.0.0.1:41443',
  HR_WEBHOOK_SECRETS: 'whsec_c3RhY2s=',
  ADMIN_AUTH_ISSUER: 'https://127.0.0.1:41445/dev-tenant/v2.0',
  ACTIVATION_MODE: 'auto',
  AZURE_TENANT_ID: 'dev-tenant',
  AZURE_CLIENT_ID: 'entra-oath-tokens-local',
  AZURE_CLIENT_SECRET: 'stack-secret',
  AZURE_AUTHORITY_HOST: 'https://127.0.0.1:41445',
};

/** The repository's local.settings.json: the stack on its default ports. */
const REPO_FILE = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  KEY_VAULT_URL: 'https://127.0.0.1:8444',
  GRAPH_BASE_URL: 'https://127.0.0.1:8443',
  ADMIN_AUTH_ISSUER: 'https://127.0.0.1:8445/dev-tenant/v2.0',
  ACTIVATION_MODE: 'auto',
  AZURE_TENANT_ID: 'dev-tenant',
  AZURE_CLIENT_ID: 'entra-oath-tokens-local',
  AZURE_AUTHORITY_HOST: 'https://127.0.0.1:8445',
};

describe('mergeLocalSettings: local.settings.json over the stack defaults', () => {
  it('keeps the stack addresses and credential where the file points at this machine, and takes every other value from the file', () => {
    const merged = mergeLocalSettings(STACK, { ...REPO_FILE, ACTIVATION_MODE: 'user', RECONCILE_REPAIR_MODE: 'report', RECONCILE_SCHEDULE: '0 */5 * * * *' });
    expect(merged.settings).toEqual({ ...STACK, ACTIVATION_MODE: 'user', RECONCILE_REPAIR_MODE: 'report', RECONCILE_SCHEDULE: '0 */5 * * * *' });
    expect(merged.fromFile).toEqual(['ACTIVATION_MODE', 'RECONCILE_REPAIR_MODE', 'RECONCILE_SCHEDULE']);
    expect(merged.stackKept).toEqual(['AzureWebJobsStorage', 'KEY_VAULT_URL', 'GRAPH_BASE_URL', 'ADMIN_AUTH_ISSUER', 'AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_AUTHORITY_HOST']);
  });

  it('points Graph at a test tenant: the file URL and tenant credential replace the emulator and the dev identity, the secret may come from the environment', () => {
    const file = {
      ...REPO_FILE,
      GRAPH_BASE_URL: 'https://graph.microsoft.com',
      KEY_VAULT_URL: 'https://kv-test.vault.azure.net',
      AZURE_TENANT_ID: '8b2f5c52-0000-4000-8000-000000000001',
      AZURE_CLIENT_ID: '5f0e2d1c-0000-4000-8000-000000000002',
    };
    delete (file as Partial<typeof file>).AZURE_AUTHORITY_HOST;
    const merged = mergeLocalSettings(STACK, file, { AZURE_CLIENT_SECRET: 'tenant-secret', AZURE_CLIENT_ID: 'ignored' });
    expect(merged.settings.GRAPH_BASE_URL).toBe('https://graph.microsoft.com');
    expect(merged.settings.KEY_VAULT_URL).toBe('https://kv-test.vault.azure.net');
    expect(merged.settings.AZURE_TENANT_ID).toBe(file.AZURE_TENANT_ID);
    expect(merged.settings.AZURE_CLIENT_ID).toBe(file.AZURE_CLIENT_ID);
    expect(merged.settings.AZURE_CLIENT_SECRET).toBe('tenant-secret');
    // Entra's own authority, not the dev identity's.
    expect(merged.settings.AZURE_AUTHORITY_HOST).toBeUndefined();
    expect(merged.clientSecretFromEnvironment).toBe(true);
    expect(merged.fromFile).toEqual(expect.arrayContaining(['GRAPH_BASE_URL', 'KEY_VAULT_URL', 'AZURE_TENANT_ID', 'AZURE_CLIENT_ID']));
    expect(merged.stackKept).toEqual(['AzureWebJobsStorage', 'ADMIN_AUTH_ISSUER']);
  });

  it('never takes a client secret from the environment for the dev identity', () => {
    const merged = mergeLocalSettings(STACK, REPO_FILE, { AZURE_CLIENT_SECRET: 'from-my-shell', ACTIVATION_MODE: 'user' });
    expect(merged.settings.AZURE_CLIENT_SECRET).toBe('stack-secret');
    expect(merged.settings.ACTIVATION_MODE).toBe('auto');
    expect(merged.clientSecretFromEnvironment).toBe(false);
  });

  it('takes a storage account that is not on this machine', () => {
    const remote = 'DefaultEndpointsProtocol=https;AccountName=sttest;AccountKey=a2V5;EndpointSuffix=core.windows.net';
    expect(mergeLocalSettings(STACK, { AzureWebJobsStorage: remote }).settings.AzureWebJobsStorage).toBe(remote);
  });

  it('never shows a secret value in the banner', () => {
    expect(describeSetting('HR_WEBHOOK_SECRETS', 'whsec_x')).toBe('HR_WEBHOOK_SECRETS (secret, not shown)');
    expect(describeSetting('AZURE_CLIENT_SECRET', 'x')).toBe('AZURE_CLIENT_SECRET (secret, not shown)');
    expect(describeSetting('AzureWebJobsStorage', 'AccountKey=x')).toBe('AzureWebJobsStorage (secret, not shown)');
    expect(describeSetting('ACTIVATION_MODE', 'user')).toBe('ACTIVATION_MODE=user');
  });
});

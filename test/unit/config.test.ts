import { ConfigError, parseConfig } from '../../shared/app/config';

const valid = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  KEY_VAULT_URL: 'https://my-vault.vault.azure.net/',
  HR_WEBHOOK_SECRETS: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw whsec_c2Vjb25kIHNlY3JldCBvZiAyNCsgYnl0ZXMh',
  ADMIN_AUTH_ISSUER: 'https://login.microsoftonline.com/contoso/v2.0',
  ADMIN_AUTH_AUDIENCE: 'api://entra-oath-tokens',
};

function errorOf(env: Record<string, string | undefined>): string {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('applies the documented defaults and freezes the result', () => {
    const config = parseConfig(valid);
    expect(config.graph).toEqual({ baseUrl: 'https://graph.microsoft.com', apiVersion: 'beta', requestsPerSecond: 200 });
    expect(config.keyVaultUrl).toBe('https://my-vault.vault.azure.net');
    expect(config.activationMode).toBe('auto');
    expect(config.provisionLeadDays).toBe(7);
    expect(config.userWaitHours).toBe(72);
    expect(config.lowStockThreshold).toBe(5);
    expect(config.reconcileSchedule).toBe('0 0 2 * * *');
    expect(config.reconcileRepairMode).toBe('safe');
    expect(config.stuckSagaMinutes).toBe(60);
    expect(config.hrWebhookSecrets).toHaveLength(2);
    expect(config.intake).toEqual({ pskcKeySecretPrefix: 'pskc-key-', pgpKeySecret: 'seed-file-pgp-key', pgpPassphraseSecret: 'seed-file-pgp-key-passphrase' });
    expect(config.credential).toEqual({ kind: 'managedIdentity' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.graph)).toBe(true);
    expect(() => {
      (config as { activationMode: string }).activationMode = 'user';
    }).toThrow();
  });

  it.each([
    ['KEY_VAULT_URL', undefined, 'Setting KEY_VAULT_URL: missing'],
    ['KEY_VAULT_URL', 'http://vault', 'Setting KEY_VAULT_URL: must be an https URL'],
    ['HR_WEBHOOK_SECRETS', 'hunter2', 'Setting HR_WEBHOOK_SECRETS: every entry must look like whsec_<base64>'],
    ['ADMIN_AUTH_AUDIENCE', '', 'Setting ADMIN_AUTH_AUDIENCE: missing'],
    ['ACTIVATION_MODE', 'sometimes', 'Setting ACTIVATION_MODE:'],
    ['PROVISION_LEAD_DAYS', 'soon', 'Setting PROVISION_LEAD_DAYS: must be a whole number'],
    ['USER_WAIT_HOURS', '0', 'Setting USER_WAIT_HOURS:'],
    ['USER_WAIT_HOURS', '1.5', 'Setting USER_WAIT_HOURS: must be a whole number'],
    ['LOW_STOCK_THRESHOLD', '-1', 'Setting LOW_STOCK_THRESHOLD: must be a whole number'],
    ['RECONCILE_SCHEDULE', '0 2 * * *', 'Setting RECONCILE_SCHEDULE: must be a six-field NCRONTAB'],
    ['GRAPH_API_VERSION', 'v1.0', 'Setting GRAPH_API_VERSION:'],
    ['RECONCILE_REPAIR_MODE', 'everything', 'Setting RECONCILE_REPAIR_MODE:'],
    ['STUCK_SAGA_MINUTES', '0', 'Setting STUCK_SAGA_MINUTES:'],
    ['STUCK_SAGA_MINUTES', 'an hour', 'Setting STUCK_SAGA_MINUTES: must be a whole number'],
    ['PSKC_KEY_SECRET_PREFIX', 'pskc_keys/', 'Setting PSKC_KEY_SECRET_PREFIX: must be 1-63 letters, digits and dashes'],
    ['SEED_FILE_PGP_KEY_SECRET', 'my key', 'Setting SEED_FILE_PGP_KEY_SECRET: must be a Key Vault secret name'],
    ['SEED_FILE_PGP_SIGNER_KEYS', 'ABCD 1234', 'Setting SEED_FILE_PGP_SIGNER_KEYS: must hold ASCII-armoured OpenPGP public keys'],
  ])('names %s when it is %p', (name, value, expected) => {
    const message = errorOf({ ...valid, [name]: value });
    expect(message.startsWith(expected)).toBe(true);
    expect(message).not.toContain('\n');
  });

  it.each([['whsec_A'], ['whsec_'], ['whsec_b2xkZXI='], ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaL']])(
    'refuses HR_WEBHOOK_SECRETS %p: every secret must decode to at least 24 bytes',
    (secrets) => {
      const message = errorOf({ ...valid, HR_WEBHOOK_SECRETS: secrets });
      expect(message).toMatch(/^Setting HR_WEBHOOK_SECRETS: (entry \d decodes to fewer than 24 bytes|every entry must look like whsec_<base64>)/);
      expect(message).not.toContain('\n');
      expect(message).not.toContain('MfKQ9r8');
    },
  );

  it('accepts a secret of exactly 24 bytes', () => {
    expect(parseConfig({ ...valid, HR_WEBHOOK_SECRETS: `whsec_${Buffer.alloc(24, 7).toString('base64')}` }).hrWebhookSecrets).toHaveLength(1);
  });

  it('reads vendor signer keys written on one line with \\n for the newlines', () => {
    const armoured = '-----BEGIN PGP PUBLIC KEY BLOCK-----\\n\\nxjMEZ...\\n-----END PGP PUBLIC KEY BLOCK-----';
    expect(parseConfig({ ...valid, SEED_FILE_PGP_SIGNER_KEYS: armoured }).intake.pgpSignerKeys).toBe('-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxjMEZ...\n-----END PGP PUBLIC KEY BLOCK-----');
  });

  it('never echoes a secret value in its error', () => {
    const message = errorOf({ ...valid, HR_WEBHOOK_SECRETS: 'whsec_good= not-a-secret-format-TOPSECRET' });
    expect(message).not.toContain('TOPSECRET');
  });

  it('asks for storage when neither a connection string nor an identity account is given', () => {
    expect(errorOf({ ...valid, AzureWebJobsStorage: undefined })).toMatch(/^Setting AzureWebJobsStorage: missing/);
  });

  it('builds identity-based storage endpoints from the account name', () => {
    const config = parseConfig({
      ...valid,
      AzureWebJobsStorage: undefined,
      AzureWebJobsStorage__accountName: 'stoath',
      AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001',
    });
    expect(config.storage).toEqual({
      kind: 'identity',
      blobUrl: 'https://stoath.blob.core.windows.net',
      queueUrl: 'https://stoath.queue.core.windows.net',
      tableUrl: 'https://stoath.table.core.windows.net',
      clientId: '00000000-0000-0000-0000-000000000001',
    });
    expect(config.credential).toEqual({ kind: 'managedIdentity', clientId: '00000000-0000-0000-0000-000000000001' });
  });

  it('uses an app registration when a client secret is set, and requires its tenant', () => {
    expect(errorOf({ ...valid, AZURE_CLIENT_SECRET: 's', AZURE_CLIENT_ID: 'c' })).toMatch(/^Setting AZURE_TENANT_ID: missing/);
    const config = parseConfig({ ...valid, AZURE_CLIENT_SECRET: 's', AZURE_CLIENT_ID: 'c', AZURE_TENANT_ID: 't', AZURE_AUTHORITY_HOST: 'https://127.0.0.1:8445' });
    expect(config.credential).toEqual({ kind: 'clientSecret', tenantId: 't', clientId: 'c', clientSecret: 's', authorityHost: 'https://127.0.0.1:8445' });
  });
});

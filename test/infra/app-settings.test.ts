import type { z } from 'zod';
import { parseConfig, settingsSchema, SETTING_NAMES } from '../../shared/app/config';
import { isObject, type JsonObject } from './arm-template';
import { appSettingValues, identityIds, mainDeployment, resourceNames, SAMPLE } from './sample-deployment';

/** Settings the schema cannot do without: parsing `undefined` fails (no .optional(), no .default()). */
function requiredSettings(): string[] {
  const shape = settingsSchema.shape as Record<string, z.ZodType>;
  return Object.keys(shape).filter((name) => !shape[name]!.safeParse(undefined).success);
}

/** Settings the Functions host reads itself rather than shared/app/config.ts. */
const HOST_SETTINGS = ['AzureWebJobsStorage__credential', 'APPLICATIONINSIGHTS_CONNECTION_STRING', 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'];

/** DESIGN section 6, "Settings": every one is set explicitly in Azure, defaults included. */
const DESIGN_SETTINGS = [
  'KEY_VAULT_URL',
  'GRAPH_BASE_URL',
  'GRAPH_API_VERSION',
  'HR_WEBHOOK_SECRETS',
  'ADMIN_AUTH_ISSUER',
  'ADMIN_AUTH_AUDIENCE',
  'ACTIVATION_MODE',
  'PROVISION_LEAD_DAYS',
  'LOW_STOCK_THRESHOLD',
  'RECONCILE_SCHEDULE',
  'AZURE_CLIENT_ID',
];

/** Deprecated on Flex Consumption (runtime and package live in functionAppConfig), or secrets. */
const FORBIDDEN_SETTINGS = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'FUNCTIONS_WORKER_RUNTIME_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'SCM_DO_BUILD_DURING_DEPLOYMENT',
  'ENABLE_ORYX_BUILD',
  'AzureWebJobsStorage',
  'AZURE_CLIENT_SECRET',
  'APPINSIGHTS_INSTRUMENTATIONKEY',
];

const SAMPLE_WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('function app settings', () => {
  const deployment = mainDeployment();
  const values = appSettingValues(deployment);
  const names = resourceNames(deployment);
  const identity = identityIds(names.identity!);
  const app = deployment.module('function-app');
  const site = app.resource((r) => r.type === 'Microsoft.Web/sites', 'the site');
  const siteProperties = site.get('properties') as JsonObject;

  it('finds the required settings in the schema', () => {
    // Guards the detection itself: these four have neither a default nor .optional().
    expect(requiredSettings()).toEqual(
      expect.arrayContaining(['KEY_VAULT_URL', 'HR_WEBHOOK_SECRETS', 'ADMIN_AUTH_ISSUER', 'ADMIN_AUTH_AUDIENCE']),
    );
    expect(requiredSettings()).not.toContain('GRAPH_BASE_URL');
  });

  it('sets every setting the config schema requires', () => {
    const missing = requiredSettings().filter((name) => !(name in values));
    expect(missing).toEqual([]);
  });

  it('sets every setting DESIGN section 6 lists', () => {
    expect(DESIGN_SETTINGS.filter((name) => !(name in values))).toEqual([]);
  });

  it('sets only settings the app or the Functions host reads', () => {
    const known = new Set<string>([...SETTING_NAMES, ...HOST_SETTINGS]);
    expect(Object.keys(values).filter((name) => !known.has(name))).toEqual([]);
  });

  it('sets none of the settings Flex Consumption deprecates, and no secret-bearing setting', () => {
    expect(Object.keys(values).filter((name) => FORBIDDEN_SETTINGS.includes(name))).toEqual([]);
  });

  it('connects storage with the managed identity: all three service URIs, credential and client id', () => {
    expect(values).toMatchObject({
      AzureWebJobsStorage__credential: 'managedidentity',
      AzureWebJobsStorage__clientId: identity.clientId,
      AzureWebJobsStorage__blobServiceUri: `https://${names.storage}.blob.core.windows.net/`,
      AzureWebJobsStorage__queueServiceUri: `https://${names.storage}.queue.core.windows.net/`,
      AzureWebJobsStorage__tableServiceUri: `https://${names.storage}.table.core.windows.net/`,
      AZURE_CLIENT_ID: identity.clientId,
    });
  });

  it('takes HR_WEBHOOK_SECRETS from a versionless Key Vault reference to our vault', () => {
    const reference = values.HR_WEBHOOK_SECRETS ?? '';
    const match = /^@Microsoft\.KeyVault\(SecretUri=https:\/\/([^./]+)\.vault\.azure\.net\/secrets\/([0-9a-zA-Z-]{1,127})\/\)$/.exec(reference);
    expect(match).not.toBeNull();
    expect(match?.[1]).toBe(names.keyVault);
  });

  it('leaves Teams off by default, and takes its webhook URL from a Key Vault reference to our vault when enabled', () => {
    expect(values.NOTIFY_TEAMS_WEBHOOK_URL).toBe('');
    const on = appSettingValues(mainDeployment({ enableTeamsNotifications: true }));
    expect(on.NOTIFY_TEAMS_WEBHOOK_URL).toBe(`@Microsoft.KeyVault(SecretUri=https://${names.keyVault!}.vault.azure.net/secrets/notify-teams-webhook-url/)`);
  });

  it('names the HR vendors\' secrets only for the vendors turned on, never their values', () => {
    for (const name of ['HIBOB_WEBHOOK_SECRET_NAME', 'HIBOB_API_TOKEN_SECRET_NAME', 'BAMBOOHR_WEBHOOK_SECRET_NAME', 'BAMBOOHR_API_KEY_SECRET_NAME', 'PERSONIO_WEBHOOK_TOKEN_SECRET_NAME', 'PERSONIO_CLIENT_SECRET_NAME']) expect(values[name]).toBe('');
    const on = appSettingValues(mainDeployment({ enableHiBob: true, enableBambooHr: true, enablePersonio: true }));
    expect(on).toMatchObject({
      HIBOB_WEBHOOK_SECRET_NAME: 'hibob-webhook-secret',
      HIBOB_API_TOKEN_SECRET_NAME: 'hibob-api-token',
      BAMBOOHR_WEBHOOK_SECRET_NAME: 'bamboohr-webhook-secret',
      BAMBOOHR_API_KEY_SECRET_NAME: 'bamboohr-api-key',
      PERSONIO_WEBHOOK_TOKEN_SECRET_NAME: 'personio-webhook-token',
      PERSONIO_CLIENT_SECRET_NAME: 'personio-client-secret',
    });
  });

  it('resolves Key Vault references with the user-assigned identity', () => {
    const identityId = `/subscriptions/${SAMPLE.subscriptionId}/resourceGroups/${names.resourceGroup!}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${names.identity!}`;
    expect(siteProperties.keyVaultReferenceIdentity).toBe(identityId);
    expect(site.get('identity')).toEqual({ type: 'UserAssigned', userAssignedIdentities: { [identityId]: {} } });
  });

  it('gives values the app accepts at start-up, once the platform has resolved the Key Vault reference', () => {
    const config = parseConfig({ ...values, HR_WEBHOOK_SECRETS: SAMPLE_WEBHOOK_SECRET });
    expect(config.storage).toEqual({
      kind: 'identity',
      blobUrl: `https://${names.storage}.blob.core.windows.net`,
      queueUrl: `https://${names.storage}.queue.core.windows.net`,
      tableUrl: `https://${names.storage}.table.core.windows.net`,
      clientId: identity.clientId,
    });
    expect(config.credential).toEqual({ kind: 'managedIdentity', clientId: identity.clientId });
    expect(config.keyVaultUrl).toBe(`https://${names.keyVault}.vault.azure.net`);
    expect(config.graph).toEqual({ baseUrl: 'https://graph.microsoft.com', apiVersion: 'beta', requestsPerSecond: 200 });
    expect(config.adminAuth).toEqual({
      issuer: `https://login.microsoftonline.com/${SAMPLE.tenantId}/v2.0`,
      // v2.0 access tokens carry the API's client id as aud.
      audience: SAMPLE.adminApiAppId,
    });
    // The admin console signs in with the admin API's registration, at the tenant's authority.
    expect(config.console).toEqual({ clientId: SAMPLE.adminApiAppId, authority: `https://login.microsoftonline.com/${SAMPLE.tenantId}`, scope: `${SAMPLE.adminApiAppId}/.default` });
    expect(config.activationMode).toBe('auto');
    expect(config.provisionLeadDays).toBe(7);
    expect(config.lowStockThreshold).toBe(5);
    expect(config.reconcileSchedule).toBe('0 0 2 * * *');
  });

  it('keeps the Bicep defaults equal to the schema defaults', () => {
    const defaults = settingsSchema.parse({
      KEY_VAULT_URL: 'https://kv.vault.azure.net',
      HR_WEBHOOK_SECRETS: SAMPLE_WEBHOOK_SECRET,
      ADMIN_AUTH_ISSUER: 'https://login.microsoftonline.com/t/v2.0',
      ADMIN_AUTH_AUDIENCE: 'api',
    });
    expect(values.ACTIVATION_MODE).toBe(defaults.ACTIVATION_MODE);
    expect(Number(values.PROVISION_LEAD_DAYS)).toBe(defaults.PROVISION_LEAD_DAYS);
    expect(Number(values.LOW_STOCK_THRESHOLD)).toBe(defaults.LOW_STOCK_THRESHOLD);
    expect(values.RECONCILE_SCHEDULE).toBe(defaults.RECONCILE_SCHEDULE);
    expect(values.GRAPH_API_VERSION).toBe(defaults.GRAPH_API_VERSION);
    expect(Number(values.GRAPH_REQUESTS_PER_SECOND)).toBe(defaults.GRAPH_REQUESTS_PER_SECOND);
  });

  it('runs on Flex Consumption with Node.js 22 and the package container reached by the identity', () => {
    const plan = app.resource((r) => r.type === 'Microsoft.Web/serverfarms', 'the plan');
    expect(plan.get('sku')).toEqual({ tier: 'FlexConsumption', name: 'FC1' });
    expect(plan.get('properties')).toEqual({ reserved: true });
    expect(site.get('kind')).toBe('functionapp,linux');
    expect(siteProperties.serverFarmId).toBe(`/subscriptions/${SAMPLE.subscriptionId}/resourceGroups/${names.resourceGroup!}/providers/Microsoft.Web/serverfarms/${names.plan!}`);
    expect(siteProperties.httpsOnly).toBe(true);
    const config = siteProperties.functionAppConfig;
    if (!isObject(config)) throw new Error('no functionAppConfig');
    expect(config.runtime).toEqual({ name: 'node', version: '22' });
    expect(config.deployment).toEqual({
      storage: {
        type: 'blobContainer',
        value: `https://${names.storage!}.blob.core.windows.net/app-package`,
        authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: siteProperties.keyVaultReferenceIdentity },
      },
    });
    expect(config.scaleAndConcurrency).toEqual({ maximumInstanceCount: 40, instanceMemoryMB: 2048 });
  });
});

import { CONTAINERS, poisonQueueOf, QUEUES, TABLES } from '../../shared/app/storageNames';
import { asString, type JsonObject } from './arm-template';
import { compiledTemplate, mainDeployment, mainVariable, resourceNames, SAMPLE } from './sample-deployment';

/** Azure's naming rules for what main.bicep names (learn.microsoft.com, "Naming rules and restrictions"). */
const RULES: Record<string, { pattern: RegExp; max: number; min: number }> = {
  resourceGroup: { pattern: /^[-\w.()]*[-\w()]$/, min: 1, max: 90 },
  identity: { pattern: /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/, min: 3, max: 128 },
  plan: { pattern: /^[a-zA-Z0-9-]+$/, min: 1, max: 60 },
  functionApp: { pattern: /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/, min: 2, max: 60 },
  storage: { pattern: /^[a-z0-9]+$/, min: 3, max: 24 },
  keyVault: { pattern: /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]*[a-zA-Z0-9]$/, min: 3, max: 24 },
  logAnalytics: { pattern: /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/, min: 4, max: 63 },
  appInsights: { pattern: /^[^%&\\?/<>*#|]+$/, min: 1, max: 260 },
  actionGroup: { pattern: /^[^%&\\?/<>*#|]+$/, min: 1, max: 260 },
  // Followed by '-low-stock' / '-poison-messages' (checked below with the suffix).
  alertPrefix: { pattern: /^[^<>*%{}&:\\?+/#|]+$/, min: 1, max: 240 },
  adminApi: { pattern: /^[a-z0-9-]+$/, min: 1, max: 100 },
  virtualNetwork: { pattern: /^[a-zA-Z0-9](?:[\w.-]*\w)?$/, min: 2, max: 64 },
};

const CONTAINER_OR_QUEUE = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;
const TABLE = /^[A-Za-z][A-Za-z0-9]{2,62}$/;

const parameters = compiledTemplate().parameters as JsonObject;

function maxLengthOf(paramName: string): number {
  const length = (parameters[paramName] as JsonObject).maxLength;
  if (typeof length !== 'number') throw new Error(`${paramName} has no maxLength`);
  return length;
}

const alertRules = (deployment = mainDeployment()) => deployment.module('alerts').resources().filter((r) => r.type === 'Microsoft.Insights/scheduledQueryRules');

function props(resource: { get(key: string): unknown }): JsonObject {
  return resource.get('properties') as JsonObject;
}

describe('resource names from the default parameters', () => {
  it('come from a resource token made by uniqueString() over the subscription, environment and region', () => {
    expect((compiledTemplate().variables as JsonObject).resourceToken).toBe("[toLower(uniqueString(subscription().id, parameters('environmentName'), parameters('location')))]");
  });

  const environmentNames = {
    short: 'p',
    typical: SAMPLE.environmentName,
    // azd environment names are letters, digits and hyphens; the longest the parameter allows.
    longest: 'prod-'.padEnd(maxLengthOf('environmentName'), 'x'),
  };

  for (const [label, environmentName] of Object.entries(environmentNames)) {
    it(`follow Azure's length and character rules (${label} environment name)`, () => {
      const names = resourceNames(mainDeployment({ environmentName }));
      expect(Object.keys(names).sort()).toEqual(Object.keys(RULES).sort());
      for (const [key, name] of Object.entries(names)) {
        const rule = RULES[key]!;
        expect({ key, name, fits: name.length >= rule.min && name.length <= rule.max && rule.pattern.test(name) }).toEqual({ key, name, fits: true });
      }
    });
  }

  it('differ between environments for every globally unique name', () => {
    const first = resourceNames(mainDeployment({ environmentName: 'prod' }));
    const second = resourceNames(mainDeployment({ environmentName: 'test' }));
    for (const key of ['storage', 'keyVault', 'functionApp', 'adminApi']) expect(first[key]).not.toBe(second[key]);
  });

  it('are the names the resources are created with', () => {
    const deployment = mainDeployment({ privateNetworking: true, alertEmail: 'it@contoso.com' });
    const names = resourceNames(deployment);
    const created = (module: string, type: string) => deployment.module(module).resource((r) => r.type === type && !r.existing, type).name;
    expect(deployment.resource((r) => r.type === 'Microsoft.Resources/resourceGroups', 'the group').name).toBe(names.resourceGroup);
    expect(created('identity', 'Microsoft.ManagedIdentity/userAssignedIdentities')).toBe(names.identity);
    expect(created('function-app', 'Microsoft.Web/serverfarms')).toBe(names.plan);
    expect(created('function-app', 'Microsoft.Web/sites')).toBe(names.functionApp);
    expect(created('storage', 'Microsoft.Storage/storageAccounts')).toBe(names.storage);
    expect(created('keyvault', 'Microsoft.KeyVault/vaults')).toBe(names.keyVault);
    expect(created('monitoring', 'Microsoft.OperationalInsights/workspaces')).toBe(names.logAnalytics);
    expect(created('monitoring', 'Microsoft.Insights/components')).toBe(names.appInsights);
    expect(created('alerts', 'Microsoft.Insights/actionGroups')).toBe(names.actionGroup);
    expect(created('network', 'Microsoft.Network/virtualNetworks')).toBe(names.virtualNetwork);
    expect(props(deployment.module('entra').resource((r) => r.symbol === 'adminApi', 'the admin API')).uniqueName).toBe(names.adminApi);
  });

  it('give alert rules names within the rules once the suffix is added', () => {
    const prefix = resourceNames().alertPrefix ?? '';
    expect(prefix).not.toBe('');
    const rules = alertRules();
    expect(rules.length).toBe(6);
    for (const rule of rules) {
      expect(rule.name.length).toBeLessThanOrEqual(260);
      expect(rule.name).toMatch(/^[^<>*%{}&:\\?+/#|]+$/);
      expect(rule.name.startsWith(`${prefix}-`)).toBe(true);
    }
  });

  it('give the action group a short name of at most 12 characters', () => {
    const group = mainDeployment({ alertEmail: 'it@contoso.com' }).module('alerts').resource((r) => r.type === 'Microsoft.Insights/actionGroups', 'the action group');
    expect(asString(props(group).groupShortName).length).toBeLessThanOrEqual(12);
  });
});

describe('storage layout', () => {
  const deployment = mainDeployment();
  const storage = deployment.module('storage');
  const names = resourceNames(deployment);
  const created = (type: string) => storage.resources().filter((r) => r.type === type).map((r) => r.name.split('/').pop()!);

  it('holds exactly the queues, tables and containers the code declares in shared/app/storageNames.ts, with a poison queue per work queue', () => {
    const workQueues = Object.values(QUEUES);
    expect(created('Microsoft.Storage/storageAccounts/queueServices/queues').sort()).toEqual(workQueues.flatMap((q) => [q, poisonQueueOf(q)]).sort());
    expect(created('Microsoft.Storage/storageAccounts/tableServices/tables').sort()).toEqual(Object.values(TABLES).sort());
    const deploymentContainer = (mainVariable(deployment, 'storageLayout') as JsonObject).deploymentContainer as string;
    expect(created('Microsoft.Storage/storageAccounts/blobServices/containers').sort()).toEqual([...Object.values(CONTAINERS), deploymentContainer].sort());
    expect(workQueues).toEqual(expect.arrayContaining(['hr-events', 'reconcile-work']));
    // The same rule the code (and the Functions host) uses for poison queue names.
    for (const queue of workQueues) expect(poisonQueueOf(queue)).toBe(`${queue}-poison`);
  });

  it('follows the naming rules for queues, tables and containers, and keeps containers private', () => {
    for (const queue of created('Microsoft.Storage/storageAccounts/queueServices/queues')) expect(queue).toMatch(CONTAINER_OR_QUEUE);
    for (const table of created('Microsoft.Storage/storageAccounts/tableServices/tables')) expect(table).toMatch(TABLE);
    for (const container of storage.resources().filter((r) => r.type === 'Microsoft.Storage/storageAccounts/blobServices/containers')) {
      expect(container.name.split('/').pop()).toMatch(CONTAINER_OR_QUEUE);
      expect(props(container)).toEqual({ publicAccess: 'None' });
    }
  });

  it('gives the Flex Consumption package container to the function app', () => {
    const deploymentContainer = (mainVariable(deployment, 'storageLayout') as JsonObject).deploymentContainer as string;
    const site = props(deployment.module('function-app').resource((r) => r.type === 'Microsoft.Web/sites', 'site'));
    const storageConfig = ((site.functionAppConfig as JsonObject).deployment as JsonObject).storage as JsonObject;
    expect(storageConfig.value).toBe(`https://${names.storage!}.blob.core.windows.net/${deploymentContainer}`);
  });

  it('keeps deleted blobs and containers for 14 days', () => {
    const blobService = props(storage.resource((r) => r.type === 'Microsoft.Storage/storageAccounts/blobServices', 'blob service'));
    expect(blobService).toEqual({ deleteRetentionPolicy: { enabled: true, days: 14 }, containerDeleteRetentionPolicy: { enabled: true, days: 14 } });
  });
});

describe('alerts', () => {
  it('watch Application Insights for the LowStock log line and for messages moved to a poison queue, and mail the address given', () => {
    const deployment = mainDeployment({ alertEmail: 'it@contoso.com' });
    const names = resourceNames(deployment);
    const appInsightsId = `/subscriptions/${SAMPLE.subscriptionId}/resourceGroups/${names.resourceGroup!}/providers/Microsoft.Insights/components/${names.appInsights!}`;
    const actionGroupId = `/subscriptions/${SAMPLE.subscriptionId}/resourceGroups/${names.resourceGroup!}/providers/Microsoft.Insights/actionGroups/${names.actionGroup!}`;
    const byName = Object.fromEntries(alertRules(deployment).map((r) => [r.name.slice(names.alertPrefix!.length + 1), props(r)]));
    expect(Object.keys(byName).sort()).toEqual(['held-after-termination', 'held-by-departed', 'leaver-revocation-failing', 'low-stock', 'poison-messages', 'reconcile-held']);
    expect(((byName['low-stock']!.criteria as JsonObject).allOf as JsonObject[])[0]!.query).toBe('traces | where message startswith "LowStock"');
    expect(((byName['poison-messages']!.criteria as JsonObject).allOf as JsonObject[])[0]!.query).toContain('message startswith "Message has reached MaxDequeueCount"');
    for (const rule of Object.values(byName)) {
      expect(rule.scopes).toEqual([appInsightsId]);
      expect((rule.criteria as JsonObject).allOf).toEqual([expect.objectContaining({ operator: 'GreaterThan', threshold: 0 })]);
      expect((rule.actions as JsonObject).actionGroups).toEqual([actionGroupId]);
    }
    const receivers = props(deployment.module('alerts').resource((r) => r.type === 'Microsoft.Insights/actionGroups', 'the action group')).emailReceivers as JsonObject[];
    expect(receivers.map((r) => r.emailAddress)).toEqual(['it@contoso.com']);
    // Without an address the alerts fire in the portal only.
    for (const rule of alertRules()) expect(((props(rule).actions as JsonObject).actionGroups)).toEqual([]);
  });
});

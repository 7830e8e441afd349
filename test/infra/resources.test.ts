import { allResources, identityIds, mainDeployment, resourceNames, SAMPLE } from './sample-deployment';

/** Every option on, so every resource the templates can create is in the deployment. */
const everything = mainDeployment({ deployLifecycleWorkflows: true, privateNetworking: true, alertEmail: 'it@contoso.com', hrWebhookSecrets: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });

/** The resource types the deployment creates and the API version of each, one version per type. */
const INVENTORY: Record<string, string> = {
  'Microsoft.Authorization/roleAssignments': '2022-04-01',
  'Microsoft.Graph/appRoleAssignedTo': 'v1.0',
  'Microsoft.Graph/applications': 'v1.0',
  'Microsoft.Graph/servicePrincipals': 'v1.0',
  'Microsoft.Insights/actionGroups': '2023-01-01',
  'Microsoft.Insights/components': '2020-02-02',
  // diagnosticSettings has no GA version.
  'Microsoft.Insights/diagnosticSettings': '2021-05-01-preview',
  'Microsoft.Insights/scheduledQueryRules': '2023-12-01',
  'Microsoft.KeyVault/vaults': '2023-07-01',
  'Microsoft.KeyVault/vaults/secrets': '2023-07-01',
  'Microsoft.Logic/workflows': '2019-05-01',
  'Microsoft.ManagedIdentity/userAssignedIdentities': '2023-01-31',
  'Microsoft.Network/privateDnsZones': '2020-06-01',
  'Microsoft.Network/privateDnsZones/virtualNetworkLinks': '2020-06-01',
  'Microsoft.Network/privateEndpoints': '2023-11-01',
  'Microsoft.Network/privateEndpoints/privateDnsZoneGroups': '2023-11-01',
  'Microsoft.Network/virtualNetworks': '2023-11-01',
  'Microsoft.OperationalInsights/workspaces': '2023-09-01',
  'Microsoft.Resources/deployments': '2025-04-01',
  'Microsoft.Resources/resourceGroups': '2024-03-01',
  'Microsoft.Storage/storageAccounts': '2023-05-01',
  'Microsoft.Storage/storageAccounts/blobServices': '2023-05-01',
  'Microsoft.Storage/storageAccounts/blobServices/containers': '2023-05-01',
  'Microsoft.Storage/storageAccounts/queueServices': '2023-05-01',
  'Microsoft.Storage/storageAccounts/queueServices/queues': '2023-05-01',
  'Microsoft.Storage/storageAccounts/tableServices': '2023-05-01',
  'Microsoft.Storage/storageAccounts/tableServices/tables': '2023-05-01',
  'Microsoft.Web/serverfarms': '2024-04-01',
  'Microsoft.Web/sites': '2024-04-01',
  'Microsoft.Web/sites/basicPublishingCredentialsPolicies': '2024-04-01',
  'Microsoft.Web/sites/config': '2024-04-01',
};

describe('resources and API versions', () => {
  const resources = allResources(everything).map(({ resource }) => resource);

  it('are exactly the inventory, each type at one API version', () => {
    const seen = new Map<string, Set<string>>();
    for (const r of resources) seen.set(r.type, (seen.get(r.type) ?? new Set()).add(r.apiVersion));
    expect(Object.fromEntries([...seen].map(([type, versions]) => [type, [...versions].join(' ')]))).toEqual(INVENTORY);
  });

  it('use no preview API version but the one that has none other', () => {
    const previews = [...new Set(resources.filter((r) => r.apiVersion.includes('preview')).map((r) => r.type))];
    expect(previews).toEqual(['Microsoft.Insights/diagnosticSettings']);
  });

  // functionAppConfig (the Flex Consumption runtime, scale and package settings) exists from Microsoft.Web 2023-12-01.
  it('deploy the function app with an API version that has functionAppConfig', () => {
    for (const type of ['Microsoft.Web/sites', 'Microsoft.Web/serverfarms']) expect(INVENTORY[type]! >= '2023-12-01').toBe(true);
  });

  it('all land in the environment\'s resource group, except the group itself and the Entra objects', () => {
    const names = resourceNames(everything);
    const group = `/subscriptions/${SAMPLE.subscriptionId}/resourceGroups/${names.resourceGroup!}/`;
    const outside = resources.filter((r) => !r.id.startsWith(group)).map((r) => r.type);
    expect([...new Set(outside)].sort()).toEqual(['Microsoft.Graph/appRoleAssignedTo', 'Microsoft.Graph/applications', 'Microsoft.Graph/servicePrincipals', 'Microsoft.Resources/resourceGroups']);
  });
});

describe('outputs', () => {
  // Names and addresses only: azd writes them into the environment (.azure/<env>/.env).
  it('are the names and addresses of what was deployed, and no secret', () => {
    const names = resourceNames(everything);
    const outputs = everything.outputs();
    expect(outputs).toEqual({
      AZURE_LOCATION: SAMPLE.location,
      AZURE_TENANT_ID: SAMPLE.tenantId,
      AZURE_RESOURCE_GROUP: names.resourceGroup,
      AZURE_FUNCTION_APP_NAME: names.functionApp,
      AZURE_KEY_VAULT_NAME: names.keyVault,
      AZURE_STORAGE_ACCOUNT_NAME: names.storage,
      MANAGED_IDENTITY_CLIENT_ID: identityIds(names.identity!).clientId,
      MANAGED_IDENTITY_PRINCIPAL_ID: identityIds(names.identity!).principalId,
      ADMIN_API_APP_ID: SAMPLE.adminApiAppId,
      ADMIN_API_IDENTIFIER_URI: `api://${SAMPLE.tenantId}/${names.adminApi!}`,
      ADMIN_API_IDENTIFIER_URI_FORM: 'tenant',
      ADMIN_AUTH_ISSUER: `https://login.microsoftonline.com/${SAMPLE.tenantId}/v2.0`,
      API_BASE_URL: `https://${names.functionApp!}.azurewebsites.net/api`,
      LIFECYCLE_LOGIC_APP_NAME: `logic-lcw-${names.identity!.slice('id-'.length)}`,
      HR_WEBHOOK_URL: `https://${names.functionApp!}.azurewebsites.net/api/hr/events`,
    });
    expect(JSON.stringify(outputs)).not.toContain('whsec_');
  });
});

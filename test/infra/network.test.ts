import { isObject, type JsonObject } from './arm-template';
import { appSettingValues, compiledTemplate, mainDeployment, mainVariable, readRepoFile, resourceNames, SAMPLE } from './sample-deployment';

/** Regions, redundancy, module names, publishing credentials and the privateNetworking option, read from the compiled template. */

const parameters = compiledTemplate().parameters as JsonObject;
const allowedRegions = ((parameters.location as JsonObject).allowedValues ?? []) as string[];

function props(resource: { get(key: string): unknown }): JsonObject {
  const p = resource.get('properties');
  if (!isObject(p as never)) throw new Error('no properties');
  return p as JsonObject;
}

describe('regions and storage redundancy', () => {
  it('accepts only regions that offer Flex Consumption', () => {
    expect(allowedRegions.length).toBeGreaterThan(20);
    for (const region of ['swedencentral', 'westeurope', 'eastus', 'ukwest']) expect(allowedRegions).toContain(region);
    // A canary region and one without Flex Consumption.
    for (const region of ['eastus2euap', 'francesouth']) expect(allowedRegions).not.toContain(region);
    expect(() => mainDeployment({ location: 'francesouth' })).toThrow(/not allowed/);
  });

  it('lists zone-redundant regions only among the allowed ones', () => {
    const zoned = mainVariable(mainDeployment(), 'zoneRedundantRegions') as string[];
    expect(zoned.filter((region) => !allowedRegions.includes(region))).toEqual([]);
    for (const region of ['westus', 'ukwest', 'northcentralus', 'westcentralus', 'australiasoutheast', 'southindia']) expect(zoned).not.toContain(region);
  });

  const skuFor = (location: string, storageSku = '') => {
    const account = mainDeployment({ location, storageSku }).module('storage').resource((r) => r.type === 'Microsoft.Storage/storageAccounts', 'the account');
    return (account.get('sku') as JsonObject).name;
  };

  it('defaults to Standard_ZRS where zones exist and Standard_LRS where they do not, unless a SKU is given', () => {
    expect((parameters.storageSku as JsonObject).defaultValue).toBe('');
    expect(skuFor('swedencentral')).toBe('Standard_ZRS');
    expect(skuFor('ukwest')).toBe('Standard_LRS');
    expect(skuFor('westus')).toBe('Standard_LRS');
    expect(skuFor('ukwest', 'Standard_GRS')).toBe('Standard_GRS');
    expect(skuFor('swedencentral', 'Standard_LRS')).toBe('Standard_LRS');
    expect(() => skuFor('swedencentral', 'Premium_LRS')).toThrow(/not allowed/);
  });
});

describe('deployments and the function app', () => {
  it('names every module deployment after this deployment, so two runs never collide', () => {
    const first = mainDeployment().resources().filter((r) => r.type === 'Microsoft.Resources/deployments');
    const names = first.map((r) => r.name);
    expect(names.length).toBeGreaterThan(5);
    for (const module of first) expect(module.raw.name).toMatch(/^\[format\('\{0\}-[a-z-]+', variables\('deploymentPrefix'\)\)\]$/);
    expect((compiledTemplate().variables as JsonObject).deploymentPrefix).toBe("[uniqueString(deployment().name, parameters('location'))]");
    expect(new Set(names).size).toBe(names.length);
  });

  it('gives the publishing credential policies a location (the resource provider refuses them without it), and turns basic auth off', () => {
    const app = mainDeployment().module('function-app');
    const policies = app.resources().filter((r) => r.type === 'Microsoft.Web/sites/basicPublishingCredentialsPolicies');
    const site = resourceNames().functionApp!;
    expect(policies.map((p) => p.name).sort()).toEqual([`${site}/ftp`, `${site}/scm`]);
    for (const policy of policies) {
      expect(policy.get('location')).toBe(SAMPLE.location);
      expect(props(policy)).toEqual({ allow: false });
    }
  });

  // The compiler's type data lacks `location` there (Azure/bicep#7396) and the Logic App's SAS policy; those
  // type inaccuracies are the only findings suppressed, each on its own line.
  it('suppresses no compiler finding but the known type inaccuracies', () => {
    const files = ['main.bicep', ...['alerts', 'entra', 'function-app', 'graph-permissions', 'identity', 'keyvault', 'lifecycle-logic-app', 'monitoring', 'network', 'rbac', 'storage'].map((m) => `modules/${m}.bicep`)];
    const suppressions = files.flatMap((file) => {
      const lines = readRepoFile(`infra/${file}`).split('\n');
      return lines.flatMap((line, k) => (/#disable/.test(line) ? [{ file, line: line.trim(), next: (lines[k + 1] ?? '').trim() }] : []));
    });
    expect(suppressions).toEqual([
      { file: 'modules/function-app.bicep', line: '#disable-next-line BCP187', next: 'location: location' },
      { file: 'modules/function-app.bicep', line: '#disable-next-line BCP187', next: 'location: location' },
      { file: 'modules/lifecycle-logic-app.bicep', line: '#disable-next-line BCP037', next: 'sasAuthenticationPolicy: {' },
    ]);
  });

  it('has no sovereign-cloud Graph: the hardware OATH API is in the global Graph service only; the Entra authority is the cloud\'s', () => {
    const declared = Object.keys(parameters);
    expect(declared).not.toContain('graphBaseUrl');
    expect(declared).not.toContain('authorityHost');
    expect(appSettingValues().GRAPH_BASE_URL).toBe('https://graph.microsoft.com');
    expect(appSettingValues().ADMIN_AUTH_ISSUER).toBe(`https://login.microsoftonline.com/${SAMPLE.tenantId}/v2.0`);
    const otherCloud = mainDeployment({}, { environment: { name: 'Other', resourceManager: 'https://management.example/', authentication: { loginEndpoint: 'https://login.example/' }, suffixes: { storage: 'core.example' } } });
    expect(appSettingValues(otherCloud).ADMIN_AUTH_ISSUER).toBe(`https://login.example/${SAMPLE.tenantId}/v2.0`);
    expect(appSettingValues(otherCloud).GRAPH_BASE_URL).toBe('https://graph.microsoft.com');
  });
});

describe('privateNetworking', () => {
  it('is off by default, leaving storage and Key Vault public and the app outside any network', () => {
    expect((parameters.privateNetworking as JsonObject).defaultValue).toBe(false);
    const deployment = mainDeployment();
    expect(deployment.resources().filter((r) => r.name.endsWith('-network'))).toEqual([]);
    expect(props(deployment.module('storage').resource((r) => r.type === 'Microsoft.Storage/storageAccounts', 'account'))).toMatchObject({ publicNetworkAccess: 'Enabled', networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' } });
    expect(props(deployment.module('keyvault').resource((r) => r.type === 'Microsoft.KeyVault/vaults', 'vault'))).toMatchObject({ publicNetworkAccess: 'Enabled', networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' } });
    expect(props(deployment.module('function-app').resource((r) => r.type === 'Microsoft.Web/sites', 'site')).virtualNetworkSubnetId).toBeNull();
  });

  const deployment = mainDeployment({ privateNetworking: true });
  const names = resourceNames(deployment);
  const network = deployment.module('network');
  const groupId = `/subscriptions/${SAMPLE.subscriptionId}/resourceGroups/${names.resourceGroup!}`;
  const vnetId = `${groupId}/providers/Microsoft.Network/virtualNetworks/${names.virtualNetwork!}`;

  it('turns public network access off on storage and Key Vault when on', () => {
    expect(props(deployment.module('storage').resource((r) => r.type === 'Microsoft.Storage/storageAccounts', 'account'))).toMatchObject({ publicNetworkAccess: 'Disabled', networkAcls: { defaultAction: 'Deny' } });
    expect(props(deployment.module('keyvault').resource((r) => r.type === 'Microsoft.KeyVault/vaults', 'vault'))).toMatchObject({ publicNetworkAccess: 'Disabled', networkAcls: { defaultAction: 'Deny' } });
  });

  it('integrates the function app with the app subnet, delegated to Microsoft.App/environments as Flex Consumption needs', () => {
    expect(props(deployment.module('function-app').resource((r) => r.type === 'Microsoft.Web/sites', 'site')).virtualNetworkSubnetId).toBe(`${vnetId}/subnets/app`);
    const subnets = props(network.resource((r) => r.type === 'Microsoft.Network/virtualNetworks', 'vnet')).subnets as JsonObject[];
    const app = subnets.find((s) => s.name === 'app');
    expect(((app?.properties as JsonObject).delegations as JsonObject[]).map((d) => (d.properties as JsonObject).serviceName)).toEqual(['Microsoft.App/environments']);
    const endpoints = subnets.find((s) => s.name === 'private-endpoints');
    expect((endpoints?.properties as JsonObject).privateEndpointNetworkPolicies).toBe('Disabled');
  });

  it('gives blob, queue, table and vault a private endpoint, each published in its privatelink zone linked to the network', () => {
    const storageId = `${groupId}/providers/Microsoft.Storage/storageAccounts/${names.storage!}`;
    const vaultId = `${groupId}/providers/Microsoft.KeyVault/vaults/${names.keyVault!}`;
    const endpoints = network.resources().filter((r) => r.type === 'Microsoft.Network/privateEndpoints');
    const seen = endpoints.map((endpoint) => {
      const p = props(endpoint);
      expect(p.subnet).toEqual({ id: `${vnetId}/subnets/private-endpoints` });
      const connection = (p.privateLinkServiceConnections as JsonObject[])[0]!.properties as JsonObject;
      return { groupIds: connection.groupIds, target: connection.privateLinkServiceId };
    });
    expect(seen).toEqual([
      { groupIds: ['blob'], target: storageId },
      { groupIds: ['queue'], target: storageId },
      { groupIds: ['table'], target: storageId },
      { groupIds: ['vault'], target: vaultId },
    ]);
    const zones = network.resources().filter((r) => r.type === 'Microsoft.Network/privateDnsZones');
    expect(zones.map((z) => z.name)).toEqual(['privatelink.blob.core.windows.net', 'privatelink.queue.core.windows.net', 'privatelink.table.core.windows.net', 'privatelink.vaultcore.azure.net']);
    for (const zone of zones) expect(zone.get('location')).toBe('global');
    const links = network.resources().filter((r) => r.type === 'Microsoft.Network/privateDnsZones/virtualNetworkLinks');
    expect(links.map((l) => l.name.split('/')[0])).toEqual(zones.map((z) => z.name));
    for (const link of links) expect(props(link)).toMatchObject({ virtualNetwork: { id: vnetId }, registrationEnabled: false });
    const groups = network.resources().filter((r) => r.type === 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups');
    expect(groups.map((g) => g.name.split('/')[0])).toEqual(endpoints.map((e) => e.name));
    groups.forEach((group, k) => {
      const config = ((props(group).privateDnsZoneConfigs as JsonObject[])[0]!.properties as JsonObject).privateDnsZoneId;
      expect(config).toBe(`${groupId}/providers/Microsoft.Network/privateDnsZones/${zones[k]!.name}`);
    });
  });
});

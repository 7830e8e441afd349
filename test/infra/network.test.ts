import { arrayItems, declaration, declarationsOf, evaluate, objectEntry, parseBicep, property, stringLiteral } from './bicep-text';
import { mainFile, mainScope } from './sample-deployment';

/**
 * Regions, redundancy, module names, publishing credentials and the privateNetworking option, as far
 * as the template text shows them (no Bicep compiler here; the shapes follow the resource references
 * named in each module's header).
 */

const main = mainFile();
const allowedRegions = (() => {
  const decorator = declaration(main, 'param', 'location').decorators.find((d) => d.startsWith('@allowed('));
  return arrayItems(decorator?.slice('@allowed('.length, -1) ?? '').map(stringLiteral);
})();

describe('regions and storage redundancy', () => {
  it('accepts only regions that offer Flex Consumption', () => {
    expect(allowedRegions.length).toBeGreaterThan(20);
    for (const region of ['swedencentral', 'westeurope', 'eastus', 'ukwest']) expect(allowedRegions).toContain(region);
    // A canary region and one without Flex Consumption.
    for (const region of ['eastus2euap', 'francesouth']) expect(allowedRegions).not.toContain(region);
  });

  it('lists zone-redundant regions only among the allowed ones', () => {
    const zoned = arrayItems(declaration(main, 'var', 'zoneRedundantRegions').value ?? '').map(stringLiteral);
    expect(zoned.filter((region) => !allowedRegions.includes(region))).toEqual([]);
    for (const region of ['westus', 'ukwest', 'northcentralus', 'westcentralus', 'australiasoutheast', 'southindia']) expect(zoned).not.toContain(region);
  });

  const skuFor = (location: string, storageSku = '') => {
    const scope = mainScope();
    return evaluate(declaration(main, 'var', 'effectiveStorageSku').value ?? '', { ...scope, known: { ...scope.known, location, storageSku } });
  };

  it('defaults to Standard_ZRS where zones exist and Standard_LRS where they do not, unless a SKU is given', () => {
    expect(stringLiteral(declaration(main, 'param', 'storageSku').value ?? '')).toBe('');
    expect(skuFor('swedencentral')).toBe('Standard_ZRS');
    expect(skuFor('ukwest')).toBe('Standard_LRS');
    expect(skuFor('westus')).toBe('Standard_LRS');
    expect(skuFor('ukwest', 'Standard_GRS')).toBe('Standard_GRS');
    expect(property(declaration(main, 'module', 'storage').body ?? '', 'params', 'skuName')).toBe('effectiveStorageSku');
  });
});

describe('deployments and the function app', () => {
  it('names every module deployment after this deployment, so two runs never collide', () => {
    expect(declaration(main, 'var', 'deploymentPrefix').value).toBe('uniqueString(deployment().name, location)');
    for (const module of declarationsOf(main, 'module')) {
      expect({ module: module.name, name: objectEntry(module.body ?? '', 'name') }).toEqual({ module: module.name, name: expect.stringMatching(/^'\$\{deploymentPrefix\}-[a-z-]+'$/) });
    }
    const names = declarationsOf(main, 'module').map((m) => objectEntry(m.body ?? '', 'name'));
    expect(new Set(names).size).toBe(names.length);
  });

  it('gives the publishing credential policies a location (validation is reported to need it)', () => {
    const app = parseBicep('infra/modules/function-app.bicep');
    const policies = declarationsOf(app, 'resource').filter((r) => r.resourceType === 'Microsoft.Web/sites/basicPublishingCredentialsPolicies');
    expect(policies.map((p) => stringLiteral(objectEntry(p.body ?? '', 'name'))).sort()).toEqual(['ftp', 'scm']);
    for (const policy of policies) {
      expect(objectEntry(policy.body ?? '', 'location')).toBe('location');
      expect(property(policy.body ?? '', 'properties', 'allow')).toBe('false');
    }
  });

  it('has no sovereign-cloud parameters: the hardware OATH API is in the global Graph service only', () => {
    const params = declarationsOf(main, 'param').map((p) => p.name);
    expect(params).not.toContain('graphBaseUrl');
    expect(params).not.toContain('authorityHost');
    expect(stringLiteral(declaration(main, 'var', 'graphBaseUrl').value ?? '')).toBe('https://graph.microsoft.com');
    expect(stringLiteral(declaration(main, 'var', 'authorityHost').value ?? '')).toBe('https://login.microsoftonline.com');
  });
});

describe('privateNetworking', () => {
  const network = parseBicep('infra/modules/network.bicep');

  it('is off by default and turns public network access off on storage and Key Vault when on', () => {
    expect(declaration(main, 'param', 'privateNetworking').value).toBe('false');
    expect(property(declaration(main, 'module', 'storage').body ?? '', 'params', 'publicNetworkAccess')).toBe('!privateNetworking');
    expect(property(declaration(main, 'module', 'keyVault').body ?? '', 'params', 'publicNetworkAccess')).toBe('!privateNetworking');
    for (const [file, resource] of [
      ['infra/modules/storage.bicep', 'account'],
      ['infra/modules/keyvault.bicep', 'vault'],
    ] as const) {
      const body = declaration(parseBicep(file), 'resource', resource).body ?? '';
      expect(property(body, 'properties', 'publicNetworkAccess')).toBe("publicNetworkAccess ? 'Enabled' : 'Disabled'");
      expect(property(body, 'properties', 'networkAcls', 'defaultAction')).toBe("publicNetworkAccess ? 'Allow' : 'Deny'");
    }
  });

  it('deploys the network only with the option, and integrates the function app with its app subnet', () => {
    const call = declaration(main, 'module', 'network');
    expect(call.resourceType).toBe('modules/network.bicep');
    expect(call.prefix).toBe('if (privateNetworking)');
    expect(property(declaration(main, 'module', 'functionApp').body ?? '', 'params', 'virtualNetworkSubnetId')).toBe("privateNetworking ? network.outputs.appSubnetId : ''");
    const site = declaration(parseBicep('infra/modules/function-app.bicep'), 'resource', 'site').body ?? '';
    expect(property(site, 'properties', 'virtualNetworkSubnetId')).toBe('empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId');
  });

  it('delegates the app subnet to Microsoft.App/environments, as Flex Consumption needs', () => {
    const subnets = arrayItems(property(declaration(network, 'resource', 'vnet').body ?? '', 'properties', 'subnets'));
    const app = subnets.find((s) => stringLiteral(objectEntry(s, 'name')) === 'app') ?? '';
    const delegations = arrayItems(property(app, 'properties', 'delegations'));
    expect(delegations.map((d) => stringLiteral(property(d, 'properties', 'serviceName')))).toEqual(['Microsoft.App/environments']);
    const endpoints = subnets.find((s) => stringLiteral(objectEntry(s, 'name')) === 'private-endpoints') ?? '';
    expect(stringLiteral(property(endpoints, 'properties', 'privateEndpointNetworkPolicies'))).toBe('Disabled');
  });

  it('gives blob, queue, table and vault a private endpoint, each published in its privatelink zone linked to the network', () => {
    const endpoints = arrayItems(declaration(network, 'var', 'endpoints').value ?? '');
    const services = endpoints.map((e) => stringLiteral(objectEntry(e, 'service')));
    expect(services).toEqual(['blob', 'queue', 'table', 'vault']);
    const zones = endpoints.map((e) => objectEntry(e, 'zone'));
    expect(zones).toEqual([
      "'privatelink.blob.${environment().suffixes.storage}'",
      "'privatelink.queue.${environment().suffixes.storage}'",
      "'privatelink.table.${environment().suffixes.storage}'",
      "'privatelink.vaultcore.azure.net'",
    ]);
    const privateEndpoints = declaration(network, 'resource', 'privateEndpoints');
    expect(privateEndpoints.resourceType).toBe('Microsoft.Network/privateEndpoints');
    expect(privateEndpoints.prefix).toBe('[for endpoint in endpoints:');
    const connection = arrayItems(property(privateEndpoints.body ?? '', 'properties', 'privateLinkServiceConnections'))[0] ?? '';
    expect(property(connection, 'properties', 'groupIds').replace(/\s+/g, ' ')).toBe('[ endpoint.service ]');
    expect(property(connection, 'properties', 'privateLinkServiceId')).toBe('endpoint.resourceId');

    const zoneResource = declaration(network, 'resource', 'zones');
    expect(zoneResource.resourceType).toBe('Microsoft.Network/privateDnsZones');
    expect(stringLiteral(objectEntry(zoneResource.body ?? '', 'location'))).toBe('global');
    const links = declaration(network, 'resource', 'zoneLinks');
    expect(links.resourceType).toBe('Microsoft.Network/privateDnsZones/virtualNetworkLinks');
    expect(property(links.body ?? '', 'properties', 'virtualNetwork', 'id')).toBe('vnet.id');
    expect(property(links.body ?? '', 'properties', 'registrationEnabled')).toBe('false');
    const groups = declaration(network, 'resource', 'zoneGroups');
    expect(groups.resourceType).toBe('Microsoft.Network/privateEndpoints/privateDnsZoneGroups');
    expect(objectEntry(groups.body ?? '', 'parent')).toBe('privateEndpoints[i]');
    expect(property(arrayItems(property(groups.body ?? '', 'properties', 'privateDnsZoneConfigs'))[0] ?? '', 'properties', 'privateDnsZoneId')).toBe('zones[i].id');
  });
});

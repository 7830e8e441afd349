// privateNetworking=true: a virtual network the function app is integrated with, and private endpoints
// (with their private DNS zones) for the storage account's blob, queue and table services and for the
// Key Vault, whose public network access main.bicep then turns off. The identity that can bind factors
// in Entra reaches its seeds and its inventory only from inside this network.
// Shapes: learn.microsoft.com/azure/templates Microsoft.Network/virtualNetworks, privateEndpoints
// (and privateDnsZoneGroups), privateDnsZones (and virtualNetworkLinks); the subnet delegation that
// Flex Consumption needs (Microsoft.App/environments) as in the Flex Consumption reference template.

param name string
param location string
param tags object
param storageAccountName string
param keyVaultName string

@description('Address space of the network; the two subnets below are carved from it.')
param addressPrefix string = '10.0.0.0/16'
param appSubnetPrefix string = '10.0.1.0/24'
param privateEndpointSubnetPrefix string = '10.0.2.0/24'

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource vnet 'Microsoft.Network/virtualNetworks@2023-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        // The function app's outbound traffic leaves through this subnet (virtualNetworkSubnetId).
        name: 'app'
        properties: {
          addressPrefix: appSubnetPrefix
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: privateEndpointSubnetPrefix
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

// In the order of `subnets` above.
var appSubnetId = vnet.properties.subnets[0].id
var privateEndpointSubnetId = vnet.properties.subnets[1].id

// One endpoint per service (group id) and the zone its private address is published in.
var endpoints = [
  {
    service: 'blob'
    resourceId: storageAccount.id
    zone: 'privatelink.blob.${environment().suffixes.storage}'
  }
  {
    service: 'queue'
    resourceId: storageAccount.id
    zone: 'privatelink.queue.${environment().suffixes.storage}'
  }
  {
    service: 'table'
    resourceId: storageAccount.id
    zone: 'privatelink.table.${environment().suffixes.storage}'
  }
  {
    service: 'vault'
    resourceId: vault.id
    zone: 'privatelink.vaultcore.azure.net'
  }
]

resource zones 'Microsoft.Network/privateDnsZones@2020-06-01' = [for endpoint in endpoints: {
  name: endpoint.zone
  // Private DNS zones are global resources.
  location: 'global'
  tags: tags
}]

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = [for (endpoint, i) in endpoints: {
  parent: zones[i]
  name: '${name}-link'
  location: 'global'
  tags: tags
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: vnet.id
    }
  }
}]

resource privateEndpoints 'Microsoft.Network/privateEndpoints@2023-11-01' = [for endpoint in endpoints: {
  name: 'pe-${endpoint.service}-${name}'
  location: location
  tags: tags
  properties: {
    subnet: {
      id: privateEndpointSubnetId
    }
    privateLinkServiceConnections: [
      {
        name: 'pe-${endpoint.service}-${name}'
        properties: {
          privateLinkServiceId: endpoint.resourceId
          groupIds: [
            endpoint.service
          ]
        }
      }
    ]
  }
}]

// Publishes each endpoint's address in its zone, so <account>.blob.core.windows.net and
// <vault>.vault.azure.net resolve to the private address inside the network.
resource zoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2023-11-01' = [for (endpoint, i) in endpoints: {
  parent: privateEndpoints[i]
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: replace(endpoint.zone, '.', '-')
        properties: {
          privateDnsZoneId: zones[i].id
        }
      }
    ]
  }
}]

output appSubnetId string = appSubnetId
output privateEndpointServices array = [for endpoint in endpoints: endpoint.service]

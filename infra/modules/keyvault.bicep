// The only store of token seeds (Entra never gives a seed back) and of the HR webhook secrets.
// RBAC mode, soft delete and purge protection: a deleted seed or vault can be recovered for 90 days
// and nobody, this deployment included, can purge it sooner.

param name string
param location string
param tags object
param logAnalyticsWorkspaceId string
param hrWebhookSecretName string

@secure()
@description('Whitespace-separated whsec_ values. Empty: the secret is left as it is (set and rotated in the vault, see docs/deploy.md).')
param hrWebhookSecrets string = ''

@description('false (privateNetworking): reachable only through the private endpoint of modules/network.bicep.')
param publicNetworkAccess bool = true

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: publicNetworkAccess ? 'Enabled' : 'Disabled'
    networkAcls: {
      defaultAction: publicNetworkAccess ? 'Allow' : 'Deny'
      bypass: 'AzureServices'
    }
  }
}

resource hrWebhookSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(hrWebhookSecrets)) {
  parent: vault
  name: hrWebhookSecretName
  properties: {
    value: hrWebhookSecrets
    contentType: 'whitespace-separated whsec_ values'
  }
}

// Who read or changed which seed: the vault's audit log goes to Log Analytics.
resource auditLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-to-log-analytics'
  scope: vault
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
  }
}

output name string = vault.name

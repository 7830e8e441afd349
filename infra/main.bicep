// Entra OATH tokens: everything the app needs in one subscription, for `azd up` and the GitHub pipeline.
// docs/deploy.md explains the parameters, the admin prerequisites and the decisions taken here.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Environment name, e.g. "prod". Names the resource group and seeds the hash that names every other resource.')
param environmentName string

@minLength(1)
@description('Region for every resource. It must offer the Flex Consumption plan: az functionapp list-flexconsumption-locations.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Create the admin API app registration and grant the Microsoft Graph application permissions to the managed identity. The deployer then needs the Entra roles listed in docs/deploy.md. Set false for a deployer without them (the pipeline) and pass adminApiAppId.')
param deployEntraObjects bool = true

@description('Application (client) id of the admin API app registration made by an earlier deployment with deployEntraObjects=true. Read only when deployEntraObjects is false.')
param adminApiAppId string = ''

@description('auto: the app activates each token with a code computed from its seed. user: the app assigns the token and the employee activates it.')
@allowed([
  'auto'
  'user'
])
param activationMode string = 'auto'

@description('How many days before the hire date a token is provisioned.')
@minValue(0)
@maxValue(365)
param provisionLeadDays int = 7

@description('A pool with fewer tokens in stock than this makes the nightly reconciliation log a LowStock warning (and the low-stock alert fires).')
@minValue(0)
@maxValue(100000)
param lowStockThreshold int = 5

@description('When reconciliation runs: six-field NCRONTAB, seconds first, in UTC.')
param reconcileSchedule string = '0 0 2 * * *'

// These two are parameters rather than environment() values: environment().graph is the retired Azure AD
// Graph, and environment().authentication.loginEndpoint is login.windows.net, not the v2.0 issuer host.
@description('Microsoft Graph root the app calls. Sovereign clouds: https://graph.microsoft.us, https://dod-graph.microsoft.us, https://microsoftgraph.chinacloudapi.cn.')
param graphBaseUrl string = 'https://graph.microsoft.com'

@description('Entra ID sign-in host that issues the admin API tokens. Sovereign clouds: https://login.microsoftonline.us, https://login.chinacloudapi.cn.')
param authorityHost string = 'https://login.microsoftonline.com'

@description('Directory sync (hires and leavers read from Entra by users/delta): six-field NCRONTAB in UTC, e.g. 0 */15 * * * *. Empty: off.')
param directorySyncSchedule string = ''

@description('Directory sync provisions only members of this group (object id). Empty: every member account with an employeeHireDate.')
param directorySyncGroupId string = ''

@description('Upper bound of Flex Consumption instances. Graph and Key Vault throttle per tenant and vault, so more instances do not mean more throughput.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Redundancy of the storage account that holds the inventory. Standard_ZRS needs a region with availability zones; use Standard_LRS elsewhere.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSku string = 'Standard_ZRS'

@description('Email address that receives the low-stock and poison-message alerts. Empty: the alerts fire in the portal only.')
param alertEmail string = ''

@secure()
@description('Optional first value of the HR webhook secret list (whitespace-separated whsec_ values). Empty leaves the Key Vault secret untouched, so a rotation done in the vault is never undone by a redeploy.')
param hrWebhookSecrets string = ''

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}

// Every resource name, in one place. test/infra checks them against Azure's length and character rules.
var names = {
  resourceGroup: '${abbrs.resourcesResourceGroups}${environmentName}'
  identity: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
  plan: '${abbrs.webServerFarms}${resourceToken}'
  functionApp: '${abbrs.webSitesFunctions}${resourceToken}'
  storage: '${abbrs.storageStorageAccounts}${resourceToken}'
  keyVault: '${abbrs.keyVaultVaults}${resourceToken}'
  logAnalytics: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
  appInsights: '${abbrs.insightsComponents}${resourceToken}'
  actionGroup: '${abbrs.insightsActionGroups}${resourceToken}'
  alertPrefix: '${abbrs.insightsScheduledQueryRules}${resourceToken}'
  adminApi: 'entra-oath-tokens-admin-${resourceToken}'
}

// The storage the code uses, in one place. Every work queue also gets its '<name>-poison' queue.
var storageLayout = {
  workQueues: [
    'hr-events'
    'reconcile-work'
    'directory-sync'
  ]
  tables: [
    'tokens'
    'audit'
    'webhookEvents'
    'provisioning'
    'directorySync'
  ]
  containers: [
    'reports'
  ]
  // Flex Consumption reads the app package from here (functionAppConfig.deployment.storage).
  deploymentContainer: 'app-package'
}

// The Key Vault secret behind HR_WEBHOOK_SECRETS.
var hrWebhookSecretName = 'hr-webhook-secrets'

// azure.yaml names the service `api`; azd finds the function app by this tag.
var serviceName = 'api'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: names.resourceGroup
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: names.logAnalytics
    appInsightsName: names.appInsights
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: names.storage
    location: location
    tags: tags
    skuName: storageSku
    workQueues: storageLayout.workQueues
    tables: storageLayout.tables
    containers: concat(storageLayout.containers, [storageLayout.deploymentContainer])
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: names.keyVault
    location: location
    tags: tags
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    hrWebhookSecretName: hrWebhookSecretName
    hrWebhookSecrets: hrWebhookSecrets
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

module entra 'modules/entra.bicep' = if (deployEntraObjects) {
  name: 'entra'
  scope: rg
  params: {
    identityPrincipalId: identity.outputs.principalId
    adminApiUniqueName: names.adminApi
    environmentName: environmentName
  }
}

// v2.0 access tokens: this issuer, and the API's application (client) id as `aud` whatever scope the client asked for.
var adminAuthIssuer = '${authorityHost}/${tenant().tenantId}/v2.0'
var adminAuthAudience = deployEntraObjects ? entra.outputs.adminApiAppId : adminApiAppId

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  // The identity's data-plane roles exist before the app first starts and resolves its Key Vault reference.
  dependsOn: [
    rbac
  ]
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: union(tags, {
      'azd-service-name': serviceName
    })
    identityName: identity.outputs.name
    storageAccountName: storage.outputs.name
    deploymentContainerName: storageLayout.deploymentContainer
    appInsightsName: monitoring.outputs.appInsightsName
    keyVaultName: keyVault.outputs.name
    hrWebhookSecretName: hrWebhookSecretName
    adminAuthIssuer: adminAuthIssuer
    adminAuthAudience: adminAuthAudience
    graphBaseUrl: graphBaseUrl
    activationMode: activationMode
    provisionLeadDays: provisionLeadDays
    lowStockThreshold: lowStockThreshold
    reconcileSchedule: reconcileSchedule
    directorySyncSchedule: directorySyncSchedule
    directorySyncGroupId: directorySyncGroupId
    maximumInstanceCount: maximumInstanceCount
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    appInsightsName: monitoring.outputs.appInsightsName
    actionGroupName: names.actionGroup
    alertNamePrefix: names.alertPrefix
    alertEmail: alertEmail
  }
}

// Names and addresses only: nothing here is a key, a connection string or a secret.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output ADMIN_API_APP_ID string = adminAuthAudience
output ADMIN_API_IDENTIFIER_URI string = deployEntraObjects ? entra.outputs.adminApiIdentifierUri : ''
output ADMIN_AUTH_ISSUER string = adminAuthIssuer
output API_BASE_URL string = 'https://${functionApp.outputs.defaultHostName}/api'
output HR_WEBHOOK_URL string = 'https://${functionApp.outputs.defaultHostName}/api/hr/events'

// Entra OATH tokens: everything the app needs in one subscription, for `azd up` and the GitHub pipeline.
// docs/deploy.md explains the parameters, the admin prerequisites and the decisions taken here.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Environment name, e.g. "prod". Names the resource group and seeds the hash that names every other resource.')
param environmentName string

// The regions that offered the Flex Consumption plan when this list was written (the Flex Consumption
// reference template, Azure-Samples/functions-quickstart-typescript-azd, less its canary region), so a
// region without it is refused before anything is created. Check the current list with
// `az functionapp list-flexconsumption-locations -o table` and add a region here when Azure adds one.
@minLength(1)
@description('Region for every resource. It must offer the Flex Consumption plan.')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
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

@description('auto: the app activates each token with a code computed from its seed. user: the app assigns the token and the employee activates it. handover (recommended): the app assigns it, and the IT desk activates it with the code the token shows, in front of its holder.')
@allowed([
  'auto'
  'user'
  'handover'
])
param activationMode string = 'auto'

@description('How many days before the hire date a token is provisioned.')
@minValue(0)
@maxValue(365)
param provisionLeadDays int = 7

@description('Graph requests per second the app sends at most, all instances together (they share one budget in the graphBudget table). Pacing finds Graph\'s real limit below this on its own; a value above the limit costs a few 429s, not speed.')
@minValue(1)
@maxValue(10000)
param graphRequestsPerSecond int = 200

@description('A pool with fewer tokens in stock than this makes the nightly reconciliation log a LowStock warning (and the low-stock alert fires).')
@minValue(0)
@maxValue(100000)
param lowStockThreshold int = 5

@description('When reconciliation runs: six-field NCRONTAB, seconds first, in UTC.')
param reconcileSchedule string = '0 0 2 * * *'

@description('Directory sync (hires and leavers read from Entra by users/delta): six-field NCRONTAB in UTC, e.g. 0 */15 * * * *. Empty: off.')
param directorySyncSchedule string = ''

@description('Directory sync provisions only members of this group (object id). Empty: every member account with an employeeHireDate.')
param directorySyncGroupId string = ''

@description('Deploy the Logic App a Lifecycle Workflows custom task extension calls, with its identity (docs/deploy.md). Needs deployEntraObjects.')
param deployLifecycleWorkflows bool = false

@description('Lifecycle Workflows workflow ids (space-separated) whose custom task provisions a token.')
param lifecycleJoinerWorkflows string = ''

@description('Lifecycle Workflows workflow ids (space-separated) whose custom task revokes the token.')
param lifecycleLeaverWorkflows string = ''

@description('Object ids of groups (space-separated) whose transitive members never get a token from HR events or a Tokens.Admin, like directory role holders: break-glass and admin accounts.')
param protectedGroupIds string = ''

@description('Object id of the group whose transitive members alone may receive tokens. Empty: no such limit.')
param allowedGroupId string = ''

@description('Post notifications to Teams: NOTIFY_TEAMS_WEBHOOK_URL becomes a Key Vault reference to the secret notify-teams-webhook-url, which must exist first (docs/deploy.md).')
param enableTeamsNotifications bool = false

@description('Accept HiBob webhooks at /api/hr/events/hibob; the Key Vault secrets hibob-webhook-secret and hibob-api-token must exist (docs/deploy.md).')
param enableHiBob bool = false

@description('The HiBob service user id the app fetches employees with.')
param hibobServiceUserId string = ''

@description('Accept BambooHR webhooks at /api/hr/events/bamboohr; the Key Vault secrets bamboohr-webhook-secret and bamboohr-api-key must exist.')
param enableBambooHr bool = false

@description('The BambooHR API root, https://<company>.bamboohr.com.')
param bambooHrApiUrl string = ''

@description('Accept Personio v2 webhooks at /api/hr/events/personio; the Key Vault secrets personio-webhook-token and personio-client-secret must exist.')
param enablePersonio bool = false

@description('The Personio API client id the app fetches persons with.')
param personioClientId string = ''

@description('A replacement may issue a one-time Temporary Access Pass: grants the app UserAuthenticationMethod.ReadWrite.All (every authentication method of every user) and sets TEMPORARY_ACCESS_PASS=on. Off: no pass, and no such grant.')
param enableTemporaryAccessPass bool = false

@description('Notifications: the mailbox the app sends as (grants Mail.Send; restrict it to this mailbox with an application access policy). Empty: no mail, and no Mail.Send.')
param notifyMailFrom string = ''

@description('Notifications: JSON object, site code -> that site\'s IT desk address, e.g. {"GVA":"it-gva@contoso.com"}. Empty: no desk mail.')
param notifySites string = ''

@description('Upper bound of Flex Consumption instances. Graph and Key Vault throttle per tenant and vault, so more instances do not mean more throughput.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Redundancy of the storage account that holds the inventory. Empty: Standard_ZRS in a region with availability zones, Standard_LRS elsewhere.')
@allowed([
  ''
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSku string = ''

@description('Put storage and Key Vault behind private endpoints in a virtual network the function app is integrated with, and turn their public network access off (docs/deploy.md, "Private networking", for what it costs and changes).')
param privateNetworking bool = false

@description('The admin API\'s identifier URI. tenant: api://<tenant id>/<name>. appId: api://<application id>, for tenants whose app management policy has the nonDefaultUriAddition restriction (it then refuses the tenant form); the postprovision hook in azure.yaml sets it, because the app id exists only once the app does.')
@allowed([
  'tenant'
  'appId'
])
param adminApiIdentifierUriForm string = 'tenant'

@description('Email address that receives every alert (low stock, poison messages, leavers, held runs). Empty: the alerts fire in the portal only.')
param alertEmail string = ''

@secure()
@description('Optional first value of the HR webhook secret list (whitespace-separated whsec_ values). Empty leaves the Key Vault secret untouched, so a rotation done in the vault is never undone by a redeploy.')
param hrWebhookSecrets string = ''

var abbrs = loadJsonContent('abbreviations.json')

// The hardware OATH API exists only in Microsoft Graph's global service (beta), so there is no
// sovereign-cloud variant of Graph's address. The Entra authority is the cloud's own
// (https://login.microsoftonline.com/ in Azure's global cloud).
var graphBaseUrl = 'https://graph.microsoft.com'
var authorityHost = environment().authentication.loginEndpoint

// Regions of the list above that have availability zones (learn.microsoft.com, "Azure regions with
// availability zone support"); Standard_ZRS fails in the others, so they default to Standard_LRS.
var zoneRedundantRegions = [
  'australiaeast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'westeurope'
  'westus2'
  'westus3'
]
// The SKU each storageSku value stands for; '' picks by region. A lookup rather than a conditional keeps
// the result typed as a SKU name, which the storage module's @allowed list requires.
var storageSkuFor = {
  '': contains(zoneRedundantRegions, location) ? 'Standard_ZRS' : 'Standard_LRS'
  Standard_LRS: 'Standard_LRS'
  Standard_ZRS: 'Standard_ZRS'
  Standard_GRS: 'Standard_GRS'
  Standard_GZRS: 'Standard_GZRS'
}
var effectiveStorageSku = storageSkuFor[storageSku]

// Module deployment names from this deployment's name, so two deployments (azd and the pipeline, or two
// runs at once) never overwrite each other's module deployments.
var deploymentPrefix = uniqueString(deployment().name, location)
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
  virtualNetwork: '${abbrs.networkVirtualNetworks}${resourceToken}'
}

// The storage the code uses, in one place. Every work queue also gets its '<name>-poison' queue.
var storageLayout = {
  workQueues: [
    'hr-events'
    'reconcile-work'
    'directory-sync'
    'notifications'
  ]
  tables: [
    'tokens'
    'audit'
    'webhookEvents'
    'provisioning'
    'directorySync'
    'notifications'
    'intakeFailures'
    'graphBudget'
    'replaceClaims'
  ]
  containers: [
    'reports'
  ]
  // Flex Consumption reads the app package from here (functionAppConfig.deployment.storage).
  deploymentContainer: 'app-package'
}

// The Lifecycle Workflows relay: a Logic App and the identity it calls the function app with.
var lifecycleNames = {
  identity: '${abbrs.managedIdentityUserAssignedIdentities}lcw-${resourceToken}'
  logicApp: 'logic-lcw-${resourceToken}'
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
  name: '${deploymentPrefix}-identity'
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module lifecycleIdentity 'modules/identity.bicep' = if (deployLifecycleWorkflows) {
  name: '${deploymentPrefix}-lifecycle-identity'
  scope: rg
  params: {
    name: lifecycleNames.identity
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: '${deploymentPrefix}-monitoring'
  scope: rg
  params: {
    logAnalyticsName: names.logAnalytics
    appInsightsName: names.appInsights
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: '${deploymentPrefix}-storage'
  scope: rg
  params: {
    name: names.storage
    location: location
    tags: tags
    skuName: effectiveStorageSku
    publicNetworkAccess: !privateNetworking
    workQueues: storageLayout.workQueues
    tables: storageLayout.tables
    containers: concat(storageLayout.containers, [storageLayout.deploymentContainer])
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: '${deploymentPrefix}-keyvault'
  scope: rg
  params: {
    name: names.keyVault
    location: location
    tags: tags
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    hrWebhookSecretName: hrWebhookSecretName
    hrWebhookSecrets: hrWebhookSecrets
    publicNetworkAccess: !privateNetworking
  }
}

// privateNetworking: the VNet, the app's integration subnet, and private endpoints with their DNS
// zones for the storage account (blob, queue, table) and the vault.
module network 'modules/network.bicep' = if (privateNetworking) {
  name: '${deploymentPrefix}-network'
  scope: rg
  params: {
    name: names.virtualNetwork
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
  }
}

module rbac 'modules/rbac.bicep' = {
  name: '${deploymentPrefix}-rbac'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

// The admin API's app registration. The identity's Graph permissions are granted in graphPermissions,
// at the end of the deployment.
module entra 'modules/entra.bicep' = if (deployEntraObjects) {
  name: '${deploymentPrefix}-entra'
  scope: rg
  params: {
    adminApiUniqueName: names.adminApi
    environmentName: environmentName
    identifierUriForm: adminApiIdentifierUriForm
    // The function app's default host name; the module cannot read it from the site, which needs this module's app id first.
    consoleRedirectUris: [
      'https://${names.functionApp}.azurewebsites.net/api/console/'
    ]
  }
}

// v2.0 access tokens: this issuer, and the API's application (client) id as `aud` whatever scope the client asked for.
var adminAuthIssuer = '${authorityHost}${tenant().tenantId}/v2.0'
var adminAuthAudience = deployEntraObjects ? entra!.outputs.adminApiAppId : adminApiAppId

module functionApp 'modules/function-app.bicep' = {
  name: '${deploymentPrefix}-function-app'
  scope: rg
  // The identity's data-plane roles exist before the app first starts and resolves its Key Vault reference.
  dependsOn: [
    rbac
  ]
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: tags
    serviceName: serviceName
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
    graphRequestsPerSecond: graphRequestsPerSecond
    reconcileSchedule: reconcileSchedule
    directorySyncSchedule: directorySyncSchedule
    directorySyncGroupId: directorySyncGroupId
    lifecycleAllowedCallers: deployLifecycleWorkflows ? lifecycleIdentity!.outputs.principalId : ''
    lifecycleJoinerWorkflows: lifecycleJoinerWorkflows
    lifecycleLeaverWorkflows: lifecycleLeaverWorkflows
    enableTeamsNotifications: enableTeamsNotifications
    enableHiBob: enableHiBob
    hibobServiceUserId: hibobServiceUserId
    enableBambooHr: enableBambooHr
    bambooHrApiUrl: bambooHrApiUrl
    enablePersonio: enablePersonio
    personioClientId: personioClientId
    protectedGroupIds: protectedGroupIds
    allowedGroupId: allowedGroupId
    notifyMailFrom: notifyMailFrom
    enableTemporaryAccessPass: enableTemporaryAccessPass
    notifySites: notifySites
    maximumInstanceCount: maximumInstanceCount
    virtualNetworkSubnetId: privateNetworking ? network!.outputs.appSubnetId : ''
  }
}

// Graph application permissions for the identity, granted last: appRoleAssignedTo on a service principal
// that Entra has not replicated yet fails with "Not a valid reference update" (msgraph-bicep-types
// issue 193), so the grant waits for the identity's own module and then for the function app, which
// takes minutes. A first run that still fails that way succeeds when run again (docs/deploy.md).
module graphPermissions 'modules/graph-permissions.bicep' = if (deployEntraObjects) {
  name: '${deploymentPrefix}-graph-permissions'
  scope: rg
  dependsOn: [
    functionApp
  ]
  params: {
    identityPrincipalId: identity.outputs.principalId
    lifecycleCallerPrincipalId: deployLifecycleWorkflows ? lifecycleIdentity!.outputs.principalId : ''
    adminApiPrincipalId: entra!.outputs.adminApiPrincipalId
    lifecycleTasksRoleId: entra!.outputs.lifecycleTasksRoleId
    temporaryAccessPass: enableTemporaryAccessPass
    lifecycleWorkflows: deployLifecycleWorkflows
    mail: !empty(notifyMailFrom)
    directorySync: !empty(directorySyncSchedule)
  }
}

module lifecycleLogicApp 'modules/lifecycle-logic-app.bicep' = if (deployLifecycleWorkflows) {
  name: '${deploymentPrefix}-lifecycle-logic-app'
  scope: rg
  params: {
    name: lifecycleNames.logicApp
    location: location
    tags: tags
    // From the identity module's output, so the Logic App waits for its identity.
    identityName: lifecycleIdentity!.outputs.name
    taskEndpoint: 'https://${functionApp.outputs.defaultHostName}/api/lifecycle/tasks'
    apiAudience: adminAuthAudience
  }
}

module alerts 'modules/alerts.bicep' = {
  name: '${deploymentPrefix}-alerts'
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
output ADMIN_API_IDENTIFIER_URI string = deployEntraObjects ? entra!.outputs.adminApiIdentifierUri : ''
// Read by the postprovision hook in azure.yaml.
output ADMIN_API_IDENTIFIER_URI_FORM string = adminApiIdentifierUriForm
output ADMIN_AUTH_ISSUER string = adminAuthIssuer
output API_BASE_URL string = 'https://${functionApp.outputs.defaultHostName}/api'
output LIFECYCLE_LOGIC_APP_NAME string = deployLifecycleWorkflows ? lifecycleNames.logicApp : ''
output HR_WEBHOOK_URL string = 'https://${functionApp.outputs.defaultHostName}/api/hr/events'

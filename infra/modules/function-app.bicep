// The function app on the Flex Consumption plan (Node.js 22), running as the user-assigned identity.
// On Flex Consumption the runtime and the package location live in functionAppConfig; the app settings
// FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE and WEBSITE_CONTENT* are
// deprecated there and are not set.

param name string
param planName string
param location string
param tags object
@description('The azure.yaml service deployed to this app: azd finds the app by its azd-service-name tag, which only the site carries (azd refuses a service whose tag is on two resources).')
param serviceName string
param identityName string
param storageAccountName string
param deploymentContainerName string
param appInsightsName string
param keyVaultName string
param hrWebhookSecretName string
param graphBaseUrl string
param adminAuthIssuer string
param adminAuthAudience string

@allowed([
  'auto'
  'user'
  'handover'
])
param activationMode string
param provisionLeadDays int
param lowStockThreshold int
param graphRequestsPerSecond int
param reconcileSchedule string
param directorySyncSchedule string
param directorySyncGroupId string
param lifecycleAllowedCallers string
param lifecycleJoinerWorkflows string
param lifecycleLeaverWorkflows string
param enableHiBob bool
param hibobServiceUserId string
param enableBambooHr bool
param bambooHrApiUrl string
param enablePersonio bool
param personioClientId string
param protectedGroupIds string
param allowedGroupId string
param notifyMailFrom string
@description('A replacement may issue a Temporary Access Pass (the identity holds UserAuthenticationMethod.ReadWrite.All then).')
param enableTemporaryAccessPass bool = false
param notifySites string
param enableTeamsNotifications bool
param maximumInstanceCount int

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Subnet (delegated to Microsoft.App/environments) the app sends its outbound traffic through; empty: no virtual network.')
param virtualNetworkSubnetId string = ''

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': serviceName
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // privateNetworking: storage and Key Vault are reached through their private endpoints in this network.
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    // Key Vault references resolve with the user-assigned identity (the default would be a system identity, which this app has none of).
    keyVaultReferenceIdentity: identity.id
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageAccount.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }
}

// The whole set of app settings (this resource replaces what was there). Names are the contract in shared/app/config.ts.
resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: {
    // Host and app storage through the managed identity; no account key exists to put here.
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identity.properties.clientId
    AzureWebJobsStorage__blobServiceUri: storageAccount.properties.primaryEndpoints.blob
    AzureWebJobsStorage__queueServiceUri: storageAccount.properties.primaryEndpoints.queue
    AzureWebJobsStorage__tableServiceUri: storageAccount.properties.primaryEndpoints.table
    // Where telemetry goes. With local auth off the instrumentation key in it cannot ingest anything;
    // the authentication string makes the host send it with the managed identity.
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
    // Selects the managed identity for the app's own Graph and Key Vault clients.
    AZURE_CLIENT_ID: identity.properties.clientId
    KEY_VAULT_URL: vault.properties.vaultUri
    GRAPH_BASE_URL: graphBaseUrl
    GRAPH_API_VERSION: 'beta'
    GRAPH_REQUESTS_PER_SECOND: string(graphRequestsPerSecond)
    // Versionless reference (trailing slash): a new secret version is picked up without a redeploy.
    HR_WEBHOOK_SECRETS: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${hrWebhookSecretName}/)'
    ADMIN_AUTH_ISSUER: adminAuthIssuer
    ADMIN_AUTH_AUDIENCE: adminAuthAudience
    // The admin console signs in with the admin API's own registration (its SPA redirect URI is in entra.bicep).
    CONSOLE_CLIENT_ID: adminAuthAudience
    ACTIVATION_MODE: activationMode
    // Hand-over mode: codes are looked for 10 steps either side of now; more than 2 steps off is reported; 14 days waiting is overdue.
    HANDOVER_DRIFT_STEPS: '10'
    DRIFT_ALERT_STEPS: '2'
    HANDOVER_MAX_DAYS: '14'
    // A replacement's Temporary Access Pass, only when its Graph permission is granted; it lasts an hour (one use).
    TEMPORARY_ACCESS_PASS: enableTemporaryAccessPass ? 'on' : 'off'
    TAP_LIFETIME_MINUTES: '60'
    PROVISION_LEAD_DAYS: string(provisionLeadDays)
    // A hire waits this long for its Entra account to appear before it fails visibly.
    USER_WAIT_HOURS: '72'
    LOW_STOCK_THRESHOLD: string(lowStockThreshold)
    RECONCILE_SCHEDULE: reconcileSchedule
    // Reconciliation repairs what never destroys anything; stuck joiners/leavers are re-driven after an hour.
    RECONCILE_REPAIR_MODE: 'safe'
    STUCK_SAGA_MINUTES: '60'
    // A run whose repairs would change more than this many things is held for an admin to apply.
    RECONCILE_MAX_CHANGES: '50'
    // An active token nobody signed in with for 90 days is reported unused (not told to managers); tokens serve 60 months.
    UNUSED_TOKEN_DAYS: '90'
    UNUSED_TOKEN_NOTIFY: 'false'
    TOKEN_SERVICE_LIFE_MONTHS: '60'
    TOKEN_SERVICE_LIFE_MONTHS_BY_MODEL: ''
    // Directory sync: off while the schedule is empty; a disabled account is a leaver after a day.
    DIRECTORY_SYNC_SCHEDULE: directorySyncSchedule
    DIRECTORY_SYNC_GROUP_ID: directorySyncGroupId
    NOTIFY_MAIL_FROM: notifyMailFrom
    NOTIFY_SITES: notifySites
    // The workflow URL carries its own signature: it stays in the vault, never in parameters.
    NOTIFY_TEAMS_WEBHOOK_URL: enableTeamsNotifications ? '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/notify-teams-webhook-url/)' : ''
    DIRECTORY_SYNC_DISABLE_GRACE_HOURS: '24'
    DIRECTORY_SYNC_LOCATION_ATTRIBUTE: 'officeLocation'
    // Who may receive a token: members of these groups are refused like directory role holders; with
    // ALLOWED_GROUP_ID set, only its members get tokens (empty: no such limit).
    PROTECTED_GROUP_IDS: protectedGroupIds
    ALLOWED_GROUP_ID: allowedGroupId
    // A first hire or an import row is judged by the privileged set read in bulk, at most this many seconds old;
    // reconciliation takes back what that window let through (docs/privileged-set.md).
    PRIVILEGED_SET_MAX_AGE: '60'
    // Vendors' seed files: PSKC keys are the secrets pskc-key-<keyName>; the OpenPGP intake key and its passphrase are
    // seed-file-pgp-key(-passphrase). SEED_FILE_PGP_SIGNER_KEYS (vendor public keys) is added when signatures are required.
    PSKC_KEY_SECRET_PREFIX: 'pskc-key-'
    SEED_FILE_PGP_KEY_SECRET: 'seed-file-pgp-key'
    // Lifecycle Workflows: the relay Logic App's identity may forward custom tasks (empty: nobody may).
    LIFECYCLE_ALLOWED_CALLERS: lifecycleAllowedCallers
    LIFECYCLE_JOINER_WORKFLOWS: lifecycleJoinerWorkflows
    LIFECYCLE_LEAVER_WORKFLOWS: lifecycleLeaverWorkflows
    // HR vendors: each is on when its webhook secret is named; the secrets live in the vault, never here.
    HIBOB_WEBHOOK_SECRET_NAME: enableHiBob ? 'hibob-webhook-secret' : ''
    HIBOB_SERVICE_USER_ID: hibobServiceUserId
    HIBOB_API_TOKEN_SECRET_NAME: enableHiBob ? 'hibob-api-token' : ''
    BAMBOOHR_WEBHOOK_SECRET_NAME: enableBambooHr ? 'bamboohr-webhook-secret' : ''
    BAMBOOHR_API_URL: bambooHrApiUrl
    BAMBOOHR_API_KEY_SECRET_NAME: enableBambooHr ? 'bamboohr-api-key' : ''
    PERSONIO_WEBHOOK_TOKEN_SECRET_NAME: enablePersonio ? 'personio-webhook-token' : ''
    PERSONIO_CLIENT_ID: personioClientId
    PERSONIO_CLIENT_SECRET_NAME: enablePersonio ? 'personio-client-secret' : ''
  }
}

// Deployments authenticate with Entra ID (azd, az CLI); no publishing user name and password.
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  // Missing from the type (BCP187), but the resource provider refuses the policy without it ("The parameter
  // location has an invalid value"): Azure/bicep#7396, the open report of that type inaccuracy. Azure
  // Verified Modules (avm/res/web/site) set it too.
  #disable-next-line BCP187
  location: location
  properties: {
    allow: false
  }
}

resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  // Missing from the type (BCP187), but the resource provider refuses the policy without it ("The parameter
  // location has an invalid value"): Azure/bicep#7396, the open report of that type inaccuracy. Azure
  // Verified Modules (avm/res/web/site) set it too.
  #disable-next-line BCP187
  location: location
  properties: {
    allow: false
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName

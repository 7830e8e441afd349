// The admin API's app registration and its service principal, through the Microsoft Graph Bicep
// extension (alias in infra/bicepconfig.json). The identity's Graph permissions are in
// graph-permissions.bicep. Deploying this needs a deployer allowed to register apps (docs/deploy.md).
extension microsoftGraphV1

param adminApiUniqueName string
param environmentName string

@description('tenant: api://<tenant id>/<name>. appId: api://<application id>, set by the postprovision hook (azure.yaml); this template then leaves identifierUris alone.')
@allowed([
  'tenant'
  'appId'
])
param identifierUriForm string = 'tenant'

@description('Redirect URIs of the admin console (single-page application platform): https://<app host>/api/console/.')
param consoleRedirectUris array = []

// Tenants whose app management policy has the nonDefaultUriAddition restriction accept only the default
// forms api://<appId> and api://<tenantId>/<appId> (learn.microsoft.com/graph/api/resources/identifieruriconfiguration);
// api://<tenantId>/<name> suits the others. An app's own appId cannot be used in the resource that creates it.
var tenantIdentifierUri = 'api://${tenant().tenantId}/${adminApiUniqueName}'

// The roles the admin API checks in the token's `roles` claim (DESIGN section 6).
var adminApiRoles = [
  {
    value: 'Tokens.Admin'
    displayName: 'Hardware token administrator'
    description: 'Import tokens, generate seeds, revoke, suspend and resume tokens, run reconciliation.'
  }
  {
    value: 'Tokens.PrivilegedAdmin'
    displayName: 'Hardware token privileged administrator'
    description: 'Everything Tokens.Admin may do, and give tokens to directory role holders and protected accounts: import for them, approve their refused hires.'
  }
  {
    value: 'Tokens.Read'
    displayName: 'Hardware token reader'
    description: 'Read the token inventory, provisioning status and reconciliation reports.'
  }
  {
    value: 'Tokens.Desk'
    displayName: 'Hardware token desk'
    description: 'The IT desk: read the hand-over pick list, record shipments and hand tokens over with the code they show. Nothing else.'
  }
  {
    value: 'Lifecycle.Tasks'
    displayName: 'Lifecycle Workflows task relay'
    description: 'Forward Lifecycle Workflows custom tasks to POST /api/lifecycle/tasks (the relay Logic App only).'
  }
]

resource adminApi 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: adminApiUniqueName
  displayName: 'Entra OATH tokens admin API (${environmentName})'
  signInAudience: 'AzureADMyOrg'
  // Whoever runs the first `azd up` owns the registration, so they can manage it without a directory role.
  owners: {
    relationships: [
      deployer().objectId
    ]
  }
  // null leaves the property out of the request (appId form), so a redeploy keeps the api://<appId> the hook set.
  identifierUris: identifierUriForm == 'tenant' ? [
    tenantIdentifierUri
  ] : null
  // The admin console signs people in with this registration: authorization code with PKCE, redeemed
  // cross-origin from these redirect URIs' origins (docs/deploy.md says how to add another host name).
  spa: {
    redirectUris: consoleRedirectUris
  }
  api: {
    // v2.0 tokens: issuer https://login.microsoftonline.com/<tenant>/v2.0, aud = this app's client id.
    requestedAccessTokenVersion: 2
  }
  appRoles: [for role in adminApiRoles: {
    // Stable ids: changing one would orphan every assignment of the role.
    id: guid(adminApiUniqueName, role.value)
    value: role.value
    displayName: role.displayName
    description: role.description
    allowedMemberTypes: [
      'User'
      'Application'
    ]
    isEnabled: true
  }]
}

resource adminApiPrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: adminApi.appId
  // Only users, groups and apps given one of its roles get a token for the API at all.
  appRoleAssignmentRequired: true
}

output adminApiAppId string = adminApi.appId
output adminApiIdentifierUri string = identifierUriForm == 'tenant' ? tenantIdentifierUri : 'api://${adminApi.appId}'
output adminApiPrincipalId string = adminApiPrincipal.id
// The Lifecycle.Tasks role's id, assigned to the Lifecycle Workflows relay in graph-permissions.bicep.
output lifecycleTasksRoleId string = guid(adminApiUniqueName, 'Lifecycle.Tasks')

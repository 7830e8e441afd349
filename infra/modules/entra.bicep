// Entra ID objects, through the Microsoft Graph Bicep extension (alias in infra/bicepconfig.json):
// the Graph application permissions of the app's managed identity, and the admin API's app registration.
// Deploying this needs a deployer allowed to grant Graph application permissions (docs/deploy.md).
extension microsoftGraphV1

param identityPrincipalId string
param adminApiUniqueName string
param environmentName string

// Microsoft Graph's well-known application id.
var graphAppId = '00000003-0000-0000-c000-000000000000'

// The Graph application permissions the code uses (DESIGN section 2), and nothing broader.
var graphPermissions = [
  'Policy.ReadWrite.AuthenticationMethod' // hardware OATH inventory
  'UserAuthenticationMethod.ReadWrite.All' // assign, activate, deactivate, remove a user's token
  'User.Read.All' // find the employee's user; directory sync's users/delta
  'User-LifeCycleInfo.Read.All' // directory sync: employeeLeaveDateTime reads as empty without it
  'GroupMember.Read.All' // directory sync: checkMemberGroups for DIRECTORY_SYNC_GROUP_ID
]

// The roles the admin API checks in the token's `roles` claim (DESIGN section 6).
var adminApiRoles = [
  {
    value: 'Tokens.Admin'
    displayName: 'Hardware token administrator'
    description: 'Import tokens, generate seeds, revoke, suspend and resume tokens, run reconciliation.'
  }
  {
    value: 'Tokens.Read'
    displayName: 'Hardware token reader'
    description: 'Read the token inventory, provisioning status and reconciliation reports.'
  }
]

resource graph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: graphAppId
}

resource graphPermissionGrants 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [for permission in graphPermissions: {
  principalId: identityPrincipalId
  resourceId: graph.id
  appRoleId: filter(graph.appRoles, role => role.value == permission)[0].id
}]

resource adminApi 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: adminApiUniqueName
  displayName: 'Entra OATH tokens admin API (${environmentName})'
  signInAudience: 'AzureADMyOrg'
  // api://<tenant id>/<name> is a form every tenant's identifier URI policy accepts.
  identifierUris: [
    'api://${tenant().tenantId}/${adminApiUniqueName}'
  ]
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
  // Only users, groups and apps given Tokens.Admin or Tokens.Read get a token for the API at all.
  appRoleAssignmentRequired: true
}

output adminApiAppId string = adminApi.appId
output adminApiIdentifierUri string = 'api://${tenant().tenantId}/${adminApiUniqueName}'
output adminApiPrincipalId string = adminApiPrincipal.id

// The Microsoft Graph application permissions of the app's managed identity, through the Microsoft Graph
// Bicep extension (alias in infra/bicepconfig.json). main.bicep deploys this module last, after the
// identity's own module and the function app: a grant on a service principal that Entra has not yet
// replicated fails with "Not a valid reference update" (microsoftgraph/msgraph-bicep-types issue 193).
// Deploying it needs a deployer allowed to grant Graph application permissions (docs/deploy.md).
extension microsoftGraphV1

param identityPrincipalId string
@description('The Lifecycle Workflows relay Logic App identity, given the admin API role Lifecycle.Tasks; empty: none.')
param lifecycleCallerPrincipalId string = ''
param adminApiPrincipalId string = ''
param lifecycleTasksRoleId string = ''
@description('Temporary Access Passes with a replacement are on (enableTemporaryAccessPass).')
param temporaryAccessPass bool = false
@description('Lifecycle Workflows custom tasks are on (deployLifecycleWorkflows).')
param lifecycleWorkflows bool = false
@description('Mail notifications are on (notifyMailFrom set).')
param mail bool = false
@description('Directory sync is on (directorySyncSchedule set).')
param directorySync bool = false

// Microsoft Graph's well-known application id.
var graphAppId = '00000003-0000-0000-c000-000000000000'

// The Graph application permissions the code uses (docs/deploy.md, "Why these Graph permissions"), each the
// least privileged one the call's permissions table lists, and each feature's only while the feature is on.
var basePermissions = [
  'Policy.ReadWrite.AuthenticationMethod' // hardware OATH inventory
  'UserAuthMethod-HardwareOATH.ReadWrite.All' // assign, activate, deactivate, remove a user's hardware OATH token, and nothing else of theirs
  'User.Read.All' // find the employee's user; directory sync's users/delta
  'GroupMember.Read.All' // directory sync: checkMemberGroups; the target check: transitiveMembers of PROTECTED_GROUP_IDS, ALLOWED_GROUP_ID and role-holding groups, transitiveMemberOf of one account
  // The target check (docs/security.md), read-only: refuse tokens to directory role holders, active and
  // PIM-eligible, as only a Privileged Authentication Administrator may manage an admin's methods in Entra.
  'RoleManagement.Read.Directory' // roleAssignments and roleEligibilityScheduleInstances by principalId
]
// Creating a Temporary Access Pass lists no narrower application permission than this, which covers every method of every user.
var temporaryAccessPassPermissions = [
  'UserAuthenticationMethod.ReadWrite.All'
]
var lifecycleWorkflowsPermissions = [
  'LifecycleWorkflows.ReadWrite.All' // read a workflow's runs to confirm a custom task callout, and resume the task
]
var directorySyncPermissions = [
  'User-LifeCycleInfo.Read.All' // employeeLeaveDateTime reads as empty without it
]
var mailPermissions = [
  'Mail.Send' // notifications as NOTIFY_MAIL_FROM; scope it with an application access policy (docs/deploy.md)
]
var graphPermissions = concat(basePermissions, temporaryAccessPass ? temporaryAccessPassPermissions : [], lifecycleWorkflows ? lifecycleWorkflowsPermissions : [], mail ? mailPermissions : [], directorySync ? directorySyncPermissions : [])

resource graph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: graphAppId
}

resource graphPermissionGrants 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [for permission in graphPermissions: {
  principalId: identityPrincipalId
  resourceId: graph.id
  appRoleId: filter(graph.appRoles, role => role.value == permission)[0].id
}]

// The relay Logic App gets a token for the admin API only with a role assignment (appRoleAssignmentRequired).
// Here rather than in entra.bicep for the same replication delay: its identity is new too.
resource lifecycleCallerRole 'Microsoft.Graph/appRoleAssignedTo@v1.0' = if (!empty(lifecycleCallerPrincipalId)) {
  principalId: lifecycleCallerPrincipalId
  resourceId: adminApiPrincipalId
  appRoleId: lifecycleTasksRoleId
}

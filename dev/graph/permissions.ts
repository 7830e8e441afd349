/**
 * The application permissions that let an app make each Graph call the emulator serves, from the
 * permissions table of the call's page in microsoftgraph/microsoft-graph-docs-contrib
 * (api-reference/beta/api/, named beside each line); any one of a line's permissions grants the call.
 * Routes take their permissions from here, so a new route is one more line. The test of the dev app's
 * grant (test/integration/graph/graph-permissions.test.ts) reads this table too.
 */
export const GRAPH_CALL_PERMISSIONS = {
  /** user-list.md, user-get.md, user-delta.md */
  readUsers: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  /** user-post-users.md, user-update.md */
  writeUsers: ['User.ReadWrite.All', 'Directory.ReadWrite.All'],
  /** directory-deleteditems-restore.md, for a user */
  restoreDeletedUsers: ['User.ReadWrite.All'],
  /** employeeLeaveDateTime on a user (user resource: "Requires User-LifeCycleInfo.Read.All") */
  readLeaveDates: ['User-LifeCycleInfo.Read.All', 'User-LifeCycleInfo.ReadWrite.All'],
  /** directoryobject-checkmembergroups.md */
  checkMemberGroups: ['GroupMember.Read.All', 'Group.Read.All', 'Directory.Read.All'],
  /** authenticationmethoddevice-list-hardwareoathdevices.md, hardwareoathtokenauthenticationmethoddevice-get.md */
  readDevices: ['Policy.Read.All', 'Policy.ReadWrite.AuthenticationMethod'],
  /** authenticationmethoddevice-update.md (create, bulk `#$delta`), hardwareoathtokenauthenticationmethoddevice-update.md, -delete.md */
  writeDevices: ['Policy.ReadWrite.AuthenticationMethod'],
  /**
   * authentication-list-hardwareoathmethods.md, hardwareoathauthenticationmethod-get.md; the per-method
   * UserAuthMethod-HardwareOATH permissions are listed as lesser-privileged alternatives to UserAuthenticationMethod.*
   * (concepts/whats-new-overview.md, November 2025, as for every method's own pages, e.g. softwareoathauthenticationmethod-delete.md).
   */
  readMethods: ['UserAuthMethod-HardwareOATH.Read.All', 'UserAuthMethod-HardwareOATH.ReadWrite.All', 'UserAuthenticationMethod.Read.All', 'UserAuthenticationMethod.ReadWrite.All'],
  /** authentication-post-hardwareoathmethods.md, hardwareoathauthenticationmethod-activate.md, -deactivate.md, -assignandactivate*.md, -delete.md (as readMethods) */
  writeMethods: ['UserAuthMethod-HardwareOATH.ReadWrite.All', 'UserAuthenticationMethod.ReadWrite.All'],
  /** authentication-list-temporaryaccesspassmethods.md */
  readAccessPasses: ['UserAuthenticationMethod.Read.All', 'UserAuthenticationMethod.ReadWrite.All'],
  /** authentication-post-temporaryaccesspassmethods.md: UserAuthenticationMethod.ReadWrite.All only */
  writeAccessPasses: ['UserAuthenticationMethod.ReadWrite.All'],
  /** rbacapplication-list-roleassignments.md (v1.0), unifiedroleassignment-get.md */
  readRoleAssignments: ['RoleManagement.Read.Directory', 'RoleManagement.Read.All', 'Directory.Read.All', 'RoleManagement.ReadWrite.Directory', 'Directory.ReadWrite.All'],
  /** rbacapplication-post-roleassignments.md, unifiedroleassignment-delete.md */
  writeRoleAssignments: ['RoleManagement.ReadWrite.Directory'],
  /** rbacapplication-list-roleeligibilityscheduleinstances.md */
  readRoleEligibility: ['RoleEligibilitySchedule.Read.Directory', 'RoleManagement.Read.Directory', 'RoleManagement.Read.All', 'RoleEligibilitySchedule.ReadWrite.Directory', 'RoleManagement.ReadWrite.Directory'],
  /** rbacapplication-post-roleeligibilityschedulerequests.md */
  writeRoleEligibility: ['RoleEligibilitySchedule.ReadWrite.Directory', 'RoleManagement.ReadWrite.Directory'],
  /** group-list.md, group-get.md, group-list-members.md */
  readGroups: ['GroupMember.Read.All', 'Group.Read.All', 'Directory.Read.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'],
  /** group-list-transitivemembers.md */
  readGroupTransitiveMembers: ['GroupMember.Read.All', 'Group.Read.All', 'Directory.Read.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'],
  /** group-post-groups.md, group-delete.md */
  writeGroups: ['Group.Create', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'],
  /** group-post-members.md, group-delete-members.md */
  writeGroupMembers: ['GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'],
  /** user-sendmail.md */
  sendMail: ['Mail.Send'],
  /** user-list-transitivememberof.md */
  readMemberOf: ['User.Read.All', 'GroupMember.Read.All', 'Group.Read.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  /** identitygovernance-customtaskextension-resume (Lifecycle Workflows) */
  resumeLifecycleTask: ['LifecycleWorkflows.ReadWrite.All'],
  /** identitygovernance-workflow-list-runs.md, identitygovernance-run-list-taskprocessingresults.md (v1.0) */
  readLifecycleRuns: ['LifecycleWorkflows.Read.All', 'LifecycleWorkflows.ReadWrite.All'],
} as const satisfies Record<string, readonly string[]>;

export type GraphCall = keyof typeof GRAPH_CALL_PERMISSIONS;

/** A mutable copy for a route. */
export const permissionsFor = (call: GraphCall): string[] => [...GRAPH_CALL_PERMISSIONS[call]];

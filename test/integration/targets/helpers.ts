import type { TestApp } from '../../support/app';

export const GLOBAL_ADMINISTRATOR = '62e90394-69f5-4237-9190-012177145e10';
export const CSV_HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';

/** What a tenant administrator's tool holds to set up roles and groups (not the app's own permissions). */
const TENANT_ADMIN_PERMISSIONS = ['Directory.Read.All', 'RoleManagement.ReadWrite.Directory', 'Group.ReadWrite.All', 'GroupMember.ReadWrite.All', 'User.ReadWrite.All', 'UserAuthenticationMethod.ReadWrite.All'];

/** A standard Graph v1.0 call to the emulator, as an administrator would make it on a tenant. */
export async function tenantCall(app: TestApp, method: string, path: string, body?: unknown, version = 'v1.0'): Promise<{ status: number; body: Record<string, unknown> }> {
  const token = await app.stack.identity.mintToken({ audience: 'https://graph.microsoft.com', roles: TENANT_ADMIN_PERMISSIONS });
  const response = await fetch(`${app.stack.graph.url}/${version}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

export async function makeGlobalAdmin(app: TestApp, userId: string): Promise<void> {
  const answer = await tenantCall(app, 'POST', '/roleManagement/directory/roleAssignments', {
    '@odata.type': '#microsoft.graph.unifiedRoleAssignment',
    roleDefinitionId: GLOBAL_ADMINISTRATOR,
    principalId: userId,
    directoryScopeId: '/',
  });
  if (answer.status !== 201) throw new Error(`role assignment answered ${answer.status}: ${JSON.stringify(answer.body)}`);
}

export async function makeEligibleAdmin(app: TestApp, userId: string): Promise<void> {
  const answer = await tenantCall(app, 'POST', '/roleManagement/directory/roleEligibilityScheduleRequests', {
    action: 'adminAssign',
    justification: 'on-call administrator',
    roleDefinitionId: GLOBAL_ADMINISTRATOR,
    directoryScopeId: '/',
    principalId: userId,
    scheduleInfo: { startDateTime: new Date().toISOString(), expiration: { type: 'NoExpiration' } },
  });
  if (answer.status !== 201) throw new Error(`eligibility request answered ${answer.status}: ${JSON.stringify(answer.body)}`);
}

export async function addMember(app: TestApp, groupId: string, memberId: string): Promise<void> {
  const answer = await tenantCall(app, 'POST', `/groups/${groupId}/members/$ref`, { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${memberId}` });
  if (answer.status !== 204) throw new Error(`adding a member answered ${answer.status}: ${JSON.stringify(answer.body)}`);
}

export async function createGroup(app: TestApp, displayName: string): Promise<string> {
  const answer = await tenantCall(app, 'POST', '/groups', { displayName, mailEnabled: false, mailNickname: displayName.replace(/\W/g, ''), securityEnabled: true });
  if (answer.status !== 201 || typeof answer.body.id !== 'string') throw new Error(`group create answered ${answer.status}`);
  return answer.body.id;
}

/** The serials Entra shows assigned to the user. */
export async function entraSerialsOf(app: TestApp, user: string): Promise<string[]> {
  return ((await app.graph.state({ user })).matches?.devices ?? []).map((d) => d.serialNumber);
}

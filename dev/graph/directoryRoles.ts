import { randomBytes, randomUUID } from 'node:crypto';
import { GraphApiError, badRequest, conflict, notFound, unsupportedQuery } from './errors';
import { isObject, requireObject } from './inputs';
import { type EqualityClause, clauseMatches, decodeSkipToken, encodeSkipToken, parseEqualityFilter, parseSelect, parseTop, project } from './odata';
import { GRAPH_CALL_PERMISSIONS } from './permissions';
import type { GraphStore } from './store';

/**
 * Who holds what in the emulated tenant besides tokens: security groups with (nested) members,
 * directory role assignments, and PIM role eligibilities. Shapes follow the v1.0 reference pages
 * (rbacapplication-list-roleassignments, -post-roleassignments, -list-roleeligibilityscheduleinstances,
 * unifiedroleeligibilityschedulerequest-post, group-post-groups, group-post-members, user-list-transitivememberof).
 * These APIs exist in v1.0 and beta alike; their permissions are in permissions.ts.
 */

/** Built-in role templates the emulator names in transitiveMemberOf (the id is the same in every tenant). */
export const ROLE_TEMPLATE_NAMES: Record<string, string> = {
  '62e90394-69f5-4237-9190-012177145e10': 'Global Administrator',
  'e8611ab8-c189-46e8-94e1-60213ab1f814': 'Privileged Role Administrator',
  '7be44c8a-adaf-4e2a-84d6-ab2649e08a13': 'Privileged Authentication Administrator',
  'c4e39bd9-1100-46d3-8c65-fb160da0071f': 'Authentication Administrator',
  'fe930be7-5e62-47db-91af-98c3a49a38b1': 'User Administrator',
  '729827e3-9c14-49f7-bb1b-9608f156bbb8': 'Helpdesk Administrator',
};

export interface GraphGroup {
  id: string;
  displayName: string;
  description: string | null;
  mailEnabled: boolean;
  mailNickname: string;
  securityEnabled: boolean;
  isAssignableToRole: boolean;
  groupTypes: string[];
  mail: string | null;
  createdDateTime: string;
}

export interface UnifiedRoleAssignment {
  id: string;
  principalId: string;
  roleDefinitionId: string;
  directoryScopeId: string | null;
  appScopeId: string | null;
  resourceScope: string;
}

export interface RoleEligibilityInstance {
  id: string;
  principalId: string;
  roleDefinitionId: string;
  directoryScopeId: string | null;
  appScopeId: string | null;
  startDateTime: string;
  endDateTime: string | null;
  memberType: 'Direct';
  roleEligibilityScheduleId: string;
}

const lower = (value: string): string => value.toLowerCase();

/** Graph's role assignment ids look like base64url text with a "-1" suffix. */
const assignmentId = (): string => `${randomBytes(32).toString('base64url').slice(0, 43)}-1`;

function text(body: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) {
    if (required) throw badRequest(`The ${name} property is required.`, 'Request_BadRequest');
    return undefined;
  }
  if (typeof value !== 'string' || value.trim() === '') throw badRequest(`Invalid value for property '${name}'.`, 'Request_BadRequest');
  return value;
}

function matcher<T extends object>(clauses: EqualityClause[], properties: readonly string[]): (item: T) => boolean {
  for (const clause of clauses) {
    if (!properties.includes(clause.property)) throw unsupportedQuery(`Filtering on '${clause.property}' is not supported.`);
  }
  return (item) =>
    clauses.every((clause) => {
      const key = Object.keys(item).find((name) => lower(name) === clause.property);
      const value = key === undefined ? null : (item as Record<string, unknown>)[key];
      return clauseMatches(typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : null, clause);
    });
}

/** The directory object id at the end of an `@odata.id` reference (…/directoryObjects/{id} or …/users/{id}). */
function referencedId(body: unknown): string {
  const reference = requireObject(body, 'The request body')['@odata.id'];
  if (typeof reference !== 'string') throw badRequest('The @odata.id reference is required.', 'Request_BadRequest');
  const id = reference.split('/').filter((part) => part !== '').pop();
  if (!id) throw badRequest(`Invalid object identifier '${reference}'.`, 'Request_BadRequest');
  return decodeURIComponent(id);
}

export interface DirectoryRolesSnapshot {
  groups: [string, GraphGroup][];
  members: [string, string[]][];
  assignments: UnifiedRoleAssignment[];
  eligibilities: RoleEligibilityInstance[];
}

export class DirectoryRoles {
  private readonly groups = new Map<string, GraphGroup>();
  /** Group id (lower case) -> member object ids (lower case), users or groups. */
  private readonly members = new Map<string, Set<string>>();
  private assignments: UnifiedRoleAssignment[] = [];
  private eligibilities: RoleEligibilityInstance[] = [];

  constructor(
    private readonly users: GraphStore,
    private readonly now: () => number = Date.now,
  ) {}

  reset(): void {
    this.groups.clear();
    this.members.clear();
    this.assignments = [];
    this.eligibilities = [];
  }

  /** Groups, their members, role assignments and eligibilities, for `npm start -- --keep-data`. */
  snapshot(): DirectoryRolesSnapshot {
    return {
      groups: structuredClone([...this.groups.entries()]),
      members: [...this.members.entries()].map(([group, members]) => [group, [...members]]),
      assignments: structuredClone(this.assignments),
      eligibilities: structuredClone(this.eligibilities),
    };
  }

  restore(saved: DirectoryRolesSnapshot): void {
    for (const [key, group] of saved.groups) this.groups.set(key, group);
    for (const [group, members] of saved.members) this.members.set(group, new Set(members));
    this.assignments = [...this.assignments, ...saved.assignments];
    this.eligibilities = [...this.eligibilities, ...saved.eligibilities];
  }

  // ---- groups ----

  /** `keepId`: the control API may name the id; Graph itself always makes one. */
  createGroup(body: unknown, options: { keepId?: boolean } = {}): GraphGroup {
    const input = requireObject(body, 'The request body');
    const displayName = text(input, 'displayName', true) as string;
    const mailNickname = text(input, 'mailNickname', true) as string;
    if (typeof input.mailEnabled !== 'boolean' || typeof input.securityEnabled !== 'boolean') {
      throw badRequest('mailEnabled and securityEnabled are required booleans.', 'Request_BadRequest');
    }
    if (input.isAssignableToRole !== undefined && typeof input.isAssignableToRole !== 'boolean') throw badRequest("Invalid value for property 'isAssignableToRole'.", 'Request_BadRequest');
    const groupTypes = Array.isArray(input.groupTypes) ? input.groupTypes.filter((t): t is string => typeof t === 'string') : [];
    const group: GraphGroup = {
      id: options.keepId && typeof input.id === 'string' && input.id !== '' ? input.id : randomUUID(),
      displayName,
      description: typeof input.description === 'string' ? input.description : null,
      mailEnabled: input.mailEnabled,
      mailNickname,
      securityEnabled: input.securityEnabled,
      isAssignableToRole: input.isAssignableToRole === true,
      groupTypes,
      mail: null,
      createdDateTime: new Date(this.now()).toISOString(),
    };
    if (this.groups.has(lower(group.id)) || this.isUser(group.id)) throw conflict(`Another object with the same value for property id already exists: '${group.id}'.`);
    this.groups.set(lower(group.id), group);
    this.members.set(lower(group.id), new Set());
    return group;
  }

  getGroup(id: string): GraphGroup {
    const group = this.groups.get(lower(id));
    if (!group) throw notFound(id);
    return group;
  }

  listGroups(): GraphGroup[] {
    return [...this.groups.values()];
  }

  deleteGroup(id: string): void {
    const group = this.getGroup(id);
    this.groups.delete(lower(group.id));
    this.members.delete(lower(group.id));
    for (const set of this.members.values()) set.delete(lower(group.id));
    this.assignments = this.assignments.filter((a) => lower(a.principalId) !== lower(group.id));
    this.eligibilities = this.eligibilities.filter((e) => lower(e.principalId) !== lower(group.id));
  }

  addMember(groupId: string, body: unknown): void {
    const group = this.getGroup(groupId);
    const memberId = referencedId(body);
    const member = this.objectKey(memberId);
    if (member === lower(group.id)) throw badRequest('A group cannot be a member of itself.', 'Request_BadRequest');
    const set = this.members.get(lower(group.id)) as Set<string>;
    if (set.has(member)) {
      throw badRequest("One or more added object references already exist for the following modified properties: 'members'.", 'Request_BadRequest');
    }
    set.add(member);
  }

  removeMember(groupId: string, memberId: string): void {
    const group = this.getGroup(groupId);
    const set = this.members.get(lower(group.id)) as Set<string>;
    if (!set.delete(lower(memberId))) throw notFound(memberId);
  }

  /** Direct members as directory objects, with their @odata.type. */
  listMembers(groupId: string): Record<string, unknown>[] {
    const group = this.getGroup(groupId);
    return [...(this.members.get(lower(group.id)) ?? [])].map((id) => this.directoryObject(id));
  }

  /** Members of the group and of every group nested in it, each once (group-list-transitivemembers.md). */
  transitiveMembers(groupId: string): Record<string, unknown>[] {
    const group = this.getGroup(groupId);
    const found = new Set<string>();
    const visit = (id: string): void => {
      for (const member of this.members.get(id) ?? []) {
        if (found.has(member)) continue;
        found.add(member);
        if (this.groups.has(member)) visit(member);
      }
    };
    visit(lower(group.id));
    found.delete(lower(group.id));
    return [...found].map((id) => this.directoryObject(id));
  }

  /**
   * Those of `groupIds` the user is a member of, directly or through nested groups, as given
   * (directoryobject-checkmembergroups: "This function is transitive"); ids of no group are left out.
   */
  checkMemberGroups(userIdOrUpn: string, groupIds: readonly string[]): string[] {
    const user = this.users.getUser(userIdOrUpn);
    const memberOf = this.groupsOf(lower(user.id));
    return groupIds.filter((groupId) => memberOf.has(lower(groupId)));
  }

  /**
   * The control API's way to set a group's direct members (users or groups, by id) at once; a group not
   * there yet is created as a plain security group with that id.
   */
  setMembers(groupId: string, memberIds: readonly string[]): void {
    if (!this.groups.has(lower(groupId))) {
      this.createGroup({ id: groupId, displayName: groupId, mailNickname: `group-${groupId}`, mailEnabled: false, securityEnabled: true }, { keepId: true });
    }
    const group = this.getGroup(groupId);
    const members = new Set(memberIds.map((id) => this.objectKey(id)));
    if (members.has(lower(group.id))) throw badRequest('A group cannot be a member of itself.', 'Request_BadRequest');
    this.members.set(lower(group.id), members);
  }

  /**
   * Groups the user belongs to directly or through nested groups, and the directory roles it holds
   * actively at tenant scope (as Entra lists activated roles among memberships).
   */
  transitiveMemberOf(userIdOrUpn: string): Record<string, unknown>[] {
    const user = this.users.getUser(userIdOrUpn);
    const found = this.groupsOf(lower(user.id));
    const groups = [...found].map((id) => ({ '@odata.type': '#microsoft.graph.group', ...(this.groups.get(id) as GraphGroup) }));
    const principals = new Set([lower(user.id), ...found]);
    const roles = new Map<string, Record<string, unknown>>();
    for (const assignment of this.assignments) {
      if (assignment.directoryScopeId !== '/' || !principals.has(lower(assignment.principalId))) continue;
      roles.set(lower(assignment.roleDefinitionId), {
        '@odata.type': '#microsoft.graph.directoryRole',
        id: assignment.roleDefinitionId,
        displayName: ROLE_TEMPLATE_NAMES[lower(assignment.roleDefinitionId)] ?? null,
        description: null,
        roleTemplateId: assignment.roleDefinitionId,
      });
    }
    return [...groups, ...roles.values()];
  }

  // ---- role assignments ----

  createAssignment(body: unknown): UnifiedRoleAssignment {
    const { roleDefinitionId, principalId, directoryScopeId, appScopeId } = this.roleGrantOf(requireObject(body, 'The request body'));
    const duplicate = this.assignments.find(
      (a) => lower(a.principalId) === lower(principalId) && lower(a.roleDefinitionId) === lower(roleDefinitionId) && a.directoryScopeId === directoryScopeId && a.appScopeId === appScopeId,
    );
    if (duplicate) throw conflict('A conflicting object with one or more of the specified property values is present in the directory.');
    const assignment: UnifiedRoleAssignment = { id: assignmentId(), principalId, roleDefinitionId, directoryScopeId, appScopeId, resourceScope: directoryScopeId ?? appScopeId ?? '/' };
    this.assignments.push(assignment);
    return assignment;
  }

  getAssignment(id: string): UnifiedRoleAssignment {
    const assignment = this.assignments.find((a) => a.id === id);
    if (!assignment) throw notFound(id);
    return assignment;
  }

  deleteAssignment(id: string): void {
    this.getAssignment(id);
    this.assignments = this.assignments.filter((a) => a.id !== id);
  }

  listAssignments(filter: EqualityClause[]): UnifiedRoleAssignment[] {
    return this.assignments.filter(matcher<UnifiedRoleAssignment>(filter, ['id', 'principalid', 'roledefinitionid', 'directoryscopeid', 'appscopeid']));
  }

  // ---- eligibility (PIM) ----

  /** POST roleEligibilityScheduleRequests: adminAssign makes an eligibility, adminRemove ends it. */
  requestEligibility(body: unknown): Record<string, unknown> {
    const input = requireObject(body, 'The request body');
    const action = text(input, 'action', true) as string;
    const { roleDefinitionId, principalId, directoryScopeId, appScopeId } = this.roleGrantOf(input);
    const same = (e: RoleEligibilityInstance) =>
      lower(e.principalId) === lower(principalId) && lower(e.roleDefinitionId) === lower(roleDefinitionId) && e.directoryScopeId === directoryScopeId && e.appScopeId === appScopeId;
    const schedule = isObject(input.scheduleInfo) ? input.scheduleInfo : {};
    const startDateTime = typeof schedule.startDateTime === 'string' ? schedule.startDateTime : new Date(this.now()).toISOString();
    const expiration = isObject(schedule.expiration) ? schedule.expiration : {};
    const endDateTime = typeof expiration.endDateTime === 'string' ? expiration.endDateTime : null;
    let targetScheduleId: string;
    if (lower(action) === 'adminassign') {
      if (this.eligibilities.some(same)) throw new GraphApiError(400, 'RoleAssignmentExists', 'The Role assignment already exists.');
      targetScheduleId = randomUUID();
      this.eligibilities.push({
        id: `${randomBytes(32).toString('base64url').slice(0, 43)}-1-e`,
        principalId,
        roleDefinitionId,
        directoryScopeId,
        appScopeId,
        startDateTime,
        endDateTime,
        memberType: 'Direct',
        roleEligibilityScheduleId: targetScheduleId,
      });
    } else if (lower(action) === 'adminremove') {
      const existing = this.eligibilities.find(same);
      if (!existing) throw new GraphApiError(404, 'RoleAssignmentDoesNotExist', 'The Role assignment does not exist.');
      targetScheduleId = existing.roleEligibilityScheduleId;
      this.eligibilities = this.eligibilities.filter((e) => !same(e));
    } else {
      throw badRequest(`The action '${action}' is not supported by the emulator; use adminAssign or adminRemove.`, 'InvalidRequest');
    }
    return {
      id: randomUUID(),
      status: lower(action) === 'adminassign' ? 'Provisioned' : 'Revoked',
      createdDateTime: new Date(this.now()).toISOString(),
      completedDateTime: new Date(this.now()).toISOString(),
      approvalId: null,
      customData: null,
      action,
      principalId,
      roleDefinitionId,
      directoryScopeId,
      appScopeId,
      isValidationOnly: false,
      targetScheduleId,
      justification: typeof input.justification === 'string' ? input.justification : null,
      createdBy: { application: null, device: null, user: null },
      scheduleInfo: { startDateTime, recurrence: null, expiration: { type: endDateTime ? 'afterDateTime' : 'noExpiration', endDateTime, duration: null } },
      ticketInfo: { ticketNumber: null, ticketSystem: null },
    };
  }

  listEligibilities(filter: EqualityClause[]): RoleEligibilityInstance[] {
    const now = this.now();
    const current = this.eligibilities.filter((e) => e.endDateTime === null || Date.parse(e.endDateTime) > now);
    return current.filter(matcher<RoleEligibilityInstance>(filter, ['id', 'principalid', 'roledefinitionid', 'directoryscopeid', 'appscopeid', 'membertype']));
  }

  // ---- helpers ----

  /** The groups (lower-case ids) an object is a member of, directly or through nested groups. */
  private groupsOf(objectKey: string): Set<string> {
    const found = new Set<string>();
    const visit = (key: string): void => {
      for (const [groupId, set] of this.members) {
        if (set.has(key) && !found.has(groupId)) {
          found.add(groupId);
          visit(groupId);
        }
      }
    };
    visit(objectKey);
    return found;
  }

  private isUser(id: string): boolean {
    try {
      this.users.getUser(id);
      return true;
    } catch {
      return false;
    }
  }

  /** A user (by id) or a group: the key members are stored under. */
  private objectKey(id: string): string {
    if (this.groups.has(lower(id))) return lower(id);
    const user = this.users.getUser(id);
    return lower(user.id);
  }

  private directoryObject(key: string): Record<string, unknown> {
    const group = this.groups.get(key);
    if (group) return { '@odata.type': '#microsoft.graph.group', ...group };
    return { '@odata.type': '#microsoft.graph.user', ...this.users.getUser(key) };
  }

  /** Who gets which role where, as a role assignment or an eligibility request names it (the principal must be able to hold it). */
  private roleGrantOf(input: Record<string, unknown>): { roleDefinitionId: string; principalId: string; directoryScopeId: string | null; appScopeId: string | null } {
    const roleDefinitionId = text(input, 'roleDefinitionId', true) as string;
    const principalId = text(input, 'principalId', true) as string;
    const directoryScopeId = text(input, 'directoryScopeId', false) ?? null;
    const appScopeId = text(input, 'appScopeId', false) ?? null;
    if (directoryScopeId === null && appScopeId === null) throw badRequest('Either directoryScopeId or appScopeId is required.', 'Request_BadRequest');
    this.requireRolePrincipal(principalId);
    return { roleDefinitionId, principalId, directoryScopeId, appScopeId };
  }

  /** Roles go to users, or to groups made role-assignable when they were created. */
  private requireRolePrincipal(principalId: string): void {
    const group = this.groups.get(lower(principalId));
    if (group) {
      if (!group.isAssignableToRole) throw badRequest('The group is not role-assignable: only groups created with isAssignableToRole can hold directory roles.', 'Request_BadRequest');
      return;
    }
    if (!this.isUser(principalId)) throw notFound(principalId);
  }
}

// ---- HTTP routes ----

export interface DirectoryRoute {
  kind: string;
  permissions: readonly string[];
  handle: (request: DirectoryRequest) => Promise<{ status: number; body?: unknown }> | { status: number; body?: unknown };
}

export interface DirectoryRequest {
  method: string;
  url: URL;
  origin: string;
  version: string;
  readBody: () => Promise<unknown>;
}

function queryOption(url: URL, name: string): string | null {
  for (const [key, value] of url.searchParams) if (key.toLowerCase() === name) return value;
  return null;
}

/** A page of an in-memory list, with a nextLink carrying a $skiptoken as the other collections do. */
function pageOf(request: DirectoryRequest, contextPath: string, kind: string, items: object[]): { status: number; body: unknown } {
  const top = parseTop(queryOption(request.url, '$top'));
  const skip = queryOption(request.url, '$skiptoken');
  const start = skip === null ? 0 : decodeSkipToken(kind, skip);
  const select = parseSelect(queryOption(request.url, '$select'));
  const slice = items.slice(start, start + top);
  const body: Record<string, unknown> = { '@odata.context': `${request.origin}/${request.version}/$metadata#${contextPath}` };
  if (start + top < items.length) {
    const query = [...request.url.searchParams.entries()].filter(([name]) => name.toLowerCase() !== '$skiptoken').map(([name, value]) => `${name}=${encodeURIComponent(value)}`);
    query.push(`$skiptoken=${encodeSkipToken(kind, start + top)}`);
    body['@odata.nextLink'] = `${request.origin}${request.url.pathname}?${query.join('&')}`;
  }
  body.value = slice.map((item) => project(item, select));
  return { status: 200, body };
}

const filterOf = (url: URL): EqualityClause[] => {
  const filter = queryOption(url, '$filter');
  return filter === null ? [] : parseEqualityFilter(filter);
};

const entity = (request: DirectoryRequest, contextPath: string, value: object) => ({ '@odata.context': `${request.origin}/${request.version}/$metadata#${contextPath}/$entity`, ...value });

const P = GRAPH_CALL_PERMISSIONS;

/*
 * The shapes every collection here shares: a list a page at a time, a create (201 with the entity), a
 * read of one item and its removal (204). A route offers those the method table names.
 */
const list = (kind: string, permissions: readonly string[], contextPath: string, items: (request: DirectoryRequest) => object[], pageKind = kind): DirectoryRoute => ({
  kind,
  permissions,
  handle: (r) => pageOf(r, contextPath, pageKind, items(r)),
});
const create = (kind: string, permissions: readonly string[], contextPath: string, make: (body: unknown) => object): DirectoryRoute => ({
  kind,
  permissions,
  handle: async (r) => ({ status: 201, body: entity(r, contextPath, make(await r.readBody())) }),
});
const read = (kind: string, permissions: readonly string[], contextPath: string, get: () => object): DirectoryRoute => ({
  kind,
  permissions,
  handle: (r) => ({ status: 200, body: entity(r, contextPath, get()) }),
});
const change = (kind: string, permissions: readonly string[], act: (request: DirectoryRequest) => Promise<void> | void): DirectoryRoute => ({
  kind,
  permissions,
  handle: async (r) => {
    await act(r);
    return { status: 204 };
  },
});
const byMethod = (method: string, routes: Partial<Record<'GET' | 'POST' | 'DELETE', DirectoryRoute>>): DirectoryRoute | undefined => routes[method as keyof typeof routes];

const ASSIGNMENTS = 'roleManagement/directory/roleAssignments';

/**
 * The route for /{version}/roleManagement/directory/..., /groups/... and /users/{id}/transitiveMemberOf,
 * or undefined when the path is none of these.
 */
export function directoryRoleRoute(roles: DirectoryRoles, segments: readonly string[], method: string): DirectoryRoute | undefined {
  const [head, ...rest] = segments.map((segment, index) => (index === 0 ? lower(segment) : segment));
  if (head === 'rolemanagement' && lower(rest[0] ?? '') === 'directory') {
    const [collection, id, ...extra] = rest.slice(1);
    if (extra.length > 0) return undefined;
    switch (lower(collection ?? '')) {
      case 'roleassignments':
        if (id === undefined) {
          return byMethod(method, {
            GET: list('roleAssignments', P.readRoleAssignments, ASSIGNMENTS, (r) => roles.listAssignments(filterOf(r.url))),
            POST: create('roleAssignments', P.writeRoleAssignments, ASSIGNMENTS, (body) => roles.createAssignment(body)),
          });
        }
        return byMethod(method, {
          GET: read('roleAssignment', P.readRoleAssignments, ASSIGNMENTS, () => roles.getAssignment(id)),
          DELETE: change('roleAssignment', P.writeRoleAssignments, () => roles.deleteAssignment(id)),
        });
      case 'roleeligibilityscheduleinstances':
        if (id !== undefined) return undefined;
        return byMethod(method, {
          GET: list('roleEligibilityScheduleInstances', P.readRoleEligibility, 'roleManagement/directory/roleEligibilityScheduleInstances', (r) => roles.listEligibilities(filterOf(r.url))),
        });
      case 'roleeligibilityschedulerequests':
        if (id !== undefined) return undefined;
        return byMethod(method, {
          POST: create('roleEligibilityScheduleRequests', P.writeRoleEligibility, 'roleManagement/directory/roleEligibilityScheduleRequests', (body) => roles.requestEligibility(body)),
        });
      default:
        return undefined;
    }
  }
  if (head === 'groups') {
    const [id, navigation, memberId, reference, ...extra] = rest;
    if (extra.length > 0) return undefined;
    if (id === undefined) {
      return byMethod(method, {
        GET: list('groups', P.readGroups, 'groups', (r) => roles.listGroups().filter(matcherForGroups(filterOf(r.url)))),
        POST: create('groups', P.writeGroups, 'groups', (body) => roles.createGroup(body)),
      });
    }
    if (navigation === undefined) {
      return byMethod(method, { GET: read('group', P.readGroups, 'groups', () => roles.getGroup(id)), DELETE: change('group', P.writeGroups, () => roles.deleteGroup(id)) });
    }
    if (lower(navigation) === 'transitivemembers') {
      if (memberId !== undefined) return undefined;
      return byMethod(method, { GET: list('group.transitiveMembers', P.readGroupTransitiveMembers, 'directoryObjects', () => roles.transitiveMembers(id), 'transitiveMembers') });
    }
    if (lower(navigation) !== 'members') return undefined;
    if (memberId === undefined) return byMethod(method, { GET: list('group.members', P.readGroups, 'directoryObjects', () => roles.listMembers(id), 'members') });
    if (lower(memberId) === '$ref' && reference === undefined) {
      return byMethod(method, { POST: change('group.members', P.writeGroupMembers, async (r) => roles.addMember(id, await r.readBody())) });
    }
    if (reference !== undefined && lower(reference) === '$ref') return byMethod(method, { DELETE: change('group.member', P.writeGroupMembers, () => roles.removeMember(id, memberId)) });
    return undefined;
  }
  if (head === 'users' && rest.length >= 2 && lower(rest[1] ?? '') === 'transitivememberof') {
    const [user, , cast, ...extra] = rest;
    if (user === undefined || extra.length > 0) return undefined;
    const onlyGroups = cast !== undefined && lower(cast) === 'microsoft.graph.group';
    if (cast !== undefined && !onlyGroups) return undefined;
    const memberships = () => {
      const all = roles.transitiveMemberOf(user);
      return onlyGroups ? all.filter((o) => o['@odata.type'] === '#microsoft.graph.group') : all;
    };
    return byMethod(method, { GET: list('user.transitiveMemberOf', P.readMemberOf, onlyGroups ? 'groups' : 'directoryObjects', memberships, 'transitiveMemberOf') });
  }
  return undefined;
}

const matcherForGroups = (filter: EqualityClause[]) => matcher<GraphGroup>(filter, ['id', 'displayname', 'mailnickname', 'isassignabletorole', 'securityenabled', 'mailenabled']);

/** One DirectoryRoles per tenant store, so the control API's reset can clear it with the rest. */
const rolesByStore = new WeakMap<GraphStore, DirectoryRoles>();

export function directoryRolesOf(store: GraphStore, now?: () => number): DirectoryRoles {
  let roles = rolesByStore.get(store);
  if (!roles) {
    roles = new DirectoryRoles(store, now);
    rolesByStore.set(store, roles);
  }
  return roles;
}

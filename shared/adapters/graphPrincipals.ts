import type { Client as GraphClient } from '@microsoft/microsoft-graph-client';
import { DirectoryRefusal, type GroupMembership, type PrincipalDirectory, type PrivilegedDirectory, type RoleHolding } from '../ports';
import { call } from './graphDirectory';

/**
 * Directory roles and group memberships through Graph v1.0 (RoleManagement.Read.Directory,
 * GroupMember.Read.All): what the target check needs to know about an account before it gets a token,
 * per account (rolesOf, groupsOf) or for the whole tenant at once (readPrivilegedSet).
 */

const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;
/** transitiveMemberOf pages hold at most 999 objects. */
const MEMBERSHIP_PAGE = 999;

interface Page {
  value?: Record<string, unknown>[];
  '@odata.nextLink'?: unknown;
}

async function everyItem(graph: GraphClient, first: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let page = (await call(first)) as Page;
  for (;;) {
    items.push(...(page.value ?? []));
    const next = page['@odata.nextLink'];
    if (typeof next !== 'string' || next === '') return items;
    page = (await call(() => graph.api(next).get())) as Page;
  }
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Object ids of every item of a collection, in lower case. */
async function idsOf(graph: GraphClient, path: string): Promise<string[]> {
  const items = await everyItem(graph, () => graph.api(path).version('v1.0').select('id').top(MEMBERSHIP_PAGE).get());
  return items.map((item) => text(item.id).toLowerCase()).filter((id) => id !== '');
}

/** A group that does not exist (a setting naming a deleted group) has no members. */
async function membersOf(graph: GraphClient, groupId: string): Promise<string[]> {
  try {
    return await idsOf(graph, `/groups/${encodeURIComponent(groupId)}/transitiveMembers`);
  } catch (error) {
    if (error instanceof DirectoryRefusal && error.status === 404) return [];
    throw error;
  }
}

export function graphPrincipals(graph: GraphClient): PrincipalDirectory & PrivilegedDirectory {
  const holdings = async (collection: string, principalId: string, kind: RoleHolding['kind']): Promise<RoleHolding[]> =>
    (await everyItem(graph, () => graph.api(`/roleManagement/directory/${collection}`).version('v1.0').filter(`principalId eq ${quote(principalId)}`).get())).map((item) => ({
      principalId: text(item.principalId),
      roleDefinitionId: text(item.roleDefinitionId),
      directoryScopeId: typeof item.directoryScopeId === 'string' ? item.directoryScopeId : null,
      kind,
    }));

  /** principalId of every item of a role collection, in lower case (the collections take no $top). */
  const principalIds = async (collection: string): Promise<string[]> =>
    (await everyItem(graph, () => graph.api(`/roleManagement/directory/${collection}`).version('v1.0').select('principalId').get())).map((item) => text(item.principalId).toLowerCase()).filter((id) => id !== '');

  return {
    /**
     * The same facts as rolesOf and groupsOf, for the whole tenant at once: every active and eligible role
     * holder, the transitive members of the role-assignable groups among them, of each protected group and
     * of the allowed group. A few requests however many accounts are checked against it.
     */
    async readPrivilegedSet({ protectedGroupIds, allowedGroupId }) {
      const [active, eligible, roleGroups] = await Promise.all([
        principalIds('roleAssignments'),
        principalIds('roleEligibilityScheduleInstances'),
        everyItem(graph, () => graph.api('/groups').version('v1.0').filter('isAssignableToRole eq true').select('id').top(MEMBERSHIP_PAGE).get()),
      ]);
      const holders = new Set([...active, ...eligible]);
      // Roles given to a role-assignable group count for its members.
      const groupsWithRoles = roleGroups.map((g) => text(g.id).toLowerCase()).filter((id) => holders.has(id));
      const groupsToRead = [...new Set([...groupsWithRoles, ...protectedGroupIds.map((id) => id.toLowerCase())])];
      const [members, allowed] = await Promise.all([
        Promise.all(groupsToRead.map((id) => membersOf(graph, id))),
        allowedGroupId ? membersOf(graph, allowedGroupId) : Promise.resolve(undefined),
      ]);
      return { privileged: new Set([...holders, ...members.flat()]), ...(allowed ? { allowed: new Set(allowed) } : {}) };
    },

    async rolesOf(principalId) {
      const [active, eligible] = await Promise.all([holdings('roleAssignments', principalId, 'active'), holdings('roleEligibilityScheduleInstances', principalId, 'eligible')]);
      return [...active, ...eligible];
    },

    async groupsOf(userId): Promise<GroupMembership[]> {
      // No OData cast: it needs ConsistencyLevel eventual (an index that may lag); groups are picked by @odata.type.
      const objects = await everyItem(graph, () => graph.api(`/users/${encodeURIComponent(userId)}/transitiveMemberOf`).version('v1.0').top(MEMBERSHIP_PAGE).get());
      return objects
        .filter((o) => o['@odata.type'] === '#microsoft.graph.group' && typeof o.id === 'string')
        .map((o) => ({ id: text(o.id), ...(typeof o.displayName === 'string' ? { displayName: o.displayName } : {}), isAssignableToRole: o.isAssignableToRole === true }));
    },
  };
}

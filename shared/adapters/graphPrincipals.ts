import type { Client as GraphClient } from '@microsoft/microsoft-graph-client';
import type { GroupMembership, PrincipalDirectory, RoleHolding } from '../ports';
import { call } from './graphDirectory';

/**
 * Directory roles and group memberships through Graph v1.0 (RoleManagement.Read.Directory,
 * GroupMember.Read.All): what the target check needs to know about an account before it gets a token.
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

export function graphPrincipals(graph: GraphClient): PrincipalDirectory {
  const holdings = async (collection: string, principalId: string, kind: RoleHolding['kind']): Promise<RoleHolding[]> =>
    (await everyItem(graph, () => graph.api(`/roleManagement/directory/${collection}`).version('v1.0').filter(`principalId eq ${quote(principalId)}`).get())).map((item) => ({
      principalId: text(item.principalId),
      roleDefinitionId: text(item.roleDefinitionId),
      directoryScopeId: typeof item.directoryScopeId === 'string' ? item.directoryScopeId : null,
      kind,
    }));

  return {
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

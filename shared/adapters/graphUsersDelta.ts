import type { Client as GraphClient } from '@microsoft/microsoft-graph-client';
import type { DirectoryChanges, DirectoryUserChange } from '../ports';
import { errorCodesOf, statusOf } from './sdkErrors';

/**
 * Entra users by delta query (Graph v1.0 `users/delta`, whatever GRAPH_API_VERSION the token calls
 * use): the first request names the properties, and the nextLink/deltaLink Graph answers carry them
 * on. A link Graph no longer honours (410 Gone, or an expired state token) asks for a full round.
 * employeeLeaveDateTime reads as empty without User-LifeCycleInfo.Read.All (docs/deploy.md).
 */

const TRACKED = ['id', 'userPrincipalName', 'employeeId', 'employeeHireDate', 'employeeLeaveDateTime', 'accountEnabled', 'userType'];
const EXPIRED_TOKEN_CODES = new Set(['syncstatenotfound', 'resyncrequired', 'syncstateinvalid']);

interface DeltaPage {
  value?: Record<string, unknown>[];
  '@odata.nextLink'?: unknown;
  '@odata.deltaLink'?: unknown;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function toChange(raw: Record<string, unknown>, locationAttribute: string): DirectoryUserChange | undefined {
  const id = text(raw.id);
  if (!id) return undefined;
  if (raw['@removed'] !== undefined) return { id, removed: true };
  const fields: Record<string, unknown> = {
    userPrincipalName: text(raw.userPrincipalName),
    employeeId: text(raw.employeeId),
    userType: text(raw.userType),
    accountEnabled: typeof raw.accountEnabled === 'boolean' ? raw.accountEnabled : undefined,
    hireDate: text(raw.employeeHireDate),
    leaveDateTime: text(raw.employeeLeaveDateTime),
    location: text(raw[locationAttribute]),
  };
  return { id, ...Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) };
}

export function graphDirectoryChanges(graph: GraphClient, options: { locationAttribute: string }): DirectoryChanges {
  const select = [...new Set([...TRACKED, options.locationAttribute])];
  return {
    async page(link) {
      let page: DeltaPage;
      try {
        page = (await (link ? graph.api(link).get() : graph.api('/users/delta').version('v1.0').select(select).get())) as DeltaPage;
      } catch (error) {
        const status = statusOf(error);
        if (link && (status === 410 || (status !== undefined && status >= 400 && status < 500 && errorCodesOf(error).some((code) => EXPIRED_TOKEN_CODES.has(code.toLowerCase()))))) {
          return 'resync';
        }
        throw error;
      }
      const users = (page.value ?? []).map((raw) => toChange(raw, options.locationAttribute)).filter((change): change is DirectoryUserChange => change !== undefined);
      const nextLink = text(page['@odata.nextLink']);
      const deltaLink = text(page['@odata.deltaLink']);
      return { users, ...(nextLink ? { nextLink } : {}), ...(deltaLink ? { deltaLink } : {}) };
    },

    async isMemberOf(userId, groupId) {
      try {
        const answer = (await graph.api(`/users/${encodeURIComponent(userId)}/checkMemberGroups`).version('v1.0').post({ groupIds: [groupId] })) as { value?: unknown[] };
        return (answer.value ?? []).some((id) => typeof id === 'string' && id.toLowerCase() === groupId.toLowerCase());
      } catch (error) {
        // A user deleted since the delta page was read is in no group.
        if (statusOf(error) === 404) return false;
        throw error;
      }
    },
  };
}

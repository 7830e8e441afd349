import { directoryRolesOf } from './directoryRoles';
import { badRequest } from './errors';
import { parseUserChanges, requireObject } from './inputs';
import { permissionsFor } from './permissions';
import { READ_USERS, methodNotAllowed, type ApiRequest, type Reply, type Route } from './routes';
import type { GraphStore } from './store';
import type { LifecycleSettings } from './lifecycleTasks';
import { usersDelta, type UserDeltaSettings } from './usersDelta';

/**
 * The directory-signal part of the emulator: users/delta (v1.0 and beta), checkMemberGroups (answered from
 * the one group model, directoryRoles.ts), and the
 * Lifecycle Workflows resume action and run reads, plus their control endpoints. Kept apart from the hardware OATH
 * routes so either can change without the other.
 */

/** employeeLeaveDateTime is readable only with this permission (or its ReadWrite form). */
const LEAVE_DATE_PERMISSIONS = permissionsFor('readLeaveDates');
const CHECK_GROUPS_PERMISSIONS = permissionsFor('checkMemberGroups');
const RESUME_PERMISSIONS = permissionsFor('resumeLifecycleTask');
const READ_RUNS_PERMISSIONS = permissionsFor('readLifecycleRuns');

const isDelta = (segment: string | undefined) => segment !== undefined && /^(microsoft\.graph\.)?delta$/i.test(segment);
const isAction = (segment: string | undefined, name: string) => segment !== undefined && segment.toLowerCase().replace(/^microsoft\.graph\./, '') === name;

/** The route for /{version}/segments when it is one of these, else undefined. */
export function directoryRoute(store: GraphStore, segments: string[], method: string): Route | undefined {
  const [head, second, third, ...rest] = segments;
  if (head?.toLowerCase() === 'users' && isDelta(second) && third === undefined) {
    if (method !== 'GET') return methodNotAllowed('users.delta');
    return {
      kind: 'users.delta',
      permissions: READ_USERS,
      handle: (request: ApiRequest): Reply => ({
        status: 200,
        body: usersDelta(
          { usersInOrder: () => store.usersInOrder(), userById: (id) => store.userById(id), changes: store.userChanges },
          {
            origin: request.origin,
            version: request.version,
            query: request.url.searchParams,
            minimal: /return=minimal/i.test(request.prefer ?? ''),
            mayReadLeaveDate: request.roles === 'all' || request.roles.some((role) => LEAVE_DATE_PERMISSIONS.includes(role)),
          },
        ),
      }),
    };
  }
  if (head?.toLowerCase() === 'users' && second !== undefined && isAction(third, 'checkmembergroups') && rest.length === 0) {
    if (method !== 'POST') return methodNotAllowed('user.checkMemberGroups');
    return {
      kind: 'user.checkMemberGroups',
      // Application: User.Read.All and GroupMember.Read.All (or Group.Read.All), or Directory.Read.All.
      permissions: [...CHECK_GROUPS_PERMISSIONS],
      handle: async (request: ApiRequest): Promise<Reply> => {
        if (request.roles !== 'all' && !request.roles.includes('Directory.Read.All') && !request.roles.some((role) => READ_USERS.includes(role))) {
          return { status: 403, body: { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } } };
        }
        const body = requireObject(await request.readBody(), 'The request body');
        const groupIds = body.groupIds;
        if (!Array.isArray(groupIds) || groupIds.length === 0 || groupIds.length > 20 || !groupIds.every((id) => typeof id === 'string')) {
          throw badRequest('groupIds must list 1 to 20 group ids.', 'Request_BadRequest');
        }
        const user = store.getUser(second);
        return {
          status: 200,
          body: { '@odata.context': `${request.origin}/${request.version}/$metadata#Collection(Edm.String)`, value: directoryRolesOf(store).checkMemberGroups(user.id, groupIds) },
        };
      },
    };
  }
  // identityGovernance/lifecycleWorkflows/workflows/{wid}/tasks/{tid}/taskProcessingResults/{id}/resume
  const lower = segments.map((segment) => segment.toLowerCase());
  if (
    lower[0] === 'identitygovernance' &&
    lower[1] === 'lifecycleworkflows' &&
    lower[2] === 'workflows' &&
    lower[4] === 'tasks' &&
    lower[6] === 'taskprocessingresults' &&
    isAction(segments[8], 'resume') &&
    segments.length === 9
  ) {
    const [workflowId, taskId, resultId] = [segments[3] ?? '', segments[5] ?? '', segments[7] ?? ''];
    if (method !== 'POST') return methodNotAllowed('taskProcessingResult.resume');
    return {
      kind: 'taskProcessingResult.resume',
      permissions: RESUME_PERMISSIONS,
      handle: async (request: ApiRequest): Promise<Reply> => {
        store.lifecycle.resume(workflowId, taskId, resultId, await request.readBody(), store.time());
        return { status: 204 };
      },
    };
  }
  // identityGovernance/lifecycleWorkflows/workflows/{wid}/runs and .../runs/{runId}/taskProcessingResults
  if (lower[0] === 'identitygovernance' && lower[1] === 'lifecycleworkflows' && lower[2] === 'workflows' && lower[4] === 'runs' && segments[3] !== undefined) {
    const workflowId = segments[3];
    const runId = segments[5];
    const listsResults = segments.length === 7 && lower[6] === 'taskprocessingresults' && runId !== undefined;
    if (segments.length !== 5 && !listsResults) return undefined;
    const kind = listsResults ? 'run.taskProcessingResults' : 'workflow.runs';
    if (method !== 'GET') return methodNotAllowed(kind);
    return {
      kind,
      permissions: READ_RUNS_PERMISSIONS,
      handle: (request: ApiRequest): Reply => {
        const filter = request.url.searchParams.get('$filter');
        const value = listsResults ? store.lifecycle.listRunResults(workflowId, runId ?? '', filter) : store.lifecycle.listRuns(workflowId, filter);
        const context = listsResults ? `workflows('${workflowId}')/runs('${runId ?? ''}')/taskProcessingResults` : `workflows('${workflowId}')/runs`;
        return { status: 200, body: { '@odata.context': `${request.origin}/${request.version}/$metadata#identityGovernance/lifecycleWorkflows/${context}`, value } };
      },
    };
  }
  return undefined;
}

/** Control endpoints (/_emulator/...) of these parts; undefined for any other. */
export async function handleDirectoryControl(store: GraphStore, method: string, segments: string[], readBody: () => Promise<unknown>): Promise<Reply | undefined> {
  const [, resource, id, extra] = segments.map((segment, index) => (index === 2 ? segment : segment.toLowerCase()));
  if (resource === 'users' && id !== undefined && extra === undefined) {
    if (method === 'PATCH') {
      store.updateUser(id, parseUserChanges(await readBody()));
      return { status: 204 };
    }
    if (method === 'DELETE') {
      store.deleteUser(id);
      return { status: 204 };
    }
    return undefined;
  }
  if (resource === 'users' && id !== undefined && extra === 'restore' && method === 'POST') {
    return { status: 200, body: store.restoreUser(id) };
  }
  if (resource === 'groups' && id !== undefined && method === 'PUT') {
    const body = requireObject(await readBody(), 'The group');
    const members = body.members;
    if (!Array.isArray(members) || !members.every((member) => typeof member === 'string')) throw badRequest('members must list user ids.', 'BadRequest');
    directoryRolesOf(store).setMembers(id, members);
    return { status: 204 };
  }
  if (resource === 'users-delta' && method === 'POST') {
    const body = requireObject(await readBody(), 'The delta settings');
    if (body.expireTokens === true) store.userChanges.expireTokens();
    const settings: Partial<UserDeltaSettings> = {};
    if (body.pageSize !== undefined) {
      if (typeof body.pageSize !== 'number' || !Number.isInteger(body.pageSize) || body.pageSize < 1) throw badRequest('pageSize must be a whole number above 0.', 'BadRequest');
      settings.pageSize = body.pageSize;
    }
    if (body.removedInInitialRound !== undefined) {
      if (body.removedInInitialRound !== 'omitted' && body.removedInInitialRound !== 'included') throw badRequest("removedInInitialRound must be 'omitted' or 'included'.", 'BadRequest');
      settings.removedInInitialRound = body.removedInInitialRound;
    }
    store.userChanges.settings = { ...store.userChanges.settings, ...settings };
    return { status: 204 };
  }
  if (resource === 'lifecycle') {
    const what = id?.toLowerCase();
    if (method === 'GET' && what === 'callbacks') return { status: 200, body: { value: store.lifecycle.recorded() } };
    if (method === 'POST' && what === 'taskprocessingresults') {
      const body = requireObject(await readBody(), 'The task processing result');
      const { workflowId, taskId, id: resultId, subjectId, runId } = body;
      if (typeof workflowId !== 'string' || typeof taskId !== 'string' || typeof resultId !== 'string') throw badRequest('workflowId, taskId and id are required.', 'BadRequest');
      if ((subjectId !== undefined && typeof subjectId !== 'string') || (runId !== undefined && typeof runId !== 'string')) throw badRequest('subjectId and runId are strings when given.', 'BadRequest');
      store.lifecycle.start({ workflowId, taskId, id: resultId, ...(subjectId ? { subjectId } : {}), ...(runId ? { runId } : {}) }, store.time());
      return { status: 201 };
    }
    if (method === 'POST' && what === 'finished') {
      const body = requireObject(await readBody(), 'The finished task processing result');
      const { workflowId, taskId, id: resultId, processingStatus } = body;
      if (typeof workflowId !== 'string' || typeof taskId !== 'string' || typeof resultId !== 'string') throw badRequest('workflowId, taskId and id are required.', 'BadRequest');
      if (processingStatus !== 'completed' && processingStatus !== 'failed') throw badRequest("processingStatus must be 'completed' or 'failed'.", 'BadRequest');
      store.lifecycle.finish(workflowId, taskId, resultId, processingStatus, store.time());
      return { status: 204 };
    }
    if (method === 'POST' && what === 'settings') {
      const body = requireObject(await readBody(), 'The lifecycle settings');
      const resumeAgain = body.resumeAgain;
      if (resumeAgain !== 'refused' && resumeAgain !== 'accepted') throw badRequest("resumeAgain must be 'refused' or 'accepted'.", 'BadRequest');
      store.lifecycle.settings = { resumeAgain } satisfies LifecycleSettings;
      return { status: 204 };
    }
  }
  return undefined;
}

import type { Client } from '@microsoft/microsoft-graph-client';
import { type GraphEmulatorControl, graphEmulatorControl } from '../../../dev/graph/control';
import type { GraphEmulator } from '../../../dev/graph/server';
import { usersDelta } from '../../../dev/graph/usersDelta';
import { graphClient, startTestEmulator, statusOf } from './helpers';

/** users/delta, checkMemberGroups and Lifecycle Workflows (resume, runs, taskProcessingResults), over HTTPS with the real Graph SDK. */

let emulator: GraphEmulator;
let client: Client;
let control: GraphEmulatorControl;

interface DeltaPage {
  '@odata.context': string;
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
  value: Record<string, unknown>[];
}

const SELECT = 'id,userPrincipalName,employeeId,employeeHireDate,employeeLeaveDateTime,accountEnabled,userType,officeLocation';

async function round(link?: string): Promise<{ items: Record<string, unknown>[]; pages: number; deltaLink: string }> {
  const items: Record<string, unknown>[] = [];
  let page = (await (link ? client.api(link).get() : client.api(`/users/delta?$select=${SELECT}`).version('v1.0').get())) as DeltaPage;
  let pages = 1;
  for (;;) {
    items.push(...page.value);
    if (page['@odata.deltaLink']) return { items, pages, deltaLink: page['@odata.deltaLink'] };
    expect(page['@odata.nextLink']).toMatch(/\/v1\.0\/users\/delta\?\$skiptoken=/);
    page = (await client.api(page['@odata.nextLink']!).get()) as DeltaPage;
    pages++;
  }
}

beforeAll(async () => {
  emulator = await startTestEmulator();
  client = graphClient(emulator);
  control = graphEmulatorControl(emulator.url);
});
afterAll(async () => {
  await emulator.close();
});
beforeEach(async () => {
  await control.reset();
});

describe('users/delta', () => {
  it('pages a first round through nextLinks to a deltaLink, with the selected properties; never-set ones left out', async () => {
    await control.usersDelta({ pageSize: 2 });
    await control.seedUsers([
      { displayName: 'A', userPrincipalName: 'a@contoso.com', employeeId: 'E1', employeeHireDate: '2026-12-01T00:00:00Z', officeLocation: 'GVA' },
      { displayName: 'B', userPrincipalName: 'b@contoso.com' },
      { displayName: 'C', userPrincipalName: 'c@contoso.com' },
    ]);
    const first = await round();
    expect(first.pages).toBe(2);
    expect(first.deltaLink).toMatch(/\/v1\.0\/users\/delta\?\$deltatoken=/);
    expect(first.items).toHaveLength(3);
    expect(first.items[0]).toEqual({
      id: expect.any(String),
      userPrincipalName: 'a@contoso.com',
      employeeId: 'E1',
      employeeHireDate: '2026-12-01T00:00:00Z',
      accountEnabled: true,
      userType: 'Member',
      officeLocation: 'GVA',
    });
    expect(first.items[1]).not.toHaveProperty('employeeHireDate');
    expect(first.items[1]).not.toHaveProperty('displayName');
  });

  it('a deltaLink answers only what changed since, removed users as @removed, and not changes to unselected properties', async () => {
    const [a, b, c] = await control.seedUsers([
      { displayName: 'A', userPrincipalName: 'a@contoso.com' },
      { displayName: 'B', userPrincipalName: 'b@contoso.com' },
      { displayName: 'C', userPrincipalName: 'c@contoso.com' },
    ]);
    const first = await round();
    expect((await round(first.deltaLink)).items).toEqual([]);

    await control.updateUser(a!.id, { employeeLeaveDateTime: '2026-12-31T17:00:00+01:00' });
    await control.updateUser(b!.id, { displayName: 'B renamed' });
    await control.deleteUser(c!.id);
    const [d] = await control.seedUsers([{ displayName: 'D', userPrincipalName: 'd@contoso.com' }]);
    const second = await round(first.deltaLink);
    expect(second.items).toEqual([
      // Default behaviour: the selected properties that are set, the changed one normalised to UTC.
      { id: a!.id, userPrincipalName: 'a@contoso.com', accountEnabled: true, userType: 'Member', employeeLeaveDateTime: '2026-12-31T16:00:00Z' },
      { id: c!.id, '@removed': { reason: 'changed' } },
      { id: d!.id, userPrincipalName: 'd@contoso.com', accountEnabled: true, userType: 'Member' },
    ]);
    // The previous deltaLink still answers the same changes (tokens are snapshots, not cursors).
    expect((await round(first.deltaLink)).items).toHaveLength(3);
    expect((await round(second.deltaLink)).items).toEqual([]);
  });

  it('Prefer: return=minimal answers only the changed properties', async () => {
    const [a] = await control.seedUsers([{ displayName: 'A', userPrincipalName: 'a@contoso.com', officeLocation: 'GVA' }]);
    const { deltaLink } = await round();
    await control.updateUser(a!.id, { accountEnabled: false });
    const page = (await client.api(deltaLink).header('Prefer', 'return=minimal').get()) as DeltaPage;
    expect(page.value).toEqual([{ id: a!.id, accountEnabled: false }]);
  });

  it('$deltatoken=latest starts from now; an expired token answers 410 Gone', async () => {
    await control.seedUsers([{ displayName: 'A', userPrincipalName: 'a@contoso.com' }]);
    const latest = (await client.api('/users/delta?$deltatoken=latest').version('v1.0').get()) as DeltaPage;
    expect(latest.value).toEqual([]);
    expect((await round(latest['@odata.deltaLink'])).items).toEqual([]);
    await control.usersDelta({ expireTokens: true });
    expect(await statusOf(client.api(latest['@odata.deltaLink']!).get())).toBe(410);
  });

  it('variant: users deleted before the first round may come back as @removed in it', async () => {
    const [a] = await control.seedUsers([{ displayName: 'A', userPrincipalName: 'a@contoso.com' }, { displayName: 'B', userPrincipalName: 'b@contoso.com' }]);
    await control.deleteUser(a!.id);
    expect((await round()).items.some((item) => '@removed' in item)).toBe(false);
    await control.usersDelta({ removedInInitialRound: 'included' });
    expect((await round()).items[0]).toEqual({ id: a!.id, '@removed': { reason: 'changed' } });
  });

  it('employeeLeaveDateTime reads as empty without User-LifeCycleInfo.Read.All', () => {
    const user = { id: 'u1', accountEnabled: true, displayName: 'A', mailNickname: 'a', userPrincipalName: 'a@contoso.com', mail: null, employeeId: null, userType: 'Member' as const, createdDateTime: '', employeeHireDate: null, employeeLeaveDateTime: '2026-12-01T00:00:00Z', officeLocation: null };
    const source = { usersInOrder: () => [{ position: 0, user }], userById: () => user, changes: emulator.store.userChanges };
    const request = (mayReadLeaveDate: boolean) => ({ origin: 'https://graph', version: 'v1.0', query: new URLSearchParams({ $select: 'id,employeeLeaveDateTime' }), minimal: false, mayReadLeaveDate });
    expect((usersDelta(source, request(true)).value as unknown[])[0]).toEqual({ id: 'u1', employeeLeaveDateTime: '2026-12-01T00:00:00Z' });
    expect((usersDelta(source, request(false)).value as unknown[])[0]).toEqual({ id: 'u1' });
  });
});

describe('checkMemberGroups', () => {
  it('answers those of the given groups the user is a member of', async () => {
    const [a] = await control.seedUsers([{ displayName: 'A', userPrincipalName: 'a@contoso.com' }]);
    await control.setGroupMembers('11111111-1111-1111-1111-111111111111', [a!.id]);
    const answer = (await client.api(`/users/${a!.id}/checkMemberGroups`).version('v1.0').post({ groupIds: ['11111111-1111-1111-1111-111111111111', '22222222-2222-2222-2222-222222222222'] })) as { value: string[] };
    expect(answer.value).toEqual(['11111111-1111-1111-1111-111111111111']);
  });

  it('is transitive, and answers from the same groups as /groups and transitiveMemberOf', async () => {
    const [b] = await control.seedUsers([{ displayName: 'B', userPrincipalName: 'b@contoso.com' }]);
    const outer = '33333333-3333-3333-3333-333333333333';
    const inner = '44444444-4444-4444-4444-444444444444';
    await control.setGroupMembers(inner, [b!.id]);
    await control.setGroupMembers(outer, [inner]);
    const answer = (await client.api(`/users/${b!.id}/checkMemberGroups`).version('v1.0').post({ groupIds: [outer, inner, '55555555-5555-5555-5555-555555555555'] })) as { value: string[] };
    expect(answer.value).toEqual([outer, inner]);
    const members = (await client.api(`/groups/${outer}/members`).version('v1.0').get()) as { value: { id: string }[] };
    expect(members.value.map((m) => m.id)).toEqual([inner]);
    const memberOf = (await client.api(`/users/${b!.id}/transitiveMemberOf/microsoft.graph.group`).version('v1.0').get()) as { value: { id: string }[] };
    expect(memberOf.value.map((g) => g.id).sort()).toEqual([outer, inner].sort());
    await control.setGroupMembers(inner, []);
    const after = (await client.api(`/users/${b!.id}/checkMemberGroups`).version('v1.0').post({ groupIds: [outer, inner] })) as { value: string[] };
    expect(after.value).toEqual([]);
  });
});

describe('Lifecycle Workflows: taskProcessingResult resume', () => {
  const path = '/identityGovernance/lifecycleWorkflows/workflows/w1/tasks/t1/taskProcessingResults/r1/resume';
  const body = { data: { operationStatus: 'Completed' }, source: 'sample', type: 'lifecycleEvent' };

  it('records a resume of a result in progress (204), refuses one not started (404) and, by default, a second one (400)', async () => {
    expect(await statusOf(client.api(path).version('v1.0').post(body))).toBe(404);
    await control.startTaskProcessingResult({ workflowId: 'w1', taskId: 't1', id: 'r1' });
    await client.api(path).version('v1.0').post(body);
    expect(await control.lifecycleCallbacks()).toEqual([expect.objectContaining({ workflowId: 'w1', taskId: 't1', taskProcessingResultId: 'r1', operationStatus: 'completed', source: 'sample', type: 'lifecycleEvent' })]);
    expect(await statusOf(client.api(path).version('v1.0').post(body))).toBe(400);
    await control.lifecycleSettings({ resumeAgain: 'accepted' });
    await client.api(path).version('v1.0').post({ ...body, data: { operationStatus: 'failed' } });
    expect((await control.lifecycleCallbacks()).map((c) => c.operationStatus)).toEqual(['completed', 'failed']);
  });
});

describe('Lifecycle Workflows: a workflow\'s runs and a run\'s taskProcessingResults', () => {
  const runs = '/identityGovernance/lifecycleWorkflows/workflows/w2/runs';
  type Page = { '@odata.context': string; value: Record<string, unknown>[] };

  it('answer as the v1.0 pages show: a run is inProgress while one of its results is; a result carries processingStatus, subject and task', async () => {
    expect(await statusOf(client.api(runs).version('v1.0').get())).toBe(404);
    await control.startTaskProcessingResult({ workflowId: 'w2', taskId: 't2', id: 'r2', subjectId: 'u2', runId: 'run-a' });
    await control.startTaskProcessingResult({ workflowId: 'w2', taskId: 't2', id: 'r3', subjectId: 'u3', runId: 'run-b' });
    await control.finishTaskProcessingResult({ workflowId: 'w2', taskId: 't2', id: 'r3', processingStatus: 'failed' });

    const all = (await client.api(runs).version('v1.0').get()) as Page;
    expect(all['@odata.context']).toMatch(/\/v1\.0\/\$metadata#identityGovernance\/lifecycleWorkflows\/workflows\('w2'\)\/runs$/);
    expect(all.value.map((run) => [run.id, run.processingStatus, run.completedDateTime === null])).toEqual([
      ['run-a', 'inProgress', true],
      ['run-b', 'completedWithErrors', false],
    ]);
    const open = (await client.api(runs).version('v1.0').filter("processingStatus eq 'inProgress'").get()) as Page;
    expect(open.value.map((run) => run.id)).toEqual(['run-a']);

    const results = (await client.api(`${runs}/run-a/taskProcessingResults`).version('v1.0').filter("id eq 'r2'").get()) as Page;
    expect(results.value).toEqual([expect.objectContaining({ id: 'r2', processingStatus: 'inProgress', completedDateTime: null, subject: { id: 'u2' }, task: expect.objectContaining({ id: 't2' }) })]);
    expect(((await client.api(`${runs}/run-a/taskProcessingResults`).version('v1.0').filter("id eq 'r3'").get()) as Page).value).toEqual([]);
    expect(await statusOf(client.api(`${runs}/run-b/taskProcessingResults`).version('v1.0').filter("subject eq 'x' or 1 eq 1").get())).toBe(400);
    expect(await statusOf(client.api('/identityGovernance/lifecycleWorkflows/workflows/w1/runs/run-a/taskProcessingResults').version('v1.0').get())).toBe(404);

    // The resume ends the result, and with it the run.
    await client.api('/identityGovernance/lifecycleWorkflows/workflows/w2/tasks/t2/taskProcessingResults/r2/resume').version('v1.0').post({ data: { operationStatus: 'completed' }, source: 'sample', type: 'lifecycleEvent' });
    expect(((await client.api(runs).version('v1.0').filter("processingStatus eq 'inProgress'").get()) as Page).value).toEqual([]);
  });
});

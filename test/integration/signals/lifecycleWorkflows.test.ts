import { randomUUID } from 'node:crypto';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { eventually, importTokens, JOINER_HOST_JSON, provisioningOf } from '../../support/hr';

const JOINER_WORKFLOW = randomUUID();
const LEAVER_WORKFLOW = randomUUID();
const LOGIC_APP_CLIENT_ID = randomUUID();
const LOGIC_APP_OBJECT_ID = randomUUID();

/**
 * The callout as the Logic App's trigger schema in entra-docs configure-logic-app-lifecycle-workflows.md
 * describes it (type, source, data.callbackUriPath/subject/task/taskProcessingResult/workflow);
 * `source` and `type` as in Microsoft's resume sample.
 */
function callout(workflowId: string, subject: { id: string; userPrincipalName: string; displayName: string }) {
  const taskId = randomUUID();
  const resultId = randomUUID();
  return {
    ids: { workflowId, taskId, id: resultId },
    body: {
      type: 'lifecycleEvent',
      source: 'sample',
      data: {
        callbackUriPath: `/identityGovernance/lifecycleWorkflows/workflows/${workflowId}/tasks/${taskId}/taskProcessingResults/${resultId}/resume`,
        subject: { ...subject, email: subject.userPrincipalName, manager: { id: randomUUID(), displayName: 'Boss', email: 'boss@contoso.com' } },
        task: { id: taskId, displayName: 'Hand out a hardware token' },
        taskProcessingResult: { id: resultId, createdDateTime: new Date().toISOString() },
        workflow: { id: workflowId, displayName: 'Onboard new hires', workflowVersion: 1 },
      },
    },
  };
}

describe('Lifecycle Workflows custom task extension: POST /api/lifecycle/tasks', () => {
  let app: TestApp;
  const logicAppToken = (overrides: { roles?: string[]; appId?: string } = {}) =>
    app.stack.identity.mintToken({ audience: app.stack.appSettings.ADMIN_AUTH_AUDIENCE ?? '', roles: overrides.roles ?? ['Lifecycle.Tasks'], subject: LOGIC_APP_OBJECT_ID, appId: overrides.appId ?? LOGIC_APP_CLIENT_ID });
  const post = async (body: unknown, token?: string) =>
    fetch(`${app.api}/lifecycle/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      body: JSON.stringify(body),
    });
  const callbackOf = (resultId: string) =>
    eventually(`the resume call of ${resultId}`, async () => (await app.graph.lifecycleCallbacks()).find((c) => c.taskProcessingResultId === resultId));
  const tokenOf = async (employeeId: string) => ((await jsonOf(await app.call('GET', `tokens?user=${employeeId}`, { roles: ['Tokens.Read'] }))).tokens as { status: string }[])[0];

  beforeAll(async () => {
    app = await startTestApp({
      hostJsonPath: JOINER_HOST_JSON,
      settings: { LIFECYCLE_ALLOWED_CALLERS: LOGIC_APP_CLIENT_ID, LIFECYCLE_JOINER_WORKFLOWS: JOINER_WORKFLOW, LIFECYCLE_LEAVER_WORKFLOWS: LEAVER_WORKFLOW },
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a joiner task ends with an active token and the callback recorded as completed; a leaver task revokes it', async () => {
    await importTokens(app, [{ serial: 'LCW-01' }]);
    const [ada] = await app.graph.seedUsers([{ displayName: 'Ada Lovelace', userPrincipalName: 'ada@contoso.com', employeeId: 'W1001' }]);
    const join = callout(JOINER_WORKFLOW, { id: ada!.id, userPrincipalName: 'ada@contoso.com', displayName: 'Ada Lovelace' });
    await app.graph.startTaskProcessingResult(join.ids);

    const accepted = await post(join.body, await logicAppToken());
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toEqual({ eventId: `lcw:${join.ids.id}`, status: 'queued', work: 'joiner' });
    expect(await callbackOf(join.ids.id)).toMatchObject({ workflowId: JOINER_WORKFLOW, taskId: join.ids.taskId, operationStatus: 'completed', source: 'sample', type: 'lifecycleEvent' });
    expect(await tokenOf('W1001')).toMatchObject({ status: 'active' });
    // The Logic App retrying the same callout changes nothing.
    expect(await jsonOf(await post(join.body, await logicAppToken()))).toMatchObject({ status: 'duplicate' });

    const leave = callout(LEAVER_WORKFLOW, { id: ada!.id, userPrincipalName: 'ada@contoso.com', displayName: 'Ada Lovelace' });
    await app.graph.startTaskProcessingResult(leave.ids);
    expect((await post(leave.body, await logicAppToken())).status).toBe(202);
    expect(await callbackOf(leave.ids.id)).toMatchObject({ operationStatus: 'completed' });
    expect(await tokenOf('W1001')).toMatchObject({ status: 'revoked' });
    expect((await provisioningOf(app, 'W1001'))?.leaver?.status).toBe('completed');
    expect((await app.graph.lifecycleCallbacks()).filter((c) => c.taskProcessingResultId === join.ids.id)).toHaveLength(1);
  });

  it('a joiner task with no token in stock ends with the callback recorded as failed', async () => {
    const [grace] = await app.graph.seedUsers([{ displayName: 'Grace Hopper', userPrincipalName: 'grace@contoso.com', employeeId: 'W1002' }]);
    const join = callout(JOINER_WORKFLOW, { id: grace!.id, userPrincipalName: 'grace@contoso.com', displayName: 'Grace Hopper' });
    await app.graph.startTaskProcessingResult(join.ids);
    expect((await post(join.body, await logicAppToken())).status).toBe(202);
    expect(await callbackOf(join.ids.id)).toMatchObject({ operationStatus: 'failed' });
    expect((await provisioningOf(app, 'W1002'))?.joiner).toMatchObject({ status: 'failed', reason: expect.stringMatching(/no token in stock/) });
  });

  it('a task of a workflow named in neither setting is resumed as failed and answered 422', async () => {
    const [alan] = await app.graph.seedUsers([{ displayName: 'Alan Turing', userPrincipalName: 'alan@contoso.com' }]);
    const task = callout(randomUUID(), { id: alan!.id, userPrincipalName: 'alan@contoso.com', displayName: 'Alan Turing' });
    await app.graph.startTaskProcessingResult(task.ids);
    const answer = await post(task.body, await logicAppToken());
    expect(answer.status).toBe(422);
    expect(answer.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await callbackOf(task.ids.id)).toMatchObject({ operationStatus: 'failed' });
  });

  it('nothing anonymous: no token 401, without the role or from a caller not listed 403, a bad callout 400', async () => {
    const [kate] = await app.graph.seedUsers([{ displayName: 'Katherine Johnson', userPrincipalName: 'kate@contoso.com' }]);
    const task = callout(JOINER_WORKFLOW, { id: kate!.id, userPrincipalName: 'kate@contoso.com', displayName: 'Katherine Johnson' });
    expect((await post(task.body)).status).toBe(401);
    expect((await post(task.body, await app.adminToken(['Tokens.Admin']))).status).toBe(403);
    expect((await post(task.body, await logicAppToken({ appId: randomUUID() }))).status).toBe(403);
    const wrongPath = { ...task.body, data: { ...task.body.data, callbackUriPath: '/users/someone-else/resume' } };
    expect((await post(wrongPath, await logicAppToken())).status).toBe(400);
    const missing = await post({ type: 'lifecycleEvent', source: 'sample', data: { subject: { id: kate!.id } } }, await logicAppToken());
    expect(missing.status).toBe(400);
    expect((await jsonOf(missing)).errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'data.task' })]));
    expect(await app.graph.lifecycleCallbacks()).not.toContainEqual(expect.objectContaining({ taskProcessingResultId: task.ids.id }));
  });
});

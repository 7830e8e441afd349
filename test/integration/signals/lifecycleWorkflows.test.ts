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
function callout(workflowId: string, subject: { id: string; userPrincipalName: string; displayName: string }, category?: string) {
  const taskId = randomUUID();
  const resultId = randomUUID();
  return {
    /** What Lifecycle Workflows holds in progress for this callout (the emulator's start call). */
    ids: { workflowId, taskId, id: resultId, subjectId: subject.id },
    body: {
      type: 'lifecycleEvent',
      source: 'sample',
      data: {
        callbackUriPath: `/identityGovernance/lifecycleWorkflows/workflows/${workflowId}/tasks/${taskId}/taskProcessingResults/${resultId}/resume`,
        subject: { ...subject, email: subject.userPrincipalName, manager: { id: randomUUID(), displayName: 'Boss', email: 'boss@contoso.com' } },
        task: { id: taskId, displayName: 'Hand out a hardware token' },
        taskProcessingResult: { id: resultId, createdDateTime: new Date().toISOString() },
        workflow: { id: workflowId, displayName: 'Onboard new hires', workflowVersion: 1, ...(category ? { category } : {}) },
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

  /** Ada-like: a person holding an active token through the joiner workflow, for the refusals below to leave alone. */
  const activeHolder = async (employeeId: string, upn: string, serial: string) => {
    await importTokens(app, [{ serial }]);
    const [user] = await app.graph.seedUsers([{ displayName: upn, userPrincipalName: upn, employeeId }]);
    const join = callout(JOINER_WORKFLOW, { id: user!.id, userPrincipalName: upn, displayName: upn });
    await app.graph.startTaskProcessingResult(join.ids);
    expect((await post(join.body, await logicAppToken())).status).toBe(202);
    expect(await callbackOf(join.ids.id)).toMatchObject({ operationStatus: 'completed' });
    expect(await tokenOf(employeeId)).toMatchObject({ status: 'active' });
    return { id: user!.id, userPrincipalName: upn, displayName: upn };
  };
  /** Nothing happened to the holder: the token stays active, no leaver was recorded, no resume call went out for the refused result. */
  const untouched = async (employeeId: string, refusedResultId: string) => {
    expect(await tokenOf(employeeId)).toMatchObject({ status: 'active' });
    expect((await provisioningOf(app, employeeId))?.leaver ?? null).toBeNull();
    expect(await app.graph.lifecycleCallbacks()).not.toContainEqual(expect.objectContaining({ taskProcessingResultId: refusedResultId }));
  };

  it('a task from a workflow in neither setting is answered 422 even when its body says category leaver or joiner', async () => {
    const holder = await activeHolder('W1101', 'mary@contoso.com', 'LCW-11');
    for (const category of ['leaver', 'joiner']) {
      const task = callout(randomUUID(), holder, category);
      await app.graph.startTaskProcessingResult(task.ids);
      const answer = await post(task.body, await logicAppToken());
      expect(answer.status).toBe(422);
      expect(answer.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect((await jsonOf(answer)).detail).toMatch(/neither LIFECYCLE_JOINER_WORKFLOWS nor LIFECYCLE_LEAVER_WORKFLOWS/);
      expect(await callbackOf(task.ids.id)).toMatchObject({ operationStatus: 'failed' });
    }
    // Made up altogether (no such result in Graph): refused the same, and nothing is resumed.
    const forged = callout(randomUUID(), holder, 'leaver');
    const answer = await post(forged.body, await logicAppToken());
    expect(answer.status).toBe(422);
    expect((await jsonOf(answer)).detail).toMatch(/neither LIFECYCLE_JOINER_WORKFLOWS nor LIFECYCLE_LEAVER_WORKFLOWS/);
    expect(await app.graph.lifecycleCallbacks()).not.toContainEqual(expect.objectContaining({ taskProcessingResultId: forged.ids.id }));
    expect(await tokenOf('W1101')).toMatchObject({ status: 'active' });
    expect((await provisioningOf(app, 'W1101'))?.leaver ?? null).toBeNull();
  });

  it('a leaver task that Graph does not show in progress for its subject is answered 422 and revokes nothing', async () => {
    const holder = await activeHolder('W1201', 'edith@contoso.com', 'LCW-12');
    const [other] = await app.graph.seedUsers([{ displayName: 'Other', userPrincipalName: 'other@contoso.com', employeeId: 'W1202' }]);

    // A callout made up with the leaver workflow's id: Lifecycle Workflows never started that result.
    const forged = callout(LEAVER_WORKFLOW, holder);
    const refused = await post(forged.body, await logicAppToken());
    expect(refused.status).toBe(422);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await jsonOf(refused)).detail).toMatch(/not in progress/);
    await untouched('W1201', forged.ids.id);

    // A real result in progress, but for someone else: the callout's subject was swapped.
    const swapped = callout(LEAVER_WORKFLOW, holder);
    await app.graph.startTaskProcessingResult({ ...swapped.ids, subjectId: other!.id });
    expect((await post(swapped.body, await logicAppToken())).status).toBe(422);
    await untouched('W1201', swapped.ids.id);

    // A result of this subject that already ended (timed out as failed, or completed): replayed later.
    for (const processingStatus of ['failed', 'completed'] as const) {
      const ended = callout(LEAVER_WORKFLOW, holder);
      await app.graph.startTaskProcessingResult(ended.ids);
      await app.graph.finishTaskProcessingResult({ ...ended.ids, processingStatus });
      expect((await post(ended.body, await logicAppToken())).status).toBe(422);
      await untouched('W1201', ended.ids.id);
    }

    // The same ids from another workflow's run: not this workflow's result.
    const elsewhere = callout(LEAVER_WORKFLOW, holder);
    await app.graph.startTaskProcessingResult({ ...elsewhere.ids, workflowId: JOINER_WORKFLOW });
    expect((await post(elsewhere.body, await logicAppToken())).status).toBe(422);
    await untouched('W1201', elsewhere.ids.id);
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

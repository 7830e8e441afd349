import { randomUUID } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { eventually, JOINER_HOST_JSON, provisioningOf } from '../../support/hr';

const LEAVER_WORKFLOW = randomUUID();
const LOGIC_APP_CLIENT_ID = randomUUID();
const codeAt = (seed: string, at: number) => new TOTP({ secret: Secret.fromBase32(seed), period: 30, digits: 6 }).generate({ timestamp: at });

/** A Lifecycle Workflows leaver task for an account without employeeId: matched by the subject's object id. */
describe('Lifecycle Workflows: a leaver task takes the token of an account that has no employeeId', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({
      hostJsonPath: JOINER_HOST_JSON,
      settings: { LIFECYCLE_ALLOWED_CALLERS: LOGIC_APP_CLIENT_ID, LIFECYCLE_JOINER_WORKFLOWS: randomUUID(), LIFECYCLE_LEAVER_WORKFLOWS: LEAVER_WORKFLOW },
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('imported by UPN, the task names the account: the token is gone and its next code refused', async () => {
    const [lee] = await app.graph.seedUsers([{ displayName: 'Lee Leaver', userPrincipalName: 'lee@contoso.com' }]);
    const seed = new Secret({ size: 20 }).base32;
    const imported = await jsonOf(await app.call('POST', 'tokens/import', { body: `upn,serial number,secret key,time interval,manufacturer,model\nlee@contoso.com,LCW-UPN,${seed},30,Token2,C302\n`, contentType: 'text/csv' }));
    expect(imported).toMatchObject({ imported: 1, errors: [] });
    expect((await app.graph.signIn({ userId: lee!.id, code: codeAt(seed, Date.now() + 30_000) })).ok).toBe(true);

    const [taskId, resultId] = [randomUUID(), randomUUID()];
    await app.graph.startTaskProcessingResult({ workflowId: LEAVER_WORKFLOW, taskId, id: resultId, subjectId: lee!.id });
    const token = await app.stack.identity.mintToken({ audience: app.stack.appSettings.ADMIN_AUTH_AUDIENCE ?? '', roles: ['Lifecycle.Tasks'], subject: randomUUID(), appId: LOGIC_APP_CLIENT_ID });
    const body = {
      type: 'lifecycleEvent',
      source: 'sample',
      data: {
        callbackUriPath: `/identityGovernance/lifecycleWorkflows/workflows/${LEAVER_WORKFLOW}/tasks/${taskId}/taskProcessingResults/${resultId}/resume`,
        subject: { id: lee!.id, userPrincipalName: 'lee@contoso.com', displayName: 'Lee Leaver', email: 'lee@contoso.com', manager: { id: randomUUID(), displayName: 'Boss', email: 'boss@contoso.com' } },
        task: { id: taskId, displayName: 'Take the hardware token back' },
        taskProcessingResult: { id: resultId, createdDateTime: new Date().toISOString() },
        workflow: { id: LEAVER_WORKFLOW, displayName: 'Offboard leavers', workflowVersion: 1 },
      },
    };
    const accepted = await fetch(`${app.api}/lifecycle/tasks`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    expect(accepted.status).toBe(202);
    expect(await eventually('the task to be resumed', async () => (await app.graph.lifecycleCallbacks()).find((c) => c.taskProcessingResultId === resultId))).toMatchObject({ operationStatus: 'completed' });

    // The account has no employeeId: the leaver is keyed by its object id, and carries it.
    expect((await provisioningOf(app, lee!.id))?.leaver).toMatchObject({ status: 'completed', entraUserId: lee!.id });
    expect(await jsonOf(await app.call('GET', 'tokens/LCW-UPN', { roles: ['Tokens.Read'] }))).toMatchObject({ status: 'revoked', entraUserId: lee!.id });
    expect((await app.graph.state({ serial: 'LCW-UPN' })).matches?.devices[0]).toMatchObject({ status: 'available', assignedTo: null });
    expect((await app.graph.signIn({ userId: lee!.id, code: codeAt(seed, Date.now() + 60_000) })).ok).toBe(false);
  });
});

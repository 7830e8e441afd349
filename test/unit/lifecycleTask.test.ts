import { callbackMatches, lifecycleKindOf, lifecycleTaskSchema, unconfirmedBecause } from '../../shared/domain/lifecycleTask';
import { lifecycleStatusOf } from '../../shared/workflows/lifecycleTasks';

const W = '4f36da05-5df8-457d-adb3-b132e7b59571';
const T = 'e07dcdb2-0a77-4ee3-8645-3801fbe1cf9f';
const R = '6e1ec336-8d06-4386-a377-79dbab1a2eb6';
// The ids of Microsoft's resume example (identitygovernance-taskprocessingresult-resume.md).
const payload = (callbackUriPath: string, category?: string) =>
  lifecycleTaskSchema.parse({
    type: 'lifecycleEvent',
    source: 'sample',
    data: {
      callbackUriPath,
      subject: { id: '11111111-2222-3333-4444-555555555555', userPrincipalName: 'ada@contoso.com' },
      task: { id: T },
      taskProcessingResult: { id: R },
      workflow: { id: W, ...(category ? { category } : {}) },
    },
  });

describe('Lifecycle Workflows callouts', () => {
  const path = `/identityGovernance/lifecycleWorkflows/workflows/${W}/tasks/${T}/taskProcessingResults/${R}/resume`;

  it('accept a callbackUriPath naming their own result, with or without a version prefix, and nothing else', () => {
    expect(callbackMatches(payload(path))).toBe(true);
    expect(callbackMatches(payload(`/v1.0${path}`))).toBe(true);
    expect(callbackMatches(payload(path.replace(R, '00000000-0000-0000-0000-000000000000')))).toBe(false);
    expect(callbackMatches(payload('/users/x/microsoft.graph.delete'))).toBe(false);
  });

  it('are joiner or leaver work by the workflow ids the settings list, and never by a category the payload carries', () => {
    expect(lifecycleKindOf(payload(path), { joinerWorkflows: [W.toUpperCase()], leaverWorkflows: [] })).toBe('joiner');
    expect(lifecycleKindOf(payload(path), { joinerWorkflows: [], leaverWorkflows: [W] })).toBe('leaver');
    expect(lifecycleKindOf(payload(path, 'leaver'), { joinerWorkflows: [], leaverWorkflows: [] })).toBeUndefined();
    expect(lifecycleKindOf(payload(path, 'joiner'), { joinerWorkflows: [], leaverWorkflows: ['another'] })).toBeUndefined();
    expect(lifecycleKindOf(payload(path, 'mover'), { joinerWorkflows: [], leaverWorkflows: [] })).toBeUndefined();
  });

  it('are vouched for only by a result Graph shows in progress, for their subject and task', () => {
    const subjectId = '11111111-2222-3333-4444-555555555555';
    const callout = payload(path);
    expect(unconfirmedBecause(callout, { processingStatus: 'inProgress', subjectId: subjectId.toUpperCase(), taskId: T })).toBeUndefined();
    expect(unconfirmedBecause(callout, { processingStatus: 'inProgress', subjectId })).toBeUndefined();
    expect(unconfirmedBecause(callout, undefined)).toMatch(/not in progress in any run/);
    expect(unconfirmedBecause(callout, { processingStatus: 'completed', subjectId, taskId: T })).toMatch(/not in progress \(completed\)/);
    expect(unconfirmedBecause(callout, { processingStatus: 'inProgress', subjectId: 'someone-else', taskId: T })).toMatch(/for subject/);
    expect(unconfirmedBecause(callout, { processingStatus: 'inProgress', taskId: T })).toMatch(/for subject/);
    expect(unconfirmedBecause(callout, { processingStatus: 'inProgress', subjectId, taskId: 'other-task' })).toMatch(/for task/);
  });

  it('are resumed completed or failed only once the work settled', () => {
    expect(lifecycleStatusOf({ kind: 'completed', serialNumber: 'S', tokenStatus: 'active' })).toBe('completed');
    expect(lifecycleStatusOf({ kind: 'recorded', status: 'completed' })).toBe('completed');
    expect(lifecycleStatusOf({ kind: 'failed', reason: 'no token in stock' })).toBe('failed');
    expect(lifecycleStatusOf({ kind: 'already_done', status: 'cancelled' })).toBe('failed');
    expect(lifecycleStatusOf({ kind: 'deferred', dueAt: '', delaySeconds: 5 })).toBeUndefined();
    expect(lifecycleStatusOf({ kind: 'recorded', status: 'pending_revocation' })).toBeUndefined();
  });
});

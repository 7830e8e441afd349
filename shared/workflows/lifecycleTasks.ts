import { employeeKeyOf } from '../domain/directorySignals';
import type { HrQueueMessage } from '../domain/hrEvent';
import { callbackMatches, lifecycleKindOf, unconfirmedBecause, type LifecycleTaskPayload } from '../domain/lifecycleTask';
import type { Clock, Directory, LifecycleCallbacks, LifecycleTaskRef, WebhookDeliveries, WorkQueue } from '../ports';
import type { HrEventOutcome } from './provisionJoiner';
import { queueOnce } from './queueOnce';

/**
 * Lifecycle Workflows as a source of joiners and leavers: a custom task becomes an hr-events message
 * (the same joiner or leaver work as the HR webhook's), carrying the task processing result it must
 * resume; the hr-events worker resumes it with completed or failed once that work settles.
 */

export interface AcceptTaskDeps {
  directory: Pick<Directory, 'findUserByUpn'>;
  deliveries: WebhookDeliveries;
  hrEvents: WorkQueue<HrQueueMessage>;
  lifecycle: LifecycleCallbacks;
  clock: Clock;
  settings: { joinerWorkflows: readonly string[]; leaverWorkflows: readonly string[] };
}

export type AcceptedTask =
  | { kind: 'queued' | 'duplicate'; eventId: string; work: 'joiner' | 'leaver' }
  /** Nothing can be done for it: the task was resumed as failed, with this reason. */
  | { kind: 'rejected'; reason: string; resumed: 'resumed' | { refused: string } }
  /** Graph does not show this result in progress for this subject: nothing done, nothing resumed. */
  | { kind: 'unconfirmed'; reason: string };

const refOf = (payload: LifecycleTaskPayload): LifecycleTaskRef => ({
  workflowId: payload.data.workflow.id,
  taskId: payload.data.task.id,
  taskProcessingResultId: payload.data.taskProcessingResult.id,
  source: payload.source,
  type: payload.type,
});

/**
 * Enforced in this order: the callback names the result's own resume path; Graph shows the result in
 * progress for the subject and task; the workflow is one the settings list (a category in the body
 * counts for nothing); Entra has the subject's account. Only a result Graph vouches for is ever resumed.
 */
export async function acceptLifecycleTask(payload: LifecycleTaskPayload, deps: AcceptTaskDeps): Promise<AcceptedTask | { kind: 'bad_callback' }> {
  if (!callbackMatches(payload)) return { kind: 'bad_callback' };
  const task = refOf(payload);
  const reject = async (reason: string): Promise<AcceptedTask> => ({ kind: 'rejected', reason, resumed: await deps.lifecycle.resume(task, 'failed') });

  const work = lifecycleKindOf(payload, deps.settings);
  const eventId = `lcw:${task.taskProcessingResultId}`;
  // Graph first: a callout is only as good as the run behind it. A made-up or replayed callout, or one
  // whose subject was swapped, names no result in progress for that subject; it is not resumed either,
  // since the result (if any) is not ours to end.
  const unconfirmed = unconfirmedBecause(payload, await deps.lifecycle.taskProcessingResult(task.workflowId, task.taskProcessingResultId));
  if (!work) {
    // Not ours to act on; resumed as failed only when it is a real task waiting for that subject.
    const notListed = `workflow ${payload.data.workflow.id} is in neither LIFECYCLE_JOINER_WORKFLOWS nor LIFECYCLE_LEAVER_WORKFLOWS`;
    return unconfirmed ? { kind: 'unconfirmed', reason: `${notListed}, and ${unconfirmed}` } : reject(notListed);
  }
  // A retry of one we queued, whose work has settled since, is a duplicate.
  if (unconfirmed) return (await deps.deliveries.stateOf(eventId)) === 'queued' ? { kind: 'duplicate', eventId, work } : { kind: 'unconfirmed', reason: unconfirmed };
  // Entra next: the subject must be the account the task names.
  const user = await deps.directory.findUserByUpn(payload.data.subject.userPrincipalName);
  if (!user || user.id.toLowerCase() !== payload.data.subject.id.toLowerCase()) return reject(`no Entra account ${payload.data.subject.userPrincipalName} with object id ${payload.data.subject.id}`);
  const employeeId = employeeKeyOf({ userId: user.id, ...(user.employeeId ? { employeeId: user.employeeId } : {}) });
  if (!employeeId) return reject(`the employeeId of ${user.userPrincipalName} is not usable as a key`);

  const now = deps.clock.now().toISOString();
  const type = work === 'joiner' ? 'employee.hired' : 'employee.terminated';
  const queued = await queueOnce(
    deps,
    {
      eventId,
    type,
    employeeId,
      userPrincipalName: user.userPrincipalName,
      ...(user.displayName ? { displayName: user.displayName } : {}),
      entraUserId: user.id,
      // The workflow runs on the day it is due: the work is due now.
      ...(work === 'joiner' ? { hireDate: now } : { terminationDate: now }),
      lifecycleTask: task,
    },
    now,
  );
  return { kind: queued === 'duplicate' ? 'duplicate' : 'queued', eventId, work };
}

/** What a settled outcome tells Lifecycle Workflows; undefined while the work is still waiting. */
export function lifecycleStatusOf(outcome: HrEventOutcome): 'completed' | 'failed' | undefined {
  switch (outcome.kind) {
    case 'completed':
      return 'completed';
    case 'failed':
    case 'cancelled':
      return 'failed';
    case 'already_done':
    case 'recorded':
      return outcome.status === 'completed' ? 'completed' : outcome.status === 'failed' || outcome.status === 'cancelled' ? 'failed' : undefined;
    case 'deferred':
    case 'waiting_for_user':
      return undefined;
  }
}

/** Resumes the task a message carries once its work settled ('gave_up': the host's last try failed). */
export async function answerLifecycleTask(message: HrQueueMessage, outcome: HrEventOutcome | 'gave_up', lifecycle: LifecycleCallbacks): Promise<string | undefined> {
  if (!message.lifecycleTask) return undefined;
  const status = outcome === 'gave_up' ? 'failed' : lifecycleStatusOf(outcome);
  if (!status) return undefined;
  const task = message.lifecycleTask;
  const answer = await lifecycle.resume(task, status);
  const where = `task processing result ${task.taskProcessingResultId} (workflow ${task.workflowId})`;
  return answer === 'resumed' ? `${where} resumed as ${status}` : `${where} not resumed as ${status}: ${answer.refused}`;
}

import { randomUUID } from 'node:crypto';
import { GraphApiError, badRequest, notFound } from './errors';

/**
 * Lifecycle Workflows' side of a custom task extension (api-reference/v1.0/api/
 * identitygovernance-taskprocessingresult-resume.md): a task processing result waits `inProgress`
 * until someone resumes it with `{"data": {"operationStatus": "completed"|"failed"}, "source", "type"}`
 * (204). Each result belongs to a run of its workflow, read as identitygovernance-workflow-list-runs.md
 * and identitygovernance-run-list-taskprocessingresults.md show: a run is `inProgress` while one of its
 * results is, and a result carries `subject {id}` and `task {...}` as in those pages' examples. The
 * emulator keeps the results a test started and records every resume call.
 */

export type OperationStatus = 'completed' | 'failed';

export interface LifecycleCallback {
  workflowId: string;
  taskId: string;
  taskProcessingResultId: string;
  operationStatus: OperationStatus;
  source: string | null;
  type: string | null;
  receivedAt: string;
}

export interface LifecycleSettings {
  /**
   * The docs do not say what resuming a result that is no longer in progress answers. `refused` (default):
   * 400, as Graph answers an action on an object in the wrong state; `accepted`: 204 again.
   */
  resumeAgain: 'refused' | 'accepted';
}

/** What a test starts: the ids a callout carries, the subject, and optionally the run (a new run by default). */
export interface StartedResult {
  workflowId: string;
  taskId: string;
  id: string;
  subjectId?: string;
  runId?: string;
}

interface PendingResult {
  id: string;
  workflowId: string;
  taskId: string;
  runId: string;
  subjectId: string | null;
  createdDateTime: string;
  completedDateTime: string | null;
  processingStatus: 'inProgress' | OperationStatus;
}

interface Run {
  id: string;
  workflowId: string;
  startedDateTime: string;
}

/** `$filter` clauses these lists take: `name eq 'value'` or `name ne 'value'`. */
function filterOf(filter: string | null, allowed: string[]): ((item: Record<string, unknown>) => boolean) | undefined {
  if (filter === null) return undefined;
  const clause = /^\s*([A-Za-z]+)\s+(eq|ne)\s+'([^']*)'\s*$/.exec(filter);
  if (!clause || !allowed.includes(clause[1] ?? '')) throw badRequest(`Invalid filter clause: ${filter}`, 'BadRequest');
  const [, name = '', op, value = ''] = clause;
  return (item) => (String(item[name]).toLowerCase() === value.toLowerCase()) === (op === 'eq');
}

const key = (workflowId: string, taskId: string, resultId: string) => `${workflowId}/${taskId}/${resultId}`.toLowerCase();

export class LifecycleTasks {
  private readonly results = new Map<string, PendingResult>();
  private readonly runs = new Map<string, Run>();
  private callbacks: LifecycleCallback[] = [];
  settings: LifecycleSettings = { resumeAgain: 'refused' };

  reset(): void {
    this.results.clear();
    this.runs.clear();
    this.callbacks = [];
    this.settings = { resumeAgain: 'refused' };
  }

  /** A workflow run reached the custom task for its subject: the result waits in progress. */
  start(started: StartedResult, now: Date): void {
    const runId = started.runId ?? randomUUID();
    const existing = this.runs.get(runId.toLowerCase());
    if (existing && existing.workflowId.toLowerCase() !== started.workflowId.toLowerCase()) throw badRequest(`Run ${runId} belongs to another workflow.`, 'BadRequest');
    if (!existing) this.runs.set(runId.toLowerCase(), { id: runId, workflowId: started.workflowId, startedDateTime: now.toISOString() });
    this.results.set(key(started.workflowId, started.taskId, started.id), {
      id: started.id,
      workflowId: started.workflowId,
      taskId: started.taskId,
      runId,
      subjectId: started.subjectId ?? null,
      createdDateTime: now.toISOString(),
      completedDateTime: null,
      processingStatus: 'inProgress',
    });
  }

  /** Ends a result without a resume call, as Lifecycle Workflows does when the extension times out (`failed`) or an admin cancels the run. */
  finish(workflowId: string, taskId: string, resultId: string, status: OperationStatus, now: Date): void {
    const result = this.results.get(key(workflowId, taskId, resultId));
    if (!result) throw notFound(resultId);
    result.processingStatus = status;
    result.completedDateTime = now.toISOString();
  }

  private resultsOf(runId: string): PendingResult[] {
    return [...this.results.values()].filter((result) => result.runId.toLowerCase() === runId.toLowerCase());
  }

  /** GET /identityGovernance/lifecycleWorkflows/workflows/{id}/runs (identitygovernance-workflow-list-runs.md). */
  listRuns(workflowId: string, filter: string | null): Record<string, unknown>[] {
    const runs = [...this.runs.values()].filter((run) => run.workflowId.toLowerCase() === workflowId.toLowerCase());
    if (runs.length === 0) throw notFound(workflowId);
    const view = runs.map((run) => {
      const results = this.resultsOf(run.id);
      const open = results.some((result) => result.processingStatus === 'inProgress');
      const failed = results.filter((result) => result.processingStatus === 'failed').length;
      const done = results.map((result) => result.completedDateTime).filter((at): at is string => at !== null).sort();
      return {
        id: run.id,
        completedDateTime: open ? null : (done.at(-1) ?? run.startedDateTime),
        failedTasksCount: failed,
        failedUsersCount: new Set(results.filter((result) => result.processingStatus === 'failed').map((result) => result.subjectId)).size,
        lastUpdatedDateTime: done.at(-1) ?? run.startedDateTime,
        processingStatus: open ? 'inProgress' : failed > 0 ? 'completedWithErrors' : 'completed',
        scheduledDateTime: run.startedDateTime,
        startedDateTime: run.startedDateTime,
        successfulUsersCount: new Set(results.filter((result) => result.processingStatus === 'completed').map((result) => result.subjectId)).size,
        totalTasksCount: results.length,
        totalUsersCount: new Set(results.map((result) => result.subjectId)).size,
        totalUnprocessedTasksCount: results.filter((result) => result.processingStatus === 'inProgress').length,
        workflowExecutionType: 'scheduled',
      };
    });
    const keep = filterOf(filter, ['processingStatus', 'workflowExecutionType']);
    return keep ? view.filter(keep) : view;
  }

  /** GET .../workflows/{id}/runs/{runId}/taskProcessingResults (identitygovernance-run-list-taskprocessingresults.md). */
  listRunResults(workflowId: string, runId: string, filter: string | null): Record<string, unknown>[] {
    const run = this.runs.get(runId.toLowerCase());
    if (!run || run.workflowId.toLowerCase() !== workflowId.toLowerCase()) throw notFound(runId);
    const view = this.resultsOf(run.id).map((result) => ({
      completedDateTime: result.completedDateTime,
      createdDateTime: result.createdDateTime,
      id: result.id,
      processingStatus: result.processingStatus,
      startedDateTime: result.createdDateTime,
      failureReason: null,
      subject: { id: result.subjectId },
      task: { category: 'joiner,leaver', continueOnError: false, displayName: 'Run a custom task extension', executionSequence: 1, id: result.taskId, isEnabled: true },
    }));
    const keep = filterOf(filter, ['id', 'processingStatus']);
    return keep ? view.filter(keep) : view;
  }

  resume(workflowId: string, taskId: string, resultId: string, body: unknown, now: Date): void {
    const result = this.results.get(key(workflowId, taskId, resultId));
    if (!result || result.workflowId.toLowerCase() !== workflowId.toLowerCase()) throw notFound(resultId);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('The request body must be a JSON object.', 'BadRequest');
    const { data, source, type } = body as { data?: unknown; source?: unknown; type?: unknown };
    const status = typeof data === 'object' && data !== null ? (data as { operationStatus?: unknown }).operationStatus : undefined;
    // The enum is camelCase (completed, failed); Microsoft's own samples send "Completed": both parse.
    const operationStatus = typeof status === 'string' ? status.toLowerCase() : undefined;
    if (operationStatus !== 'completed' && operationStatus !== 'failed') {
      throw badRequest("data.operationStatus must be 'completed' or 'failed'.", 'BadRequest');
    }
    if (result.processingStatus !== 'inProgress' && this.settings.resumeAgain === 'refused') {
      throw new GraphApiError(400, 'BadRequest', `The taskProcessingResult '${resultId}' is not in progress.`);
    }
    result.processingStatus = operationStatus;
    result.completedDateTime = now.toISOString();
    this.callbacks.push({
      workflowId,
      taskId,
      taskProcessingResultId: resultId,
      operationStatus,
      source: typeof source === 'string' ? source : null,
      type: typeof type === 'string' ? type : null,
      receivedAt: now.toISOString(),
    });
  }

  recorded(): LifecycleCallback[] {
    return [...this.callbacks];
  }
}

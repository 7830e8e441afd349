import { GraphApiError, badRequest, notFound } from './errors';

/**
 * Lifecycle Workflows' side of a custom task extension (api-reference/v1.0/api/
 * identitygovernance-taskprocessingresult-resume.md): a task processing result waits `inProgress`
 * until someone resumes it with `{"data": {"operationStatus": "completed"|"failed"}, "source", "type"}`
 * (204). The emulator keeps the results a test started and records every resume call.
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

interface PendingResult {
  workflowId: string;
  taskId: string;
  processingStatus: 'inProgress' | OperationStatus;
}

const key = (workflowId: string, taskId: string, resultId: string) => `${workflowId}/${taskId}/${resultId}`.toLowerCase();

export class LifecycleTasks {
  private readonly results = new Map<string, PendingResult>();
  private callbacks: LifecycleCallback[] = [];
  settings: LifecycleSettings = { resumeAgain: 'refused' };

  reset(): void {
    this.results.clear();
    this.callbacks = [];
    this.settings = { resumeAgain: 'refused' };
  }

  /** A workflow run reached the custom task: its result waits in progress. */
  start(workflowId: string, taskId: string, resultId: string): void {
    this.results.set(key(workflowId, taskId, resultId), { workflowId, taskId, processingStatus: 'inProgress' });
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

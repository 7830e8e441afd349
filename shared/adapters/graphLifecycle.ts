import type { Client as GraphClient } from '@microsoft/microsoft-graph-client';
import type { LifecycleCallbacks } from '../ports';
import { statusOf } from './sdkErrors';

/**
 * Lifecycle Workflows' resume action (Graph v1.0,
 * identitygovernance-taskprocessingresult-resume.md): 204 when taken. A 4xx other than 408/429
 * means Graph will not take it (the result is no longer in progress, or the extension timed out),
 * which no retry changes; anything else throws so the queue message is retried.
 */
export function graphLifecycleCallbacks(graph: GraphClient): LifecycleCallbacks {
  return {
    async resume(task, status) {
      const path =
        `/identityGovernance/lifecycleWorkflows/workflows/${encodeURIComponent(task.workflowId)}` +
        `/tasks/${encodeURIComponent(task.taskId)}/taskProcessingResults/${encodeURIComponent(task.taskProcessingResultId)}/resume`;
      try {
        await graph
          .api(path)
          .version('v1.0')
          .post({ data: { operationStatus: status }, source: task.source ?? 'entra-oath-tokens', type: task.type ?? 'lifecycleEvent' });
        return 'resumed';
      } catch (error) {
        const code = statusOf(error);
        if (code !== undefined && code >= 400 && code < 500 && code !== 408 && code !== 429) {
          const message = (error as { message?: unknown }).message;
          return { refused: `Graph answered ${code}${typeof message === 'string' ? `: ${message.slice(0, 200)}` : ''}` };
        }
        throw error;
      }
    },
  };
}

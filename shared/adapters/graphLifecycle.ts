import type { Client as GraphClient } from '@microsoft/microsoft-graph-client';
import type { LifecycleCallbacks, LifecycleTaskResult } from '../ports';
import { statusOf } from './sdkErrors';

/** Runs in progress of one workflow are few (one per schedule interval or on-demand run); more pages than this is not a run we wait on. */
const MAX_RUN_PAGES = 5;

type Json = Record<string, unknown>;

const valuesOf = (page: unknown): Json[] => {
  const value = (page as { value?: unknown } | undefined)?.value;
  return Array.isArray(value) ? value.filter((item): item is Json => typeof item === 'object' && item !== null) : [];
};
const idOf = (value: unknown): string | undefined => {
  const id = (value as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
};

/**
 * Lifecycle Workflows in Graph v1.0. The read: a workflow's runs in progress
 * (identitygovernance-workflow-list-runs.md, `$filter` on processingStatus), then each run's task
 * processing results with that id (identitygovernance-run-list-taskprocessingresults.md, `$filter` on
 * id), whose answer carries `processingStatus`, `subject {id}` and `task {id}`. The callout names no run,
 * hence the walk over the runs. The resume action (identitygovernance-taskprocessingresult-resume.md):
 * 204 when taken. A 4xx other than 408/429 means Graph will not take it (the result is no longer in
 * progress, or the extension timed out), which no retry changes; anything else throws so the queue
 * message is retried.
 */
export function graphLifecycleCallbacks(graph: GraphClient): LifecycleCallbacks {
  return {
    async taskProcessingResult(workflowId, resultId) {
      const runs = `/identityGovernance/lifecycleWorkflows/workflows/${encodeURIComponent(workflowId)}/runs`;
      let page: unknown;
      try {
        page = (await graph.api(runs).version('v1.0').filter("processingStatus eq 'inProgress'").select('id,processingStatus').get()) as unknown;
      } catch (error) {
        // No such workflow: nothing of it can be in progress.
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
      for (let pages = 1; ; pages++) {
        for (const run of valuesOf(page)) {
          const runId = idOf(run);
          if (!runId) continue;
          const results: unknown = await graph
            .api(`${runs}/${encodeURIComponent(runId)}/taskProcessingResults`)
            .version('v1.0')
            .filter(`id eq '${resultId.replace(/'/g, "''")}'`)
            .get();
          const found = valuesOf(results).find((result) => idOf(result)?.toLowerCase() === resultId.toLowerCase());
          if (found) {
            const subjectId = idOf(found.subject);
            const taskId = idOf(found.task);
            return {
              id: resultId,
              processingStatus: typeof found.processingStatus === 'string' ? found.processingStatus : 'unknown',
              ...(subjectId ? { subjectId } : {}),
              ...(taskId ? { taskId } : {}),
            } satisfies LifecycleTaskResult;
          }
        }
        const next = (page as { '@odata.nextLink'?: unknown })['@odata.nextLink'];
        if (typeof next !== 'string' || next === '' || pages >= MAX_RUN_PAGES) return undefined;
        page = (await graph.api(next).get()) as unknown;
      }
    },

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

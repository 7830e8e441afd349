import { z } from 'zod';

/**
 * The payload a Lifecycle Workflows custom task extension sends its Logic App, which forwards it to
 * POST /api/lifecycle/tasks (entra-docs configure-logic-app-lifecycle-workflows.md: `type`, `source`,
 * `data.callbackUriPath`, `data.subject`, `data.task`, `data.taskProcessingResult`, `data.workflow`).
 */

/** Directory object ids are GUIDs; the pattern also keeps them safe in a URL path and an event id. */
const objectId = z.string({ error: 'is required' }).trim().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an object id (a GUID)');
const label = z.string().max(256).optional();

export const lifecycleTaskSchema = z.object({
  type: z.string({ error: 'is required' }).max(200),
  source: z.string({ error: 'is required' }).max(500),
  data: z.object(
    {
      callbackUriPath: z.string({ error: 'is required' }).max(1000),
      subject: z.object(
        {
          id: objectId,
          userPrincipalName: z.string({ error: 'is required' }).trim().min(3).max(113),
          displayName: label,
          email: z.string().max(256).nullish(),
        },
        { error: 'is required' },
      ),
      task: z.object({ id: objectId, displayName: label }, { error: 'is required' }),
      taskProcessingResult: z.object({ id: objectId, createdDateTime: z.string().max(64).optional() }, { error: 'is required' }),
      workflow: z.object({ id: objectId, displayName: label, workflowVersion: z.number().int().optional(), category: z.string().max(32).optional() }, { error: 'is required' }),
    },
    { error: 'is required' },
  ),
});

export type LifecycleTaskPayload = z.infer<typeof lifecycleTaskSchema>;

/** The resume path a payload's ids name; the callbackUriPath must be this one (with or without a version prefix). */
export function resumePathOf(payload: LifecycleTaskPayload): string {
  const { workflow, task, taskProcessingResult } = payload.data;
  return `/identityGovernance/lifecycleWorkflows/workflows/${workflow.id}/tasks/${task.id}/taskProcessingResults/${taskProcessingResult.id}/resume`;
}

export function callbackMatches(payload: LifecycleTaskPayload): boolean {
  const given = payload.data.callbackUriPath.replace(/^\/(v1\.0|beta)(?=\/)/i, '').replace(/\/microsoft\.graph\.identityGovernance\.resume$/i, '/resume');
  return given.toLowerCase() === resumePathOf(payload).toLowerCase();
}

/**
 * Which work a workflow's task runs: by the workflow ids the settings list, and only by them. A
 * `category` in the body is not a reason to act: any caller of the relay could write one.
 */
export function lifecycleKindOf(payload: LifecycleTaskPayload, settings: { joinerWorkflows: readonly string[]; leaverWorkflows: readonly string[] }): 'joiner' | 'leaver' | undefined {
  const id = payload.data.workflow.id.toLowerCase();
  if (settings.joinerWorkflows.some((w) => w.toLowerCase() === id)) return 'joiner';
  if (settings.leaverWorkflows.some((w) => w.toLowerCase() === id)) return 'leaver';
  return undefined;
}

/** The task processing result as Graph shows it in the workflow's runs in progress (undefined: none holds it). */
export interface ShownTaskResult {
  processingStatus: string;
  subjectId?: string;
  taskId?: string;
}

/**
 * Why Graph's view does not vouch for the callout, or undefined when it does: the result must be in
 * progress, for the subject the callout names, and of the task it names.
 */
export function unconfirmedBecause(payload: LifecycleTaskPayload, shown: ShownTaskResult | undefined): string | undefined {
  const { taskProcessingResult, workflow, subject, task } = payload.data;
  const where = `task processing result ${taskProcessingResult.id}`;
  if (!shown) return `${where} is not in progress in any run of workflow ${workflow.id}`;
  if (shown.processingStatus.toLowerCase() !== 'inprogress') return `${where} is not in progress (${shown.processingStatus})`;
  if (shown.subjectId?.toLowerCase() !== subject.id.toLowerCase()) return `${where} is not in progress for subject ${subject.id}`;
  if (shown.taskId !== undefined && shown.taskId.toLowerCase() !== task.id.toLowerCase()) return `${where} is not in progress for task ${task.id}`;
  return undefined;
}

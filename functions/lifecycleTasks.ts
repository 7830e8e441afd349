import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { authorize, mediaTypeOf, readBody } from '../shared/http/adminRequest';
import type { AppServices } from '../shared/app/composition';
import { lifecycleTaskSchema } from '../shared/domain/lifecycleTask';
import { httpFunction } from '../shared/app/hosting';
import { json, problem } from '../shared/http/problem';
import { services } from '../shared/app/runtime';
import { acceptLifecycleTask } from '../shared/workflows/lifecycleTasks';
import { validate } from '../shared/domain/validation';

/** A custom task callout is a few hundred bytes; this leaves room for long display names. */
const MAX_TASK_BYTES = 64 * 1024;

type Needs = Pick<AppServices, 'config' | 'clock' | 'adminAuth' | 'directory' | 'webhookDeliveries' | 'hrEvents' | 'lifecycle'>;

/**
 * POST /api/lifecycle/tasks: a Lifecycle Workflows custom task, forwarded by the Logic App with its
 * managed identity's Entra token (issuer and audience of the admin API, the Lifecycle.Tasks role,
 * and an object or client id listed in LIFECYCLE_ALLOWED_CALLERS). Only a workflow the settings list,
 * and only a result Graph shows in progress for that subject, queues joiner or leaver work on hr-events;
 * the worker resumes the task when it settles.
 */
export function lifecycleTasksHandler(getServices: () => Needs) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, 'Lifecycle.Tasks');
    if ('response' in auth) return auth.response;
    const { id, appId } = auth.principal;
    const allowed = app.config.lifecycle.allowedCallers.some((caller) => caller.toLowerCase() === id.toLowerCase() || caller.toLowerCase() === appId?.toLowerCase());
    if (!allowed) return problem(403, 'This caller is not listed in LIFECYCLE_ALLOWED_CALLERS');

    if (mediaTypeOf(request) !== 'application/json') return problem(415, 'Send the task as application/json');
    const body = await readBody(request, MAX_TASK_BYTES);
    if (!body) return problem(413, `The task is larger than ${MAX_TASK_BYTES / 1024} KB`);
    let input: unknown;
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch {
      return problem(400, 'The body is not valid JSON', { errors: [{ path: '', message: 'is not valid JSON' }] });
    }
    const parsed = validate(lifecycleTaskSchema, input);
    if (!parsed.ok) return problem(400, 'The task is not a Lifecycle Workflows custom task callout', { errors: parsed.errors });
    const task = parsed.value;
    const result = await acceptLifecycleTask(task, {
      directory: app.directory,
      deliveries: app.webhookDeliveries,
      hrEvents: app.hrEvents,
      lifecycle: app.lifecycle,
      clock: app.clock,
      settings: app.config.lifecycle,
    });
    const where = `lifecycle task ${task.data.taskProcessingResult.id} (workflow ${task.data.workflow.id}, ${task.data.subject.userPrincipalName})`;
    switch (result.kind) {
      case 'bad_callback':
        return problem(400, 'data.callbackUriPath does not name the resume action of this task processing result', { errors: [{ path: 'data.callbackUriPath', message: 'must be the resume path of data.workflow.id, data.task.id and data.taskProcessingResult.id' }] });
      case 'rejected':
        context.warn(`${where} failed: ${result.reason}; ${result.resumed === 'resumed' ? 'resumed as failed' : `not resumed: ${result.resumed.refused}`}`);
        return problem(422, result.reason);
      case 'unconfirmed':
        context.warn(`${where} refused: ${result.reason}`);
        return problem(422, `Lifecycle Workflows does not vouch for this task: ${result.reason}`);
      case 'duplicate':
        return json(200, { eventId: result.eventId, status: 'duplicate' });
      case 'queued':
        context.log(`${where}: ${result.work} work queued as ${result.eventId}`);
        return json(202, { eventId: result.eventId, status: 'queued', work: result.work });
    }
  };
}

httpFunction('lifecycleTasks', { route: 'lifecycle/tasks', methods: ['POST'], handler: lifecycleTasksHandler(services) });

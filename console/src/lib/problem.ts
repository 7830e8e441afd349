/** Turns an admin API error (RFC 9457 problem details) into one sentence for the page. */

interface ProblemBody {
  title?: unknown;
  detail?: unknown;
  errors?: unknown;
}

export function describeProblem(status: number, body: unknown): string {
  const problem = (body && typeof body === 'object' ? body : {}) as ProblemBody;
  const detail = typeof problem.detail === 'string' ? problem.detail : typeof problem.title === 'string' ? problem.title : undefined;
  const fields = Array.isArray(problem.errors)
    ? problem.errors
        .map((e: unknown) => {
          const { path, message } = (e && typeof e === 'object' ? e : {}) as { path?: unknown; message?: unknown };
          return `${typeof path === 'string' ? path : ''} ${typeof message === 'string' ? message : ''}`.trim();
        })
        .filter((text) => text !== '')
    : [];
  const base = detail ?? (status === 403 ? 'Your role does not allow this' : status === 401 ? 'Sign in again' : `The API answered ${status}`);
  return fields.length > 0 ? `${base}: ${fields.join('; ')}` : base;
}

import type { HttpResponseInit } from '@azure/functions';
import type { FieldError } from '../domain/validation';

export type { FieldError };

/** RFC 9457 problem details: the only shape of an error this app answers over HTTP. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * Members a problem may carry beyond the standard ones. `status` is always the HTTP status (RFC 9457
 * 3.1.3), so an extension can never name it, nor replace the type, title or detail: a state of
 * something else goes in a member of its own (`tokenStatus`).
 */
export type ProblemExtensions = { [member: string]: unknown } & { type?: never; title?: never; status?: never; detail?: never };

export function problem(status: number, detail?: string, extra: ProblemExtensions & { errors?: FieldError[] } = {}, headers: Record<string, string> = {}): HttpResponseInit {
  const body: ProblemDetails = {
    ...extra,
    type: 'about:blank',
    title: TITLES[status] ?? 'Error',
    status,
    ...(detail === undefined ? {} : { detail }),
  };
  return {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
    body: JSON.stringify(body),
  };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

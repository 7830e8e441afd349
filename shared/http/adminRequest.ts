import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { z } from 'zod';
import type { AdminAuthenticator, AdminPrincipal, AdminRole, AuditLog } from '../ports';
import { problem } from './problem';
import { validate } from '../domain/validation';

/**
 * The admin API's gate: a valid bearer token with the role (or one of the roles), or the 401/403 answer
 * to send. A 401 carries WWW-Authenticate as RFC 6750 asks.
 */
export async function authorize(request: HttpRequest, authenticator: AdminAuthenticator, role: AdminRole | readonly AdminRole[]): Promise<{ principal: AdminPrincipal } | { response: HttpResponseInit }> {
  const result = await authenticator.authenticate(request.headers.get('authorization'), role);
  if (result.ok) return { principal: result.principal };
  if (result.status === 401) return { response: problem(401, result.reason, {}, { 'www-authenticate': 'Bearer' }) };
  return { response: problem(403, result.reason, { requiredRole: role }) };
}

/** Tokens.PrivilegedAdmin may give tokens to directory role holders and protected accounts (as Entra's Privileged Authentication Administrator may). */
export const mayAssignPrivileged = (principal: AdminPrincipal): boolean => principal.roles.includes('Tokens.PrivilegedAdmin');

/**
 * How an admin appears as an actor (audit rows, a token's last change): the token's `oid`, which its
 * holder cannot choose. The name, tenant and client go in fields of their own (auditFor).
 */
export const actorOf = (principal: AdminPrincipal): string => `admin ${principal.id}`;

/**
 * The context an admin's action runs in: the actor as the audit keys it, and the caller's name for the
 * words a token's last change or a record's reason keeps (a name proves nothing, so it is never a key).
 */
export function actionContextOf(request: HttpRequest, principal: AdminPrincipal, invocationId: string): { actor: string; actorName?: string; correlationId: string } {
  const name = principal.name.trim().slice(0, 200);
  return { actor: actorOf(principal), ...(name && name !== 'unknown' ? { actorName: name } : {}), correlationId: correlationIdOf(request, invocationId) };
}

/** Our correlation id for the request: the invocation's, whatever the caller sent (see callerCorrelationIdOf). */
export const correlationIdOf = (_request: HttpRequest, invocationId: string): string => invocationId;

const CALLER_CORRELATION_HEADERS = ['x-correlation-id', 'x-request-id', 'x-ms-client-request-id'];

/** The correlation id the caller sent, when it is a short plain token; kept beside ours in the audit. */
export function callerCorrelationIdOf(request: HttpRequest): string | undefined {
  for (const header of CALLER_CORRELATION_HEADERS) {
    const given = request.headers.get(header);
    if (given !== null && given.length <= 128 && /^[\w.:-]+$/.test(given)) return given;
  }
  return undefined;
}

/**
 * The audit trail as one admin request writes it: every entry carries the caller's oid, tenant, client
 * application and name as separate fields, and the caller's own correlation id beside ours.
 */
export function auditFor(audit: AuditLog, request: HttpRequest, principal: AdminPrincipal): AuditLog {
  const callerCorrelationId = callerCorrelationIdOf(request);
  const caller = {
    oid: principal.id,
    ...(principal.tenantId ? { tenantId: principal.tenantId } : {}),
    ...(principal.appId ? { appId: principal.appId } : {}),
    name: principal.name,
  };
  return { record: (entry) => audit.record({ ...entry, caller, ...(callerCorrelationId ? { callerCorrelationId } : {}) }) };
}

/**
 * Reads a body of at most `limit` bytes; undefined when it is larger. The limit holds while the body is
 * read: a declared Content-Length over it is refused unread, and a chunked body is read from the
 * request's stream a chunk at a time and left unread from the chunk that crosses it (the host then
 * closes the connection), so no body is ever held whole before it is judged. Every route reads its
 * body here, never with request.arrayBuffer(), text() or json().
 */
export async function readBody(request: HttpRequest, limit: number): Promise<Buffer | undefined> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > limit) return undefined;
  const stream = request.body;
  if (!stream) return Buffer.alloc(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
      if (done || !value) break;
      size += value.byteLength;
      if (size > limit) return undefined;
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks, size);
}

/** The media type of the request without parameters, lower-cased. */
export const mediaTypeOf = (request: HttpRequest): string => (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/**
 * A JSON body of at most `limit` bytes, checked against `schema`: the value, or the problem to answer
 * (415, 413, 400). With `optional`, an empty body is read as `{}`. Validation errors say where the body
 * is wrong, never what it held.
 */
export async function readJsonBody<T>(request: HttpRequest, schema: z.ZodType<T>, options: { limit: number; optional?: boolean }): Promise<{ value: T } | { response: HttpResponseInit }> {
  const notJson = { response: problem(415, 'Send the request as application/json') };
  if (!options.optional && mediaTypeOf(request) !== 'application/json') return notJson;
  const raw = await readBody(request, options.limit);
  if (!raw) return { response: problem(413, `The request is larger than ${options.limit / 1024} KB`) };
  let input: unknown = {};
  if (raw.length > 0 || !options.optional) {
    if (mediaTypeOf(request) !== 'application/json') return notJson;
    try {
      input = JSON.parse(raw.toString('utf8'));
    } catch {
      return { response: problem(400, 'The body is not valid JSON') };
    }
  }
  const parsed = validate(schema, input);
  if (!parsed.ok) return { response: problem(400, 'The request is not valid', { errors: parsed.errors }) };
  return { value: parsed.value };
}

import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { AdminAuthenticator, AdminPrincipal, AdminRole } from './ports';
import { problem } from './problem';

/**
 * The admin API's gate: a valid bearer token with the role, or the 401/403 answer to send.
 * A 401 carries WWW-Authenticate as RFC 6750 asks.
 */
export async function authorize(request: HttpRequest, authenticator: AdminAuthenticator, role: AdminRole): Promise<{ principal: AdminPrincipal } | { response: HttpResponseInit }> {
  const result = await authenticator.authenticate(request.headers.get('authorization'), role);
  if (result.ok) return { principal: result.principal };
  if (result.status === 401) return { response: problem(401, result.reason, {}, { 'www-authenticate': 'Bearer' }) };
  return { response: problem(403, result.reason) };
}

/** "Ada Lovelace (oid)": how an admin appears in the audit trail. */
export const actorOf = (principal: AdminPrincipal): string => `${principal.name} (${principal.id})`;

/** The request's correlation id: the caller's x-request-id or x-ms-client-request-id, else the invocation's. */
export function correlationIdOf(request: HttpRequest, invocationId: string): string {
  const given = request.headers.get('x-request-id') ?? request.headers.get('x-ms-client-request-id');
  return given && /^[\w.:-]{1,128}$/.test(given) ? given : invocationId;
}

/** Reads a body of at most `limit` bytes; undefined when it is larger. */
export async function readBody(request: HttpRequest, limit: number): Promise<Buffer | undefined> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > limit) return undefined;
  const body = Buffer.from(await request.arrayBuffer());
  return body.length > limit ? undefined : body;
}

/** The media type of the request without parameters, lower-cased. */
export const mediaTypeOf = (request: HttpRequest): string => (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

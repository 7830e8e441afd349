import { EMPLOYEE_ID_PATTERN } from '../domain/hrEvent';
import { hasControlCharacters } from '../domain/text';
import { checkSerial, TOKEN_STATUSES, type TokenStatus } from '../domain/token';
import type { AuditQuery, TokenFilter } from '../ports';

/**
 * The filters of the inventory and audit lists, checked the same way for the lists and their CSV
 * exports. Each answers the filter, or the problem's errors.
 */

export type QueryErrors = { path: string; message: string }[];

/** Longer than any user principal name (113), Entra object id or employee id (64). */
const MAX_USER_LENGTH = 256;
/** Pools are import text fields, at most 64 characters. */
const MAX_POOL_LENGTH = 64;
const MAX_SINCE_LENGTH = 40;

/** A free-text filter value: bounded, no control characters (it becomes part of a Table query). */
const filterProblem = (value: string, max: number): string | undefined =>
  value.length > max ? `must be at most ${max} characters` : hasControlCharacters(value) ? 'must not hold control characters' : undefined;

/** status=&pool=&user= */
export function tokenFilterOf(query: URLSearchParams, errors: QueryErrors): TokenFilter {
  const status = query.get('status') ?? undefined;
  if (status !== undefined && !TOKEN_STATUSES.includes(status as TokenStatus)) errors.push({ path: 'status', message: `must be one of ${TOKEN_STATUSES.join(', ')}` });
  const pool = query.get('pool') ?? undefined;
  const poolProblem = pool === undefined ? undefined : filterProblem(pool, MAX_POOL_LENGTH);
  if (poolProblem) errors.push({ path: 'pool', message: poolProblem });
  const user = query.get('user') ?? undefined;
  const userProblem = user === undefined ? undefined : filterProblem(user, MAX_USER_LENGTH);
  if (userProblem) errors.push({ path: 'user', message: userProblem });
  return { ...(status ? { status: status as TokenStatus } : {}), ...(pool !== undefined ? { pool } : {}), ...(user ? { user } : {}) };
}

const ACTION_PATTERN = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+){0,4}$/i;

/** An ISO 8601 date or date-time as an ISO instant; a wrong one is added to `errors`. */
function instantOf(text: string | undefined, path: string, errors: QueryErrors): string | undefined {
  if (text === undefined) return undefined;
  const parsed = text.length <= MAX_SINCE_LENGTH ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(parsed)) {
    errors.push({ path, message: 'must be an ISO 8601 date or date-time' });
    return undefined;
  }
  return new Date(parsed).toISOString();
}

/** serial=&user=&action=&since=&until= (user is an employee id; action one action or a family of them). */
export function auditQueryOf(query: URLSearchParams, errors: QueryErrors): AuditQuery {
  const serial = query.get('serial') ?? undefined;
  const serialProblem = serial === undefined ? undefined : checkSerial(serial);
  if (serialProblem) errors.push({ path: 'serial', message: serialProblem });
  const user = query.get('user') ?? undefined;
  if (user !== undefined && !EMPLOYEE_ID_PATTERN.test(user)) errors.push({ path: 'user', message: 'must be an employee id: 1-64 characters of A-Z, a-z, 0-9, ".", "_" or "-"' });
  const since = instantOf(query.get('since') ?? undefined, 'since', errors);
  const until = instantOf(query.get('until') ?? undefined, 'until', errors);
  if (since !== undefined && until !== undefined && until <= since) errors.push({ path: 'until', message: 'must be later than since' });
  const action = query.get('action') ?? undefined;
  if (action !== undefined && !ACTION_PATTERN.test(action)) errors.push({ path: 'action', message: 'must be an action such as token.revoked.lost, or a family such as token.revoked' });
  return { ...(serial ? { serialNumber: serial } : {}), ...(user ? { employeeId: user } : {}), ...(since ? { since } : {}), ...(until ? { until } : {}), ...(action ? { action } : {}) };
}

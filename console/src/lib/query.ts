/** Admin API paths the console asks for, built from what the person typed. */

export type SearchField = 'serial' | 'user';

export interface TokenSearch {
  field: SearchField;
  text: string;
  status: string;
  pool: string;
  pageSize: number;
  continuationToken?: string;
}

/** A serial goes to GET /api/tokens/{serial}; a UPN or employee id, status and pool filter GET /api/tokens. */
export function tokenSearchPath(search: TokenSearch): { kind: 'one'; path: string } | { kind: 'page'; path: string } {
  const text = search.text.trim();
  if (search.field === 'serial' && text !== '') return { kind: 'one', path: `tokens/${encodeURIComponent(text)}` };
  const params = new URLSearchParams();
  if (search.field === 'user' && text !== '') params.set('user', text);
  if (search.status !== '') params.set('status', search.status);
  if (search.pool.trim() !== '') params.set('pool', search.pool.trim());
  params.set('pageSize', String(search.pageSize));
  if (search.continuationToken) params.set('continuationToken', search.continuationToken);
  return { kind: 'page', path: `tokens?${params.toString()}` };
}

export function auditPath(query: { serial?: string; user?: string; since?: string; continuationToken?: string }): string {
  const params = new URLSearchParams();
  for (const key of ['serial', 'user', 'since', 'continuationToken'] as const) {
    const value = query[key];
    if (value) params.set(key, value);
  }
  return `audit?${params.toString()}`;
}

export function provisioningPath(query: { status?: string; kind?: string; continuationToken?: string }): string {
  const params = new URLSearchParams({ pageSize: '200' });
  if (query.status) params.set('status', query.status);
  if (query.kind) params.set('kind', query.kind);
  if (query.continuationToken) params.set('continuationToken', query.continuationToken);
  return `provisioning?${params.toString()}`;
}

/** The person a token's actions address: the employee id when known, else the UPN. */
export function holderOf(token: { employeeId: string | null; userPrincipalName: string | null }): string | undefined {
  return token.employeeId ?? token.userPrincipalName ?? undefined;
}

/** What the signed-in person may do in the console. The API checks again: hiding a button proves nothing. */

export interface Abilities {
  /** Tokens.Read or Tokens.Admin: every page. */
  read: boolean;
  /** Tokens.Admin: imports, seeds, revoke, suspend, resume, retry, run reconciliation. */
  act: boolean;
  /** Tokens.PrivilegedAdmin: also approves a hire refused as privileged_account. */
  approve: boolean;
  /** Tokens.Desk (or Tokens.Admin): the pick list, shipping and the hand-over at the desk; a desk alone sees nothing else. */
  desk: boolean;
}

/** The `roles` claim of a token's claims, keeping only strings. */
export function rolesOf(claims: unknown): string[] {
  if (!claims || typeof claims !== 'object') return [];
  const roles = (claims as { roles?: unknown }).roles;
  return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [];
}

/** Tokens.PrivilegedAdmin covers Tokens.Admin, and Tokens.Admin covers reads and the desk's work, as the API's check does. */
export function abilitiesOf(roles: readonly string[]): Abilities {
  const act = roles.includes('Tokens.Admin') || roles.includes('Tokens.PrivilegedAdmin');
  return { act, read: act || roles.includes('Tokens.Read'), approve: roles.includes('Tokens.PrivilegedAdmin'), desk: act || roles.includes('Tokens.Desk') };
}

/** What the signed-in person may do in the console. The API checks again: hiding a button proves nothing. */

export interface Abilities {
  /** Tokens.Read or Tokens.Admin: every page. */
  read: boolean;
  /** Tokens.Admin: imports, seeds, revoke, suspend, resume, retry, run reconciliation. */
  act: boolean;
  /** Tokens.PrivilegedAdmin: also approves a hire refused as privileged_account. */
  approve: boolean;
  /** Tokens.Desk (or an admin): the pick list, shipping and hand-over. */
  desk: boolean;
}

/** The `roles` claim of a token's claims, keeping only strings. */
export function rolesOf(claims: unknown): string[] {
  if (!claims || typeof claims !== 'object') return [];
  const roles = (claims as { roles?: unknown }).roles;
  return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [];
}

/** Tokens.PrivilegedAdmin covers Tokens.Admin, Tokens.Admin covers reads and the desk; Tokens.Desk is the desk alone. */
export function abilitiesOf(roles: readonly string[]): Abilities {
  const act = roles.includes('Tokens.Admin') || roles.includes('Tokens.PrivilegedAdmin');
  return { act, read: act || roles.includes('Tokens.Read'), approve: roles.includes('Tokens.PrivilegedAdmin'), desk: act || roles.includes('Tokens.Desk') };
}

export interface PageEntry {
  path: string;
  label: string;
}

const PAGES: readonly (PageEntry & { needs: string; allowed: (can: Abilities) => boolean })[] = [
  { path: '', label: 'Overview', needs: 'Tokens.Read', allowed: (can) => can.read },
  { path: 'tokens', label: 'Tokens', needs: 'Tokens.Read', allowed: (can) => can.read },
  { path: 'people', label: 'People', needs: 'Tokens.Read', allowed: (can) => can.read },
  { path: 'desk', label: 'Desk', needs: 'Tokens.Desk or Tokens.Read', allowed: (can) => can.desk || can.read },
  { path: 'imports', label: 'Imports', needs: 'Tokens.Admin', allowed: (can) => can.act },
  { path: 'reconciliation', label: 'Reconciliation', needs: 'Tokens.Read', allowed: (can) => can.read },
];

/** Why a page the route names is not shown: the role it needs; undefined when it is allowed or no such page. */
export function refusedPage(can: Abilities, wanted: string): string | undefined {
  const page = PAGES.find((p) => p.path === wanted);
  return page && !page.allowed(can) ? `The ${page.label} page needs the ${page.needs} role, which your account does not have.` : undefined;
}

/** The pages in the navigation for these abilities: a desk-only person sees the Desk alone. */
export function pagesFor(can: Abilities): PageEntry[] {
  return PAGES.filter((p) => p.allowed(can)).map(({ path, label }) => ({ path, label }));
}

/** The page a route lands on: the first one allowed when the route names a page this person may not open. */
export function landingPage(can: Abilities, wanted: string): string | undefined {
  const pages = pagesFor(can);
  if (pages.some((p) => p.path === wanted)) return wanted;
  return pages[0]?.path;
}

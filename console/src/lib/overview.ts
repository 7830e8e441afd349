/** The numbers on the Overview page, from token and provisioning listings and the latest report. */

import { personLabel } from './labels';

export interface TokenLike {
  serialNumber: string;
  pool: string;
  status: string;
  registeredInEntra?: boolean;
}

export interface RecordLike {
  employeeId: string;
  userPrincipalName?: string | null;
  displayName?: string | null;
  kind: string;
  status: string;
  reason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PoolStock {
  pool: string;
  inStock: number;
  total: number;
  low: boolean;
}

/** Tokens in stock per pool ('' is the shared pool), against LOW_STOCK_THRESHOLD as reconciliation counts them. */
export function stockByPool(tokens: readonly TokenLike[], threshold: number): PoolStock[] {
  const pools = new Map<string, PoolStock>();
  for (const token of tokens) {
    const entry = pools.get(token.pool) ?? { pool: token.pool, inStock: 0, total: 0, low: false };
    entry.total++;
    if (token.status === 'in_stock' && token.registeredInEntra !== false) entry.inStock++;
    pools.set(token.pool, entry);
  }
  return [...pools.values()].map((p) => ({ ...p, low: p.inStock < threshold })).sort((a, b) => a.pool.localeCompare(b.pool));
}

export function countBy<T>(items: readonly T[], key: (item: T) => string): [string, number][] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => a[0].localeCompare(b[0]));
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Hires and leavers recorded in the last `days` days, by status. */
export function recentWork(records: readonly RecordLike[], now: Date, days = 30): { hires: [string, number][]; leavers: [string, number][] } {
  const since = now.getTime() - days * DAY_MS;
  const recent = records.filter((r) => Date.parse(r.createdAt) >= since);
  return {
    hires: countBy(recent.filter((r) => r.kind === 'joiner'), (r) => r.status),
    leavers: countBy(recent.filter((r) => r.kind === 'leaver'), (r) => r.status),
  };
}

export interface Attention {
  what: string;
  detail: string;
  link: string;
}

interface ReportLike {
  runId?: unknown;
  status?: unknown;
  items?: unknown;
}

/** Drift kinds a person must look at (the rest reconciliation repairs or only reports). */
const PERSON_KINDS = new Set(['held_after_termination', 'held_by_departed', 'assigned_elsewhere', 'activated_outside', 'seed_missing', 'stale_reservation', 'handover_overdue', 'import_incomplete']);

export interface AttentionSources {
  records: readonly RecordLike[];
  report: unknown;
  tokens: readonly (TokenLike & { displayName?: string | null; userPrincipalName?: string | null; employeeId?: string | null })[];
  stock: readonly PoolStock[];
}

const poolName = (pool: string): string => (pool === '' ? 'the shared pool' : `pool ${pool}`);

/**
 * Everything that needs a person: pools out of or low on stock, tokens waiting for their hand-over or
 * for their import to finish, failed hires, leavers not yet done, a held run and drift only a person can settle.
 */
export function needsAttention({ records, report, tokens, stock }: AttentionSources): Attention[] {
  const out: Attention[] = [];
  for (const p of stock) {
    if (p.inStock === 0) out.push({ what: `No token in stock in ${poolName(p.pool)}`, detail: 'A hire from this pool fails until tokens are imported', link: '#/imports' });
    else if (p.low) out.push({ what: `Low stock in ${poolName(p.pool)}: ${p.inStock} left`, detail: 'Below LOW_STOCK_THRESHOLD: order or import tokens', link: '#/imports' });
  }
  const waiting = tokens.filter((t) => t.status === 'awaiting_handover');
  for (const t of waiting) {
    out.push({ what: `Token ${t.serialNumber} waits for its hand-over to ${t.userPrincipalName || t.employeeId || t.displayName ? personLabel(t) : 'its holder'}`, detail: 'Hand it over at the desk with the code it shows', link: '#/desk' });
  }
  const importing = tokens.filter((t) => t.status === 'importing');
  if (importing.length > 0) out.push({ what: `${importing.length} token${importing.length === 1 ? '' : 's'} still importing`, detail: 'Send the same file again to finish the import', link: '#/tokens' });
  for (const r of records) {
    if (r.kind === 'joiner' && r.status === 'failed') out.push({ what: `Hire of ${personLabel(r)} failed`, detail: r.reason ?? '', link: '#/people' });
    if (r.kind === 'leaver' && (r.status === 'failed' || r.status === 'retrying')) out.push({ what: `Leaver ${personLabel(r)} still holds access (${r.status})`, detail: r.reason ?? '', link: '#/people' });
  }
  const rep = (report && typeof report === 'object' ? report : {}) as ReportLike;
  if (rep.status === 'held') out.push({ what: `Reconciliation run ${String(rep.runId)} is held`, detail: 'It would change more than RECONCILE_MAX_CHANGES: review and apply it', link: '#/reconciliation' });
  if (Array.isArray(rep.items)) {
    const listed = new Set(waiting.map((t) => t.serialNumber));
    for (const item of rep.items as { kind?: unknown; serialNumber?: unknown; detail?: unknown }[]) {
      if (typeof item.kind !== 'string' || !PERSON_KINDS.has(item.kind)) continue;
      const serial = typeof item.serialNumber === 'string' ? item.serialNumber : '';
      // A hand-over overdue or an import unfinished is already listed from the inventory itself.
      if ((item.kind === 'handover_overdue' && listed.has(serial)) || (item.kind === 'import_incomplete' && importing.length > 0)) continue;
      out.push({ what: `${item.kind.replace(/_/g, ' ')}${serial ? `: ${serial}` : ''}`, detail: typeof item.detail === 'string' ? item.detail : '', link: serial ? `#/tokens/${encodeURIComponent(serial)}` : '#/reconciliation' });
    }
  }
  return out;
}

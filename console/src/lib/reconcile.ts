/** The Reconciliation page's words and the following of a run to its report. */

export interface ReportCounts {
  tokensInInventory?: number;
  devicesInEntra?: number;
  seedsInVault?: number;
  consistent?: number;
  inFlight?: number;
}

export interface ReportSummaryInput {
  counts: ReportCounts;
  drift: Record<string, number>;
  repairsQueued?: number;
  repairsHeld?: number;
  status?: string;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * What a run counted, each number said with what it is: a token changed in the last minutes (or reserved
 * by a hire) is in flight and left for the next run, so it is neither consistent nor drift.
 */
export function reportSummary(report: ReportSummaryInput): string[] {
  const c = report.counts;
  const tokens = c.tokensInInventory ?? 0;
  const consistent = c.consistent ?? 0;
  const inFlight = c.inFlight ?? 0;
  const drifted = Object.entries(report.drift).filter(([kind, n]) => n > 0 && kind !== 'low_stock');
  const driftTotal = drifted.reduce((sum, [, n]) => sum + n, 0);
  const lines = [
    `${plural(tokens, 'token')} in the inventory: ${consistent} consistent with Entra and Key Vault, ${inFlight} in flight (reserved by a hire or changed in the last minutes; the next run checks them)${tokens - consistent - inFlight > 0 ? `, ${tokens - consistent - inFlight} with drift` : ''}.`,
    `${plural(c.devicesInEntra ?? 0, 'hardware token device')} in Entra, ${plural(c.seedsInVault ?? 0, 'seed')} in Key Vault.`,
    driftTotal === 0 ? 'No drift found.' : `${plural(driftTotal, 'finding')} of drift: ${drifted.map(([kind, n]) => `${n} ${kind.replace(/_/g, ' ')}`).join(', ')}.`,
  ];
  const low = report.drift.low_stock ?? 0;
  if (low > 0) lines.push(`${plural(low, 'pool')} below LOW_STOCK_THRESHOLD.`);
  if (report.status === 'held') lines.push(`${plural(report.repairsHeld ?? 0, 'repair')} held: more than RECONCILE_MAX_CHANGES; apply them after reading the items.`);
  else lines.push(`${plural(report.repairsQueued ?? 0, 'repair')} queued.`);
  return lines;
}

/** Who asked for a run, in words: the schedule, you, another admin by the name kept with the run, or the recorded actor. */
export function requesterLabel(run: { requestedBy: string; requestedByName?: string | null }, me: { oid?: string; name?: string }): string {
  if (run.requestedBy === 'schedule') return 'the schedule (RECONCILE_SCHEDULE)';
  if (me.oid && run.requestedBy === `admin ${me.oid}`) return `you${me.name ? ` (${me.name})` : ''}`;
  return run.requestedByName || run.requestedBy;
}

/** The object id in an admin actor ("admin <oid>"), for the ids a name keeps one click away. */
export const actorObjectId = (actor: string): string | undefined => (actor.startsWith('admin ') ? actor.slice('admin '.length) : undefined);

/** Words for the API's codes, and one date format (the browser's locale), so pages never show raw values. */

const TOKEN_STATUS: Record<string, string> = {
  importing: 'Importing',
  in_stock: 'In stock',
  reserved: 'Reserved for a hire',
  assigned: 'Assigned, not activated',
  awaiting_handover: 'Waiting for hand-over',
  active: 'Active',
  suspended: 'Suspended',
  revoked: 'Revoked, awaiting return',
  lost: 'Lost or stolen',
  retired: 'Retired',
  quarantined: 'Quarantined',
};

const WORK_STATUS: Record<string, string> = {
  queued: 'Queued',
  deferred: 'Waiting for the start date',
  waiting_for_user: 'Waiting for the person',
  in_progress: 'In progress',
  completed: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
  pending_revocation: 'Waiting for revocation',
  retrying: 'Retrying',
};

const SHIPPING: Record<string, string> = { pending: 'Not shipped', shipped: 'Shipped', delivered: 'Delivered' };

const WORK_KIND: Record<string, string> = { joiner: 'Hire', leaver: 'Leaver' };

const DRIFT: Record<string, string> = {
  unknown_in_entra: 'In Entra, not in the inventory',
  missing_in_entra: 'In the inventory, not in Entra',
  assigned_elsewhere: 'Assigned to someone else in Entra',
  unassigned_in_entra: 'Not assigned in Entra',
  activated_outside: 'Activated outside this system',
  status_mismatch: 'Status differs from Entra',
  failed_activation: 'Activation failed in Entra',
  seed_missing: 'Seed missing in Key Vault',
  orphan_seed: 'Seed without a token',
  stuck_saga: 'Hire or leaver stopped moving',
  low_stock: 'Low stock',
  handover_overdue: 'Hand-over overdue',
  held_after_termination: 'Held after termination',
  stale_reservation: 'Reservation left behind',
  import_incomplete: 'Import not finished',
};

const REPAIR: Record<string, string> = {
  retry_activation: 'Retry the activation',
  redrive: 'Send the work again',
  sync_status: 'Take the status from Entra',
  destroy_orphan_seed: 'Destroy the orphan seed',
  quarantine: 'Quarantine the token',
  revoke_leaver: "Revoke the leaver's token",
  release_reservation: 'Release the reservation',
};

const MODE: Record<string, string> = { report: 'Report only', safe: 'Safe repairs', all: 'All repairs' };

/** A readable word for a code; an unknown code is shown with its underscores as spaces, never hidden. */
const lookup = (table: Record<string, string>) => (code: string | null | undefined): string => {
  if (!code) return '';
  const known = table[code];
  if (known) return known;
  const words = code.replace(/[_.]+/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
};

export const tokenStatusLabel = lookup(TOKEN_STATUS);
export const workStatusLabel = lookup(WORK_STATUS);
export const shippingLabel = lookup(SHIPPING);
export const workKindLabel = lookup(WORK_KIND);
export const driftLabel = lookup(DRIFT);
export const repairLabel = lookup(REPAIR);
export const modeLabel = lookup(MODE);
export const TOKEN_STATUS_CODES = Object.keys(TOKEN_STATUS);

export type RevokeReason = 'lost' | 'stolen' | 'damaged' | 'returned' | 'offboarded' | 'unused';

/** What each revocation reason does, in one line (README: "What a revocation does, by reason"). */
export const REVOKE_REASONS: readonly { reason: RevokeReason; label: string; effect: string }[] = [
  { reason: 'returned', label: 'Returned', effect: 'The token is back at the desk: its seed is kept and it goes back to stock (a generated seed is destroyed and the token quarantined for re-seeding).' },
  { reason: 'offboarded', label: 'Leaving', effect: 'The person leaves: the token is taken off them in Entra, its seed is kept and it waits for its return.' },
  { reason: 'unused', label: 'Unused', effect: 'Nobody signed in with it for UNUSED_TOKEN_DAYS (90 days by default): it is taken off the person in Entra, its seed is kept and it waits for its return.' },
  { reason: 'damaged', label: 'Damaged', effect: 'The token is broken: it is deleted in Entra, its seed destroyed and the token retired.' },
  { reason: 'lost', label: 'Lost', effect: 'The token cannot be found: it is deleted in Entra and its seed destroyed for good.' },
  { reason: 'stolen', label: 'Stolen', effect: 'Someone else may have it: it is deleted in Entra and its seed destroyed for good.' },
];

/** The reasons that destroy the seed: the token can never be used again. */
export const isDestructiveReason = (reason: string): boolean => reason === 'lost' || reason === 'stolen' || reason === 'damaged';

/** One date format everywhere: the browser's locale, date and time to the minute. */
export function formatTime(iso: string | null | undefined, locale?: string, timeZone?: string): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', ...(timeZone ? { timeZone } : {}) }).format(date);
}

/**
 * A person as the console names them: their name and UPN; without a name (a token held before names were
 * kept), the UPN and the employee id; never an id alone when more is known. Every id is one click away (WithIds).
 */
export function personLabel(person: { displayName?: string | null; userPrincipalName?: string | null; employeeId?: string | null }): string {
  const employee = person.employeeId ? `employee ${person.employeeId}` : undefined;
  if (person.displayName) {
    const id = person.userPrincipalName || employee;
    return id ? `${person.displayName} (${id})` : person.displayName;
  }
  if (person.userPrincipalName) return employee ? `${person.userPrincipalName} (${employee})` : person.userPrincipalName;
  return employee ?? 'nobody';
}

/** The audit's Who: the caller's name kept with the entry, else the actor as recorded ("hr", "system", ...). */
export function actorLabel(entry: { actor: string; caller?: { name?: string | null; oid?: string } | null }): string {
  if (entry.caller?.name) return entry.caller.name;
  if (entry.actor === 'hr') return 'HR system';
  if (entry.actor === 'system' || entry.actor === 'schedule') return 'Scheduled run';
  return entry.actor;
}

import { z } from 'zod';
import { EMPLOYEE_ID_PATTERN, ENTRA_OBJECT_ID_PATTERN, instantOf, MAX_LEAVER_RETRY_SECONDS, MAX_QUEUE_DELAY_SECONDS, provisioningDueAt, type HrQueueMessage } from './hrEvent';
import { isHeld, isImporting, SERIAL_PATTERN, serialKey, type TokenRecord, type TokenStatus } from './token';

/**
 * Reconciliation's rules, pure: how a token's inventory row, its Entra device, its seed secret and
 * the provisioning records are compared, what each kind of drift is called (the names are part of
 * the report's contract), and which repair fits it. The workflow feeds it one item at a time.
 */

export type RepairMode = 'report' | 'safe' | 'all';
export const REPAIR_MODES: readonly RepairMode[] = ['report', 'safe', 'all'];

export const DRIFT_KINDS = [
  'unknown_in_entra',
  'missing_in_entra',
  'assigned_elsewhere',
  'unassigned_in_entra',
  'activated_outside',
  'status_mismatch',
  'failed_activation',
  'seed_missing',
  'orphan_seed',
  'stuck_saga',
  'low_stock',
  'handover_overdue',
  'held_after_termination',
  'held_by_departed',
  'stale_reservation',
  'import_incomplete',
  'held_outside_targets',
  'unused',
] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

export type RepairKind = 'retry_activation' | 'redrive' | 'sync_status' | 'destroy_orphan_seed' | 'quarantine' | 'revoke_leaver' | 'revoke_departed' | 'release_reservation' | 'take_back';

/** Repairs that never destroy anything (taking access away from a leaver, a departed account, or an account outside the allowed targets, is always safe): the default mode runs only these. */
const SAFE_REPAIRS: readonly RepairKind[] = ['retry_activation', 'redrive', 'sync_status', 'revoke_leaver', 'revoke_departed', 'release_reservation', 'take_back'];

/** Repairs that wait in the queue before their second look: a revoke or hire between two writes has finished by then. */
export const isDestructiveRepair = (kind: string): boolean => kind === 'quarantine' || kind === 'destroy_orphan_seed';

export function repairAllowed(repair: RepairKind, mode: RepairMode): boolean {
  if (mode === 'report') return false;
  return mode === 'all' || SAFE_REPAIRS.includes(repair);
}

export interface DriftFinding {
  kind: DriftKind;
  serialNumber?: string;
  employeeId?: string;
  secretName?: string;
  recordKind?: 'joiner' | 'leaver';
  /** The Entra account a held_by_departed finding is about, or the one a take_back repair takes the token from. */
  entraUserId?: string;
  detail: string;
  /** The repair that fits, if any; whether it runs depends on the mode. */
  repair?: RepairKind;
}

/** A token changed this recently may be between two writes of a hire or a revoke: left for the next run. */
export const RECENT_CHANGE_MS = 5 * 60_000;

/** Neither compared nor repaired: a hire holds it, or it changed a moment ago. */
export function inFlight(token: TokenRecord, now: Date, recentChangeMs: number): boolean {
  return token.status === 'reserved' || now.getTime() - instantOf(token.updatedAt).getTime() < recentChangeMs;
}

/** The Entra side of a device, as reconciliation reads it. */
export interface DeviceFacts {
  id: string;
  serialNumber: string;
  status: 'available' | 'assigned' | 'activated' | 'failedActivation';
  assignedTo?: { id: string };
  /** When a code from it last signed in: null when never, absent when Entra's answer does not carry it. */
  lastUsedDateTime?: string | null;
}

/** Entra's status an inventory status agrees with, for a token held by the same user. */
function entraAgrees(inventory: TokenStatus, entra: DeviceFacts['status']): boolean {
  if (inventory === 'active') return entra === 'activated';
  if (inventory === 'assigned' || inventory === 'awaiting_handover' || inventory === 'suspended') return entra === 'assigned';
  return false;
}

/** Tokens that may be handed out or are held: a missing seed or Entra record matters for them. */
const IN_SERVICE: readonly TokenStatus[] = ['in_stock', 'assigned', 'awaiting_handover', 'active', 'suspended', 'revoked'];
/** States reconciliation may quarantine from (the token lifecycle's legal transitions). */
const QUARANTINABLE: readonly TokenStatus[] = ['in_stock', 'assigned', 'awaiting_handover', 'active', 'suspended', 'revoked'];

const quarantineIfAllowed = (status: TokenStatus): { repair?: RepairKind } => (QUARANTINABLE.includes(status) ? { repair: 'quarantine' } : {});

/**
 * A row its import left unfinished (the import died, or answered 503 and was not sent again): never
 * stock, never repaired into stock here, since only the file has the seed Entra must get. Reported.
 */
function importIncomplete(token: TokenRecord, device: DeviceFacts | undefined): DriftFinding {
  const entra = device ? `Entra has device ${device.id} (${device.status}) but the row was not written back` : 'Entra has no device for it yet';
  return { kind: 'import_incomplete', serialNumber: token.serialNumber, detail: `still importing since ${token.updatedAt}: ${entra}; send the same file again to finish it` };
}

/**
 * Pass A: one Entra device against the inventory row of its serial (undefined when there is none).
 * 'in_flight' when the row must be left alone this run.
 */
export function classifyDevice(device: DeviceFacts, token: TokenRecord | undefined, now: Date, recentChangeMs = RECENT_CHANGE_MS): DriftFinding[] | 'in_flight' {
  const serialNumber = token?.serialNumber ?? device.serialNumber;
  if (!token) return [{ kind: 'unknown_in_entra', serialNumber, detail: `Entra has device ${device.id} (${device.status}) that the inventory does not know; left as it is (uploaded by hand?)` }];
  if (inFlight(token, now, recentChangeMs)) return 'in_flight';
  if (isImporting(token)) return [importIncomplete(token, device)];
  const holder = token.employeeId ? { employeeId: token.employeeId } : {};
  const entraHolder = device.assignedTo?.id;
  switch (token.status) {
    case 'quarantined':
      // Set aside for an admin, who reads why in lastChangeReason.
      return [];
    case 'lost':
    case 'retired':
      return [
        entraHolder
          ? { kind: 'activated_outside', serialNumber, ...holder, detail: `inventory says ${token.status}, but Entra has it ${device.status} for user ${entraHolder}` }
          : { kind: 'status_mismatch', serialNumber, ...holder, detail: `inventory says ${token.status}, but the device is still registered in Entra (${device.status})` },
      ];
    case 'in_stock':
    case 'revoked':
      if (entraHolder) {
        return [{ kind: 'activated_outside', serialNumber, ...holder, detail: `inventory says ${token.status}, but Entra has it ${device.status} for user ${entraHolder}`, ...quarantineIfAllowed(token.status) }];
      }
      if (token.entraDeviceId !== device.id) {
        return [{ kind: 'status_mismatch', serialNumber, detail: `registered in Entra as ${device.id}, but the inventory has ${token.entraDeviceId ?? 'no device id'}`, repair: 'sync_status' }];
      }
      return [];
    default:
      break;
  }
  // Held: assigned, active or suspended.
  if (!entraHolder) {
    return [{ kind: 'unassigned_in_entra', serialNumber, ...holder, detail: `inventory says ${token.status} for ${token.userPrincipalName ?? token.employeeId ?? 'its holder'}, but the device is ${device.status} in Entra`, ...quarantineIfAllowed(token.status) }];
  }
  if (entraHolder !== token.entraUserId) {
    return [
      {
        kind: 'assigned_elsewhere',
        serialNumber,
        ...holder,
        detail: `inventory holder is ${token.entraUserId ?? 'unknown'} (${token.userPrincipalName ?? token.employeeId ?? '?'}), Entra has user ${entraHolder}`,
        ...quarantineIfAllowed(token.status),
      },
    ];
  }
  if (device.status === 'failedActivation') {
    const retry = token.status === 'assigned' || token.status === 'active';
    return [{ kind: 'failed_activation', serialNumber, ...holder, detail: `Entra shows a failed activation for ${token.userPrincipalName ?? entraHolder}`, ...(retry ? { repair: 'retry_activation' as const } : {}) }];
  }
  if (!entraAgrees(token.status, device.status) || token.entraDeviceId !== device.id) {
    return [{ kind: 'status_mismatch', serialNumber, ...holder, detail: `inventory says ${token.status}, Entra says ${device.status}${token.entraDeviceId !== device.id ? ` (device id ${token.entraDeviceId ?? 'missing'} vs ${device.id})` : ''}`, repair: 'sync_status' }];
  }
  return [];
}

/**
 * What sync_status writes: the inventory follows Entra where only the inventory is behind (a crash
 * between Entra's change and the row's). Undefined when there is nothing such to write.
 */
export function syncedToken(token: TokenRecord, device: DeviceFacts, now: Date): TokenRecord | undefined {
  const findings = classifyDevice(device, token, now, 0);
  if (findings === 'in_flight' || !findings.some((f) => f.repair === 'sync_status')) return undefined;
  let status = token.status;
  if (isHeld(token.status) && device.assignedTo?.id === token.entraUserId) {
    if (device.status === 'activated') status = 'active';
    else if (device.status === 'assigned' && token.status === 'active') status = 'suspended';
  }
  return {
    ...token,
    status,
    ...(status === 'active' && token.status !== 'active' ? { activatedAt: now.toISOString() } : {}),
    entraDeviceId: device.id,
    updatedAt: now.toISOString(),
    lastChangeReason: `reconciled with Entra: ${token.status}${status === token.status ? '' : ` -> ${status}`} (Entra says ${device.status}, device ${device.id})`,
  };
}

/** Where an Entra account stands against the allowed targets, by the privileged set. */
export interface TargetStanding {
  /** Holds a directory role (active or eligible, directly or through a group) or is in a protected group. */
  privileged: boolean;
  /** An allowed group is set and the account is not in it. */
  outsideAllowedGroup: boolean;
}

/**
 * Pass A: a device of ours that Entra shows on an account outside the allowed targets (it became
 * privileged, or left the allowed group, after it got the token; or it got it inside the privileged
 * set's window). A privileged holder a Tokens.PrivilegedAdmin approved keeps it; nobody overrides the
 * allowed group. The repair asks Entra about the account again before it takes the token back.
 */
export function classifyHolderTarget(device: DeviceFacts, token: TokenRecord | undefined, standing: TargetStanding, now: Date, recentChangeMs = RECENT_CHANGE_MS): DriftFinding | undefined {
  const holder = device.assignedTo?.id;
  if (!holder || !token || inFlight(token, now, recentChangeMs)) return undefined;
  const approved = !!token.privilegedApprovedBy && token.entraUserId?.toLowerCase() === holder.toLowerCase();
  if (!standing.outsideAllowedGroup && (!standing.privileged || approved)) return undefined;
  const why = standing.outsideAllowedGroup ? 'is not in the allowed group' : 'holds a directory role or is in a protected group, with no Tokens.PrivilegedAdmin approval on the token';
  return {
    kind: 'held_outside_targets',
    serialNumber: token.serialNumber,
    ...(token.employeeId ? { employeeId: token.employeeId } : {}),
    entraUserId: holder,
    detail: `Entra has it ${device.status} for user ${holder}, who ${why}`,
    repair: 'take_back',
  };
}

/** Pass B: what the inventory row says against what passes A and C saw (Bloom filters: "true" may be wrong, "false" never is). */
export function classifyToken(token: TokenRecord, seen: { inEntra: boolean; seedInVault: boolean }, now: Date, recentChangeMs = RECENT_CHANGE_MS): DriftFinding[] | 'in_flight' {
  if (inFlight(token, now, recentChangeMs)) return 'in_flight';
  // With a device in Entra, pass A has reported it.
  if (isImporting(token)) return seen.inEntra ? [] : [importIncomplete(token, undefined)];
  if (!IN_SERVICE.includes(token.status)) return [];
  const findings: DriftFinding[] = [];
  const serialNumber = token.serialNumber;
  const holder = token.employeeId ? { employeeId: token.employeeId } : {};
  if (!seen.inEntra && (token.entraDeviceId || isHeld(token.status))) {
    findings.push({ kind: 'missing_in_entra', serialNumber, ...holder, detail: `inventory says ${token.status}${token.entraDeviceId ? ` with device ${token.entraDeviceId}` : ''}, but Entra has no device with this serial`, ...quarantineIfAllowed(token.status) });
  }
  if (!seen.seedInVault) {
    findings.push({ kind: 'seed_missing', serialNumber, ...holder, detail: `inventory says ${token.status}, but Key Vault has no secret ${token.seedSecretName}`, ...quarantineIfAllowed(token.status) });
  }
  return findings;
}

/** A token still waiting for its holder at the desk after `maxDays`: reported, never repaired (a person must act). */
export function classifyHandover(token: TokenRecord, now: Date, maxDays: number): DriftFinding | undefined {
  if (token.status !== 'awaiting_handover' || !token.handover) return undefined;
  const waitedMs = now.getTime() - instantOf(token.handover.since).getTime();
  if (waitedMs <= maxDays * 24 * 3600_000) return undefined;
  const shipping = token.handover.shipment ? `${token.handover.shipment.status}${token.handover.shipment.tracking ? ` (${token.handover.shipment.tracking})` : ''}` : 'not shipped';
  return {
    kind: 'handover_overdue',
    serialNumber: token.serialNumber,
    ...(token.employeeId ? { employeeId: token.employeeId } : {}),
    detail: `awaiting hand-over to ${token.userPrincipalName ?? token.employeeId ?? 'its holder'} at site ${token.handover.site || '(shared)'} since ${token.handover.since} (more than ${maxDays} days; ${shipping})`,
  };
}

const DAY_MS = 24 * 3600_000;

/** When an active token was activated for its holder; rows written before activatedAt existed give their last change. */
export const activatedAtOf = (token: TokenRecord): Date => instantOf(token.activatedAt ?? token.updatedAt);

/** An active, held token activated more than `days` ago: only such a token can be unused (pass B1 remembers them for pass A). */
export function mayBeUnused(token: TokenRecord, now: Date, days: number): boolean {
  return token.status === 'active' && !!token.entraUserId && now.getTime() - activatedAtOf(token).getTime() > days * DAY_MS;
}

/** A device whose last use Entra shows as older than `days`, or as never: its row is worth reading for pass A's `unused` check. */
export function usageStale(device: DeviceFacts, now: Date, days: number): boolean {
  if (device.status !== 'activated' || !device.assignedTo || device.lastUsedDateTime === undefined) return false;
  if (device.lastUsedDateTime === null) return true;
  const lastUsed = Date.parse(device.lastUsedDateTime);
  return !Number.isFinite(lastUsed) || now.getTime() - lastUsed > days * DAY_MS;
}

/**
 * Pass A: a token held and activated, that nobody has signed in with for `days` (or ever, `days`
 * after its activation). Judged only from what Entra shows: a device whose answer carries no
 * lastUsedDateTime is never called unused. Reported; an admin revokes it with the reason `unused`.
 */
export function classifyUsage(device: DeviceFacts, token: TokenRecord, now: Date, days: number): DriftFinding | undefined {
  if (token.status !== 'active' || !token.entraUserId || device.assignedTo?.id !== token.entraUserId) return undefined;
  if (!usageStale(device, now, days) || !mayBeUnused(token, now, days)) return undefined;
  const holder = token.userPrincipalName ?? token.employeeId ?? token.entraUserId;
  const since = device.lastUsedDateTime ? `last used ${device.lastUsedDateTime}` : 'never used';
  return {
    kind: 'unused',
    serialNumber: token.serialNumber,
    ...(token.employeeId ? { employeeId: token.employeeId } : {}),
    detail: `active for ${holder} since ${activatedAtOf(token).toISOString()}, ${since}: no sign-in with it for more than ${days} days (revoke with reason unused, and collect it)`,
  };
}

/** Stock a hire can take: registered in Entra and free. */
export const countsAsStock = (token: TokenRecord, inEntra: boolean): boolean => token.status === 'in_stock' && !!token.entraDeviceId && inEntra;

/** A seed's token needs it until the token is gone for good. */
export const keepsSeed = (status: TokenStatus): boolean => status !== 'lost' && status !== 'retired';

const SEED_NAME = /^seed-([A-Za-z0-9-]+?)(?:--v(\d+))?$/;

/** The serial a seed secret's name belongs to (seed-SERIAL or seed-SERIAL--vN), or undefined for any other secret. */
export function serialOfSeedName(name: string): string | undefined {
  const match = SEED_NAME.exec(name);
  const serial = match?.[1];
  return serial && SERIAL_PATTERN.test(serial) ? serial : undefined;
}

export interface SecretFacts {
  name: string;
  /** Tagged managedBy entra-oath-tokens: only such secrets are ever destroyed. */
  managedByUs: boolean;
  updatedOn?: Date;
}

/**
 * Pass C: one secret. `liveSeedName` says whether some token that still needs its seed names it
 * (from a Bloom filter: a rare false "yes" hides an orphan for this run). A token's row is always
 * written before its seed, so only a secret written after `scanStartedAt` can belong to a row the
 * scan did not see yet. Undefined when consistent or not a seed at all.
 */
export function classifySecret(secret: SecretFacts, liveSeedName: boolean, scanStartedAt: Date): DriftFinding | undefined {
  const serialNumber = serialOfSeedName(secret.name);
  if (!serialNumber || liveSeedName) return undefined;
  if (secret.updatedOn && secret.updatedOn.getTime() >= scanStartedAt.getTime()) return undefined;
  return {
    kind: 'orphan_seed',
    serialNumber: serialKey(serialNumber),
    secretName: secret.name,
    detail: `Key Vault holds ${secret.name}, but no token in the inventory needs it (gone, lost, retired or re-seeded)${secret.managedByUs ? '' : '; not tagged as ours, so never destroyed'}`,
    ...(secret.managedByUs ? { repair: 'destroy_orphan_seed' as const } : {}),
  };
}

/** Whether the seed secret `name` is still needed by the token row read for its serial. */
export function seedStillNeeded(name: string, token: TokenRecord | undefined): boolean {
  return !!token && keepsSeed(token.status) && token.seedSecretName === name;
}

export interface RecordFacts {
  employeeId: string;
  kind: 'joiner' | 'leaver';
  status: string;
  updatedAt: string;
  hireDate?: string;
  terminationDate?: string;
  serialNumber?: string;
  entraUserId?: string;
}

/**
 * The termination date of someone who has left: it has passed, and no rehire (a hire dated after it)
 * came since. Undefined for everyone else.
 */
export function terminationPassed(records: readonly RecordFacts[], now: Date): string | undefined {
  const leaver = records.find((r) => r.kind === 'leaver');
  const joiner = records.find((r) => r.kind === 'joiner');
  if (!leaver?.terminationDate || instantOf(leaver.terminationDate) > now) return undefined;
  if (joiner?.hireDate && instantOf(joiner.hireDate) > instantOf(leaver.terminationDate)) return undefined;
  return leaver.terminationDate;
}

/** The Entra user ids the records know for the person. */
export const entraUsersOf = (records: readonly RecordFacts[]): string[] => [...new Set(records.map((r) => r.entraUserId).filter((id): id is string => !!id))];

/** A token still on a leaver's account in Entra: the access is taken away (safe in every mode but report). */
export function heldAfterTermination(serialNumber: string, employeeId: string, entraUserId: string, terminationDate: string, deviceStatus: string): DriftFinding {
  return {
    kind: 'held_after_termination',
    serialNumber,
    employeeId,
    detail: `Entra has it ${deviceStatus} for user ${entraUserId}, whose termination date ${terminationDate} has passed`,
    repair: 'revoke_leaver',
  };
}

/**
 * A token on an account that is gone (deleted, or disabled past its hire date), or a row that still has
 * it held there: the access is taken away and the row settled (safe in every mode but report).
 */
export function heldByDeparted(serialNumber: string, entraUserId: string, why: 'deleted' | 'disabled', entra: string, token: TokenRecord | undefined): DriftFinding {
  return {
    kind: 'held_by_departed',
    serialNumber,
    entraUserId,
    ...(token?.employeeId ? { employeeId: token.employeeId } : {}),
    detail: `${entra}; user ${entraUserId}${token?.userPrincipalName ? ` (${token.userPrincipalName})` : ''} is ${why} in Entra`,
    repair: 'revoke_departed',
  };
}

const HIRE_OVER = ['completed', 'failed', 'cancelled'];

/**
 * Pass B: a reserved token nobody is handing out any more: its hire is over (or gone), or it has been
 * reserved longer than `stuckMinutes`. Undefined while a hire may still be using it.
 */
export function classifyReservation(token: TokenRecord, joiner: RecordFacts | undefined, now: Date, stuckMinutes: number, recentChangeMs = RECENT_CHANGE_MS): DriftFinding | undefined {
  if (token.status !== 'reserved') return undefined;
  const age = now.getTime() - instantOf(token.updatedAt).getTime();
  if (age < recentChangeMs) return undefined;
  const hireOver = !joiner || HIRE_OVER.includes(joiner.status);
  if (!hireOver && age < stuckMinutes * 60_000) return undefined;
  const why = !joiner ? 'no hire is recorded for it' : hireOver ? `the hire of ${joiner.employeeId} is ${joiner.status}` : `reserved since ${token.updatedAt}, longer than ${stuckMinutes} minutes`;
  return {
    kind: 'stale_reservation',
    serialNumber: token.serialNumber,
    ...(token.employeeId ? { employeeId: token.employeeId } : {}),
    detail: `reserved${token.employeeId ? ` for ${token.employeeId}` : ''}, but ${why}`,
    repair: 'release_reservation',
  };
}

const SETTLED = ['completed', 'failed', 'cancelled'];
const HOUR_MS = 3600_000;

/**
 * When a saga in this status should next have moved, if all is well: at once when running, within an
 * hour when waiting for the user's account, on its due date (at most the queue's 7 days) when deferred.
 */
export function nextProgressDue(record: RecordFacts, provisionLeadDays: number): Date | undefined {
  const updated = instantOf(record.updatedAt).getTime();
  // A leaver fails closed: one that failed (before leavers retried for ever) is due again at once.
  if (record.kind === 'leaver' && record.status === 'failed') return new Date(updated);
  if (SETTLED.includes(record.status)) return undefined;
  const longestDelay = updated + MAX_QUEUE_DELAY_SECONDS * 1000;
  switch (record.status) {
    case 'waiting_for_user':
      return new Date(updated + HOUR_MS);
    case 'deferred': {
      const due = provisioningDueAt(record.hireDate, provisionLeadDays)?.getTime() ?? longestDelay;
      return new Date(Math.min(longestDelay, Math.max(updated, due)));
    }
    case 'retrying':
      return new Date(updated + MAX_LEAVER_RETRY_SECONDS * 1000);
    case 'pending_revocation': {
      const due = record.terminationDate ? instantOf(record.terminationDate).getTime() : longestDelay;
      return new Date(Math.min(longestDelay, Math.max(updated, due)));
    }
    default:
      return new Date(updated);
  }
}

/** Pass D: a joiner or leaver that has not moved for `stuckMinutes` past when it should have; a failed leaver at once. */
export function classifyRecord(record: RecordFacts, now: Date, settings: { stuckMinutes: number; provisionLeadDays: number }): DriftFinding | undefined {
  const due = nextProgressDue(record, settings.provisionLeadDays);
  const failedLeaver = record.kind === 'leaver' && record.status === 'failed';
  if (!due || (!failedLeaver && now.getTime() - due.getTime() < settings.stuckMinutes * 60_000)) return undefined;
  return {
    kind: 'stuck_saga',
    employeeId: record.employeeId,
    recordKind: record.kind,
    detail: `${record.kind} of ${record.employeeId} is ${record.status} and has not moved since ${record.updatedAt}`,
    repair: 'redrive',
  };
}

/** The hr-events message that re-drives a stuck saga: its last event again (the saga is idempotent). */
export function redriveMessage(record: RecordFacts & { eventIds: string[]; userPrincipalName?: string; location?: string; createdAt: string }): HrQueueMessage | undefined {
  const eventId = record.eventIds[record.eventIds.length - 1];
  if (!eventId) return undefined;
  if (record.kind === 'leaver' && !record.terminationDate) return undefined;
  return {
    eventId,
    type: record.kind === 'joiner' ? 'employee.hired' : 'employee.terminated',
    employeeId: record.employeeId,
    ...(record.userPrincipalName ? { userPrincipalName: record.userPrincipalName } : {}),
    ...(record.kind === 'joiner' && record.hireDate ? { hireDate: record.hireDate } : {}),
    ...(record.kind === 'joiner' && record.location ? { location: record.location } : {}),
    ...(record.kind === 'leaver' && record.terminationDate ? { terminationDate: record.terminationDate } : {}),
    firstSeenAt: record.createdAt,
  };
}

export interface LowStock {
  pool: string;
  /** Free, registered and within its service life. */
  available: number;
  threshold: number;
  /** Free and registered, but past its service life (not counted in available). */
  pastLife?: number;
}

/** Pools whose free, registered tokens are below the threshold ('' is the shared pool). */
export function lowStockOf(availableByPool: ReadonlyMap<string, number>, threshold: number): LowStock[] {
  return [...availableByPool.entries()]
    .filter(([, available]) => available < threshold)
    .map(([pool, available]) => ({ pool, available, threshold }))
    .sort((a, b) => a.pool.localeCompare(b.pool));
}

/** Work items on the reconcile-work queue: a run, or one repair found by a run. No seeds, ever. */
const runId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const serial = z.string().regex(SERIAL_PATTERN).max(64);
export const reconcileMessageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('run'), runId, requestedBy: z.string().max(300), requestedByName: z.string().max(200).optional(), mode: z.enum(['report', 'safe', 'all']) }),
  z.object({ kind: z.literal('retry_activation'), runId, serialNumber: serial }),
  z.object({ kind: z.literal('redrive'), runId, employeeId: z.string().regex(EMPLOYEE_ID_PATTERN), recordKind: z.enum(['joiner', 'leaver']) }),
  z.object({ kind: z.literal('sync_status'), runId, serialNumber: serial }),
  z.object({ kind: z.literal('destroy_orphan_seed'), runId, secretName: z.string().regex(/^[0-9a-zA-Z-]{1,127}$/) }),
  z.object({ kind: z.literal('quarantine'), runId, serialNumber: serial, reason: z.enum(DRIFT_KINDS) }),
  z.object({ kind: z.literal('revoke_leaver'), runId, serialNumber: serial, employeeId: z.string().regex(EMPLOYEE_ID_PATTERN) }),
  z.object({ kind: z.literal('revoke_departed'), runId, serialNumber: serial, entraUserId: z.string().regex(ENTRA_OBJECT_ID_PATTERN) }),
  z.object({ kind: z.literal('release_reservation'), runId, serialNumber: serial }),
  z.object({ kind: z.literal('take_back'), runId, serialNumber: serial, entraUserId: z.string().regex(/^[0-9a-fA-F-]{1,64}$/) }),
  z.object({ kind: z.literal('apply'), runId, requestedBy: z.string().max(300) }),
]);
export type ReconcileMessage = z.infer<typeof reconcileMessageSchema>;
export type RepairMessage = Exclude<ReconcileMessage, { kind: 'run' } | { kind: 'apply' }>;

/** The message for a finding's repair, or undefined when the finding carries too little to act on. */
export function repairMessageOf(finding: DriftFinding, runIdValue: string): RepairMessage | undefined {
  switch (finding.repair) {
    case 'retry_activation':
    case 'sync_status':
    case 'release_reservation':
      return finding.serialNumber ? { kind: finding.repair, runId: runIdValue, serialNumber: finding.serialNumber } : undefined;
    case 'quarantine':
      return finding.serialNumber ? { kind: 'quarantine', runId: runIdValue, serialNumber: finding.serialNumber, reason: finding.kind } : undefined;
    case 'destroy_orphan_seed':
      return finding.secretName ? { kind: 'destroy_orphan_seed', runId: runIdValue, secretName: finding.secretName } : undefined;
    case 'revoke_leaver':
      return finding.serialNumber && finding.employeeId ? { kind: 'revoke_leaver', runId: runIdValue, serialNumber: finding.serialNumber, employeeId: finding.employeeId } : undefined;
    case 'revoke_departed':
      return finding.serialNumber && finding.entraUserId && ENTRA_OBJECT_ID_PATTERN.test(finding.entraUserId)
        ? { kind: 'revoke_departed', runId: runIdValue, serialNumber: finding.serialNumber, entraUserId: finding.entraUserId }
        : undefined;
    case 'take_back':
      return finding.serialNumber && finding.entraUserId ? { kind: 'take_back', runId: runIdValue, serialNumber: finding.serialNumber, entraUserId: finding.entraUserId } : undefined;
    case 'redrive':
      return finding.employeeId && finding.recordKind ? { kind: 'redrive', runId: runIdValue, employeeId: finding.employeeId, recordKind: finding.recordKind } : undefined;
    default:
      return undefined;
  }
}

export interface ReportItem {
  kind: DriftKind;
  serialNumber?: string;
  employeeId?: string;
  secretName?: string;
  detail: string;
  /** held: the run changed more than RECONCILE_MAX_CHANGES, so its repairs wait for an admin's apply. */
  repair: 'queued' | 'none' | 'report_only' | 'held';
}

/** completed: repairs queued; held: too many changes, none queued until an admin applies them; applied: an admin did. */
export type ReportStatus = 'completed' | 'held' | 'applied';

export interface ReconcileReport {
  runId: string;
  status: ReportStatus;
  mode: RepairMode;
  requestedBy: string;
  /** The admin's name when an admin asked for the run, for reading (requestedBy is the key). */
  requestedByName?: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  counts: { tokensInInventory: number; devicesInEntra: number; seedsInVault: number; consistent: number; inFlight: number };
  drift: Record<DriftKind, number>;
  items: ReportItem[];
  itemsTruncated: boolean;
  lowStock: LowStock[];
  repairsQueued: number;
  /** Repairs the run found (queued, or held when more than maxChanges). */
  changes: number;
  maxChanges: number;
  repairsHeld: number;
  /** by: the actor as the audit keys it; name: the admin's name, for reading. */
  applied?: { by: string; name?: string; at: string };
  graphPages: number;
  webhookDeliveriesPurged: number;
  /** Whether Entra showed a last use for any device: without one, never-used tokens are not reported `unused`. */
  lastUseShown?: boolean;
}

export const emptyDriftCounts = (): Record<DriftKind, number> => Object.fromEntries(DRIFT_KINDS.map((kind) => [kind, 0])) as Record<DriftKind, number>;

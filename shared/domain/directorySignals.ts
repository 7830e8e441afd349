import { z } from 'zod';
import { EMPLOYEE_ID_PATTERN, type HrQueueMessage } from './hrEvent';

/**
 * Joiners and leavers read from Entra itself (directory sync): what one user's current attributes say
 * is due now. Pure. Event ids are deterministic per user and change, so a replayed delta page, a
 * redelivered run or two runs at once never queue one change twice.
 */

export interface KnownUser {
  userId: string;
  employeeId?: string;
  userPrincipalName?: string;
  userType?: string;
  accountEnabled?: boolean;
  hireDate?: string;
  leaveDateTime?: string;
  location?: string;
  disabledSince?: string;
  disabledNotified?: boolean;
}

export interface SignalSettings {
  provisionLeadDays: number;
  disableGraceHours: number;
}

/** What is due for one user now, and whether anything is still ahead (so the user must be watched). */
export interface UserSignals {
  hire?: Omit<HrQueueMessage, 'firstSeenAt'>;
  leave?: Omit<HrQueueMessage, 'firstSeenAt'> & { disabled: boolean };
  /** A hire, leave or disabled grace that is not due yet, or a hire window still open. */
  pending: boolean;
  /** Why nothing can be queued for this user, if so. */
  skipped?: string;
}

const DAY_MS = 86_400_000;
/** A hire date this far in the past still counts as a new hire (a sync that was off over a weekend). */
export const HIRE_LOOKBACK_DAYS = 7;

/** Pools are short site codes (the webhook's `location` rule); anything else falls back to any pool. */
const SITE_CODE = /^[A-Za-z0-9_-]{1,16}$/;

const stamp = (iso: string): string => new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');
const instant = (iso: string | undefined): number | undefined => {
  if (iso === undefined) return undefined;
  const time = Date.parse(iso);
  return Number.isNaN(time) ? undefined : time;
};

/** The key the joiner/leaver records use: Entra's employeeId, or the object id where HR sets none. */
export function employeeKeyOf(user: Pick<KnownUser, 'userId' | 'employeeId'>): string | undefined {
  if (user.employeeId === undefined || user.employeeId.trim() === '') return user.userId;
  const trimmed = user.employeeId.trim();
  return EMPLOYEE_ID_PATTERN.test(trimmed) ? trimmed : undefined;
}

/**
 * The termination a deleted account that holds tokens raises, with its object id (the leaver starts from
 * the account): under each employeeId its held rows carry, else the one Entra knew, else the object id.
 * One event id per account, so whichever of directory sync and reconciliation sees the deletion first
 * raises it, and the other finds it claimed.
 */
export function deletedAccountTerminations(userId: string, heldEmployeeIds: readonly (string | undefined)[], knownEmployeeId: string | undefined, nowIso: string): Omit<HrQueueMessage, 'firstSeenAt'>[] {
  const known = new Set(heldEmployeeIds.filter((id): id is string => id !== undefined && EMPLOYEE_ID_PATTERN.test(id)));
  const keys = known.size > 0 ? known : new Set([employeeKeyOf({ userId, ...(knownEmployeeId ? { employeeId: knownEmployeeId } : {}) }) ?? userId]);
  return [...keys].map((employeeId) => ({ eventId: `entra-removed:${userId}`, type: 'employee.terminated' as const, employeeId, entraUserId: userId, terminationDate: nowIso }));
}

export function signalsFor(user: KnownUser, now: Date, settings: SignalSettings): UserSignals {
  if (user.userType?.toLowerCase() === 'guest') return { pending: false, skipped: 'guest account' };
  const employeeId = employeeKeyOf(user);
  if (!employeeId) return { pending: false, skipped: `employeeId "${user.employeeId ?? ''}" is not usable as a key (1-64 of A-Z, a-z, 0-9, ".", "_", "-")` };
  const nowMs = now.getTime();
  const who = { employeeId, ...(user.userPrincipalName ? { userPrincipalName: user.userPrincipalName } : {}) };
  const result: UserSignals = { pending: false };

  const hireAt = instant(user.hireDate);
  const leaveAt = instant(user.leaveDateTime);
  if (leaveAt !== undefined && user.leaveDateTime) {
    if (leaveAt <= nowMs) {
      result.leave = { ...who, entraUserId: user.userId, eventId: `entra-leave:${user.userId}:${stamp(user.leaveDateTime)}`, type: 'employee.terminated', terminationDate: stamp(user.leaveDateTime), disabled: false };
    } else result.pending = true;
  }

  // A disabled account counts as gone after the grace, but not before its hire date: pre-hire accounts often wait disabled.
  if (user.accountEnabled === false && user.disabledSince && !result.leave) {
    const since = Math.max(instant(user.disabledSince) ?? nowMs, hireAt ?? 0);
    const dueAt = since + settings.disableGraceHours * 3_600_000;
    if (dueAt <= nowMs) {
      if (!user.disabledNotified) {
        const due = new Date(dueAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
        result.leave = { ...who, entraUserId: user.userId, eventId: `entra-disabled:${user.userId}:${stamp(user.disabledSince)}`, type: 'employee.terminated', terminationDate: due, disabled: true };
      }
    }
    // Watched while disabled, so re-enabling and disabling again is told apart from staying disabled.
    result.pending = true;
  }

  if (hireAt !== undefined && user.hireDate && !(result.leave && (leaveAt === undefined || leaveAt >= hireAt))) {
    const opensAt = hireAt - settings.provisionLeadDays * DAY_MS;
    const closesAt = hireAt + HIRE_LOOKBACK_DAYS * DAY_MS;
    if (nowMs < opensAt) result.pending = true;
    else if (nowMs <= closesAt) {
      const location = user.location?.trim();
      result.hire = {
        ...who,
        eventId: `entra-hire:${user.userId}:${stamp(user.hireDate)}`,
        type: 'employee.hired',
        hireDate: stamp(user.hireDate),
        ...(location && SITE_CODE.test(location) ? { location } : {}),
      };
    }
  }
  return result;
}

/** Until when a hire stays worth re-checking (group membership may come later). */
export function hireWindowOpen(user: KnownUser, now: Date): boolean {
  const hireAt = instant(user.hireDate);
  return hireAt !== undefined && now.getTime() <= hireAt + HIRE_LOOKBACK_DAYS * DAY_MS;
}

/** What the directory-sync timer puts on its queue: one run, read by the users-delta worker. */
export const directorySyncMessageSchema = z.object({ kind: z.literal('sync'), requestedAt: z.string(), requestedBy: z.string().max(300) });
export type DirectorySyncMessage = z.infer<typeof directorySyncMessageSchema>;

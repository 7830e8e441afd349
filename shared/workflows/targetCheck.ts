import { instantOf } from '../domain/hrEvent';
import type { Clock, Directory, EntraUser, PrincipalDirectory, PrivilegedDirectory, PrivilegedSet, ProvisioningRecord, ProvisioningStore, RoleHolding } from '../ports';
import { roleLabel } from '../domain/directoryRoles';

/**
 * Who may receive a token. The app's Graph permission can give any member account a sign-in method,
 * which Entra itself reserves, for administrators, to a Privileged Authentication Administrator. So
 * every path that assigns a token (an import with a upn, a hire, a replacement, a reconcile repair)
 * asks this check first, with Entra's answer of the moment:
 * - a holder of any directory role, active or eligible, at any scope (directly or through a
 *   role-assignable group), or a transitive member of a protected group, is `privileged_account`,
 *   unless the caller holds Tokens.PrivilegedAdmin;
 * - with an allowed group set, anyone outside it is `not_in_allowed_group` (nobody overrides this);
 * - guests never get a token.
 */

export type TargetRefusal = 'privileged_account' | 'not_in_allowed_group' | 'guest_account' | 'employee_id_mismatch' | 'ambiguous_employee_id';

export interface TargetPolicy {
  /** Groups whose transitive members are treated like role holders (break-glass accounts, admins). */
  protectedGroupIds: readonly string[];
  /** When set, only its transitive members may receive tokens. */
  allowedGroupId?: string;
}

export type TargetVerdict =
  | { ok: true; /** Passed only because the caller may assign to privileged accounts; audit it. */ privileged: boolean; detail?: string }
  | { ok: false; refusal: TargetRefusal; detail: string };

export interface TargetCheckOptions {
  /** The caller holds Tokens.PrivilegedAdmin (or approved this hire). */
  privilegedAllowed: boolean;
  /** Ask Entra about this account now rather than judge it by the shared privileged set (cachedTargetCheck). */
  fresh?: boolean;
}

export interface TargetCheck {
  check(user: EntraUser, options: TargetCheckOptions): Promise<TargetVerdict>;
}

const describeRoles = (holdings: RoleHolding[]): string =>
  [...new Set(holdings.map((h) => `${h.kind} role ${roleLabel(h.roleDefinitionId)}${h.directoryScopeId && h.directoryScopeId !== '/' ? ` at ${h.directoryScopeId}` : ''}`))].slice(0, 5).join(', ');

export function targetCheck(principals: PrincipalDirectory, policy: TargetPolicy): TargetCheck {
  const protectedIds = new Set(policy.protectedGroupIds.map((id) => id.toLowerCase()));
  const allowedId = policy.allowedGroupId?.toLowerCase();

  return {
    async check(user, { privilegedAllowed }) {
      const who = user.userPrincipalName || user.id;
      if (user.userType?.toLowerCase() === 'guest') return { ok: false, refusal: 'guest_account', detail: `${who} is a guest account; hardware tokens are for members only` };
      const groups = await principals.groupsOf(user.id);
      if (allowedId && !groups.some((g) => g.id.toLowerCase() === allowedId)) {
        return { ok: false, refusal: 'not_in_allowed_group', detail: `${who} is not a member of the allowed group ${policy.allowedGroupId}` };
      }
      const inProtected = groups.filter((g) => protectedIds.has(g.id.toLowerCase()));
      // Roles given to a role-assignable group count for its members.
      const principalsToAsk = [user.id, ...groups.filter((g) => g.isAssignableToRole).map((g) => g.id)];
      const roles = (await Promise.all(principalsToAsk.map((id) => principals.rolesOf(id)))).flat();
      if (inProtected.length === 0 && roles.length === 0) return { ok: true, privileged: false };

      const reasons = [
        ...(roles.length > 0 ? [`holds ${describeRoles(roles)}`] : []),
        ...(inProtected.length > 0 ? [`is in protected group ${inProtected.map((g) => g.displayName ?? g.id).join(', ')}`] : []),
      ].join(' and ');
      if (privilegedAllowed) return { ok: true, privileged: true, detail: `${who} ${reasons}; allowed by Tokens.PrivilegedAdmin` };
      return { ok: false, refusal: 'privileged_account', detail: `${who} ${reasons}; only a Tokens.PrivilegedAdmin may give it a token` };
    },
  };
}

/**
 * The target check at a few Graph requests a minute instead of three per account: the privileged set
 * (privileged accounts and the allowed group's members, read in bulk) is kept at most `maxAgeMs` old,
 * counted from when its read began, and shared by every check of this process (one read at a time).
 * An account the set shows as an ordinary member of the allowed targets passes with no request. Any
 * other answer, and every check asked `fresh`, is the per-account check of the moment: a refusal is
 * always Entra's current word, never the set's. What the set cannot see (an account made privileged
 * less than `maxAgeMs` ago) reconciliation finds on the tokens it holds and takes them back.
 */
export function cachedTargetCheck(perAccount: TargetCheck, directory: PrivilegedDirectory, policy: TargetPolicy, settings: { maxAgeMs: number; now?: () => number }): TargetCheck & { privilegedSet(): Promise<PrivilegedSet> } {
  const now = settings.now ?? Date.now;
  let held: { set: PrivilegedSet; readStartedAt: number } | undefined;
  let reading: Promise<{ set: PrivilegedSet; readStartedAt: number }> | undefined;

  const read = (): Promise<{ set: PrivilegedSet; readStartedAt: number }> => {
    reading ??= (async () => {
      const readStartedAt = now();
      try {
        const set = await directory.readPrivilegedSet(policy);
        held = { set, readStartedAt };
        return held;
      } finally {
        reading = undefined;
      }
    })();
    return reading;
  };

  const fresh = (entry: { readStartedAt: number } | undefined): entry is { set: PrivilegedSet; readStartedAt: number } => entry !== undefined && now() - entry.readStartedAt <= settings.maxAgeMs;

  /** The set, at most maxAgeMs old; a read already under way is shared, unless it began too long ago. */
  const privilegedSet = async (): Promise<PrivilegedSet> => {
    if (fresh(held)) return held.set;
    let entry = await read();
    if (!fresh(entry)) entry = await read();
    return entry.set;
  };

  return {
    privilegedSet,
    async check(user, options) {
      if (options.fresh || user.userType?.toLowerCase() === 'guest') return perAccount.check(user, options);
      const set = await privilegedSet();
      const id = user.id.toLowerCase();
      if (!set.privileged.has(id) && (set.allowed === undefined || set.allowed.has(id))) return { ok: true, privileged: false };
      return perAccount.check(user, options);
    },
  };
}

export type HireTarget = { kind: 'found'; user: EntraUser } | { kind: 'missing' } | { kind: 'refused'; refusal: 'employee_id_mismatch' | 'ambiguous_employee_id'; detail: string };

/**
 * The Entra account of a hire: by the event's UPN, else by employeeId. Either way the account's
 * employeeId must be the event's, and no second account may carry it.
 */
export async function findHireTarget(directory: Pick<Directory, 'findUserByUpn' | 'findUserByEmployeeId'>, employeeId: string, userPrincipalName: string | undefined): Promise<HireTarget> {
  const byEmployeeId = await directory.findUserByEmployeeId(employeeId);
  if (byEmployeeId === 'ambiguous') {
    return { kind: 'refused', refusal: 'ambiguous_employee_id', detail: `more than one Entra account has employeeId ${employeeId}; none is provisioned until only one has it` };
  }
  // A UPN names one account: when it is the one found by employeeId, asking again would find it again.
  const sameAccount = byEmployeeId !== undefined && userPrincipalName !== undefined && byEmployeeId.userPrincipalName.toLowerCase() === userPrincipalName.toLowerCase();
  const user = (userPrincipalName && !sameAccount ? await directory.findUserByUpn(userPrincipalName) : undefined) ?? byEmployeeId;
  if (!user) return { kind: 'missing' };
  if (user.employeeId?.trim().toLowerCase() !== employeeId.toLowerCase()) {
    return {
      kind: 'refused',
      refusal: 'employee_id_mismatch',
      detail: user.employeeId
        ? `the Entra account ${user.userPrincipalName} belongs to employeeId ${user.employeeId}, not ${employeeId}`
        : `the Entra account ${user.userPrincipalName} has no employeeId; it must be ${employeeId} before it gets a token`,
    };
  }
  return { kind: 'found', user };
}

export interface ActivationCheckDeps {
  directory: Pick<Directory, 'findUserByUpn'>;
  targets: TargetCheck;
  provisioning: ProvisioningStore;
  clock: Clock;
}

export type ActivationRefusal = TargetRefusal | 'account_missing' | 'leaver';

/**
 * Whether a leaver record makes its person a leaver now: its termination date passed, or its revocation
 * is still retrying, or it is pending with no date (taken as at once, as the leaver work takes it); not
 * when a hire dated after the termination (a rehire) is among `hires`. A termination dated ahead is not a leaver yet.
 */
function leaverNow(leaver: ProvisioningRecord, hires: readonly (ProvisioningRecord | undefined)[], now: Date): boolean {
  const terminationDate = leaver.terminationDate;
  const rehired = terminationDate !== undefined && hires.some((hire) => hire?.hireDate !== undefined && instantOf(hire.hireDate) > instantOf(terminationDate));
  const terminated = terminationDate !== undefined && instantOf(terminationDate) <= now;
  return !rehired && (terminated || leaver.status === 'retrying' || (leaver.status === 'pending_revocation' && !terminationDate));
}

const leaverState = (leaver: ProvisioningRecord): string => `${leaver.status}${leaver.terminationDate ? `, terminated on ${leaver.terminationDate}` : ''}`;

/**
 * Whether the holder is a leaver now, in words (undefined: not one): by the leaver record filed under the
 * row's employeeId, or, when the account is known, by any leaver record naming that account under
 * another employeeId (the row's may be missing or another's). `filed`: the records under the employeeId,
 * when the caller has read them already.
 */
export async function leaverOf(
  deps: Pick<ActivationCheckDeps, 'provisioning' | 'clock'>,
  holder: { entraUserId?: string; employeeId?: string },
  filed?: readonly ProvisioningRecord[],
): Promise<string | undefined> {
  const now = deps.clock.now();
  const own = filed ?? (holder.employeeId ? await deps.provisioning.list(holder.employeeId) : []);
  const ownLeaver = own.find((r) => r.kind === 'leaver');
  const ownJoiner = own.find((r) => r.kind === 'joiner');
  if (ownLeaver && leaverNow(ownLeaver, [ownJoiner], now)) return `employee ${holder.employeeId} is a leaver (${leaverState(ownLeaver)})`;
  const entraUserId = holder.entraUserId;
  if (!entraUserId) return undefined;
  // A hire of this very account under the row's employeeId, after that termination, is a rehire.
  const sameAccount = (record: ProvisioningRecord | undefined) => record?.entraUserId?.toLowerCase() === entraUserId.toLowerCase();
  const rehireHere = sameAccount(ownJoiner) ? ownJoiner : undefined;
  for (const leaver of await deps.provisioning.leaversNaming(entraUserId)) {
    if (leaver.employeeId === holder.employeeId || !sameAccount(leaver)) continue;
    if (!leaverNow(leaver, [await deps.provisioning.get(leaver.employeeId, 'joiner'), rehireHere], now)) continue;
    return `the Entra account ${entraUserId} is a leaver (employee ${leaver.employeeId}, ${leaverState(leaver)})`;
  }
  return undefined;
}

/**
 * Asked right before a token already assigned is activated for its holder (a hand-over at the desk, a
 * resume after leave, reconciliation's retried activation), because time has passed since the hire
 * checked: the holder's Entra account (by object id) must still pass the target check, and must not be
 * a leaver (its termination date passed without a later rehire, or its revocation still retrying),
 * whether the leaver record is filed under the row's employeeId or names the account under another.
 * Undefined: go ahead.
 */
export async function refusalBeforeActivation(
  deps: ActivationCheckDeps,
  holder: { entraUserId: string; employeeId?: string },
  options: { privilegedAllowed: boolean },
): Promise<{ refusal: ActivationRefusal; detail: string } | undefined> {
  const leaver = await leaverOf(deps, holder);
  if (leaver) return { refusal: 'leaver', detail: `${leaver}; the token is not activated` };
  const account = await deps.directory.findUserByUpn(holder.entraUserId);
  if (!account) return { refusal: 'account_missing', detail: `Entra has no account ${holder.entraUserId} any more; the token is not activated` };
  // Activation gives a working factor now: asked of Entra now, never judged by the shared privileged set.
  const verdict = await deps.targets.check(account, { ...options, fresh: true });
  return verdict.ok ? undefined : { refusal: verdict.refusal, detail: verdict.detail };
}

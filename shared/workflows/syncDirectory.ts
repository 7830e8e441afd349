import { deletedAccountTerminations, hireWindowOpen, signalsFor, type KnownUser, type SignalSettings } from '../domain/directorySignals';
import type { HrQueueMessage } from '../domain/hrEvent';
import { isHeld } from '../domain/token';
import type { Clock, DirectoryChanges, DirectorySyncStore, DirectoryUserChange, Inventory, WatchedUser, WebhookDeliveries, WorkQueue } from '../ports';
import { queueOnce } from './queueOnce';

/**
 * Directory sync: Entra itself as the HR source. One run reads users/delta from the saved link (the
 * whole tenant on the first run), turns what each changed user's attributes say is due into the same
 * hr-events messages the HR webhook queues, and looks again at the users whose hire, leave or disabled
 * grace was still ahead. Each message is claimed by its deterministic event id first, exactly as a
 * webhook delivery is, so a replayed page or a second run at once queues nothing twice.
 */

export interface DirectorySyncDeps {
  changes: DirectoryChanges;
  store: DirectorySyncStore;
  deliveries: WebhookDeliveries;
  hrEvents: WorkQueue<HrQueueMessage>;
  inventory: Pick<Inventory, 'list'>;
  clock: Clock;
  settings: SignalSettings & { groupId?: string };
}

export interface DirectorySyncSummary {
  pages: number;
  users: number;
  hires: number;
  leavers: number;
  /** Graph no longer honoured the saved link, so this run read everyone again. */
  resynced: boolean;
  /** Another run moved the cursor first; this one stopped and left the rest to it. */
  overtaken: boolean;
  /** Users no message could be made for, with why (guests are not counted). */
  skipped: { userId: string; reason: string }[];
}

const factsOf = (user: WatchedUser): string =>
  JSON.stringify(Object.entries(user).filter(([name, value]) => name !== 'etag' && value !== undefined).sort(([a], [b]) => a.localeCompare(b)));

export async function syncDirectory(deps: DirectorySyncDeps): Promise<DirectorySyncSummary> {
  const now = deps.clock.now();
  const nowIso = now.toISOString();
  const summary: DirectorySyncSummary = { pages: 0, users: 0, hires: 0, leavers: 0, resynced: false, overtaken: false, skipped: [] };
  const watched = new Map((await deps.store.watched()).map((user) => [user.userId.toLowerCase(), user]));
  const seen = new Set<string>();

  const emit = async (message: Omit<HrQueueMessage, 'firstSeenAt'>): Promise<boolean> => (await queueOnce(deps, message, nowIso)) !== 'duplicate';

  const settle = async (user: KnownUser, previous: WatchedUser | undefined): Promise<void> => {
    const signals = signalsFor(user, now, deps.settings);
    if (signals.skipped && user.userType?.toLowerCase() !== 'guest') summary.skipped.push({ userId: user.userId, reason: signals.skipped });
    let disabledNotified = user.disabledNotified;
    if (signals.leave) {
      const { disabled, ...message } = signals.leave;
      if (await emit(message)) summary.leavers++;
      if (disabled) disabledNotified = true;
    }
    let waitingForGroup = false;
    if (signals.hire) {
      const member = deps.settings.groupId === undefined || (await deps.changes.isMemberOf(user.userId, deps.settings.groupId));
      if (member) {
        if (await emit(signals.hire)) summary.hires++;
      } else waitingForGroup = hireWindowOpen(user, now);
    }
    const keep = signals.pending || waitingForGroup;
    const { etag: _etag, ...facts } = user as WatchedUser;
    const next: WatchedUser = { ...facts, ...(disabledNotified ? { disabledNotified } : {}), ...(previous?.etag ? { etag: previous.etag } : {}) };
    if (keep && (!previous || factsOf(previous) !== factsOf(next))) await deps.store.watch(next);
    else if (!keep && previous) await deps.store.unwatch(previous);
  };

  /**
   * A deleted account that holds a token (by object id, whatever employeeId the row carries) is a
   * leaver now: under the employeeId the row or the watch knew, else under the object id itself.
   */
  const removed = async (userId: string, previous: WatchedUser | undefined): Promise<void> => {
    if (previous) await deps.store.unwatch(previous);
    const tokens = (await deps.inventory.list({ user: userId }, { pageSize: 100 })).tokens.filter((t) => isHeld(t.status) && t.entraUserId?.toLowerCase() === userId.toLowerCase());
    if (tokens.length === 0) return;
    for (const message of deletedAccountTerminations(userId, tokens.map((t) => t.employeeId), previous?.employeeId, nowIso)) {
      if (await emit(message)) summary.leavers++;
    }
  };

  const apply = async (change: DirectoryUserChange): Promise<void> => {
    const key = change.id.toLowerCase();
    seen.add(key);
    const previous = watched.get(key);
    if (change.removed) return removed(change.id, previous);
    const disabled = change.accountEnabled === false;
    await settle(
      {
        userId: change.id,
        ...(change.employeeId !== undefined ? { employeeId: change.employeeId } : {}),
        ...(change.userPrincipalName !== undefined ? { userPrincipalName: change.userPrincipalName } : {}),
        ...(change.userType !== undefined ? { userType: change.userType } : {}),
        ...(change.accountEnabled !== undefined ? { accountEnabled: change.accountEnabled } : {}),
        ...(change.hireDate !== undefined ? { hireDate: change.hireDate } : {}),
        ...(change.leaveDateTime !== undefined ? { leaveDateTime: change.leaveDateTime } : {}),
        ...(change.location !== undefined ? { location: change.location } : {}),
        ...(disabled ? { disabledSince: previous?.disabledSince ?? nowIso } : {}),
        ...(disabled && previous?.disabledNotified ? { disabledNotified: true } : {}),
      },
      previous,
    );
  };

  let { link, etag } = await deps.store.cursor();
  for (;;) {
    const page = await deps.changes.page(link);
    if (page === 'resync') {
      // Graph answers 410 for a link it no longer honours: read everyone again (once per run).
      if (summary.resynced || link === undefined) throw new Error('Graph refused a full users/delta round');
      summary.resynced = true;
      link = undefined;
      continue;
    }
    summary.pages++;
    for (const change of page.users) {
      summary.users++;
      await apply(change);
    }
    const next = page.nextLink ?? page.deltaLink;
    if (!next) throw new Error('users/delta answered a page without @odata.nextLink or @odata.deltaLink');
    const saved = await deps.store.saveCursor(next, etag);
    if (saved === 'conflict') {
      summary.overtaken = true;
      return summary;
    }
    etag = saved.etag;
    link = next;
    if (!page.nextLink) break;
  }

  // Users nothing changed for: their hire window, leave date or disabled grace may have come.
  for (const [key, user] of watched) {
    if (seen.has(key)) continue;
    const { etag: _etag, ...facts } = user;
    await settle(facts, user);
  }
  return summary;
}

import { randomUUID } from 'node:crypto';
import { instantOf, type HrQueueMessage } from '../domain/hrEvent';
import { adaptiveCardOf, describeNotification, notificationKeys, personOf, siteOf, type Notification } from '../domain/notification';
import type { Clock, Mailer, Managers, NotificationChannel, NotificationLedger, NotificationRecord, TeamsChannel, WorkQueue } from '../ports';
import type { HrEventOutcome } from './provisionJoiner';

/**
 * Notifications to the people who must act: the site's IT desk and the person's manager by mail, and
 * a Teams channel. Each event is sent once per channel, across redeliveries and instances: a row keyed
 * by the event is claimed, the channel sent, then marked sent. A claim younger than the lease belongs
 * to a delivery still at work, so this one is put back on the queue to look again once the lease is
 * over; an older one was left by a crash, and is taken over: only a crash between a send and its mark
 * can send that channel twice (at least once there, never lost).
 */

export interface NotifySettings {
  /** The mailbox the app sends as (NOTIFY_MAIL_FROM); no mail without it. */
  mailFrom?: string;
  /** Site code -> IT desk address (NOTIFY_SITES). */
  sites: Readonly<Record<string, string>>;
}

export interface NotifyDeps {
  ledger: NotificationLedger;
  mailer: Mailer;
  managers: Managers;
  /** Absent when NOTIFY_TEAMS_WEBHOOK_URL is not set. */
  teams?: TeamsChannel;
  /** The notifications queue, to put back a delivery that found another at work. */
  queue: WorkQueue<Notification>;
  clock: Clock;
  settings: NotifySettings;
  /** Tests: a fixed claim id. */
  claimId?: string;
}

/** How long a claim protects a delivery that is sending. */
export const CLAIM_LEASE_MS = 2 * 60_000;
const MAX_CONFLICTS = 5;

export type NotifyOutcome =
  | { outcome: 'sent'; channels: NotificationChannel[]; recipients: number }
  | { outcome: 'already_sent' }
  | { outcome: 'nobody_to_tell' }
  /** Another delivery is sending it: put back to look again in `delaySeconds`. */
  | { outcome: 'put_back'; delaySeconds: number };

export async function deliverNotification(notification: Notification, deps: NotifyDeps): Promise<NotifyOutcome> {
  const claimId = deps.claimId ?? randomUUID();
  const now = () => deps.clock.now();
  const message = describeNotification(notification);

  const recipients = new Set<string>();
  const site = siteOf(notification);
  const desk = site ? (deps.settings.sites[site] ?? deps.settings.sites[site.toUpperCase()]) : undefined;
  if (desk) recipients.add(desk.toLowerCase());
  const person = personOf(notification);
  if (deps.settings.mailFrom && person) {
    const manager = await deps.managers.managerAddressOf(person);
    if (manager) recipients.add(manager.toLowerCase());
  }
  const channels: NotificationChannel[] = [...(deps.settings.mailFrom && recipients.size > 0 ? ['mail' as const] : []), ...(deps.teams ? ['teams' as const] : [])];
  if (channels.length === 0) return { outcome: 'nobody_to_tell' };

  // Claim.
  let record: NotificationRecord | undefined;
  for (let conflicts = 0; !record; conflicts++) {
    if (conflicts > MAX_CONFLICTS) throw new Error(`notification ${notification.key} kept changing under concurrent deliveries`);
    const existing = await deps.ledger.get(notification.key);
    if (!existing) {
      const added = await deps.ledger.add({ key: notification.key, kind: notification.kind, claimId, claimedAt: now().toISOString(), sent: [], createdAt: now().toISOString() });
      if (added !== 'exists') record = added;
      continue;
    }
    if (channels.every((channel) => existing.sent.includes(channel))) return { outcome: 'already_sent' };
    if (existing.claimId === claimId) {
      record = existing;
      continue;
    }
    const leaseLeftMs = CLAIM_LEASE_MS - (now().getTime() - instantOf(existing.claimedAt).getTime());
    if (leaseLeftMs > 0) {
      const delaySeconds = Math.ceil(leaseLeftMs / 1000) + 1;
      await deps.queue.send(notification, { delaySeconds });
      return { outcome: 'put_back', delaySeconds };
    }
    const taken = await deps.ledger.replace({ ...existing, claimId, claimedAt: now().toISOString() });
    if (taken !== 'conflict') record = taken;
  }

  // Send, and mark each channel sent as soon as it is.
  const sent: NotificationChannel[] = [];
  for (const channel of channels) {
    if (record.sent.includes(channel)) continue;
    if (channel === 'mail' && deps.settings.mailFrom) await deps.mailer.send(deps.settings.mailFrom, [...recipients], message.subject, message.lines.join('\n\n'));
    if (channel === 'teams' && deps.teams) await deps.teams.post(adaptiveCardOf(message));
    sent.push(channel);
    for (let conflicts = 0; ; conflicts++) {
      if (conflicts > MAX_CONFLICTS) throw new Error(`notification ${notification.key} could not be marked sent`);
      const marked: NotificationRecord | 'conflict' = await deps.ledger.replace({ ...record, sent: [...new Set([...record.sent, channel])] });
      if (marked !== 'conflict') {
        record = marked;
        break;
      }
      const fresh = await deps.ledger.get(notification.key);
      if (!fresh) throw new Error(`notification ${notification.key} vanished while it was being sent`);
      record = fresh;
    }
  }
  return { outcome: 'sent', channels: sent, recipients: recipients.size };
}

/** What an hr-events outcome should tell people, if anything. `leaverAfterTries`: failed revocation tries before a leaver's held token is reported. */
export function notificationForOutcome(message: HrQueueMessage, outcome: HrEventOutcome | { kind: 'gave_up'; reason: string }, now: Date, leaverAfterTries: number): Notification | undefined {
  const person = {
    employeeId: message.employeeId,
    ...(message.userPrincipalName ? { userPrincipalName: message.userPrincipalName } : {}),
    ...(message.displayName ? { displayName: message.displayName } : {}),
    ...(message.location ? { site: message.location } : {}),
  };
  switch (outcome.kind) {
    case 'completed':
      if (outcome.tokenStatus !== 'awaiting_handover') return undefined;
      return {
        kind: 'handover_waiting',
        key: notificationKeys.handoverWaiting(outcome.serialNumber, message.employeeId),
        serialNumber: outcome.serialNumber,
        ...person,
        // The name Entra showed the hire, over the one HR sent.
        ...(outcome.displayName ? { displayName: outcome.displayName } : {}),
        ...(outcome.entraUserId ? { entraUserId: outcome.entraUserId } : {}),
      };
    case 'failed':
    case 'gave_up':
      return { kind: 'hire_failed', key: notificationKeys.hireFailed(message.employeeId, message.eventId), ...person, reason: outcome.reason.slice(0, 500) };
    case 'retrying':
      if (outcome.failedTries < leaverAfterTries || !message.terminationDate || instantOf(message.terminationDate) > now) return undefined;
      return { kind: 'leaver_token_held', key: notificationKeys.leaverTokenHeld(message.employeeId, message.terminationDate), ...person, terminationDate: message.terminationDate };
    default:
      return undefined;
  }
}

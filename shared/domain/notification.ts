import { z } from 'zod';
import { redactSeeds } from './seed';

/**
 * Notifications, pure: the events people must act on, the key each is deduplicated by, and the words
 * of the mail and the Teams card. Built from facts only: never a seed, never a pass.
 */

const text = (max: number) => z.string().max(max);
const site = z.string().regex(/^[A-Za-z0-9_-]{1,16}$/);

export const notificationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('handover_waiting'), key: text(200), serialNumber: text(64), employeeId: text(64), userPrincipalName: text(256).optional(), displayName: text(256).optional(), entraUserId: text(64).optional(), site: site.optional() }),
  z.object({ kind: z.literal('hire_failed'), key: text(200), employeeId: text(64), userPrincipalName: text(256).optional(), displayName: text(256).optional(), entraUserId: text(64).optional(), site: site.optional(), reason: text(500) }),
  z.object({ kind: z.literal('low_stock'), key: text(200), pool: z.string().max(64), available: z.number().int().min(0), threshold: z.number().int().min(0) }),
  z.object({
    kind: z.literal('token_unused'),
    key: text(200),
    serialNumber: text(64),
    entraUserId: text(64),
    employeeId: text(64).optional(),
    userPrincipalName: text(256).optional(),
    displayName: text(256).optional(),
    site: site.optional(),
    /** Entra's lastUsedDateTime, or 'never'. */
    lastUsed: text(40),
    days: z.number().int().min(1),
  }),
  z.object({ kind: z.literal('leaver_token_held'), key: text(200), employeeId: text(64), userPrincipalName: text(256).optional(), displayName: text(256).optional(), entraUserId: text(64).optional(), serialNumber: text(64).optional(), terminationDate: text(40), site: site.optional() }),
]);
export type Notification = z.infer<typeof notificationSchema>;
export type NotificationKind = Notification['kind'];

/** One key per event: the same event, however often it is reported, notifies once. */
export const notificationKeys = {
  handoverWaiting: (serialNumber: string, employeeId: string) => `handover_waiting:${serialNumber.toUpperCase()}:${employeeId}`,
  hireFailed: (employeeId: string, eventId: string) => `hire_failed:${employeeId}:${eventId}`,
  /** A pool that stays low is reported again each day. */
  lowStock: (pool: string, day: string) => `low_stock:${pool || '(shared)'}:${day}`,
  leaverTokenHeld: (employeeId: string, terminationDate: string) => `leaver_token_held:${employeeId}:${terminationDate}`,
  /** Once per stretch without use: a token used again and then left again is told again. */
  tokenUnused: (serialNumber: string, lastUsed: string) => `token_unused:${serialNumber.toUpperCase()}:${lastUsed}`,
};

/** The site whose desk hears of it, when the event belongs to one. */
export function siteOf(notification: Notification): string | undefined {
  return notification.kind === 'low_stock' ? notification.pool || undefined : notification.site;
}

/** The holder whose manager hears of it, when there is one. */
export function personOf(notification: Notification): string | undefined {
  return notification.kind === 'low_stock' ? undefined : (notification.entraUserId ?? notification.userPrincipalName);
}

export interface NotificationText {
  subject: string;
  lines: string[];
}

export function describeNotification(n: Notification): NotificationText {
  const id = n.kind === 'low_stock' ? '' : (n.userPrincipalName ?? (n.employeeId ? `employee ${n.employeeId}` : `user ${n.kind === 'token_unused' ? n.entraUserId : ''}`));
  const who = n.kind !== 'low_stock' && n.displayName ? `${n.displayName} (${id})` : id;
  const at = (value: string | undefined) => (value ? ` at site ${value}` : '');
  switch (n.kind) {
    case 'handover_waiting':
      return {
        subject: `Hardware token ${n.serialNumber} awaits hand-over to ${who}${at(n.site)}`,
        lines: [
          `Token ${n.serialNumber} is reserved and assigned to ${who} (employee ${n.employeeId}), but not activated.`,
          `Hand it over in person: the desk reads the code shown on the token and enters it (oathctl handover ${n.serialNumber} CODE).`,
        ],
      };
    case 'hire_failed':
      return {
        subject: `No hardware token for ${who}: the hire failed`,
        lines: [`The hire of ${who} (employee ${n.employeeId})${at(n.site)} could not be provisioned.`, `Reason: ${redactSeeds(n.reason)}`, `See GET /api/provisioning/${n.employeeId}.`],
      };
    case 'low_stock':
      return {
        subject: `Hardware tokens running low in pool ${n.pool || '(shared)'}`,
        lines: [`Pool ${n.pool || '(shared)'} has ${n.available} token(s) in stock, below the threshold of ${n.threshold}.`, 'Order or import more tokens.'],
      };
    case 'token_unused':
      return {
        subject: `Hardware token ${n.serialNumber} of ${who} has not been used for more than ${n.days} days`,
        lines: [
          `${who}${n.employeeId ? ` (employee ${n.employeeId})` : ''} holds token ${n.serialNumber}${at(n.site)}, ${n.lastUsed === 'never' ? 'and has never signed in with it' : `last used ${n.lastUsed}`}.`,
          `If it is not needed, collect it: an admin revokes it (oathctl revoke --serial ${n.serialNumber} --reason unused), and it goes back to stock once returned (--reason returned).`,
        ],
      };
    case 'leaver_token_held':
      return {
        subject: `${who} left on ${n.terminationDate} but still holds a hardware token`,
        lines: [
          `${who} (employee ${n.employeeId}) was terminated on ${n.terminationDate}, and the token${n.serialNumber ? ` ${n.serialNumber}` : ''} could not yet be taken back in Entra.`,
          'The revocation keeps retrying; check the provisioning record and Entra, and collect the token.',
        ],
      };
  }
}

/** The Teams message: the same words as an Adaptive Card. */
export function adaptiveCardOf(message: NotificationText): object {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [{ type: 'TextBlock', text: message.subject, weight: 'Bolder', size: 'Medium', wrap: true }, ...message.lines.map((line) => ({ type: 'TextBlock', text: line, wrap: true }))],
        },
      },
    ],
  };
}

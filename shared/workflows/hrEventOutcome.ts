import type { ProvisioningStatus } from '../ports';

/** What handling one hr-events message came to, for the joiner and the leaver alike. */

/** How the host delivered the message: its try number and the host's limit (host.json maxDequeueCount). */
export interface Delivery {
  dequeueCount: number;
  maxDequeueCount: number;
}

export type HrEventOutcome =
  | { kind: 'completed'; serialNumber: string; tokenStatus: 'active' | 'assigned' | 'awaiting_handover'; location?: string; entraUserId?: string; displayName?: string }
  | { kind: 'already_done'; status: ProvisioningStatus }
  | { kind: 'deferred'; dueAt: string; delaySeconds: number }
  | { kind: 'waiting_for_user'; delaySeconds: number; deadline: string }
  | { kind: 'failed'; reason: string }
  | { kind: 'cancelled'; reason: string }
  | { kind: 'recorded'; status: ProvisioningStatus | 'no_joiner' }
  /** A leaver's revocation failed this time; the message is back on the queue, invisible for `delaySeconds`. */
  | { kind: 'retrying'; failedTries: number; delaySeconds: number; reason: string };

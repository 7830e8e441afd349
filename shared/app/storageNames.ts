/**
 * Every table, queue and blob container the app uses, declared once. infra/ creates the same names.
 * Table names are alphanumeric only (Azure's rule), queue names lowercase with hyphens.
 */
export const QUEUES = {
  hrEvents: 'hr-events',
  reconcileWork: 'reconcile-work',
  /** The directory-sync timer's runs, read by the users-delta worker. */
  directorySync: 'directory-sync',
  /** Events people must hear of, sent by mail and Teams once each. */
  notifications: 'notifications',
} as const;

export const TABLES = {
  tokens: 'tokens',
  audit: 'audit',
  webhookEvents: 'webhookEvents',
  provisioning: 'provisioning',
  /** The users-delta link and the users whose hire, leave or disabled grace is still ahead. */
  directorySync: 'directorySync',
  /** One row per notification event: who is sending it and which channels are sent. */
  notifications: 'notifications',
  /** Each admin's refused seed files of the last hour (the import's rate limit). */
  intakeFailures: 'intakeFailures',
  /** The app's Graph budget, one row every instance shares: its rate, pause and send schedule. */
  graphBudget: 'graphBudget',
  /** One row per person whose token replacement with a Temporary Access Pass is under way (a claim that lapses). */
  replaceClaims: 'replaceClaims',
} as const;

export const CONTAINERS = {
  reports: 'reports',
} as const;

/** Where the Functions host moves a message after maxDequeueCount failures. */
export const poisonQueueOf = (queue: string): string => `${queue}-poison`;

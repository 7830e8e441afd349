/**
 * Every table, queue and blob container the app uses, declared once. infra/ creates the same names.
 * Table names are alphanumeric only (Azure's rule), queue names lowercase with hyphens.
 */
export const QUEUES = {
  hrEvents: 'hr-events',
  reconcileWork: 'reconcile-work',
} as const;

export const TABLES = {
  tokens: 'tokens',
  audit: 'audit',
  webhookEvents: 'webhookEvents',
  provisioning: 'provisioning',
} as const;

export const CONTAINERS = {
  reports: 'reports',
} as const;

/** Where the Functions host moves a message after maxDequeueCount failures. */
export const poisonQueueOf = (queue: string): string => `${queue}-poison`;

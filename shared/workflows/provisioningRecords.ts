import { redactSeeds } from '../domain/seed';
import type { ProvisioningKind, ProvisioningRecord, ProvisioningStore } from '../ports';

/** Conditional writes retried after a conflict before giving up to the host's retry. */
export const MAX_WRITE_CONFLICTS = 10;
/** How many webhook-ids a record remembers. */
const EVENT_IDS_KEPT = 10;

/** A short, admin-readable account of an unexpected failure. */
export function describeFailure(error: unknown): string {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
  return redactSeeds(`${name}${typeof status === 'number' ? ` (status ${status})` : ''}: ${message}`).slice(0, 300);
}

/** The event ids a record remembers, with this one: a redelivery of a known event is recognised. */
export const withEventId = (eventIds: readonly string[], eventId: string): string[] =>
  eventIds.includes(eventId) ? [...eventIds] : [...eventIds, eventId].slice(-EVENT_IDS_KEPT);

/**
 * Writes a provisioning record with optimistic concurrency: `mutate` sees the freshest record (or
 * none) and answers what to write, or undefined to leave it as it is.
 */
export async function writeRecord(
  store: ProvisioningStore,
  employeeId: string,
  kind: ProvisioningKind,
  current: ProvisioningRecord | undefined,
  mutate: (record: ProvisioningRecord | undefined) => ProvisioningRecord | undefined,
): Promise<{ record: ProvisioningRecord | undefined; wrote: boolean }> {
  let fresh = current;
  for (let conflicts = 0; conflicts <= MAX_WRITE_CONFLICTS; conflicts++) {
    const next = mutate(fresh);
    if (!next) return { record: fresh, wrote: false };
    const result = fresh?.etag ? await store.replace({ ...next, etag: fresh.etag }) : await store.add(next);
    if (result !== 'conflict' && result !== 'exists') return { record: result, wrote: true };
    fresh = await store.get(employeeId, kind);
  }
  throw new Error(`the ${kind} record of ${employeeId} kept changing under concurrent writes`);
}

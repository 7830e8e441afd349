import { odata, type TableClient } from '@azure/data-tables';
import type { DeliveryState, WebhookDeliveries, WebhookRetention } from '../ports';
import { statusOf } from './sdkErrors';
import { createdOnce } from './createdOnce';

/**
 * Webhook deliveries in Table storage, one row per webhook-id (partition = id, row = ''): the insert
 * is the de-duplication, since only one request can create a given row.
 */

interface DeliveryEntity {
  partitionKey: string;
  rowKey: string;
  state: DeliveryState;
  type: string;
  employeeId: string;
  receivedAt: string;
  queuedAt?: string;
}

const ROW = '';

export function tableWebhookEvents(table: TableClient): WebhookDeliveries & WebhookRetention {
  const ensureTable = createdOnce(() => table.createTable());
  return {
    async purgeReceivedBefore(cutoff) {
      await ensureTable();
      let purged = 0;
      const old = table.listEntities<DeliveryEntity>({ queryOptions: { filter: odata`receivedAt lt ${cutoff}`, select: ['PartitionKey', 'RowKey'] } });
      for await (const page of old.byPage({ maxPageSize: 100 })) {
        for (const row of page) {
          try {
            await table.deleteEntity(row.partitionKey, row.rowKey, { etag: row.etag ?? '*' });
            purged++;
          } catch (error) {
            // Gone already (another run), or just re-claimed by a redelivery: either way, not ours to delete.
            if (statusOf(error) !== 404 && statusOf(error) !== 412) throw error;
          }
        }
      }
      return purged;
    },

    async claim(eventId, facts) {
      await ensureTable();
      try {
        const created = await table.createEntity<DeliveryEntity>({ partitionKey: eventId, rowKey: ROW, state: 'received', ...facts });
        return { first: true, state: 'received', receivedAt: facts.receivedAt, etag: created.etag ?? '' };
      } catch (error) {
        if (statusOf(error) !== 409) throw error;
      }
      const earlier = await table.getEntity<DeliveryEntity>(eventId, ROW);
      return { first: false, state: earlier.state, receivedAt: earlier.receivedAt, etag: earlier.etag ?? '' };
    },

    async stateOf(eventId) {
      await ensureTable();
      try {
        return (await table.getEntity<DeliveryEntity>(eventId, ROW, { queryOptions: { select: ['state'] } })).state;
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },

    async markQueued(eventId, etag) {
      await ensureTable();
      try {
        await table.updateEntity({ partitionKey: eventId, rowKey: ROW, state: 'queued', queuedAt: new Date().toISOString() }, 'Merge', { etag });
      } catch (error) {
        // 412: another delivery of the same id changed the row first, which can only be to 'queued'.
        if (statusOf(error) !== 412) throw error;
      }
    },
  };
}

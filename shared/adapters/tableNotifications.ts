import type { TableClient, TableEntityResult } from '@azure/data-tables';
import type { NotificationChannel, NotificationLedger, NotificationRecord } from '../ports';
import { tableRows } from './tableRows';

/** The notification ledger in Table storage: one row per event key (partition = the encoded key), ETag-conditional. */

interface NotificationEntity {
  partitionKey: string;
  rowKey: string;
  key: string;
  kind: string;
  claimId: string;
  claimedAt: string;
  /** Comma-separated channels already sent. */
  sent: string;
  createdAt: string;
}

const ROW = '';
/** Table keys may not hold / \ # ? or control characters. */
const partitionOf = (key: string): string => encodeURIComponent(key);

const toEntity = (record: NotificationRecord): NotificationEntity => ({
  partitionKey: partitionOf(record.key),
  rowKey: ROW,
  key: record.key,
  kind: record.kind,
  claimId: record.claimId,
  claimedAt: record.claimedAt,
  sent: record.sent.join(','),
  createdAt: record.createdAt,
});

const fromEntity = (entity: TableEntityResult<NotificationEntity>): NotificationRecord => ({
  key: entity.key,
  kind: entity.kind,
  claimId: entity.claimId,
  claimedAt: entity.claimedAt,
  sent: entity.sent === '' ? [] : (entity.sent.split(',') as NotificationChannel[]),
  createdAt: entity.createdAt,
  ...(entity.etag ? { etag: entity.etag } : {}),
});

export function tableNotifications(table: TableClient): NotificationLedger {
  const rows = tableRows(table, toEntity, fromEntity);
  return {
    get: (key) => rows.get(partitionOf(key), ROW),
    add: (record) => rows.add(record),
    replace: (record) => rows.replace(record),
  };
}

import { randomUUID } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import type { AuditLog, Clock } from '../ports';
import { createdOnce } from './createdOnce';

/**
 * The audit trail in Table storage: one partition per month, rows keyed by time then a random id,
 * only ever added (never updated or deleted by the app).
 */
export function tableAuditLog(table: TableClient, clock: Clock): AuditLog {
  const ensureTable = createdOnce(() => table.createTable());
  return {
    async record(entry) {
      await ensureTable();
      const at = clock.now().toISOString();
      await table.createEntity({
        partitionKey: at.slice(0, 7),
        rowKey: `${at}_${randomUUID()}`,
        at,
        actor: entry.actor,
        action: entry.action,
        outcome: entry.outcome,
        ...(entry.serialNumber ? { serialNumber: entry.serialNumber } : {}),
        ...(entry.employeeId ? { employeeId: entry.employeeId } : {}),
        ...(entry.correlationId ? { correlationId: entry.correlationId } : {}),
        ...(entry.callerCorrelationId ? { callerCorrelationId: entry.callerCorrelationId } : {}),
        ...(entry.caller
          ? {
              callerOid: entry.caller.oid,
              ...(entry.caller.tenantId ? { callerTenantId: entry.caller.tenantId } : {}),
              ...(entry.caller.appId ? { callerAppId: entry.caller.appId } : {}),
              ...(entry.caller.name ? { callerName: entry.caller.name.slice(0, 256) } : {}),
            }
          : {}),
        ...(entry.detail ? { detail: entry.detail.slice(0, 4000) } : {}),
      });
    },
  };
}

import { queueMessageOf, type HrQueueMessage } from '../domain/hrEvent';
import { hrEventFromVendor, replayRefusal, type HrVendor, type VendorNotice } from '../domain/vendorWebhooks';
import type { Clock, HrVendorApis, WebhookDeliveries, WorkQueue } from '../ports';
import { queueOnce } from './queueOnce';

/**
 * A verified vendor notice becomes our HR event: refused outside its vendor's replay window (claim
 * rows are kept longer than that window, so inside it a replay meets its claim), the employee is
 * fetched from the vendor's API (its webhook carries ids only) and must confirm a leave, mapped and
 * validated as the HR webhook's body is, de-duplicated by the vendor's delivery key and queued on
 * hr-events, where the same joiner and leaver work takes over.
 */

export interface VendorEventDeps {
  apis: HrVendorApis;
  deliveries: WebhookDeliveries;
  hrEvents: WorkQueue<HrQueueMessage>;
  clock: Clock;
}

export type VendorEventResult =
  | { kind: 'queued' | 'duplicate'; eventId: string; type: string; employeeId: string }
  | { kind: 'ignored'; reason: string }
  /** Outside the vendor's replay window: nothing fetched, nothing queued. */
  | { kind: 'stale'; reason: string };

export async function acceptVendorEvent(vendor: HrVendor, notice: Extract<VendorNotice, { kind: 'employee' }>, deps: VendorEventDeps): Promise<VendorEventResult> {
  const now = deps.clock.now();
  const stale = replayRefusal(vendor, notice, now);
  if (stale) return { kind: 'stale', reason: stale };
  const employee = await deps.apis.employee(vendor, notice.vendorEmployeeId);
  if (!employee) return { kind: 'ignored', reason: `${vendor} has no employee ${notice.vendorEmployeeId}` };
  const mapped = hrEventFromVendor(notice, employee, now.toISOString().slice(0, 10));
  if ('ignored' in mapped) return { kind: 'ignored', reason: mapped.ignored };
  const { event } = mapped;
  const eventId = notice.deliveryId;
  const queued = await queueOnce(deps, queueMessageOf(eventId, event), now.toISOString());
  return { kind: queued === 'duplicate' ? 'duplicate' : 'queued', eventId, type: event.type, employeeId: event.data.employeeId };
}

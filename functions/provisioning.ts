import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { actionContextOf, auditFor, authorize } from '../shared/http/adminRequest';
import type { AppServices } from '../shared/app/composition';
import { EMPLOYEE_ID_PATTERN } from '../shared/domain/hrEvent';
import { httpFunction } from '../shared/app/hosting';
import { type ProvisioningKind, type ProvisioningRecord, type ProvisioningStatus } from '../shared/ports';
import { answerPage, listRoute, pageRequestOf } from '../shared/http/listRoutes';
import { json, problem } from '../shared/http/problem';
import { services } from '../shared/app/runtime';
import { retryProvisioning } from '../shared/workflows/retryProvisioning';

const STATUSES: readonly ProvisioningStatus[] = ['queued', 'deferred', 'waiting_for_user', 'in_progress', 'completed', 'failed', 'cancelled', 'pending_revocation', 'retrying'];
const KINDS: readonly ProvisioningKind[] = ['joiner', 'leaver'];
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;
const EMPLOYEE_ID_RULE = 'must be 1-64 characters of A-Z, a-z, 0-9, ".", "_" or "-"';

/** A provisioning record as the admin API shows it. */
export interface ProvisioningView {
  employeeId: string;
  kind: string;
  status: string;
  step: string | null;
  serialNumber: string | null;
  userPrincipalName: string | null;
  /** The person's name for reading (Entra's once the hire found the account, else HR's). */
  displayName: string | null;
  entraUserId: string | null;
  reason: string | null;
  /** The target check's refusal (privileged_account, not_in_allowed_group, employee_id_mismatch, ...). */
  refusal: string | null;
  approvedBy: string | null;
  attempts: number;
  eventIds: string[];
  hireDate: string | null;
  terminationDate: string | null;
  location: string | null;
  note: string | null;
  createdAt: string;
  updatedAt: string;
}

export function provisioningView(record: ProvisioningRecord): ProvisioningView {
  return {
    employeeId: record.employeeId,
    kind: record.kind,
    status: record.status,
    step: record.step ?? null,
    serialNumber: record.serialNumber ?? null,
    userPrincipalName: record.userPrincipalName ?? null,
    displayName: record.displayName ?? null,
    entraUserId: record.entraUserId ?? null,
    reason: record.reason ?? null,
    refusal: record.refusal ?? null,
    approvedBy: record.approvedBy ?? null,
    attempts: record.attempts,
    eventIds: record.eventIds,
    hireDate: record.hireDate ?? null,
    terminationDate: record.terminationDate ?? null,
    location: record.location ?? null,
    note: record.note ?? null,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/** GET /api/provisioning/{employeeId}: where that employee's joiner and leaver work stands, with the reason of a failure. */
export function provisioningHandler(getServices: () => Pick<AppServices, 'adminAuth' | 'provisioning'>) {
  return async (request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, 'Tokens.Read');
    if ('response' in auth) return auth.response;
    const employeeId = request.params.employeeId ?? '';
    if (!EMPLOYEE_ID_PATTERN.test(employeeId)) {
      return problem(400, 'Not an employee id', { errors: [{ path: 'employeeId', message: EMPLOYEE_ID_RULE }] });
    }
    const records = await app.provisioning.list(employeeId);
    if (records.length === 0) return problem(404, `No provisioning work is recorded for employee ${employeeId}`);
    const joiner = records.find((r) => r.kind === 'joiner');
    const leaver = records.find((r) => r.kind === 'leaver');
    return json(200, { employeeId, joiner: joiner ? provisioningView(joiner) : null, leaver: leaver ? provisioningView(leaver) : null });
  };
}

/** GET /api/provisioning?status=&kind=&pageSize=&continuationToken=: joiner and leaver records, a page at a time. */
export const provisioningListHandler = (getServices: () => Pick<AppServices, 'adminAuth' | 'provisioningListing'>) =>
  listRoute(
    getServices,
    'Tokens.Read',
    (query, errors) => {
      const status = query.get('status') ?? undefined;
      if (status !== undefined && !STATUSES.includes(status as ProvisioningStatus)) errors.push({ path: 'status', message: `must be one of ${STATUSES.join(', ')}` });
      const kind = query.get('kind') ?? undefined;
      if (kind !== undefined && !KINDS.includes(kind as ProvisioningKind)) errors.push({ path: 'kind', message: 'must be joiner or leaver' });
      const page = pageRequestOf(query, errors, { default: DEFAULT_PAGE_SIZE, max: MAX_PAGE_SIZE });
      return { filter: { ...(status ? { status: status as ProvisioningStatus } : {}), ...(kind ? { kind: kind as ProvisioningKind } : {}) }, page };
    },
    (app, { filter, page }) =>
      answerPage(
        () => app.provisioningListing.find(filter, page),
        (found) => json(200, { records: found.records.map(provisioningView), continuationToken: found.continuationToken ?? null }),
      ),
  );

/** POST /api/provisioning/{employeeId}/retry: a failed hire, or a failed or retrying leaver, goes through hr-events again. */
export function provisioningRetryHandler(getServices: () => Pick<AppServices, 'adminAuth' | 'provisioning' | 'hrEvents' | 'audit' | 'clock'>) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, 'Tokens.Admin');
    if ('response' in auth) return auth.response;
    const employeeId = request.params.employeeId ?? '';
    if (!EMPLOYEE_ID_PATTERN.test(employeeId)) return problem(400, 'Not an employee id', { errors: [{ path: 'employeeId', message: EMPLOYEE_ID_RULE }] });
    // The audit keeps the caller's name with the entry, as every other admin action does.
    const result = await retryProvisioning({ ...app, audit: auditFor(app.audit, request, auth.principal) }, employeeId, actionContextOf(request, auth.principal, context.invocationId));
    switch (result.outcome) {
      case 'queued':
        return json(202, { employeeId, kind: result.kind, status: 'queued', eventId: result.eventId }, { location: `/api/provisioning/${employeeId}` });
      case 'not_found':
        return problem(404, result.detail);
      case 'nothing_to_retry':
        return problem(409, result.detail);
    }
  };
}

httpFunction('provisioningList', { route: 'provisioning', methods: ['GET'], handler: provisioningListHandler(services) });
httpFunction('provisioningRetry', { route: 'provisioning/{employeeId}/retry', methods: ['POST'], handler: provisioningRetryHandler(services) });
httpFunction('provisioningGet', { route: 'provisioning/{employeeId}', methods: ['GET'], handler: provisioningHandler(services) });

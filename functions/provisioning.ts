import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { authorize } from '../shared/adminRequest';
import type { AppServices } from '../shared/composition';
import { EMPLOYEE_ID_PATTERN } from '../shared/domain/hrEvent';
import { httpFunction } from '../shared/hosting';
import type { ProvisioningRecord } from '../shared/ports';
import { json, problem } from '../shared/problem';
import { services } from '../shared/runtime';

/** A provisioning record as the admin API shows it. */
export interface ProvisioningView {
  employeeId: string;
  kind: string;
  status: string;
  step: string | null;
  serialNumber: string | null;
  userPrincipalName: string | null;
  entraUserId: string | null;
  reason: string | null;
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
    entraUserId: record.entraUserId ?? null,
    reason: record.reason ?? null,
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
      return problem(400, 'Not an employee id', { errors: [{ path: 'employeeId', message: 'must be 1-64 characters of A-Z, a-z, 0-9, ".", "_" or "-"' }] });
    }
    const records = await app.provisioning.list(employeeId);
    if (records.length === 0) return problem(404, `No provisioning work is recorded for employee ${employeeId}`);
    const joiner = records.find((r) => r.kind === 'joiner');
    const leaver = records.find((r) => r.kind === 'leaver');
    return json(200, { employeeId, joiner: joiner ? provisioningView(joiner) : null, leaver: leaver ? provisioningView(leaver) : null });
  };
}

httpFunction('provisioningGet', { route: 'provisioning/{employeeId}', methods: ['GET'], handler: provisioningHandler(services) });

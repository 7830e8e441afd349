import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { actionContextOf, auditFor, authorize } from '../shared/http/adminRequest';
import type { AppServices } from '../shared/app/composition';
import { EMPLOYEE_ID_PATTERN } from '../shared/domain/hrEvent';
import { httpFunction } from '../shared/app/hosting';
import { json, problem } from '../shared/http/problem';
import { services } from '../shared/app/runtime';
import { approveHire } from '../shared/workflows/approveHire';

/** POST /api/provisioning/{employeeId}/approve: a Tokens.PrivilegedAdmin lets a hire refused as privileged_account go ahead. */
export function approveHandler(getServices: () => Pick<AppServices, 'adminAuth' | 'provisioning' | 'hrEvents' | 'audit' | 'clock'>) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, 'Tokens.PrivilegedAdmin');
    if ('response' in auth) return auth.response;
    const employeeId = request.params.employeeId ?? '';
    if (!EMPLOYEE_ID_PATTERN.test(employeeId)) {
      return problem(400, 'Not an employee id', { errors: [{ path: 'employeeId', message: 'must be 1-64 characters of A-Z, a-z, 0-9, ".", "_" or "-"' }] });
    }
    const result = await approveHire({ ...app, audit: auditFor(app.audit, request, auth.principal) }, employeeId, actionContextOf(request, auth.principal, context.invocationId));
    switch (result.outcome) {
      case 'approved':
        return json(202, { employeeId, status: result.record.status, approvedFor: result.record.approvedFor ?? null, approvedBy: result.record.approvedBy ?? null });
      case 'not_found':
        return problem(404, result.detail);
      case 'not_refused':
        return problem(409, result.detail);
    }
  };
}

httpFunction('provisioningApprove', { route: 'provisioning/{employeeId}/approve', methods: ['POST'], handler: approveHandler(services) });

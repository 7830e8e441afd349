import { importContentType, importOutcomeOf, serialsFrom } from '../../console/src/lib/imports';
import { needsAttention, recentWork, stockByPool } from '../../console/src/lib/overview';
import { describeProblem } from '../../console/src/lib/problem';
import { auditPath, holderOf, provisioningPath, tokenSearchPath } from '../../console/src/lib/query';
import { abilitiesOf, rolesOf } from '../../console/src/lib/roles';

describe('the console page logic', () => {
  it('lets Tokens.Read see and Tokens.Admin act, from the roles claim only', () => {
    expect(abilitiesOf(rolesOf({ roles: ['Tokens.Read'] }))).toEqual({ read: true, act: false, approve: false, desk: false });
    expect(abilitiesOf(rolesOf({ roles: ['Tokens.Admin'] }))).toEqual({ read: true, act: true, approve: false, desk: true });
    expect(abilitiesOf(rolesOf({ roles: ['Tokens.PrivilegedAdmin'] }))).toEqual({ read: true, act: true, approve: true, desk: true });
    // The desk does its own work only: no inventory, no admin actions.
    expect(abilitiesOf(rolesOf({ roles: ['Tokens.Desk'] }))).toEqual({ read: false, act: false, approve: false, desk: true });
    expect(abilitiesOf(rolesOf({ roles: ['Other', 42] }))).toEqual({ read: false, act: false, approve: false, desk: false });
    expect(rolesOf({ roles: 'Tokens.Admin' })).toEqual([]);
    expect(rolesOf(undefined)).toEqual([]);
  });

  it('builds token searches: a serial is one token, a person, status and pool filter the list with paging', () => {
    expect(tokenSearchPath({ field: 'serial', text: ' TK-1 ', status: 'active', pool: '', pageSize: 25 })).toEqual({ kind: 'one', path: 'tokens/TK-1' });
    expect(tokenSearchPath({ field: 'user', text: 'ada@contoso.com', status: 'active', pool: 'GVA', pageSize: 25, continuationToken: 'abc=' })).toEqual({
      kind: 'page',
      path: 'tokens?user=ada%40contoso.com&status=active&pool=GVA&pageSize=25&continuationToken=abc%3D',
    });
    expect(tokenSearchPath({ field: 'serial', text: '', status: '', pool: '', pageSize: 10 })).toEqual({ kind: 'page', path: 'tokens?pageSize=10' });
    expect(auditPath({ serial: 'TK-1', continuationToken: 'x' })).toBe('audit?serial=TK-1&continuationToken=x');
    expect(provisioningPath({ status: 'failed' })).toBe('provisioning?pageSize=200&status=failed');
    expect(holderOf({ employeeId: 'E1', userPrincipalName: 'a@b' })).toBe('E1');
    expect(holderOf({ employeeId: null, userPrincipalName: null })).toBeUndefined();
  });

  it('lists each rejected import row by line, whatever order the API gives', () => {
    expect(importOutcomeOf({ imported: 2, unchanged: 1, errors: [{ line: 7, serial: 'B', reason: 'bad seed' }, { line: 3, serial: '', reason: 'dup' }, { reason: 5 }] })).toEqual({
      imported: 2,
      unchanged: 1,
      errors: [
        { line: 3, serial: null, reason: 'dup' },
        { line: 7, serial: 'B', reason: 'bad seed' },
        { line: null, serial: null, reason: 'rejected' },
      ],
    });
    expect(importOutcomeOf('nonsense')).toEqual({ imported: 0, unchanged: 0, errors: [] });
    expect(importContentType('seeds.JSON', '')).toBe('application/json');
    expect(importContentType('seeds.csv', 'text/csv')).toBe('text/csv');
    expect(serialsFrom('A1\nA2, A3  A1\n\n')).toEqual(['A1', 'A2', 'A3']);
  });

  it('counts stock per pool against the threshold, only registered tokens in stock', () => {
    const stock = stockByPool(
      [
        { serialNumber: '1', pool: 'GVA', status: 'in_stock', registeredInEntra: true },
        { serialNumber: '2', pool: 'GVA', status: 'in_stock', registeredInEntra: false },
        { serialNumber: '3', pool: 'GVA', status: 'active' },
        { serialNumber: '6', pool: 'GVA', status: 'importing', registeredInEntra: false },
        { serialNumber: '4', pool: '', status: 'in_stock' },
        { serialNumber: '5', pool: '', status: 'in_stock' },
      ],
      2,
    );
    expect(stock).toEqual([
      { pool: '', inStock: 2, total: 2, low: false },
      { pool: 'GVA', inStock: 1, total: 4, low: true },
    ]);
  });

  it('finds what needs a person and the last 30 days of hires and leavers', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const records = [
      { employeeId: 'E1', kind: 'joiner', status: 'failed', reason: 'no stock', createdAt: '2026-11-20T00:00:00Z', updatedAt: '2026-11-20T00:00:00Z' },
      { employeeId: 'E2', kind: 'leaver', status: 'retrying', reason: 'Graph down', createdAt: '2026-11-25T00:00:00Z', updatedAt: '2026-11-25T00:00:00Z' },
      { employeeId: 'E3', kind: 'joiner', status: 'completed', reason: null, createdAt: '2026-09-01T00:00:00Z', updatedAt: '2026-09-01T00:00:00Z' },
    ];
    expect(recentWork(records, now)).toEqual({ hires: [['failed', 1]], leavers: [['retrying', 1]] });
    const attention = needsAttention(records, { runId: 'r1', status: 'held', items: [{ kind: 'held_after_termination', serialNumber: 'TK-9', detail: 'E7 left' }, { kind: 'status_mismatch', serialNumber: 'TK-8' }, { kind: 'import_incomplete', serialNumber: 'TK-7', detail: 'send the same file again' }] });
    expect(attention.map((a) => a.what)).toEqual(['Hire of E1 failed', 'Leaver E2 still holds access (retrying)', 'Reconciliation run r1 is held', 'held after termination: TK-9', 'import incomplete: TK-7']);
    expect(attention[3]?.link).toBe('#/tokens/TK-9');
  });

  it('says what the API refused in one sentence', () => {
    expect(describeProblem(400, { title: 'Bad Request', detail: 'The query is not valid', errors: [{ path: 'pool', message: 'must be at most 64 characters' }] })).toBe('The query is not valid: pool must be at most 64 characters');
    expect(describeProblem(403, undefined)).toBe('Your role does not allow this');
    expect(describeProblem(502, 'gateway')).toBe('The API answered 502');
  });
});

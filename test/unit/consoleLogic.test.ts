import { handoversPath, nextShipment, pickListCsv } from '../../console/src/lib/desk';
import { importContentType, importOutcomeOf, serialsFrom } from '../../console/src/lib/imports';
import { actorLabel, formatTime, isDestructiveReason, personLabel, REVOKE_REASONS, shippingLabel, tokenStatusLabel, workStatusLabel } from '../../console/src/lib/labels';
import { needsAttention, recentWork, stockByPool } from '../../console/src/lib/overview';
import { pageOf } from '../../console/src/lib/paging';
import { describeProblem } from '../../console/src/lib/problem';
import { auditPath, holderOf, provisioningPath, tokenSearchPath } from '../../console/src/lib/query';
import { actorObjectId, reportSummary, requesterLabel } from '../../console/src/lib/reconcile';
import { abilitiesOf, landingPage, pagesFor, refusedPage, rolesOf } from '../../console/src/lib/roles';
import { metadataUrl, unreachableAuthorityMessage } from '../../console/src/lib/signin';
import { REVOKE_REASONS as DOMAIN_REVOKE_REASONS } from '../../shared/domain/token';

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

  it('shows a desk-only person the Desk alone, a reader every page but Imports, an admin all; a page out of reach lands on the first allowed', () => {
    const paths = (roles: string[]) => pagesFor(abilitiesOf(roles)).map((p) => p.label);
    expect(paths(['Tokens.Desk'])).toEqual(['Desk']);
    expect(paths(['Tokens.Read'])).toEqual(['Overview', 'Tokens', 'People', 'Desk', 'Reconciliation']);
    expect(paths(['Tokens.Admin'])).toEqual(['Overview', 'Tokens', 'People', 'Desk', 'Imports', 'Reconciliation']);
    expect(paths(['Tokens.Read', 'Tokens.Desk'])).toEqual(['Overview', 'Tokens', 'People', 'Desk', 'Reconciliation']);
    expect(paths([])).toEqual([]);
    expect(landingPage(abilitiesOf(['Tokens.Desk']), '')).toBe('desk');
    expect(landingPage(abilitiesOf(['Tokens.Desk']), 'tokens')).toBe('desk');
    expect(landingPage(abilitiesOf(['Tokens.Read']), 'imports')).toBe('');
    expect(landingPage(abilitiesOf(['Tokens.Admin']), 'imports')).toBe('imports');
    expect(landingPage(abilitiesOf([]), '')).toBeUndefined();
    expect(refusedPage(abilitiesOf(['Tokens.Read']), 'imports')).toBe('The Imports page needs the Tokens.Admin role, which your account does not have.');
    expect(refusedPage(abilitiesOf(['Tokens.Desk']), 'tokens')).toBe('The Tokens page needs the Tokens.Read role, which your account does not have.');
    expect(refusedPage(abilitiesOf(['Tokens.Admin']), 'imports')).toBeUndefined();
    expect(refusedPage(abilitiesOf(['Tokens.Read']), 'nowhere')).toBeUndefined();
  });

  it('speaks words, not codes: statuses, people, the audit actor, one date format in the browser locale', () => {
    expect(tokenStatusLabel('in_stock')).toBe('In stock');
    expect(tokenStatusLabel('awaiting_handover')).toBe('Waiting for hand-over');
    expect(workStatusLabel('waiting_for_user')).toBe('Waiting for the person');
    expect(shippingLabel('pending')).toBe('Not shipped');
    // A code the console does not know yet is still readable, never hidden.
    expect(tokenStatusLabel('on_loan')).toBe('On loan');
    expect(tokenStatusLabel(null)).toBe('');
    expect(personLabel({ userPrincipalName: 'ada@contoso.com', employeeId: 'E1001' })).toBe('ada@contoso.com (employee E1001)');
    expect(personLabel({ displayName: 'Ada Lovelace', userPrincipalName: 'ada@contoso.com', employeeId: 'E1001' })).toBe('Ada Lovelace (ada@contoso.com)');
    expect(personLabel({ displayName: 'Ada Lovelace', userPrincipalName: null, employeeId: 'E1001' })).toBe('Ada Lovelace (employee E1001)');
    expect(personLabel({ displayName: 'Ada Lovelace', userPrincipalName: null, employeeId: null })).toBe('Ada Lovelace');
    expect(personLabel({ userPrincipalName: null, employeeId: 'E1001' })).toBe('employee E1001');
    expect(personLabel({ userPrincipalName: null, employeeId: null })).toBe('nobody');
    expect(actorLabel({ actor: 'admin 00000000-0000-4000-8000-0000000a0001', caller: { oid: '00000000-0000-4000-8000-0000000a0001', name: 'Alex Admin' } })).toBe('Alex Admin');
    expect(actorLabel({ actor: 'admin 00000000-0000-4000-8000-0000000a0001', caller: { oid: '00000000-0000-4000-8000-0000000a0001' } })).toBe('admin 00000000-0000-4000-8000-0000000a0001');
    expect(actorLabel({ actor: 'hr' })).toBe('HR system');
    expect(formatTime('2026-12-07T09:05:00Z', 'en-GB', 'UTC')).toBe('7 Dec 2026, 09:05');
    expect(formatTime('2026-12-07T09:05:00Z', 'en-US', 'UTC')).toMatch(/^Dec 7, 2026, 9:05\sAM$/);
    expect(formatTime(null)).toBe('');
    expect(formatTime('not a date')).toBe('not a date');
  });

  it('offers revocation reasons with no default to fall into, each saying what it does, the destructive ones marked', () => {
    expect(REVOKE_REASONS.map((r) => r.reason).sort()).toEqual(['damaged', 'lost', 'offboarded', 'returned', 'stolen', 'unused']);
    // The console offers exactly the reasons the API accepts.
    expect(REVOKE_REASONS.map((r) => r.reason).sort()).toEqual([...DOMAIN_REVOKE_REASONS].sort());
    // unused (issue 26) keeps the seed and waits for the token's return, like returned and offboarded.
    const unused = REVOKE_REASONS.find((r) => r.reason === 'unused');
    expect(unused?.label).toBe('Unused');
    expect(unused?.effect).toMatch(/seed is kept/);
    expect(unused?.effect).toMatch(/waits for its return/);
    expect(isDestructiveReason('unused')).toBe(false);
    for (const r of REVOKE_REASONS) expect(r.effect).toMatch(/^[A-Z].{20,200}\.$/);
    // The first in the list destroys nothing.
    expect(isDestructiveReason(REVOKE_REASONS[0]?.reason ?? 'lost')).toBe(false);
    expect(REVOKE_REASONS.filter((r) => isDestructiveReason(r.reason)).map((r) => r.reason)).toEqual(['damaged', 'lost', 'stolen']);
    for (const r of REVOKE_REASONS.filter((x) => isDestructiveReason(x.reason))) expect(r.effect).toMatch(/seed destroyed/);
  });

  it('tells a browser that cannot reach the dev identity what to open and which CA to trust', () => {
    expect(metadataUrl('https://127.0.0.1:8445/dev-tenant/')).toBe('https://127.0.0.1:8445/dev-tenant/v2.0/.well-known/openid-configuration');
    const local = unreachableAuthorityMessage('https://127.0.0.1:8445/dev-tenant');
    expect(local).toContain('dev identity at https://127.0.0.1:8445');
    expect(local).toContain('open https://127.0.0.1:8445/dev-tenant/v2.0/.well-known/openid-configuration in this browser');
    expect(local).toContain('.local/dev-ca/ca.pem');
    const entra = unreachableAuthorityMessage('https://login.microsoftonline.com/contoso.onmicrosoft.com');
    expect(entra).toContain('https://login.microsoftonline.com');
    expect(entra).not.toContain('dev CA');
  });

  it('says what a reconciliation counted: in flight is neither consistent nor drift', () => {
    expect(reportSummary({ counts: { tokensInInventory: 12, devicesInEntra: 10, seedsInVault: 12, consistent: 0, inFlight: 12 }, drift: { low_stock: 1, status_mismatch: 0 }, repairsQueued: 0 })).toEqual([
      '12 tokens in the inventory: 0 consistent with Entra and Key Vault, 12 in flight (reserved by a hire or changed in the last minutes; the next run checks them).',
      '10 hardware token devices in Entra, 12 seeds in Key Vault.',
      'No drift found.',
      '1 pool below LOW_STOCK_THRESHOLD.',
      '0 repairs queued.',
    ]);
    const held = reportSummary({ counts: { tokensInInventory: 5, devicesInEntra: 1, seedsInVault: 5, consistent: 2, inFlight: 1 }, drift: { seed_missing: 2, orphan_seed: 1 }, status: 'held', repairsHeld: 60 });
    expect(held[0]).toBe('5 tokens in the inventory: 2 consistent with Entra and Key Vault, 1 in flight (reserved by a hire or changed in the last minutes; the next run checks them), 2 with drift.');
    expect(held[1]).toBe('1 hardware token device in Entra, 5 seeds in Key Vault.');
    expect(held[2]).toBe('3 findings of drift: 2 seed missing, 1 orphan seed.');
    expect(held[3]).toMatch(/^60 repairs held: more than RECONCILE_MAX_CHANGES/);
    expect(requesterLabel({ requestedBy: 'schedule' }, {})).toBe('the schedule (RECONCILE_SCHEDULE)');
    expect(requesterLabel({ requestedBy: 'admin oid-1', requestedByName: 'alex@contoso.com' }, { oid: 'oid-1', name: 'Alex Admin' })).toBe('you (Alex Admin)');
    // Another admin's run is named by the name kept with it; a run from before names were kept shows its actor.
    expect(requesterLabel({ requestedBy: 'admin oid-2', requestedByName: 'sam@contoso.com' }, { oid: 'oid-1', name: 'Alex Admin' })).toBe('sam@contoso.com');
    expect(requesterLabel({ requestedBy: 'admin oid-2' }, { oid: 'oid-1', name: 'Alex Admin' })).toBe('admin oid-2');
    expect(actorObjectId('admin oid-2')).toBe('oid-2');
    expect(actorObjectId('schedule')).toBeUndefined();
  });

  it('builds the pick list query, its CSV for label printers (no formula cells) and the next shipping step', () => {
    expect(handoversPath({})).toBe('handovers');
    expect(handoversPath({ location: ' GVA ', status: 'shipped' })).toBe('handovers?location=GVA&status=shipped');
    const csv = pickListCsv([{ serialNumber: 'HO-1', manufacturer: 'Token2', model: 'C302', employeeId: 'E1', userPrincipalName: '=cmd@contoso.com', displayName: 'Ada Lovelace', site: 'GVA', since: '2026-12-01T00:00:00Z', shipping: 'shipped', tracking: 'CH, 1' }]);
    expect(csv.split('\n')).toEqual(['site,serial number,name,holder,employee id,since,shipping,tracking,model', "GVA,HO-1,Ada Lovelace,'=cmd@contoso.com,E1,2026-12-01T00:00:00Z,shipped,\"CH, 1\",Token2 C302"]);
    expect(nextShipment('pending')).toBe('shipped');
    expect(nextShipment('shipped')).toBe('delivered');
    expect(nextShipment('delivered')).toBeUndefined();
  });

  it('pages a list for the one table: clamped to the pages there are, one empty page for nothing', () => {
    const items = Array.from({ length: 53 }, (_, i) => i);
    expect(pageOf(items, 0, 25)).toEqual({ shown: items.slice(0, 25), current: 0, pages: 3 });
    expect(pageOf(items, 2, 25)).toEqual({ shown: [50, 51, 52], current: 2, pages: 3 });
    // A list that shrank (a row handed over) keeps the last page there is.
    expect(pageOf(items.slice(0, 30), 2, 25)).toEqual({ shown: items.slice(25, 30), current: 1, pages: 2 });
    expect(pageOf([], 4, 25)).toEqual({ shown: [], current: 0, pages: 1 });
    expect(pageOf(items, -1, 25).current).toBe(0);
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
    const report = { runId: 'r1', status: 'held', items: [{ kind: 'held_after_termination', serialNumber: 'TK-9', detail: 'E7 left' }, { kind: 'status_mismatch', serialNumber: 'TK-8' }, { kind: 'import_incomplete', serialNumber: 'TK-7', detail: 'send the same file again' }] };
    const attention = needsAttention({ records, report, tokens: [], stock: [] });
    expect(attention.map((a) => a.what)).toEqual(['Hire of employee E1 failed', 'Leaver employee E2 still holds access (retrying)', 'Reconciliation run r1 is held', 'held after termination: TK-9', 'import incomplete: TK-7']);
    expect(attention[3]?.link).toBe('#/tokens/TK-9');
  });

  it('lists pools out of or low on stock, tokens waiting for hand-over or their import, each once', () => {
    const tokens = [
      { serialNumber: 'HO-1', pool: 'GVA', status: 'awaiting_handover', displayName: 'Ada Lovelace', userPrincipalName: 'ada@contoso.com', employeeId: 'E1' },
      { serialNumber: 'HO-2', pool: 'GVA', status: 'in_stock', registeredInEntra: true },
      { serialNumber: 'IM-1', pool: 'ZRH', status: 'importing', registeredInEntra: false },
      { serialNumber: 'IM-2', pool: 'ZRH', status: 'importing', registeredInEntra: false },
      { serialNumber: 'S-1', pool: '', status: 'in_stock', registeredInEntra: true },
      { serialNumber: 'S-2', pool: '', status: 'in_stock', registeredInEntra: true },
    ];
    const stock = stockByPool(tokens, 2);
    const records = [{ employeeId: 'E5', userPrincipalName: 'grace@contoso.com', kind: 'joiner', status: 'failed', reason: 'no stock in ZRH', createdAt: '2026-11-20T00:00:00Z', updatedAt: '2026-11-20T00:00:00Z' }];
    // The report repeats the hand-over and the import: listed from the inventory only.
    const report = { runId: 'r2', status: 'completed', items: [{ kind: 'handover_overdue', serialNumber: 'HO-1', detail: 'waiting 20 days' }, { kind: 'import_incomplete', serialNumber: 'IM-1', detail: 'send again' }] };
    const attention = needsAttention({ records, report, tokens, stock });
    expect(attention.map((a) => a.what)).toEqual([
      'Low stock in pool GVA: 1 left',
      'No token in stock in pool ZRH',
      'Token HO-1 waits for its hand-over to Ada Lovelace (ada@contoso.com)',
      '2 tokens still importing',
      'Hire of grace@contoso.com (employee E5) failed',
    ]);
    expect(attention.map((a) => a.link)).toEqual(['#/imports', '#/imports', '#/desk', '#/tokens', '#/people']);
  });

  it('says what the API refused in one sentence', () => {
    expect(describeProblem(400, { title: 'Bad Request', detail: 'The query is not valid', errors: [{ path: 'pool', message: 'must be at most 64 characters' }] })).toBe('The query is not valid: pool must be at most 64 characters');
    expect(describeProblem(403, undefined)).toBe('Your role does not allow this');
    expect(describeProblem(502, 'gateway')).toBe('The API answered 502');
  });
});

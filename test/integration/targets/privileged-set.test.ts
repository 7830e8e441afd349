import { generateSeed } from '../../../shared/domain/seed';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { allTokens, importTokens, JOINER_HOST_JSON, joinerReaches, sendHire } from '../../support/hr';
import { ageTokenRows, reconcile } from '../reconcile/helpers';
import { addMember, CSV_HEADER, entraSerialsOf, makeGlobalAdmin } from './helpers';

/**
 * The target check judges a first hire and an import row by the privileged set read in bulk, so a hire
 * costs two Graph requests (the account, one write) and an import row less than one read plus its writes; what the
 * set's window lets through, the next reconciliation takes back. Counted on the Graph emulator's stats.
 */

const PROTECTED_GROUP = '5a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
const HIRES = Array.from({ length: 6 }, (_, i) => ({ displayName: `Hire ${i + 1}`, userPrincipalName: `hire${i + 1}@contoso.com`, employeeId: `P30${String(i + 1).padStart(2, '0')}` }));
const IMPORTED = Array.from({ length: 4 }, (_, i) => ({ displayName: `Named ${i + 1}`, userPrincipalName: `named${i + 1}@contoso.com`, employeeId: `P31${String(i + 1).padStart(2, '0')}` }));
const LATE_ADMIN = { displayName: 'Late Admin', userPrincipalName: 'late.admin@contoso.com', employeeId: 'P3201' };
const LATE_PROTECTED = { displayName: 'Late Protected', userPrincipalName: 'late.protected@contoso.com', employeeId: 'P3202' };
const APPROVED_ADMIN = { displayName: 'Approved Admin', userPrincipalName: 'approved.admin@contoso.com', employeeId: 'P3203' };
/** What reading the privileged set costs: the role holders, the role-assignable groups, the protected group's members. */
const SET_READS = ['GET roleAssignments', 'GET roleEligibilityScheduleInstances', 'GET groups', 'GET group.transitiveMembers'];

describe('the privileged set: two Graph requests per hire, and reconciliation closes its window', () => {
  let app: TestApp;
  const ids = new Map<string, string>();

  const requestsDuring = async (work: () => Promise<void>): Promise<Record<string, number>> => {
    const before = (await app.graph.stats()).requests;
    await work();
    const after = (await app.graph.stats()).requests;
    return Object.fromEntries(Object.entries(after).map(([key, count]) => [key, count - (before[key] ?? 0)]).filter(([, count]) => (count as number) > 0));
  };
  const split = (requests: Record<string, number>) => {
    const set = Object.fromEntries(Object.entries(requests).filter(([key]) => SET_READS.includes(key)));
    const rest = Object.fromEntries(Object.entries(requests).filter(([key]) => !SET_READS.includes(key)));
    return { set, rest };
  };
  const importCsv = (rows: string[], roles?: string[]) => app.call('POST', 'tokens/import', { body: `${CSV_HEADER}\n${rows.join('\n')}\n`, contentType: 'text/csv', ...(roles ? { roles } : {}) });
  const row = (upn: string, serial: string) => `${upn},${serial},${generateSeed('hmacsha1')},30,Token2,C202`;

  beforeAll(async () => {
    // A long maximum age makes the counts exact: the set is read once, by the first check.
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON, settings: { PROTECTED_GROUP_IDS: PROTECTED_GROUP, PRIVILEGED_SET_MAX_AGE: '3600' } });
    for (const user of await app.graph.seedUsers([...HIRES, ...IMPORTED, LATE_ADMIN, LATE_PROTECTED, APPROVED_ADMIN])) ids.set(user.userPrincipalName, user.id);
    await app.graph.seedGroups([{ id: PROTECTED_GROUP, displayName: 'Tier 0 accounts', mailEnabled: false, mailNickname: 'tier0', securityEnabled: true }]);
    await makeGlobalAdmin(app, ids.get(APPROVED_ADMIN.userPrincipalName)!);
    await importTokens(app, Array.from({ length: 12 }, (_, i) => ({ serial: `PS-${String(i + 1).padStart(3, '0')}` })));
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a hire finds the account and makes one write; the privileged set is read once for all of them', async () => {
    const { set, rest } = split(
      await requestsDuring(async () => {
        for (const person of HIRES) expect((await sendHire(app, person)).status).toBe(202);
        for (const person of HIRES) expect(await joinerReaches(app, person.employeeId, ['completed', 'failed'])).toMatchObject({ status: 'completed' });
      }),
    );
    // The account by employeeId (hires worked on side by side share that read), and the one write.
    expect(Object.keys(rest).sort()).toEqual(['GET users', 'POST methods.assignAndActivate']);
    expect(rest['GET users']).toBeGreaterThanOrEqual(1);
    expect(rest['GET users']).toBeLessThanOrEqual(HIRES.length);
    expect(rest['POST methods.assignAndActivate']).toBe(HIRES.length);
    expect(set).toEqual(Object.fromEntries(SET_READS.map((key) => [key, 1])));
    for (const person of HIRES) expect(await entraSerialsOf(app, person.userPrincipalName)).toHaveLength(1);
  });

  it('an import naming users reads the accounts together, beside the device listing, and writes the devices and the assignments', async () => {
    const requests = await requestsDuring(async () => {
      const summary = await jsonOf(await importCsv(IMPORTED.map((person, i) => row(person.userPrincipalName, `PSI-${i + 1}`))));
      expect(summary).toMatchObject({ imported: IMPORTED.length, errors: [] });
    });
    // One listing page of the tenant's devices answers "is this serial in Entra already" for the whole file.
    expect(requests).toEqual({ 'GET users': 1, 'GET devices': 1, 'PATCH devices.delta': 1, 'POST methods.assignAndActivate': IMPORTED.length });
    for (const [i, person] of IMPORTED.entries()) expect(await entraSerialsOf(app, person.userPrincipalName)).toEqual([`PSI-${i + 1}`]);
  });

  it('a privileged account still refused on every path; one made privileged inside the window loses its token to the next reconciliation, an approved one keeps it', async () => {
    // A Tokens.PrivilegedAdmin gives an administrator a token: approved on the row, so reconciliation leaves it.
    expect(await jsonOf(await importCsv([row(APPROVED_ADMIN.userPrincipalName, 'PSA-1')], ['Tokens.PrivilegedAdmin']))).toMatchObject({ imported: 1, errors: [] });
    // Anyone else's import for the administrator is refused, the set showing it privileged and Entra confirming.
    expect(await jsonOf(await importCsv([row(APPROVED_ADMIN.userPrincipalName, 'PSA-2')]))).toMatchObject({ imported: 0, errors: [expect.objectContaining({ code: 'privileged_account' })] });

    // Made privileged after the set was read: the set cannot know yet, so their first hires go through.
    await makeGlobalAdmin(app, ids.get(LATE_ADMIN.userPrincipalName)!);
    await addMember(app, PROTECTED_GROUP, ids.get(LATE_PROTECTED.userPrincipalName)!);
    for (const person of [LATE_ADMIN, LATE_PROTECTED]) await sendHire(app, person);
    const late = [];
    for (const person of [LATE_ADMIN, LATE_PROTECTED]) late.push(await joinerReaches(app, person.employeeId, ['completed', 'failed']));
    expect(late).toEqual([expect.objectContaining({ status: 'completed' }), expect.objectContaining({ status: 'completed' })]);

    await ageTokenRows(app);
    const report = await reconcile(app, 'safe');
    expect(report.drift.held_outside_targets).toBe(2);
    expect(report.items.filter((item) => item.kind === 'held_outside_targets')).toEqual(
      expect.arrayContaining(late.map((joiner) => expect.objectContaining({ serialNumber: joiner.serialNumber, repair: 'queued' }))),
    );
    for (const person of [LATE_ADMIN, LATE_PROTECTED]) expect(await entraSerialsOf(app, person.userPrincipalName)).toEqual([]);
    const tokens = await allTokens(app);
    for (const joiner of late) {
      expect(tokens.find((t) => t.serialNumber === joiner.serialNumber)).toMatchObject({ status: 'quarantined', lastChangeReason: expect.stringContaining('privileged_account') });
    }
    expect(await entraSerialsOf(app, APPROVED_ADMIN.userPrincipalName)).toEqual(['PSA-1']);
    for (const person of [...HIRES, ...IMPORTED]) expect(await entraSerialsOf(app, person.userPrincipalName)).toHaveLength(1);

    // A second run finds nothing left to take back.
    await ageTokenRows(app);
    expect((await reconcile(app, 'safe')).drift.held_outside_targets).toBe(0);
  });
});

import type { EntraUser, GroupMembership, PrincipalDirectory, ProvisioningRecord, ProvisioningStore, RoleHolding } from '../../shared/ports';
import { findHireTarget, refusalBeforeActivation, targetCheck } from '../../shared/workflows/targetCheck';

const GLOBAL_ADMIN = '62e90394-69f5-4237-9190-012177145e10';
const PROTECTED = '0b7a3f4e-1111-4c1d-9e5a-000000000001';
const ALLOWED = '0b7a3f4e-2222-4c1d-9e5a-000000000002';
const ROLE_GROUP = '0b7a3f4e-3333-4c1d-9e5a-000000000003';

const ADA: EntraUser = { id: 'u-ada', userPrincipalName: 'ada@contoso.com', employeeId: 'E1', userType: 'Member' };

/** A tenant as plain maps: roles by principal, groups by user. */
function principals(roles: Record<string, RoleHolding['kind'][]>, groups: Record<string, GroupMembership[]>): PrincipalDirectory & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    rolesOf: async (id) => {
      asked.push(id);
      return (roles[id] ?? []).map((kind) => ({ principalId: id, roleDefinitionId: GLOBAL_ADMIN, directoryScopeId: '/', kind }));
    },
    groupsOf: async (id) => groups[id] ?? [],
  };
}

describe('targetCheck', () => {
  const policy = { protectedGroupIds: [PROTECTED] };

  it('lets an ordinary member through', async () => {
    expect(await targetCheck(principals({}, {}), policy).check(ADA, { privilegedAllowed: false })).toEqual({ ok: true, privileged: false });
  });

  it.each([
    ['an active role', principals({ 'u-ada': ['active'] }, {}), /holds active role Global Administrator \(62e90394/],
    ['an eligible-only role', principals({ 'u-ada': ['eligible'] }, {}), /holds eligible role Global Administrator \(62e90394/],
    ['a role given to a role-assignable group it is in', principals({ [ROLE_GROUP]: ['active'] }, { 'u-ada': [{ id: ROLE_GROUP, isAssignableToRole: true }] }), /holds active role/],
    ['membership of a protected group', principals({}, { 'u-ada': [{ id: PROTECTED.toUpperCase(), displayName: 'Break glass', isAssignableToRole: false }] }), /protected group Break glass/],
  ])('refuses %s as privileged_account, unless the caller is a privileged admin', async (_what, tenant, detail) => {
    const check = targetCheck(tenant, policy);
    expect(await check.check(ADA, { privilegedAllowed: false })).toEqual({ ok: false, refusal: 'privileged_account', detail: expect.stringMatching(detail) });
    expect(await check.check(ADA, { privilegedAllowed: true })).toEqual({ ok: true, privileged: true, detail: expect.stringContaining('allowed by Tokens.PrivilegedAdmin') });
  });

  it('does not ask about roles of groups that cannot hold roles', async () => {
    const tenant = principals({}, { 'u-ada': [{ id: 'g-plain', isAssignableToRole: false }] });
    await targetCheck(tenant, policy).check(ADA, { privilegedAllowed: false });
    expect(tenant.asked).toEqual(['u-ada']);
  });

  it('with an allowed group, refuses everyone outside it, even for a privileged admin', async () => {
    const check = targetCheck(principals({}, { 'u-in': [{ id: ALLOWED, isAssignableToRole: false }] }), { protectedGroupIds: [], allowedGroupId: ALLOWED });
    expect(await check.check({ ...ADA, id: 'u-in' }, { privilegedAllowed: false })).toEqual({ ok: true, privileged: false });
    expect(await check.check(ADA, { privilegedAllowed: true })).toMatchObject({ ok: false, refusal: 'not_in_allowed_group' });
  });

  it('refuses guests', async () => {
    expect(await targetCheck(principals({}, {}), policy).check({ ...ADA, userType: 'Guest' }, { privilegedAllowed: true })).toMatchObject({ ok: false, refusal: 'guest_account' });
  });
});

describe('findHireTarget', () => {
  const directory = (byUpn: EntraUser | undefined, byEmployeeId: EntraUser | 'ambiguous' | undefined) => ({
    findUserByUpn: async () => byUpn,
    findUserByEmployeeId: async () => byEmployeeId,
  });

  it('finds the account by UPN or by employeeId when its employeeId is the event’s', async () => {
    expect(await findHireTarget(directory(ADA, ADA), 'E1', 'ada@contoso.com')).toEqual({ kind: 'found', user: ADA });
    expect(await findHireTarget(directory(undefined, ADA), 'e1', 'ada.l@contoso.com')).toEqual({ kind: 'found', user: ADA });
    expect(await findHireTarget(directory(undefined, undefined), 'E1', undefined)).toEqual({ kind: 'missing' });
  });

  it('asks for the UPN only when the employeeId names another account or none', async () => {
    const upnLookups: string[] = [];
    const counting = (byUpn: EntraUser | undefined, byEmployeeId: EntraUser | undefined) => ({
      findUserByUpn: async (upn: string) => {
        upnLookups.push(upn);
        return byUpn;
      },
      findUserByEmployeeId: async () => byEmployeeId,
    });
    expect(await findHireTarget(counting(ADA, ADA), 'E1', 'ADA@contoso.com')).toEqual({ kind: 'found', user: ADA });
    expect(upnLookups).toEqual([]);
    const other: EntraUser = { ...ADA, id: 'u-other', userPrincipalName: 'other@contoso.com', employeeId: 'E2' };
    expect(await findHireTarget(counting(other, ADA), 'E1', 'other@contoso.com')).toMatchObject({ kind: 'refused', refusal: 'employee_id_mismatch' });
    expect(await findHireTarget(counting(undefined, undefined), 'E1', 'new@contoso.com')).toEqual({ kind: 'missing' });
    expect(upnLookups).toEqual(['other@contoso.com', 'new@contoso.com']);
  });

  it('refuses an account with another or no employeeId, and an employeeId on two accounts', async () => {
    expect(await findHireTarget(directory({ ...ADA, employeeId: 'E2' }, undefined), 'E1', 'ada@contoso.com')).toMatchObject({ kind: 'refused', refusal: 'employee_id_mismatch' });
    expect(await findHireTarget(directory({ ...ADA, employeeId: undefined }, undefined), 'E1', 'ada@contoso.com')).toMatchObject({ kind: 'refused', refusal: 'employee_id_mismatch', detail: expect.stringContaining('no employeeId') });
    expect(await findHireTarget(directory(ADA, 'ambiguous'), 'E1', 'ada@contoso.com')).toMatchObject({ kind: 'refused', refusal: 'ambiguous_employee_id' });
  });
});

describe('refusalBeforeActivation: the holder is asked again right before a hand-over or a resume', () => {
  const NOW = new Date('2026-12-07T10:00:00Z');
  const record = (kind: 'joiner' | 'leaver', fields: Partial<ProvisioningRecord>): ProvisioningRecord => ({
    employeeId: 'E1',
    kind,
    status: 'completed',
    attempts: 0,
    eventIds: [],
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    ...fields,
  });
  const deps = (records: ProvisioningRecord[], tenant = principals({}, {}), users: EntraUser[] = [ADA]) => ({
    directory: { findUserByUpn: async (idOrUpn: string) => users.find((u) => u.id === idOrUpn || u.userPrincipalName === idOrUpn) },
    targets: targetCheck(tenant, { protectedGroupIds: [] }),
    provisioning: {
      list: async (employeeId: string) => records.filter((r) => r.employeeId === employeeId),
      get: async (employeeId: string, kind: string) => records.find((r) => r.employeeId === employeeId && r.kind === kind),
      leaversNaming: async (entraUserId: string) => records.filter((r) => r.kind === 'leaver' && r.entraUserId?.toLowerCase() === entraUserId.toLowerCase()),
    } as unknown as ProvisioningStore,
    clock: { now: () => NOW },
  });
  const holder = { entraUserId: 'u-ada', employeeId: 'E1' };

  it('lets an ordinary holder with no leaver through', async () => {
    expect(await refusalBeforeActivation(deps([record('joiner', {})]), holder, { privilegedAllowed: false })).toBeUndefined();
  });

  it.each([
    ['a revocation still retrying', record('leaver', { status: 'retrying', terminationDate: '2026-12-06' })],
    ['a revocation pending since today', record('leaver', { status: 'pending_revocation', terminationDate: '2026-12-07' })],
    ['a revocation pending with no date (at once)', record('leaver', { status: 'pending_revocation' })],
    ['a termination date passed', record('leaver', { status: 'completed', terminationDate: '2026-12-01' })],
  ])('refuses a leaver: %s', async (_what, leaver) => {
    expect(await refusalBeforeActivation(deps([record('joiner', { hireDate: '2026-01-01' }), leaver]), holder, { privilegedAllowed: true })).toEqual({ refusal: 'leaver', detail: expect.stringContaining('E1 is a leaver') });
  });

  it('lets a holder through whose termination is dated ahead: not a leaver yet', async () => {
    const records = [record('joiner', { hireDate: '2026-01-01' }), record('leaver', { status: 'pending_revocation', terminationDate: '2027-03-31' })];
    expect(await refusalBeforeActivation(deps(records), holder, { privilegedAllowed: false })).toBeUndefined();
  });

  it('lets a rehire after the termination through', async () => {
    const records = [record('joiner', { hireDate: '2026-12-05' }), record('leaver', { status: 'completed', terminationDate: '2026-12-01' })];
    expect(await refusalBeforeActivation(deps(records), holder, { privilegedAllowed: false })).toBeUndefined();
  });

  describe('a person is their Entra object id: a leaver record naming the account counts, whatever employeeId the row carries', () => {
    const elsewhere = (fields: Partial<ProvisioningRecord>) => record('leaver', { employeeId: 'E7', entraUserId: 'u-ada', status: 'completed', terminationDate: '2026-12-01', ...fields });

    it.each([
      ['the row has no employeeId', { entraUserId: 'u-ada' }],
      ['the row has another employeeId, with a clean hire', holder],
    ])('refuses when %s', async (_what, who) => {
      const records = [record('joiner', { hireDate: '2026-01-01', entraUserId: 'u-ada' }), elsewhere({})];
      expect(await refusalBeforeActivation(deps(records), who, { privilegedAllowed: true })).toEqual({ refusal: 'leaver', detail: expect.stringContaining('Entra account u-ada is a leaver (employee E7') });
    });

    it('refuses a revocation still retrying, or pending with no date, under another employeeId', async () => {
      for (const leaver of [elsewhere({ status: 'retrying' }), elsewhere({ status: 'pending_revocation', terminationDate: undefined })]) {
        expect(await refusalBeforeActivation(deps([leaver]), { entraUserId: 'u-ada' }, { privilegedAllowed: false })).toMatchObject({ refusal: 'leaver' });
      }
    });

    it('lets through a termination dated ahead, a rehire in that employee\'s records, or a rehire of the same account under the row\'s employeeId', async () => {
      const ahead = [elsewhere({ status: 'pending_revocation', terminationDate: '2027-03-31' })];
      const rehiredThere = [elsewhere({}), record('joiner', { employeeId: 'E7', hireDate: '2026-12-05' })];
      const rehiredHere = [elsewhere({}), record('joiner', { hireDate: '2026-12-05', entraUserId: 'u-ada' })];
      for (const records of [ahead, rehiredThere, rehiredHere]) expect(await refusalBeforeActivation(deps(records), holder, { privilegedAllowed: false })).toBeUndefined();
    });

    it('a hire of another account under the row\'s employeeId is no rehire of this one', async () => {
      const records = [elsewhere({}), record('joiner', { hireDate: '2026-12-05', entraUserId: 'u-other' })];
      expect(await refusalBeforeActivation(deps(records), holder, { privilegedAllowed: false })).toMatchObject({ refusal: 'leaver' });
    });

    it('a leaver record naming another account is not this holder', async () => {
      expect(await refusalBeforeActivation(deps([elsewhere({ entraUserId: 'u-bob' })]), { entraUserId: 'u-ada' }, { privilegedAllowed: false })).toBeUndefined();
    });
  });

  it('refuses a holder who became privileged, unless a privileged admin asks, and an account that is gone', async () => {
    const admin = principals({ 'u-ada': ['active'] }, {});
    expect(await refusalBeforeActivation(deps([], admin), holder, { privilegedAllowed: false })).toEqual({ refusal: 'privileged_account', detail: expect.any(String) });
    expect(await refusalBeforeActivation(deps([], admin), holder, { privilegedAllowed: true })).toBeUndefined();
    expect(await refusalBeforeActivation(deps([], principals({}, {}), []), holder, { privilegedAllowed: false })).toEqual({ refusal: 'account_missing', detail: expect.any(String) });
  });
});

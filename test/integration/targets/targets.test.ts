import { TableClient } from '@azure/data-tables';
import { generateSeed } from '../../../shared/domain/seed';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { allTokens, importTokens, JOINER_HOST_JSON, joinerReaches, provisioningOf, sendHire } from '../../support/hr';
import { addMember, createGroup, CSV_HEADER, entraSerialsOf, makeEligibleAdmin, makeGlobalAdmin, tenantCall } from './helpers';

/**
 * Who may receive a token, through the HTTP API and the queue against Azurite and the emulators:
 * roles and groups are set up with the standard Graph calls, as on a tenant.
 */

const PROTECTED_GROUP = '6b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d';

const PEOPLE = {
  admin: { displayName: 'Grace Admin', userPrincipalName: 'global.admin@contoso.com', employeeId: 'T2001' },
  eligible: { displayName: 'Eli Gible', userPrincipalName: 'eligible.admin@contoso.com', employeeId: 'T2002' },
  breakGlass: { displayName: 'Break Glass', userPrincipalName: 'break.glass@contoso.com', employeeId: 'T2003' },
  plain: { displayName: 'Plain Member', userPrincipalName: 'plain@contoso.com', employeeId: 'T2004' },
  noEmployeeId: { displayName: 'No Id', userPrincipalName: 'no.id@contoso.com' },
  twinA: { displayName: 'Twin A', userPrincipalName: 'twin.a@contoso.com', employeeId: 'T2006' },
  twinB: { displayName: 'Twin B', userPrincipalName: 'twin.b@contoso.com', employeeId: 'T2006' },
  // Hired while ordinary, made privileged afterwards, then replace a lost token.
  laterAdmin: { displayName: 'Later Admin', userPrincipalName: 'later.admin@contoso.com', employeeId: 'T2011' },
  laterEligible: { displayName: 'Later Eligible', userPrincipalName: 'later.eligible@contoso.com', employeeId: 'T2012' },
  laterProtected: { displayName: 'Later Protected', userPrincipalName: 'later.protected@contoso.com', employeeId: 'T2013' },
  replacedAdmin: { displayName: 'Replaced Admin', userPrincipalName: 'replaced.admin@contoso.com', employeeId: 'T2021' },
};
const PRIVILEGED = ['admin', 'eligible', 'breakGlass'] as const;

describe('who may receive a token', () => {
  let app: TestApp;
  const ids = new Map<string, string>();
  let nestedGroup: string;

  const importCsv = (rows: string[], roles?: string[]) =>
    app.call('POST', 'tokens/import', { body: `${CSV_HEADER}\n${rows.join('\n')}\n`, contentType: 'text/csv', ...(roles ? { roles } : {}) });
  const row = (upn: string, serial: string) => `${upn},${serial},${generateSeed('hmacsha1')},30,Token2,C202`;
  const auditOf = async (filter: string) => {
    const audit = TableClient.fromConnectionString(app.stack.azurite.connectionString, 'audit', { allowInsecureConnection: true });
    const entries: Record<string, unknown>[] = [];
    for await (const entry of audit.listEntities({ queryOptions: { filter } })) entries.push(entry);
    return entries;
  };

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON, settings: { PROTECTED_GROUP_IDS: PROTECTED_GROUP } });
    for (const user of await app.graph.seedUsers(Object.values(PEOPLE))) ids.set(user.userPrincipalName, user.id);
    const id = (key: keyof typeof PEOPLE) => ids.get(PEOPLE[key].userPrincipalName)!;
    // The protected group exists under the id the setting names; membership comes through a nested group.
    await app.graph.seedGroups([{ id: PROTECTED_GROUP, displayName: 'Tier 0 accounts', mailEnabled: false, mailNickname: 'tier0', securityEnabled: true }]);
    nestedGroup = await createGroup(app, 'Break-glass accounts');
    await addMember(app, PROTECTED_GROUP, nestedGroup);
    await addMember(app, nestedGroup, id('breakGlass'));
    await makeGlobalAdmin(app, id('admin'));
    await makeEligibleAdmin(app, id('eligible'));
    await importTokens(app, Array.from({ length: 12 }, (_, i) => ({ serial: `TG-${String(i + 1).padStart(3, '0')}` })));
  });
  afterAll(async () => {
    await app?.close();
  });

  it('the emulator answers the standard role and membership reads', async () => {
    const assignments = await tenantCall(app, 'GET', `/roleManagement/directory/roleAssignments?$filter=principalId eq '${ids.get(PEOPLE.admin.userPrincipalName)}'`);
    expect(assignments.body.value).toEqual([expect.objectContaining({ roleDefinitionId: '62e90394-69f5-4237-9190-012177145e10', directoryScopeId: '/' })]);
    const eligible = await tenantCall(app, 'GET', `/roleManagement/directory/roleEligibilityScheduleInstances?$filter=principalId eq '${ids.get(PEOPLE.eligible.userPrincipalName)}'`);
    expect(eligible.body.value).toEqual([expect.objectContaining({ memberType: 'Direct', principalId: ids.get(PEOPLE.eligible.userPrincipalName) })]);
    const memberOf = await tenantCall(app, 'GET', `/users/${ids.get(PEOPLE.breakGlass.userPrincipalName)}/transitiveMemberOf`);
    expect((memberOf.body.value as { id: string }[]).map((g) => g.id).sort()).toEqual([PROTECTED_GROUP, nestedGroup].sort());
  });

  it('refuses an import row for a Global Administrator, an eligible-only admin and a protected-group member; nothing reaches Entra', async () => {
    const rows = [...PRIVILEGED.map((key, i) => row(PEOPLE[key].userPrincipalName, `TGI-${i + 1}`)), row(PEOPLE.plain.userPrincipalName, 'TGI-OK')];
    const response = await importCsv(rows);
    expect(response.status).toBe(200);
    const summary = await jsonOf(response);
    expect(summary.imported).toBe(1);
    expect(summary.errors).toEqual(PRIVILEGED.map((_key, i) => expect.objectContaining({ line: i + 2, serial: `TGI-${i + 1}`, code: 'privileged_account' })));
    for (const key of PRIVILEGED) expect(await entraSerialsOf(app, PEOPLE[key].userPrincipalName)).toEqual([]);
    for (const i of [1, 2, 3]) expect((await app.graph.state({ serial: `TGI-${i}` })).matches?.devices).toEqual([]);
    expect(await entraSerialsOf(app, PEOPLE.plain.userPrincipalName)).toEqual(['TGI-OK']);
    expect(await auditOf("serialNumber eq 'TGI-1'")).toContainEqual(expect.objectContaining({ action: 'token.imported', outcome: 'rejected', detail: expect.stringMatching(/^privileged_account: /) }));
  });

  it('a Tokens.PrivilegedAdmin may import a token for an administrator, and it is audited', async () => {
    const summary = await jsonOf(await importCsv([row(PEOPLE.admin.userPrincipalName, 'TGP-1')], ['Tokens.PrivilegedAdmin']));
    expect(summary).toMatchObject({ imported: 1, errors: [] });
    expect(await entraSerialsOf(app, PEOPLE.admin.userPrincipalName)).toEqual(['TGP-1']);
    expect(await auditOf("serialNumber eq 'TGP-1'")).toContainEqual(expect.objectContaining({ action: 'token.target.privileged', detail: expect.stringContaining('allowed by Tokens.PrivilegedAdmin') }));
  });

  it('refuses the hire of each privileged account, visibly and audited, with nothing assigned in Entra', async () => {
    for (const key of PRIVILEGED) expect((await sendHire(app, PEOPLE[key])).status).toBe(202);
    for (const key of PRIVILEGED) {
      const joiner = await joinerReaches(app, PEOPLE[key].employeeId, ['completed', 'failed']);
      expect(joiner).toMatchObject({ status: 'failed', refusal: 'privileged_account', reason: expect.stringContaining('only a Tokens.PrivilegedAdmin') });
      expect(await entraSerialsOf(app, PEOPLE[key].userPrincipalName)).toEqual(key === 'admin' ? ['TGP-1'] : []);
      expect((await allTokens(app)).filter((t) => t.employeeId === PEOPLE[key].employeeId && t.status === 'reserved')).toEqual([]);
    }
    expect(await auditOf(`employeeId eq '${PEOPLE.eligible.employeeId}'`)).toContainEqual(expect.objectContaining({ action: 'token.provisioned', outcome: 'rejected' }));
  });

  it('a refused hire goes ahead only when a Tokens.PrivilegedAdmin approves it', async () => {
    const employeeId = PEOPLE.eligible.employeeId;
    expect((await app.call('POST', `provisioning/${employeeId}/approve`)).status).toBe(403);
    expect((await app.call('POST', `provisioning/${PEOPLE.plain.employeeId}/approve`, { roles: ['Tokens.PrivilegedAdmin'] })).status).toBe(404);
    const approved = await app.call('POST', `provisioning/${employeeId}/approve`, { roles: ['Tokens.PrivilegedAdmin'] });
    expect(approved.status).toBe(202);
    expect(await jsonOf(approved)).toMatchObject({ status: 'queued', approvedFor: ids.get(PEOPLE.eligible.userPrincipalName), approvedBy: 'admin admin-oid-1' });
    const joiner = await joinerReaches(app, employeeId, ['completed', 'failed']);
    expect(joiner.status).toBe('completed');
    expect(await entraSerialsOf(app, PEOPLE.eligible.userPrincipalName)).toEqual([joiner.serialNumber]);
    expect(await auditOf(`employeeId eq '${employeeId}'`)).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: 'provisioning.approved' }), expect.objectContaining({ action: 'token.target.privileged' })]),
    );
    // An approval is for one hire: approving again finds nothing refused.
    expect((await app.call('POST', `provisioning/${employeeId}/approve`, { roles: ['Tokens.PrivilegedAdmin'] })).status).toBe(409);
  });

  it('refuses an account without employeeId and an employeeId two accounts carry', async () => {
    await sendHire(app, { employeeId: 'T2005', userPrincipalName: PEOPLE.noEmployeeId.userPrincipalName });
    await sendHire(app, { employeeId: 'T2006' });
    expect(await joinerReaches(app, 'T2005', ['completed', 'failed'])).toMatchObject({ status: 'failed', refusal: 'employee_id_mismatch' });
    expect(await joinerReaches(app, 'T2006', ['completed', 'failed'])).toMatchObject({ status: 'failed', refusal: 'ambiguous_employee_id' });
    for (const person of [PEOPLE.noEmployeeId, PEOPLE.twinA, PEOPLE.twinB]) expect(await entraSerialsOf(app, person.userPrincipalName)).toEqual([]);
    expect((await provisioningOf(app, 'T2006'))?.joiner?.reason).toContain('more than one Entra account has employeeId T2006');
  });

  it('refuses the replacement of a lost token once the person holds a role or is in a protected group', async () => {
    const later = ['laterAdmin', 'laterEligible', 'laterProtected'] as const;
    for (const key of later) await sendHire(app, PEOPLE[key]);
    for (const key of later) expect(await joinerReaches(app, PEOPLE[key].employeeId, ['completed', 'failed'])).toMatchObject({ status: 'completed' });

    await makeGlobalAdmin(app, ids.get(PEOPLE.laterAdmin.userPrincipalName)!);
    await makeEligibleAdmin(app, ids.get(PEOPLE.laterEligible.userPrincipalName)!);
    await addMember(app, nestedGroup, ids.get(PEOPLE.laterProtected.userPrincipalName)!);
    for (const key of later) {
      const revoked = await app.call('POST', `users/${PEOPLE[key].employeeId}/token/revoke`, { body: JSON.stringify({ reason: 'lost' }), contentType: 'application/json' });
      expect(revoked.status).toBe(200);
      expect(await sendHire(app, PEOPLE[key], `msg_replacement_${key}`)).toHaveProperty('status', 202);
    }
    for (const key of later) {
      const joiner = await eventuallyRefused(PEOPLE[key].employeeId);
      expect(joiner).toMatchObject({ status: 'failed', refusal: 'privileged_account' });
      expect(await entraSerialsOf(app, PEOPLE[key].userPrincipalName)).toEqual([]);
    }
  });

  it('refuses the one-step replacement (and its Temporary Access Pass) for a role holder, unless a Tokens.PrivilegedAdmin asks', async () => {
    const person = PEOPLE.replacedAdmin;
    await sendHire(app, person);
    const hired = await joinerReaches(app, person.employeeId, ['completed', 'failed']);
    expect(hired.status).toBe('completed');
    await makeGlobalAdmin(app, ids.get(person.userPrincipalName)!);
    const body = { body: JSON.stringify({ reason: 'lost', temporaryAccessPass: true }), contentType: 'application/json' };
    const refused = await app.call('POST', `users/${person.employeeId}/token/replace`, body);
    expect(refused.status).toBe(409);
    expect((await jsonOf(refused)).detail).toMatch(/^privileged_account: /);
    // Refused before anything was touched: the old token is still the person's, in the inventory and in Entra.
    expect((await allTokens(app)).find((t) => t.serialNumber === hired.serialNumber)).toMatchObject({ status: 'active' });
    expect(await entraSerialsOf(app, person.userPrincipalName)).toEqual([hired.serialNumber]);
    expect((await app.call('POST', `users/${person.employeeId}/token/replace`, { ...body, roles: ['Tokens.PrivilegedAdmin'] })).status).toBe(202);
    // The privileged admin's own replacement provisions the new token with no separate approval, audited as theirs.
    let serials: string[] = [];
    for (let tries = 0; tries < 600 && !(serials.length === 1 && serials[0] !== hired.serialNumber); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      serials = await entraSerialsOf(app, person.userPrincipalName);
    }
    expect(serials).toHaveLength(1);
    expect(serials[0]).not.toBe(hired.serialNumber);
    expect((await provisioningOf(app, person.employeeId))?.joiner).toMatchObject({ status: 'completed' });
    expect(await auditOf(`action eq 'token.target.privileged' and employeeId eq '${person.employeeId}'`)).toContainEqual(
      expect.objectContaining({ actor: expect.stringMatching(/^admin /), detail: expect.stringContaining('allowed by Tokens.PrivilegedAdmin') }),
    );
  });

  /** The replacement restarts a completed record, so wait for its own verdict rather than the first hire's. */
  const eventuallyRefused = async (employeeId: string) => {
    for (let tries = 0; tries < 600; tries++) {
      const joiner = (await provisioningOf(app, employeeId))?.joiner;
      if (joiner && (joiner.status === 'failed' || (joiner.status === 'completed' && joiner.note?.includes('started over')))) return joiner;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`gave up waiting for the replacement of ${employeeId}`);
  };
});

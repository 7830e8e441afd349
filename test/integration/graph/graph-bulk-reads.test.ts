import type { Client } from '@microsoft/microsoft-graph-client';
import { type GraphEmulatorControl, graphEmulatorControl } from '../../../dev/graph/control';
import type { GraphEmulator } from '../../../dev/graph/server';
import { graphDirectory } from '../../../shared/adapters/graphDirectory';
import { errorOf, graphClient, startTestEmulator } from './helpers';

/**
 * The reads the privileged set and a batched import make, as the v1.0 reference pages show them:
 * users by `userPrincipalName in (...)` (user resource; at most 15 expressions, Graph's known issues),
 * group-list-transitivemembers, groups by isAssignableToRole, and every role assignment with $select.
 */

let emulator: GraphEmulator;
let client: Client;
let control: GraphEmulatorControl;

beforeAll(async () => {
  emulator = await startTestEmulator();
  client = graphClient(emulator);
  control = graphEmulatorControl(emulator.url);
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(async () => {
  await control.reset();
});

const seed = (count: number) =>
  control.seedUsers(Array.from({ length: count }, (_, i) => ({ displayName: `User ${i}`, userPrincipalName: `user.${i}@contoso.com`, employeeId: `E${i}` })));

describe('bulk reads', () => {
  it('lists users by userPrincipalName in (...), case-insensitively, up to 15 values', async () => {
    await seed(20);
    const page = (await client.api('/users').filter("userPrincipalName in ('USER.1@contoso.com','user.7@contoso.com','nobody@contoso.com')").select('id,userPrincipalName').top(15).get()) as { value: { userPrincipalName: string }[] };
    expect(page.value.map((u) => u.userPrincipalName).sort()).toEqual(['user.1@contoso.com', 'user.7@contoso.com']);
    const sixteen = Array.from({ length: 16 }, (_, i) => `'user.${i}@contoso.com'`).join(',');
    const error = await errorOf(client.api('/users').filter(`userPrincipalName in (${sixteen})`).get());
    expect(error).toMatchObject({ statusCode: 400, code: 'Request_UnsupportedQuery' });
    expect((await errorOf(client.api('/users').filter("userPrincipalName in ('a@contoso.com'").get())).statusCode).toBe(400);
  });

  it('lists a group’s transitive members, nested groups and their members included, each once', async () => {
    const [a, b] = await seed(2);
    const outer = (await client.api('/groups').version('v1.0').post({ displayName: 'Outer', mailEnabled: false, mailNickname: 'outer', securityEnabled: true })) as { id: string };
    const inner = (await client.api('/groups').version('v1.0').post({ displayName: 'Inner', mailEnabled: false, mailNickname: 'inner', securityEnabled: true })) as { id: string };
    const ref = (id: string) => ({ '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${id}` });
    await client.api(`/groups/${outer.id}/members/$ref`).version('v1.0').post(ref(inner.id));
    await client.api(`/groups/${outer.id}/members/$ref`).version('v1.0').post(ref(a!.id));
    await client.api(`/groups/${inner.id}/members/$ref`).version('v1.0').post(ref(a!.id));
    await client.api(`/groups/${inner.id}/members/$ref`).version('v1.0').post(ref(b!.id));
    const members = (await client.api(`/groups/${outer.id}/transitiveMembers`).version('v1.0').select('id').get()) as { value: { id: string }[] };
    expect(members.value.map((m) => m.id).sort()).toEqual([inner.id, a!.id, b!.id].sort());
    expect((await errorOf(client.api('/groups/00000000-0000-0000-0000-000000000000/transitiveMembers').version('v1.0').get())).statusCode).toBe(404);
  });

  it('lists every role assignment with $select, and the role-assignable groups by $filter', async () => {
    const [a] = await seed(1);
    const roleGroup = (await client.api('/groups').version('v1.0').post({ displayName: 'Admins', mailEnabled: false, mailNickname: 'admins', securityEnabled: true, isAssignableToRole: true })) as { id: string };
    await client.api('/groups').version('v1.0').post({ displayName: 'Plain', mailEnabled: false, mailNickname: 'plain', securityEnabled: true });
    for (const principalId of [a!.id, roleGroup.id]) {
      await client.api('/roleManagement/directory/roleAssignments').version('v1.0').post({ roleDefinitionId: '62e90394-69f5-4237-9190-012177145e10', principalId, directoryScopeId: '/' });
    }
    const assignments = (await client.api('/roleManagement/directory/roleAssignments').version('v1.0').select('principalId').get()) as { value: Record<string, unknown>[] };
    expect(assignments.value).toEqual(expect.arrayContaining([{ principalId: a!.id }, { principalId: roleGroup.id }]));
    const groups = (await client.api('/groups').version('v1.0').filter('isAssignableToRole eq true').select('id').top(999).get()) as { value: { id: string }[] };
    expect(groups.value).toEqual([{ id: roleGroup.id }]);
  });

  it('lookups by employeeId made side by side share requests, 15 ids to one, each with its own answer', async () => {
    const users = await seed(20);
    await control.seedUsers([{ displayName: 'Twin', userPrincipalName: 'twin@contoso.com', employeeId: 'e3' }]);
    const directory = graphDirectory(client);
    const before = (await control.stats()).requests['GET users'] ?? 0;
    const answers = await Promise.all([...Array.from({ length: 20 }, (_, i) => `E${i}`), 'E-NOBODY'].map((id) => directory.findUserByEmployeeId(id)));
    expect((await control.stats()).requests['GET users'] ?? 0).toBe(before + 2);
    expect(answers[0]).toMatchObject({ id: users[0]!.id, employeeId: 'E0' });
    expect(answers[19]).toMatchObject({ id: users[19]!.id });
    expect(answers[3]).toBe('ambiguous');
    expect(answers[20]).toBeUndefined();
    // Alone, a lookup is one request, as before.
    expect(await directory.findUserByEmployeeId('e5')).toMatchObject({ id: users[5]!.id });
    expect((await control.stats()).requests['GET users'] ?? 0).toBe(before + 3);
  });
});

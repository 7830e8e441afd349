import { Secret, TOTP } from 'otpauth';
import type { GraphVariants } from '../../../dev/graph/types';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { eventually, JOINER_HOST_JSON, provisioningOf, sendEvent } from '../../support/hr';
import { simulateTime, type SimulatedTime } from '../../support/simulatedTime';

/**
 * A person is their Entra object id: a token imported for an account by UPN is taken from that account
 * when the person leaves, whatever employeeId the inventory's row carries (none, or an old one), and
 * whether the termination names the account by employeeId or only by UPN.
 */
const codeAt = (seed: string, at: number) => new TOTP({ secret: Secret.fromBase32(seed), period: 30, digits: 6 }).generate({ timestamp: at });
const today = () => new Date().toISOString().slice(0, 10);
const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';

describe('leavers are matched by Entra object id, not by the employeeId on our rows', () => {
  let app: TestApp;
  const userIds = new Map<string, string>();
  const seeds = new Map<string, string>();

  const importFor = async (upn: string, serial: string) => {
    const seed = new Secret({ size: 20 }).base32;
    seeds.set(serial, seed);
    const summary = await jsonOf(await app.call('POST', 'tokens/import', { body: `${HEADER}\n${upn},${serial},${seed},30,Token2,C302\n`, contentType: 'text/csv' }));
    expect(summary).toMatchObject({ imported: 1, errors: [] });
    const row = await jsonOf(await app.call('GET', `tokens/${serial}`, { roles: ['Tokens.Read'] }));
    expect(row).toMatchObject({ status: 'active', entraUserId: userIds.get(upn) });
  };
  const signIn = (upn: string, serial: string, offsetMs: number) => app.graph.signIn({ userId: userIds.get(upn)!, code: codeAt(seeds.get(serial)!, Date.now() + offsetMs) });
  const leaverCompleted = (employeeId: string) =>
    eventually(`the leaver ${employeeId} to complete`, async () => {
      const leaver = (await provisioningOf(app, employeeId))?.leaver;
      return leaver?.status === 'completed' ? leaver : undefined;
    });

  /** What must hold after the person left: the token is off the account in Entra, revoked here, and its next code is refused. */
  const expectGone = async (upn: string, serial: string, employeeId: string) => {
    const device = (await app.graph.state({ serial })).matches?.devices[0];
    expect(device).toMatchObject({ status: 'available', assignedTo: null });
    const row = await jsonOf(await app.call('GET', `tokens/${serial}`, { roles: ['Tokens.Read'] }));
    expect(row).toMatchObject({ status: 'revoked', revocationReason: 'offboarded', entraUserId: userIds.get(upn), employeeId });
    expect((await signIn(upn, serial, 60_000)).ok).toBe(false);
    const held = (await jsonOf(await app.call('GET', `tokens?user=${employeeId}&status=active`, { roles: ['Tokens.Read'] }))).tokens;
    expect(held).toEqual([]);
    const record = await jsonOf(await app.call('GET', `provisioning/${employeeId}`, { roles: ['Tokens.Read'] }));
    expect(record.leaver).toMatchObject({ status: 'completed', entraUserId: userIds.get(upn), serialNumber: serial });
  };

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON });
    const users = await app.graph.seedUsers([
      { displayName: 'Fay Filled', userPrincipalName: 'fay@contoso.com' },
      { displayName: 'Max Moved', userPrincipalName: 'max@contoso.com', employeeId: 'M-OLD-1' },
      { displayName: 'Una Upn', userPrincipalName: 'una@contoso.com' },
      { displayName: 'Abe Admin', userPrincipalName: 'abe@contoso.com' },
    ]);
    for (const user of users) userIds.set(user.userPrincipalName, user.id);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('imported by UPN for an account without employeeId, the employeeId filled in later: the termination takes the token', async () => {
    await importFor('fay@contoso.com', 'EID-01');
    // The token signs in before the person leaves: what follows is not true by accident.
    expect((await signIn('fay@contoso.com', 'EID-01', 30_000)).ok).toBe(true);
    await app.graph.updateUser(userIds.get('fay@contoso.com')!, { employeeId: 'F1001' });

    expect((await sendEvent(app, 'employee.terminated', { employeeId: 'F1001', terminationDate: today() })).status).toBe(202);
    const leaver = await leaverCompleted('F1001');
    expect(leaver).not.toMatchObject({ reason: expect.stringContaining('held no token') });
    await expectGone('fay@contoso.com', 'EID-01', 'F1001');
  });

  it('an employeeId changed in Entra after the import: the termination under the new one takes the token', async () => {
    await importFor('max@contoso.com', 'EID-02');
    expect(await jsonOf(await app.call('GET', 'tokens/EID-02', { roles: ['Tokens.Read'] }))).toMatchObject({ employeeId: 'M-OLD-1' });
    expect((await signIn('max@contoso.com', 'EID-02', 30_000)).ok).toBe(true);
    await app.graph.updateUser(userIds.get('max@contoso.com')!, { employeeId: 'M-NEW-2' });

    expect((await sendEvent(app, 'employee.terminated', { employeeId: 'M-NEW-2', terminationDate: today() })).status).toBe(202);
    await leaverCompleted('M-NEW-2');
    await expectGone('max@contoso.com', 'EID-02', 'M-NEW-2');
  });

  it('a termination whose employeeId Entra does not know, naming the account only by UPN, takes the token', async () => {
    await importFor('una@contoso.com', 'EID-03');
    expect((await signIn('una@contoso.com', 'EID-03', 30_000)).ok).toBe(true);

    expect((await sendEvent(app, 'employee.terminated', { employeeId: 'HR-77', userPrincipalName: 'una@contoso.com', terminationDate: today() })).status).toBe(202);
    await leaverCompleted('HR-77');
    await expectGone('una@contoso.com', 'EID-03', 'HR-77');
    // A repeat of the termination changes nothing and still finds nothing held.
    expect((await sendEvent(app, 'employee.terminated', { employeeId: 'HR-77', userPrincipalName: 'una@contoso.com', terminationDate: today() })).status).toBe(202);
    await leaverCompleted('HR-77');
    expect(await jsonOf(await app.call('GET', 'tokens/EID-03', { roles: ['Tokens.Read'] }))).toMatchObject({ status: 'revoked' });
  });

  it('an admin offboarding by the employeeId Entra now carries takes the token imported before it was set', async () => {
    await importFor('abe@contoso.com', 'EID-04');
    expect((await signIn('abe@contoso.com', 'EID-04', 30_000)).ok).toBe(true);
    await app.graph.updateUser(userIds.get('abe@contoso.com')!, { employeeId: 'A-9' });

    const answer = await app.call('POST', 'users/A-9/token/revoke', { body: '{"reason":"offboarded"}', contentType: 'application/json' });
    expect(answer.status).toBe(200);
    expect(await jsonOf(answer)).toMatchObject({ serialNumber: 'EID-04', status: 'revoked', changed: true });
    expect((await app.graph.state({ serial: 'EID-04' })).matches?.devices[0]).toMatchObject({ status: 'available', assignedTo: null });
    expect(await jsonOf(await app.call('GET', 'tokens/EID-04', { roles: ['Tokens.Read'] }))).toMatchObject({ status: 'revoked', entraUserId: userIds.get('abe@contoso.com') });
    expect((await signIn('abe@contoso.com', 'EID-04', 60_000)).ok).toBe(false);
  });

  // Last: the simulated time these install stays for the rest of the file.
  describe('a termination for an account deleted before it is processed', () => {
    const VARIANTS: GraphVariants['deletedUserMethods'][] = ['dropped', 'kept'];
    let sim: SimulatedTime | undefined;

    it.each(VARIANTS)('deleted users’ methods %s: no row says revoked while Entra still shows the token (kept: restored, the next try takes it)', async (v) => {
      await app.graph.clearVariants();
      await app.graph.setVariants({ deletedUserMethods: v });
      sim ??= simulateTime((await import('../../../shared/app/runtime')).services(), new Date());
      const upn = `del-${v}@contoso.com`;
      const [user] = await app.graph.seedUsers([{ displayName: `Del ${v}`, userPrincipalName: upn, employeeId: `DEL-${v}` }]);
      userIds.set(upn, user!.id);
      const serial = `EID-DEL-${v}`;
      await importFor(upn, serial);
      expect((await signIn(upn, serial, 30_000)).ok).toBe(true);
      await app.graph.deleteUser(user!.id);

      expect((await sendEvent(app, 'employee.terminated', { employeeId: `DEL-${v}`, terminationDate: today() })).status).toBe(202);
      if (v === 'dropped') {
        await leaverCompleted(`DEL-${v}`);
        expect((await app.graph.state({ serial })).matches?.devices[0]).toMatchObject({ status: 'available', assignedTo: null });
        expect(await jsonOf(await app.call('GET', `tokens/${serial}`, { roles: ['Tokens.Read'] }))).toMatchObject({ status: 'revoked', revocationReason: 'offboarded', entraUserId: user!.id });
        return;
      }
      // Kept: Graph cannot take the method off the deleted account, so the leaver retries and the row stays held.
      const leaver = await eventually('the leaver to retry', async () => {
        const record = (await provisioningOf(app, `DEL-${v}`))?.leaver;
        return record?.status === 'retrying' ? record : undefined;
      });
      expect(leaver).toMatchObject({ entraUserId: user!.id, reason: expect.stringContaining('deleted in Entra') });
      expect(await jsonOf(await app.call('GET', `tokens/${serial}`, { roles: ['Tokens.Read'] }))).toMatchObject({ status: 'active', employeeId: `DEL-${v}` });
      expect((await app.graph.state({ serial })).matches?.devices[0]).toMatchObject({ status: 'activated', assignedTo: { id: user!.id } });
      // An admin's offboarding is told why it cannot finish, and changes nothing either.
      const refused = await app.call('POST', `users/DEL-${v}/token/revoke`, { body: '{"reason":"offboarded"}', contentType: 'application/json' });
      expect(refused.status).toBe(409);
      expect((await jsonOf(refused)).detail).toMatch(/deleted in Entra/);
      expect(await jsonOf(await app.call('GET', `tokens/${serial}`, { roles: ['Tokens.Read'] }))).toMatchObject({ status: 'active' });

      // Restored, the account holds the token again; the leaver's next try takes it off.
      await app.graph.restoreUser(user!.id);
      expect(await sim.advance()).toBe(true);
      await leaverCompleted(`DEL-${v}`);
      await expectGone(upn, serial, `DEL-${v}`);
    }, 60_000);
  });
});

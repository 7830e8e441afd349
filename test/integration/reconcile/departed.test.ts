import { Secret, TOTP } from 'otpauth';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { JOINER_HOST_JSON } from '../../support/hr';
import { ageTokenRows, reconcile } from './helpers';

/**
 * Reconciliation finds tokens held by deleted or disabled accounts by Entra object id, whatever
 * employeeId the row carries (here none: imported by UPN), and takes them back in safe mode.
 */
const codeAt = (seed: string, at: number) => new TOTP({ secret: Secret.fromBase32(seed), period: 30, digits: 6 }).generate({ timestamp: at });
const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';
const inDays = (days: number) => `${new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10)}T00:00:00Z`;

describe('reconciliation takes tokens back from deleted and disabled accounts', () => {
  let app: TestApp;
  const userIds = new Map<string, string>();
  const seeds = new Map<string, string>();
  const token = async (serial: string) => jsonOf(await app.call('GET', `tokens/${serial}`, { roles: ['Tokens.Read'] }));
  const device = async (serial: string) => (await app.graph.state({ serial })).matches?.devices[0];

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON, settings: { RECONCILE_REPAIR_MODE: 'safe' } });
    const users = await app.graph.seedUsers([
      { displayName: 'Dora Deleted', userPrincipalName: 'dora@contoso.com' },
      { displayName: 'Dis Abled', userPrincipalName: 'dis@contoso.com' },
      { displayName: 'Pre Hire', userPrincipalName: 'pre@contoso.com', employeeHireDate: inDays(5) },
      { displayName: 'Kay Kept', userPrincipalName: 'kay@contoso.com' },
    ]);
    for (const user of users) userIds.set(user.userPrincipalName, user.id);
    const rows = [
      ['dora@contoso.com', 'DEP-01'],
      ['dis@contoso.com', 'DEP-02'],
      ['pre@contoso.com', 'DEP-03'],
      ['kay@contoso.com', 'DEP-04'],
    ].map(([upn, serial]) => {
      const seed = new Secret({ size: 20 }).base32;
      seeds.set(serial!, seed);
      return `${upn},${serial},${seed},30,Token2,C302`;
    });
    const summary = await jsonOf(await app.call('POST', 'tokens/import', { body: `${HEADER}\n${rows.join('\n')}\n`, contentType: 'text/csv' }));
    expect(summary).toMatchObject({ imported: 4, errors: [] });
    for (const serial of ['DEP-01', 'DEP-02', 'DEP-03', 'DEP-04']) expect(await token(serial)).toMatchObject({ status: 'active', employeeId: null });
    await ageTokenRows(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('after one safe run: the deleted and the disabled account hold nothing and their rows are revoked; a pre-hire and an enabled account keep theirs', async () => {
    expect((await app.graph.signIn({ userId: userIds.get('dis@contoso.com')!, code: codeAt(seeds.get('DEP-02')!, Date.now() + 30_000) })).ok).toBe(true);
    await app.graph.deleteUser(userIds.get('dora@contoso.com')!);
    await app.graph.updateUser(userIds.get('dis@contoso.com')!, { accountEnabled: false });
    await app.graph.updateUser(userIds.get('pre@contoso.com')!, { accountEnabled: false });

    const report = await reconcile(app, 'safe');
    expect(await token('DEP-01')).toMatchObject({ status: 'revoked', revocationReason: 'offboarded', entraUserId: userIds.get('dora@contoso.com') });
    expect(await device('DEP-01')).toMatchObject({ assignedTo: null, status: 'available' });
    expect(await token('DEP-02')).toMatchObject({ status: 'revoked', revocationReason: 'offboarded', entraUserId: userIds.get('dis@contoso.com') });
    expect(await device('DEP-02')).toMatchObject({ assignedTo: null, status: 'available' });
    // Enabled again, the account still cannot sign in with the token.
    await app.graph.updateUser(userIds.get('dis@contoso.com')!, { accountEnabled: true });
    expect((await app.graph.signIn({ userId: userIds.get('dis@contoso.com')!, code: codeAt(seeds.get('DEP-02')!, Date.now() + 60_000) })).ok).toBe(false);

    expect(report.drift.held_by_departed).toBe(2);
    expect(report.items.filter((i) => i.kind === 'held_by_departed').map((i) => [i.serialNumber, i.repair])).toEqual(
      expect.arrayContaining([
        ['DEP-01', 'queued'],
        ['DEP-02', 'queued'],
      ]),
    );

    expect(await token('DEP-03')).toMatchObject({ status: 'active' });
    expect(await device('DEP-03')).toMatchObject({ status: 'activated', assignedTo: { id: userIds.get('pre@contoso.com') } });
    expect(await token('DEP-04')).toMatchObject({ status: 'active' });

    const audit = await jsonOf(await app.call('GET', 'audit?serial=DEP-01', { roles: ['Tokens.Read'] }));
    expect(audit.entries.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['token.revoked.offboarded', 'reconcile.revoke_departed']));

    // The next run finds nothing left to take back.
    await ageTokenRows(app);
    expect((await reconcile(app, 'safe')).drift.held_by_departed).toBe(0);
  });
});

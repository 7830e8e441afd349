import { QueueClient } from '@azure/storage-queue';
import { Secret, TOTP } from 'otpauth';
import type { GraphVariants } from '../../../dev/graph/types';
import { poisonQueueOf, QUEUES } from '../../../shared/app/storageNames';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { eventually, JOINER_HOST_JSON, provisioningOf } from '../../support/hr';
import { simulateTime } from '../../support/simulatedTime';
import { ageTokenRows, reconcile } from './helpers';

/**
 * Reconciliation finds tokens held by deleted or disabled accounts by Entra object id, whatever
 * employeeId the row carries (here none: imported by UPN), and takes them back in safe mode; under each
 * reading of what Entra does with a deleted user's methods (dropped with it, or kept until a restore).
 */
const codeAt = (seed: string, at: number) => new TOTP({ secret: Secret.fromBase32(seed), period: 30, digits: 6 }).generate({ timestamp: at });
const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';
const inDays = (days: number) => `${new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10)}T00:00:00Z`;

const VARIANTS: GraphVariants['deletedUserMethods'][] = ['dropped', 'kept'];

describe('reconciliation takes tokens back from deleted and disabled accounts', () => {
  let app: TestApp;
  const userIds = new Map<string, string>();
  const seeds = new Map<string, string>();
  const token = async (serial: string) => jsonOf(await app.call('GET', `tokens/${serial}`, { roles: ['Tokens.Read'] }));
  const device = async (serial: string) => (await app.graph.state({ serial })).matches?.devices[0];
  const auditOf = async (serial: string) => (await jsonOf(await app.call('GET', `audit?serial=${serial}`, { roles: ['Tokens.Read'] }))).entries as { action: string; outcome: string }[];

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON, settings: { RECONCILE_REPAIR_MODE: 'safe' } });
  });
  afterAll(async () => {
    await app?.close();
  });

  /** Four accounts, each holding a token imported by UPN (no employeeId): DEP-<v>-1 to -4. */
  const setUp = async (v: string) => {
    const people = [
      { displayName: `Dora Deleted ${v}`, userPrincipalName: `dora-${v}@contoso.com` },
      { displayName: `Dis Abled ${v}`, userPrincipalName: `dis-${v}@contoso.com` },
      { displayName: `Pre Hire ${v}`, userPrincipalName: `pre-${v}@contoso.com`, employeeHireDate: inDays(5) },
      { displayName: `Kay Kept ${v}`, userPrincipalName: `kay-${v}@contoso.com` },
    ];
    const users = await app.graph.seedUsers(people);
    for (const user of users) userIds.set(user.userPrincipalName, user.id);
    const rows = people.map(({ userPrincipalName }, i) => {
      const seed = new Secret({ size: 20 }).base32;
      seeds.set(`DEP-${v}-${i + 1}`, seed);
      return `${userPrincipalName},DEP-${v}-${i + 1},${seed},30,Token2,C302`;
    });
    const summary = await jsonOf(await app.call('POST', 'tokens/import', { body: `${HEADER}\n${rows.join('\n')}\n`, contentType: 'text/csv' }));
    expect(summary).toMatchObject({ imported: 4, errors: [] });
    for (const i of [1, 2, 3, 4]) expect(await token(`DEP-${v}-${i}`)).toMatchObject({ status: 'active', employeeId: null });
    await ageTokenRows(app);
    const id = (who: string) => userIds.get(`${who}-${v}@contoso.com`)!;
    return { dora: id('dora'), dis: id('dis'), pre: id('pre') };
  };

  /** What holds under both readings: the disabled account loses its token, the pre-hire and the enabled one keep theirs. */
  const expectTheOthers = async (v: string, ids: { dis: string; pre: string }) => {
    expect(await token(`DEP-${v}-2`)).toMatchObject({ status: 'revoked', revocationReason: 'offboarded', entraUserId: ids.dis });
    expect(await device(`DEP-${v}-2`)).toMatchObject({ assignedTo: null, status: 'available' });
    // Enabled again, the account still cannot sign in with the token.
    await app.graph.updateUser(ids.dis, { accountEnabled: true });
    expect((await app.graph.signIn({ userId: ids.dis, code: codeAt(seeds.get(`DEP-${v}-2`)!, Date.now() + 60_000) })).ok).toBe(false);
    expect(await token(`DEP-${v}-3`)).toMatchObject({ status: 'active' });
    expect(await device(`DEP-${v}-3`)).toMatchObject({ status: 'activated', assignedTo: { id: ids.pre } });
    expect(await token(`DEP-${v}-4`)).toMatchObject({ status: 'active' });
  };

  it.each(VARIANTS)('deleted users’ methods %s: after one safe run the deleted and the disabled account hold nothing (kept: once the deleted one is restored), and no row says revoked before Entra does', async (v) => {
    await app.graph.clearVariants();
    await app.graph.setVariants({ deletedUserMethods: v });
    // Kept: the leaver this raises retries on a delay, which the test steps through.
    const sim = v === 'kept' ? simulateTime((await import('../../../shared/app/runtime')).services(), new Date()) : undefined;
    const ids = await setUp(v);
    const [deleted, disabled] = [`DEP-${v}-1`, `DEP-${v}-2`];
    expect((await app.graph.signIn({ userId: ids.dis, code: codeAt(seeds.get(disabled)!, Date.now() + 30_000) })).ok).toBe(true);
    await app.graph.deleteUser(ids.dora);
    await app.graph.updateUser(ids.dis, { accountEnabled: false });
    await app.graph.updateUser(ids.pre, { accountEnabled: false });

    const report = await reconcile(app, 'safe');
    const departedItems = report.items.filter((i) => i.kind === 'held_by_departed' && i.serialNumber?.startsWith(`DEP-${v}-`));
    expect(departedItems.map((i) => [i.serialNumber, i.repair]).sort()).toEqual([
      [deleted, 'queued'],
      [disabled, 'queued'],
    ]);
    expect(app.logs.some((line) => line.includes(`ReconcileDrift kind=held_by_departed serial=${deleted} `))).toBe(true);
    await expectTheOthers(v, ids);

    if (v === 'dropped') {
      expect(await token(deleted)).toMatchObject({ status: 'revoked', revocationReason: 'offboarded', entraUserId: ids.dora });
      expect(await device(deleted)).toMatchObject({ assignedTo: null, status: 'available' });
      expect((await auditOf(deleted)).map((e) => e.action)).toEqual(expect.arrayContaining(['token.revoked.offboarded', 'reconcile.revoke_departed']));
    } else {
      // Entra keeps the token on the deleted account, where Graph cannot take it off: nothing says it is gone.
      expect(await device(deleted)).toMatchObject({ status: 'activated', assignedTo: { id: ids.dora } });
      expect(await token(deleted)).toMatchObject({ status: 'active', entraUserId: ids.dora });
      const audit = await auditOf(deleted);
      expect(audit.some((e) => e.action === 'token.revoked.offboarded')).toBe(false);
      expect(audit).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'reconcile.revoke_departed', outcome: 'failed' })]));
      // The repair failed visibly (the host's retries, then the poison queue and its alert)...
      const poison = new QueueClient(app.stack.azurite.connectionString, poisonQueueOf(QUEUES.reconcileWork));
      expect((await poison.getProperties()).approximateMessagesCount).toBeGreaterThan(0);
      // ...and the account is a leaver now, retried until the token is off (under its object id: the row has no employeeId).
      const leaver = await eventually('the deleted account’s leaver to retry', async () => {
        const record = (await provisioningOf(app, ids.dora))?.leaver;
        return record?.status === 'retrying' ? record : undefined;
      });
      expect(leaver).toMatchObject({ entraUserId: ids.dora, reason: expect.stringContaining('deleted in Entra') });
      expect(await token(deleted)).toMatchObject({ status: 'active' });

      // Restored, the account comes back holding the token: the next run takes it off in Entra...
      await app.graph.restoreUser(ids.dora);
      await ageTokenRows(app);
      const next = await reconcile(app, 'safe');
      expect(next.items.filter((i) => i.serialNumber === deleted).map((i) => [i.kind, i.repair])).toEqual([['held_after_termination', 'queued']]);
      expect(await device(deleted)).toMatchObject({ assignedTo: null, status: 'available' });
      expect((await app.graph.signIn({ userId: ids.dora, code: codeAt(seeds.get(deleted)!, Date.now() + 30_000) })).ok).toBe(false);
      // ...and the leaver's next try settles the row.
      expect(await sim!.advance()).toBe(true);
      await eventually('the leaver to complete', async () => ((await provisioningOf(app, ids.dora))?.leaver?.status === 'completed' ? true : undefined));
      expect(await token(deleted)).toMatchObject({ status: 'revoked', revocationReason: 'offboarded', entraUserId: ids.dora });
    }

    // The next run finds nothing left to take back.
    await ageTokenRows(app);
    const last = await reconcile(app, 'safe');
    expect(last.items.filter((i) => i.serialNumber?.startsWith(`DEP-${v}-`) && (i.kind === 'held_by_departed' || i.kind === 'held_after_termination'))).toEqual([]);
  }, 180_000);
});

import { Secret, TOTP } from 'otpauth';
import type { GraphVariants } from '../../../dev/graph/types';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { eventually, JOINER_HOST_JSON } from '../../support/hr';
import { simulateTime, type SimulatedTime } from '../../support/simulatedTime';
import { ageTokenRows, editTokenRow, graphCall, reconcile } from './helpers';

/**
 * Unused tokens, from the lastUsedDateTime Entra shows on the device pages reconciliation reads: under
 * each reading of it (set by a sign-in, always null, left out), with the app's clock moved weeks on.
 */

const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';
const DAY_MS = 24 * 3600_000;
const codeAt = (seed: string, at: number) => new TOTP({ secret: Secret.fromBase32(seed), period: 30, digits: 6 }).generate({ timestamp: at });

const VARIANTS: GraphVariants['lastUsed'][] = ['present', 'null', 'absent'];

describe('unused tokens (UNUSED_TOKEN_DAYS=30)', () => {
  let app: TestApp;
  let sim: SimulatedTime;

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON, settings: {
        LOW_STOCK_THRESHOLD: '0',
        UNUSED_TOKEN_DAYS: '30',
        UNUSED_TOKEN_NOTIFY: 'true',
        NOTIFY_MAIL_FROM: 'it-notify@contoso.com',
        NOTIFY_SITES: JSON.stringify({ GVA: 'it-gva@contoso.com' }),
      },
    });
    await app.graph.seedUsers([
      { displayName: 'IT notifications', userPrincipalName: 'it-notify@contoso.com' },
      { displayName: 'Mona Manager', userPrincipalName: 'mona@contoso.com' },
    ]);
    const runtime = await import('../../../shared/app/runtime');
    sim = simulateTime(runtime.services(), new Date());
  });
  afterAll(async () => {
    await app?.close();
  });

  it.each(VARIANTS)('lastUsed %s: a token used today is not unused; one never used since its activation 40 days ago is, when Entra shows any use; 31 days on, the used one is too', async (variant) => {
    await app.graph.clearVariants();
    await app.graph.setVariants({ lastUsed: variant });
    const used = `UU-${variant}-A`;
    const idle = `UU-${variant}-B`;
    await app.graph.seedUsers([
      { displayName: `User ${variant}`, userPrincipalName: `user-${variant}@contoso.com`, employeeId: `UU${variant}1` },
      { displayName: `Idle ${variant}`, userPrincipalName: `idle-${variant}@contoso.com`, employeeId: `UU${variant}2` },
    ]);
    const seeds = [new Secret({ size: 20 }).base32, new Secret({ size: 20 }).base32];
    const csv = `${HEADER}\nuser-${variant}@contoso.com,${used},${seeds[0]},30,Token2,C202\nidle-${variant}@contoso.com,${idle},${seeds[1]},30,Token2,C202\n`;
    expect(await jsonOf(await app.call('POST', 'tokens/import', { body: csv, contentType: 'text/csv' }))).toMatchObject({ errors: [] });
    // The code of the next time step: the one accepted at activation is spent.
    expect(await app.graph.signIn({ userId: `user-${variant}@contoso.com`, serialNumber: used, code: codeAt(seeds[0]!, Date.now() + 30_000) })).toMatchObject({ ok: true });
    await ageTokenRows(app);
    await editTokenRow(app, idle, { activatedAt: new Date(sim.now().getTime() - 40 * DAY_MS).toISOString() });

    const device = (await (await graphCall(app, 'GET', `/directory/authenticationMethodDevices/hardwareOathDevices?$filter=serialNumber eq '${used}'`)).json()) as { value: Record<string, unknown>[] };
    if (variant === 'absent') expect(device.value[0]).not.toHaveProperty('lastUsedDateTime');
    else if (variant === 'null') expect(device.value[0]?.lastUsedDateTime).toBeNull();
    else expect(Date.parse(String(device.value[0]?.lastUsedDateTime))).toBeGreaterThan(Date.now() - 60_000);

    const unusedOf = (report: Awaited<ReturnType<typeof reconcile>>) => report.items.filter((item) => item.kind === 'unused' && item.serialNumber?.startsWith(`UU-${variant}-`)).map((item) => item.serialNumber);

    const today = await reconcile(app, 'report');
    expect(today.lastUseShown).toBe(variant === 'present');
    expect(unusedOf(today)).toEqual(variant === 'present' ? [idle] : []);
    expect(today.items.find((item) => item.serialNumber === idle && item.kind === 'unused')?.detail ?? '').toMatch(variant === 'present' ? /never used/ : /^$/);
    if (variant === 'null') expect(app.logs.some((line) => line.includes('ReconcileUsageUnknown'))).toBe(true);

    sim.jump(31 * DAY_MS);
    try {
      const later = await reconcile(app, 'report');
      expect(unusedOf(later).sort()).toEqual(variant === 'present' ? [used, idle].sort() : []);
      expect(later.drift.unused).toBe(variant === 'present' ? 2 : 0);
      // Report only: nothing was taken from anyone.
      const rows = await Promise.all([used, idle].map(async (serial) => jsonOf(await app.call('GET', `tokens/${serial}`, { roles: ['Tokens.Read'] }))));
      expect(rows.map((row) => row.status)).toEqual(['active', 'active']);
    } finally {
      sim.jump(-31 * DAY_MS);
    }
  });

  // Runs after the variants above: their used token is what shows Entra records last use on this tenant.
  it('UNUSED_TOKEN_NOTIFY: the holder\'s manager and the pool\'s desk are told once, however many runs find it', async () => {
    await app.graph.clearVariants();
    const users = await app.graph.seedUsers([{ displayName: 'Nia', userPrincipalName: 'nia@contoso.com', employeeId: 'UUN1' }]);
    const mona = (await app.graph.state({ user: 'mona@contoso.com' })).matches?.user?.id ?? '';
    await app.graph.setManager(users[0]!.id, mona);
    const serial = 'UU-NOTE';
    const csv = `${HEADER},pool\nnia@contoso.com,${serial},${new Secret({ size: 20 }).base32},30,Token2,C202,GVA\n`;
    expect(await jsonOf(await app.call('POST', 'tokens/import', { body: csv, contentType: 'text/csv' }))).toMatchObject({ errors: [] });
    await ageTokenRows(app);
    await editTokenRow(app, serial, { activatedAt: new Date(sim.now().getTime() - 40 * DAY_MS).toISOString() });

    const report = await reconcile(app, 'report');
    expect(report.items.filter((item) => item.kind === 'unused').map((item) => item.serialNumber)).toContain(serial);
    const mails = async () => (await app.graph.mail()).filter((mail) => mail.subject.includes(`token ${serial} `));
    const [mail] = await eventually('the unused-token mail', async () => ((await mails()).length > 0 ? mails() : undefined));
    expect(mail?.subject).toBe(`Hardware token ${serial} of Nia (nia@contoso.com) has not been used for more than 30 days`);
    expect(mail?.to.sort()).toEqual(['it-gva@contoso.com', 'mona@contoso.com']);
    expect(mail?.content).toContain('never signed in with it');

    await reconcile(app, 'report');
    await eventually('the second run\'s notification to be handled', async () => app.logs.filter((line) => line.includes(`token_unused:${serial}:never`)).length >= 2 || undefined);
    expect(await mails()).toHaveLength(1);
  });

  it('an admin revokes an unused token with the reason unused: Entra unassigns it, it waits revoked for its return, then goes back to stock', async () => {
    await app.graph.clearVariants();
    await app.graph.seedUsers([{ displayName: 'Drawer', userPrincipalName: 'drawer@contoso.com', employeeId: 'UUR1' }]);
    const serial = 'UU-REVOKE';
    const csv = `${HEADER}\ndrawer@contoso.com,${serial},${new Secret({ size: 20 }).base32},30,Token2,C202\n`;
    expect(await jsonOf(await app.call('POST', 'tokens/import', { body: csv, contentType: 'text/csv' }))).toMatchObject({ errors: [] });

    const revoked = await app.call('POST', 'users/drawer@contoso.com/token/revoke', { body: JSON.stringify({ reason: 'unused', note: 'no sign-in for 90 days' }), contentType: 'application/json' });
    expect(revoked.status).toBe(200);
    expect(await jsonOf(revoked)).toMatchObject({ serialNumber: serial, status: 'revoked' });
    const row = await jsonOf(await app.call('GET', `tokens/${serial}`, { roles: ['Tokens.Read'] }));
    expect(row).toMatchObject({ status: 'revoked', revocationReason: 'unused' });
    const state = await app.graph.state({ serial });
    expect(state.matches?.devices[0]).toMatchObject({ status: 'available', assignedTo: null });

    const back = await app.call('POST', `tokens/${serial}/revoke`, { body: JSON.stringify({ reason: 'returned' }), contentType: 'application/json' });
    expect(await jsonOf(back)).toMatchObject({ serialNumber: serial, status: 'in_stock' });

    const bad = await app.call('POST', 'users/drawer@contoso.com/token/revoke', { body: JSON.stringify({ reason: 'idle' }), contentType: 'application/json' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await jsonOf(bad))).toContain('unused');
  });
});

import type { GraphVariants } from '../../../dev/graph/types';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { eventually, importTokens, joinerReaches, JOINER_HOST_JSON, provisioningOf } from '../../support/hr';

const VARIANTS: GraphVariants['deletedUserMethods'][] = ['dropped', 'kept'];
const isoDay = (offsetDays: number) => `${new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10)}T00:00:00Z`;

describe('directory sync: hires and leavers read from Entra by users/delta, no webhook', () => {
  let app: TestApp;
  const runSync = () => app.host.runNow('directorySyncWorker', { kind: 'sync', requestedAt: new Date().toISOString(), requestedBy: 'test' });
  const tokenOf = async (employeeId: string) =>
    ((await jsonOf(await app.call('GET', `tokens?user=${employeeId}`, { roles: ['Tokens.Read'] }))).tokens as { serialNumber: string; status: string; pool: string }[])[0];
  const syncLines = () => app.logs.filter((line) => line.includes('directory sync ('));

  beforeAll(async () => {
    app = await startTestApp({
      hostJsonPath: JOINER_HOST_JSON,
      // A schedule far away: the test runs the timer itself. No disabled grace, so a disabled account is a leaver at once.
      settings: { DIRECTORY_SYNC_SCHEDULE: '0 0 0 1 1 *', DIRECTORY_SYNC_DISABLE_GRACE_HOURS: '0' },
    });
    await importTokens(app, [{ serial: 'DS-01', pool: 'GVA' }, { serial: 'DS-02' }, { serial: 'DS-03' }, { serial: 'DS-04' }]);
    // Smaller pages than Graph's, so the first round pages through nextLinks.
    await app.graph.usersDelta({ pageSize: 2 });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a user created with employeeHireDate today ends with an active token; employeeLeaveDateTime in the past revokes it', async () => {
    const [ada] = await app.graph.seedUsers([
      { displayName: 'Ada Lovelace', userPrincipalName: 'ada@contoso.com', employeeId: 'D1001', employeeHireDate: isoDay(0), officeLocation: 'GVA' },
      // Hired years ago, and one far ahead: the first full round must not provision either.
      { displayName: 'Old Timer', userPrincipalName: 'old@contoso.com', employeeId: 'D1090', employeeHireDate: '2019-03-01T00:00:00Z' },
      { displayName: 'Future Hire', userPrincipalName: 'future@contoso.com', employeeId: 'D1091', employeeHireDate: isoDay(60) },
      { displayName: 'Guest Person', userPrincipalName: 'guest_x#EXT#@contoso.com', userType: 'Guest', employeeHireDate: isoDay(0) },
      { displayName: 'No Date', userPrincipalName: 'nodate@contoso.com', employeeId: 'D1092' },
    ]);

    // The timer only queues a run; the directory-sync worker reads the tenant and queues the hire.
    await app.host.runNow('directorySyncTimer');
    const joiner = await joinerReaches(app, 'D1001', ['completed']);
    expect(joiner.eventIds).toEqual([`entra-hire:${ada!.id}:${isoDay(0)}`]);
    expect(await tokenOf('D1001')).toMatchObject({ serialNumber: 'DS-01', status: 'active', pool: 'GVA' });
    expect((await app.graph.state({ serial: 'DS-01' })).matches?.devices[0]).toMatchObject({ status: 'activated', assignedTo: { id: ada!.id } });
    for (const employeeId of ['D1090', 'D1091', 'D1092']) expect(await provisioningOf(app, employeeId)).toBeUndefined();
    await eventually('the first run to finish', async () => syncLines().length === 1);
    expect(syncLines()[0]).toMatch(/5 users on 3 pages, 1 hires and 0 leavers queued/);

    // Nothing changed: the next round reads no users and queues nothing.
    await runSync();
    expect(syncLines()[1]).toMatch(/0 users on 1 pages, 0 hires and 0 leavers queued/);

    await app.graph.updateUser(ada!.id, { employeeLeaveDateTime: isoDay(-1) });
    await runSync();
    expect(syncLines()[2]).toMatch(/1 users on 1 pages, 0 hires and 1 leavers queued/);
    await eventually('the leaver to complete', async () => ((await provisioningOf(app, 'D1001'))?.leaver?.status === 'completed' ? true : undefined));
    expect(await tokenOf('D1001')).toMatchObject({ serialNumber: 'DS-01', status: 'revoked' });
    expect((await app.graph.state({ serial: 'DS-01' })).matches?.devices[0]).toMatchObject({ status: 'available', assignedTo: null });
    // The same change read again (a replayed page, a link Graph expired) queues nothing twice.
    expect((await provisioningOf(app, 'D1001'))?.joiner?.eventIds).toHaveLength(1);
  });

  it('a disabled account past its grace is a leaver; a link Graph no longer honours starts a full round without doubling anything', async () => {
    const [grace] = await app.graph.seedUsers([{ displayName: 'Grace Hopper', userPrincipalName: 'grace@contoso.com', employeeId: 'D1002', employeeHireDate: isoDay(0) }]);
    await runSync();
    await joinerReaches(app, 'D1002', ['completed']);
    expect(await tokenOf('D1002')).toMatchObject({ status: 'active' });

    await app.graph.updateUser(grace!.id, { accountEnabled: false });
    await app.graph.usersDelta({ expireTokens: true });
    await runSync();
    expect(syncLines().at(-1)).toMatch(/1 leavers queued; Graph asked for a full round, so everyone was read again/);
    await eventually('the disabled account to lose its token', async () => ((await tokenOf('D1002'))?.status === 'revoked' ? true : undefined));
    // Ada's hire and leave were read again in the full round, and not queued again.
    expect((await provisioningOf(app, 'D1001'))?.joiner?.eventIds).toHaveLength(1);
    expect(syncLines().at(-1)).toMatch(/0 hires and 1 leavers queued/);
  });

  /** Where the leaver of a deleted account stands: done (the methods were dropped with it), or retrying with the token still held (kept). */
  const expectDeletedLeaver = async (v: GraphVariants['deletedUserMethods'], employeeId: string, userId: string, serial: string) => {
    const leaver = await eventually('the deleted account’s leaver to settle or retry', async () => {
      const record = (await provisioningOf(app, employeeId))?.leaver as { status: string; entraUserId?: string } | undefined;
      return record?.status === (v === 'dropped' ? 'completed' : 'retrying') ? record : undefined;
    });
    expect(leaver).toMatchObject({ entraUserId: userId });
    expect(await tokenOf(employeeId)).toMatchObject({ serialNumber: serial, status: v === 'dropped' ? 'revoked' : 'active' });
    expect((await app.graph.state({ serial })).matches?.devices[0]).toMatchObject({ assignedTo: v === 'dropped' ? null : { id: userId } });
  };

  it.each(VARIANTS)('a deleted account comes back as @removed: its holder is a leaver (deleted users’ methods %s)', async (v) => {
    await app.graph.setVariants({ deletedUserMethods: v });
    const employeeId = `D1003-${v}`;
    const [alan] = await app.graph.seedUsers([{ displayName: `Alan Turing ${v}`, userPrincipalName: `alan-${v}@contoso.com`, employeeId, employeeHireDate: isoDay(0) }]);
    await runSync();
    const { serialNumber } = await joinerReaches(app, employeeId, ['completed']);
    await app.graph.deleteUser(alan!.id);
    await runSync();
    await expectDeletedLeaver(v, employeeId, alan!.id, serialNumber!);
  });

  it('an account without employeeId whose leave date passed loses the token imported for it by UPN', async () => {
    const [val] = await app.graph.seedUsers([{ displayName: 'Val Upn', userPrincipalName: 'val@contoso.com' }]);
    const imported = await jsonOf(await app.call('POST', 'tokens/import', { body: `upn,serial number,secret key,time interval,manufacturer,model\nval@contoso.com,DS-VAL,JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ,30,Token2,C302\n`, contentType: 'text/csv' }));
    expect(imported).toMatchObject({ imported: 1, errors: [] });
    await runSync();
    await app.graph.updateUser(val!.id, { employeeLeaveDateTime: isoDay(-1) });
    await runSync();
    await eventually('the leaver to complete', async () => ((await provisioningOf(app, val!.id))?.leaver?.status === 'completed' ? true : undefined));
    expect(await tokenOf(val!.id)).toMatchObject({ serialNumber: 'DS-VAL', status: 'revoked' });
    expect((await app.graph.state({ serial: 'DS-VAL' })).matches?.devices[0]).toMatchObject({ status: 'available', assignedTo: null });
  });

  it.each(VARIANTS)('a deleted account holding a token imported by UPN (no employeeId anywhere) is a leaver under its object id (deleted users’ methods %s)', async (v) => {
    await app.graph.setVariants({ deletedUserMethods: v });
    const [una] = await app.graph.seedUsers([{ displayName: `Una Upn ${v}`, userPrincipalName: `una-${v}@contoso.com` }]);
    const seed = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    const serial = `DS-UPN-${v}`;
    const imported = await jsonOf(await app.call('POST', 'tokens/import', { body: `upn,serial number,secret key,time interval,manufacturer,model\nuna-${v}@contoso.com,${serial},${seed},30,Token2,C302\n`, contentType: 'text/csv' }));
    expect(imported).toMatchObject({ imported: 1, errors: [] });
    expect(await tokenOf(una!.id)).toMatchObject({ serialNumber: serial, status: 'active' });
    await runSync();
    await app.graph.deleteUser(una!.id);
    await runSync();
    await expectDeletedLeaver(v, una!.id, una!.id, serial);
  });
});

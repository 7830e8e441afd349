import { Secret, TOTP } from 'otpauth';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { eventually, importTokens, joinerReaches, JOINER_HOST_JSON, provisioningOf, sendEvent, sendHire } from '../../support/hr';

const codeAt = (seed: string, at: number) => new TOTP({ secret: Secret.fromBase32(seed), period: 30, digits: 6 }).generate({ timestamp: at });
const today = () => new Date().toISOString().slice(0, 10);
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

const PEOPLE = [
  { displayName: 'Ada Lovelace', userPrincipalName: 'ada@contoso.com', employeeId: 'L1001' },
  { displayName: 'Grace Hopper', userPrincipalName: 'grace@contoso.com', employeeId: 'L1002' },
  { displayName: 'Alan Turing', userPrincipalName: 'alan@contoso.com', employeeId: 'L1003' },
  { displayName: 'Katherine Johnson', userPrincipalName: 'katherine@contoso.com', employeeId: 'L1004' },
  { displayName: 'Edsger Dijkstra', userPrincipalName: 'edsger@contoso.com', employeeId: 'L1005' },
];

describe('leavers: HR terminations revoke through the queue', () => {
  let app: TestApp;
  const seedOf = new Map<string, string>();
  const userIds = new Map<string, string>();

  const tokenOf = async (employeeId: string) => {
    const tokens = (await jsonOf(await app.call('GET', `tokens?user=${employeeId}`, { roles: ['Tokens.Read'] }))).tokens as { serialNumber: string; status: string }[];
    return tokens[0];
  };
  const leaverOf = async (employeeId: string) => (await provisioningOf(app, employeeId))?.leaver;

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON });
    for (const user of await app.graph.seedUsers(PEOPLE)) userIds.set(user.userPrincipalName, user.id);
    const serials = ['LV-01', 'LV-02', 'LV-03', 'LV-04', 'LV-05', 'LV-06'];
    const seeds = await importTokens(app, serials.map((serial) => ({ serial })));
    serials.forEach((serial, i) => seedOf.set(serial, seeds[i]!));
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a termination that is due revokes the active token: gone from the user in Entra, revoked in the inventory', async () => {
    await sendHire(app, { employeeId: 'L1001', userPrincipalName: 'ada@contoso.com', hireDate: today() });
    const joiner = await joinerReaches(app, 'L1001', ['completed']);
    const serial = joiner.serialNumber!;

    expect((await sendEvent(app, 'employee.terminated', { employeeId: 'L1001', terminationDate: today() })).status).toBe(202);
    const leaver = await eventually('the leaver to complete', async () => ((await leaverOf('L1001'))?.status === 'completed' ? leaverOf('L1001') : undefined));
    expect(leaver).toMatchObject({ status: 'completed' });
    expect(await tokenOf('L1001')).toMatchObject({ serialNumber: serial, status: 'revoked' });
    const device = (await app.graph.state({ serial })).matches?.devices[0];
    expect(device).toMatchObject({ status: 'available', assignedTo: null });
    for (const offset of [30_000, 60_000]) {
      expect((await app.graph.signIn({ userId: userIds.get('ada@contoso.com')!, code: codeAt(seedOf.get(serial)!, Date.now() + offset) })).ok).toBe(false);
    }
    // The token is physically returned later: back to stock.
    const returned = await app.call('POST', 'users/L1001/token/revoke', { body: '{"reason":"returned"}', contentType: 'application/json' });
    expect(await jsonOf(returned)).toEqual({ serialNumber: serial, status: 'in_stock', changed: true });

    // Rehired after the termination date: a new hire event provisions again.
    await sendHire(app, { employeeId: 'L1001', userPrincipalName: 'ada@contoso.com', hireDate: inDays(1) });
    await eventually('the rehire to get a token', async () => ((await tokenOf('L1001'))?.status === 'active' ? true : undefined));
    expect(await joinerReaches(app, 'L1001', ['completed'])).toMatchObject({ note: expect.stringContaining('started over') });
  });

  it('a termination dated in the future waits; the token stays active until then', async () => {
    await sendHire(app, { employeeId: 'L1002', userPrincipalName: 'grace@contoso.com', hireDate: today() });
    await joinerReaches(app, 'L1002', ['completed']);
    await sendEvent(app, 'employee.terminated', { employeeId: 'L1002', terminationDate: inDays(10) });
    await eventually('the leaver to be recorded', async () => (await leaverOf('L1002'))?.status === 'pending_revocation');
    expect(await tokenOf('L1002')).toMatchObject({ status: 'active' });
  });

  it('a termination before the hire: the hire is not provisioned', async () => {
    await sendEvent(app, 'employee.terminated', { employeeId: 'L1003', terminationDate: today() });
    await eventually('the leaver to complete', async () => (await leaverOf('L1003'))?.status === 'completed');
    await sendHire(app, { employeeId: 'L1003', userPrincipalName: 'alan@contoso.com', hireDate: today() });
    const joiner = await joinerReaches(app, 'L1003', ['cancelled']);
    expect(joiner.reason).toMatch(/terminated/);
    expect(await tokenOf('L1003')).toBeUndefined();
  });

  it('a hire and a termination at once: whatever the order, no token stays active', async () => {
    await Promise.all([
      sendHire(app, { employeeId: 'L1004', userPrincipalName: 'katherine@contoso.com', hireDate: today() }),
      sendEvent(app, 'employee.terminated', { employeeId: 'L1004', terminationDate: today() }),
    ]);
    await eventually('the leaver to complete', async () => (await leaverOf('L1004'))?.status === 'completed');
    await joinerReaches(app, 'L1004', ['completed', 'cancelled']);
    const settled = await eventually('no active token', async () => {
      const token = await tokenOf('L1004');
      return !token || token.status !== 'active' ? token ?? 'none' : undefined;
    });
    expect(settled === 'none' || ['revoked', 'in_stock'].includes((settled as { status: string }).status)).toBe(true);
    const user = (await app.graph.state({ user: 'katherine@contoso.com' })).matches?.user;
    const assigned = ['LV-01', 'LV-02', 'LV-03', 'LV-04', 'LV-05', 'LV-06'];
    for (const serial of assigned) {
      const device = (await app.graph.state({ serial })).matches?.devices[0];
      expect(device?.assignedTo?.id === user?.id && device?.status === 'activated').toBe(false);
    }
  }, 120_000);

  it('a returned programmable token is quarantined until it is re-seeded, then goes back to stock', async () => {
    const generated = await app.call('POST', 'tokens/seeds', {
      body: JSON.stringify({ serials: ['PRG-L1'], manufacturer: 'Token2', model: 'molto2', pool: 'PRG' }),
      contentType: 'application/json',
    });
    const firstSeed = (await generated.text()).trim().split('\r\n')[1]!.split(',')[1]!;
    await sendHire(app, { employeeId: 'L1005', userPrincipalName: 'edsger@contoso.com', hireDate: today(), location: 'PRG' });
    expect((await joinerReaches(app, 'L1005', ['completed'])).serialNumber).toBe('PRG-L1');

    const returned = await app.call('POST', 'users/edsger@contoso.com/token/revoke', { body: '{"reason":"returned"}', contentType: 'application/json' });
    expect(await jsonOf(returned)).toEqual({ serialNumber: 'PRG-L1', status: 'quarantined', changed: true });
    expect((await app.graph.state({ serial: 'PRG-L1' })).matches?.devices).toEqual([]);
    expect(await app.keyVault.secretExists('seed-PRG-L1')).toMatchObject({ exists: false, deleted: true });
    expect((await app.graph.signIn({ userId: userIds.get('edsger@contoso.com')!, code: codeAt(firstSeed, Date.now() + 30_000) })).ok).toBe(false);

    const reseeded = await app.call('POST', 'tokens/seeds', {
      body: JSON.stringify({ serials: ['PRG-L1'], manufacturer: 'Token2', model: 'molto2', pool: 'PRG' }),
      contentType: 'application/json',
    });
    expect(reseeded.status).toBe(200);
    const secondSeed = (await reseeded.text()).trim().split('\r\n')[1]!.split(',')[1]!;
    expect(secondSeed).not.toBe(firstSeed);
    const token = await jsonOf(await app.call('GET', 'tokens/PRG-L1', { roles: ['Tokens.Read'] }));
    expect(token).toMatchObject({ status: 'in_stock', registeredInEntra: true, userPrincipalName: null, revocationReason: null, lastChangeReason: 're-seeded and back in stock' });
    // The soft-deleted name stays burned (purge protection); the new seed lives under the next name.
    expect(await app.keyVault.secretExists('seed-PRG-L1--v1')).toMatchObject({ exists: true });
  });
});

import { totpCode } from '../../../shared/domain/seed';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { eventually, importTokens, JOINER_HOST_JSON, joinerReaches, provisioningOf, sendEvent, sendHire } from '../../support/hr';
import { makeGlobalAdmin } from '../targets/helpers';

/**
 * Least privilege at the desk, through the HTTP API, the queue, Azurite and the emulators: Tokens.Desk
 * does the hand-over, shipping and the pick list and nothing else; the hand-over checks its holder
 * again right before activating.
 */

const STEP_MS = 30_000;

/** Waits until at least 8 s of the current time step are left, so the code computed here is the one checked. */
async function awayFromStepEnd(): Promise<void> {
  while (STEP_MS - (Date.now() % STEP_MS) < 8_000) await new Promise((resolve) => setTimeout(resolve, 500));
}

describe('Tokens.Desk and the checks right before a hand-over', () => {
  let app: TestApp;
  const seedOf = new Map<string, string>();
  const userIds = new Map<string, string>();
  const serialOf = new Map<string, string>();
  const DESK = ['Tokens.Desk'];

  const json = (body: unknown) => ({ body: JSON.stringify(body), contentType: 'application/json' });
  const token = async (serial: string) => jsonOf(await app.call('GET', `tokens/${serial}`, { roles: ['Tokens.Read'] }));
  const device = async (serial: string) => (await app.graph.state({ serial })).matches?.devices[0];
  const activations = async () => (await app.graph.stats()).requests['POST method.activate'] ?? 0;
  const codeOf = (serial: string) => totpCode(seedOf.get(serial)!, 30, 'hmacsha1', new Date());

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON, settings: { ACTIVATION_MODE: 'handover' } });
    for (const user of await app.graph.seedUsers([
      { displayName: 'Dora Desk-Handover', userPrincipalName: 'dora@contoso.com', employeeId: 'E4001' },
      { displayName: 'Pat Promoted', userPrincipalName: 'pat@contoso.com', employeeId: 'E4002' },
      { displayName: 'Lee Leaver', userPrincipalName: 'lee@contoso.com', employeeId: 'E4003' },
    ])) {
      userIds.set(user.userPrincipalName, user.id);
    }
    const tokens = [{ serial: 'LP-GVA-1', pool: 'GVA' }, { serial: 'LP-GVA-2', pool: 'GVA' }, { serial: 'LP-GVA-3', pool: 'GVA' }];
    const seeds = await importTokens(app, tokens);
    tokens.forEach((t, i) => seedOf.set(t.serial, seeds[i]!));
    for (const [employeeId, upn] of [['E4001', 'dora@contoso.com'], ['E4002', 'pat@contoso.com'], ['E4003', 'lee@contoso.com']] as const) {
      await sendHire(app, { employeeId, userPrincipalName: upn, location: 'GVA' });
      const joiner = await joinerReaches(app, employeeId, ['completed', 'failed']);
      expect(joiner.status).toBe('completed');
      serialOf.set(upn, joiner.serialNumber!);
    }
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a desk token reads the pick list, records the shipment and hands over; Tokens.Read may not', async () => {
    const serial = serialOf.get('dora@contoso.com')!;
    const list = await app.call('GET', 'handovers?location=GVA', { roles: DESK });
    expect(list.status).toBe(200);
    expect((await jsonOf(list)).handovers.map((h: { serialNumber: string }) => h.serialNumber).sort()).toEqual([...serialOf.values()].sort());
    // The desk's other readers see nothing more than the pick list.
    expect((await app.call('GET', `tokens/${serial}`, { roles: DESK })).status).toBe(403);
    const shipped = await app.call('POST', `tokens/${serial}/shipment`, { roles: DESK, ...json({ status: 'shipped', tracking: 'CH-1' }) });
    expect(shipped.status).toBe(200);
    expect(await jsonOf(shipped)).toMatchObject({ serialNumber: serial, shipping: 'shipped', changed: true });

    expect((await app.call('POST', `tokens/${serial}/handover`, { roles: ['Tokens.Read'], ...json({ code: '000000' }) })).status).toBe(403);
    await awayFromStepEnd();
    const handedOver = await app.call('POST', `tokens/${serial}/handover`, { roles: DESK, ...json({ code: codeOf(serial) }) });
    expect(handedOver.status).toBe(200);
    expect(await jsonOf(handedOver)).toMatchObject({ serialNumber: serial, status: 'active', userPrincipalName: 'dora@contoso.com' });
    expect(await device(serial)).toMatchObject({ status: 'activated', assignedTo: { id: userIds.get('dora@contoso.com') } });
  });

  it('a desk token is refused (403) on every other write route, and on the inventory, changing nothing', async () => {
    const serial = serialOf.get('pat@contoso.com')!;
    const before = await token(serial);
    const csv = { body: 'upn,serial number,secret key,time interval,manufacturer,model\n,LP-NEW-1,JBSWY3DPEHPK3PXP,30,Token2,C202\n', contentType: 'text/csv' };
    const writes: [string, string, { body?: string; contentType?: string }][] = [
      ['POST', 'tokens/import', csv],
      ['POST', 'tokens/seeds', json({ serials: ['LP-SEED-1'], manufacturer: 'Token2', model: 'C202', timeIntervalInSeconds: 30, hashFunction: 'hmacsha1' })],
      ['POST', 'tokens/intake-keys', json({})],
      ['POST', `tokens/${serial}/revoke`, json({ reason: 'lost' })],
      ['POST', 'users/pat@contoso.com/token/revoke', json({ reason: 'lost' })],
      ['POST', 'users/pat@contoso.com/token/suspend', {}],
      ['POST', 'users/pat@contoso.com/token/resume', {}],
      ['POST', 'users/pat@contoso.com/token/replace', json({ reason: 'lost', temporaryAccessPass: true })],
      ['POST', 'provisioning/E4002/retry', {}],
      ['POST', 'provisioning/E4002/approve', {}],
      ['POST', 'reconcile', json({})],
      ['POST', 'reconcile/some-run/apply', {}],
    ];
    const reads = ['tokens', `tokens/${serial}`, 'provisioning/E4002', 'provisioning', 'audit', 'reports/reconcile/latest', 'tokens/intake-keys'];
    const answers: Record<string, number> = {};
    for (const [method, route, options] of writes) answers[`${method} ${route}`] = (await app.call(method, route, { roles: DESK, ...options })).status;
    for (const route of reads) answers[`GET ${route}`] = (await app.call('GET', route, { roles: DESK })).status;
    expect(answers).toEqual(Object.fromEntries(Object.keys(answers).map((key) => [key, 403])));
    expect(await token(serial)).toEqual(before);
    expect(await device(serial)).toMatchObject({ status: 'assigned', assignedTo: { id: userIds.get('pat@contoso.com') } });
  });

  it('a holder made Global Administrator since the hire gets nothing at the desk; a Tokens.PrivilegedAdmin may still hand it over', async () => {
    const serial = serialOf.get('pat@contoso.com')!;
    await makeGlobalAdmin(app, userIds.get('pat@contoso.com')!);
    const activated = await activations();
    await awayFromStepEnd();
    const code = codeOf(serial);
    const refused = await app.call('POST', `tokens/${serial}/handover`, { roles: DESK, ...json({ code }) });
    expect(refused.status).toBe(409);
    const problem = await jsonOf(refused);
    expect(problem).toMatchObject({ status: 409, reason: 'holder_refused', serialNumber: serial });
    expect(problem.detail).toMatch(/^privileged_account: /);
    // Nothing activated: Entra was not asked, the token still waits, the code signs nobody in.
    expect(await activations()).toBe(activated);
    expect(await device(serial)).toMatchObject({ status: 'assigned' });
    expect(await token(serial)).toMatchObject({ status: 'awaiting_handover', driftSteps: null });
    expect((await app.graph.signIn({ userId: 'pat@contoso.com', code })).ok).toBe(false);
    // A Tokens.Admin is refused the same way; only the privileged role gives an admin's account a factor.
    expect((await app.call('POST', `tokens/${serial}/handover`, { roles: ['Tokens.Admin'], ...json({ code }) })).status).toBe(409);
    const allowed = await app.call('POST', `tokens/${serial}/handover`, { roles: ['Tokens.PrivilegedAdmin'], ...json({ code }) });
    expect(allowed.status).toBe(200);
    expect(await device(serial)).toMatchObject({ status: 'activated' });
  });

  it('a leaver whose revocation is still retrying gets nothing at the desk', async () => {
    const serial = serialOf.get('lee@contoso.com')!;
    // Entra refuses to remove the method for now: the leaver's revocation fails and waits to be tried again.
    await app.graph.setFaults({ failNext: { status: 500, count: 1_000, route: 'DELETE method' } });
    try {
      expect((await sendEvent(app, 'employee.terminated', { employeeId: 'E4003', terminationDate: new Date().toISOString().slice(0, 10) })).status).toBe(202);
      await eventually('the leaver to be retrying', async () => (await provisioningOf(app, 'E4003'))?.leaver?.status === 'retrying');
      expect(await device(serial)).toMatchObject({ status: 'assigned', assignedTo: { id: userIds.get('lee@contoso.com') } });
      const activated = await activations();
      await awayFromStepEnd();
      const refused = await app.call('POST', `tokens/${serial}/handover`, { roles: ['Tokens.PrivilegedAdmin'], ...json({ code: codeOf(serial) }) });
      expect(refused.status).toBe(409);
      expect(await jsonOf(refused)).toMatchObject({ reason: 'holder_refused', detail: expect.stringMatching(/^leaver: employee E4003 is a leaver/) });
      expect(await activations()).toBe(activated);
      expect(await device(serial)).toMatchObject({ status: 'assigned' });
    } finally {
      await app.graph.clearFaults();
    }
  });

  it('resume after leave checks the holder again: a holder made Global Administrator meanwhile is not activated again', async () => {
    const serial = serialOf.get('dora@contoso.com')!;
    expect((await app.call('POST', 'users/dora@contoso.com/token/suspend', { roles: ['Tokens.Admin'] })).status).toBe(200);
    expect(await device(serial)).toMatchObject({ status: 'assigned' });
    await makeGlobalAdmin(app, userIds.get('dora@contoso.com')!);
    const refused = await app.call('POST', 'users/dora@contoso.com/token/resume', { roles: ['Tokens.Admin'] });
    expect(refused.status).toBe(409);
    expect((await jsonOf(refused)).detail).toMatch(/^privileged_account: /);
    expect(await device(serial)).toMatchObject({ status: 'assigned' });
    expect(await token(serial)).toMatchObject({ status: 'suspended' });
    expect((await app.call('POST', 'users/dora@contoso.com/token/resume', { roles: ['Tokens.PrivilegedAdmin'] })).status).toBe(200);
    expect(await device(serial)).toMatchObject({ status: 'activated' });
  });
});

import { InvocationContext } from '@azure/functions';
import { generateSeed } from '../../../shared/domain/seed';
import { JOINER_STEPS, type JoinerStep } from '../../../shared/workflows/provisionJoiner';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { allTokens, enqueue, eventually, hrQueue, importTokens, JOINER_HOST_JSON, joinerReaches } from '../../support/hr';
import { CSV_HEADER, entraSerialsOf, tenantCall } from './helpers';

/**
 * Revocation follows Entra, not only the inventory row: the device is looked up by serial and taken
 * from whoever holds it; a token in the middle of a hire is settled with that hire, at every step.
 */

const PEOPLE = [
  { displayName: 'Ada Lovelace', userPrincipalName: 'ada@contoso.com', employeeId: 'R3001' },
  { displayName: 'Bob Moved', userPrincipalName: 'bob@contoso.com', employeeId: 'R3002' },
  { displayName: 'Carol Serial', userPrincipalName: 'carol@contoso.com', employeeId: 'R3003' },
  { displayName: 'Dave Twice', userPrincipalName: 'dave@contoso.com', employeeId: 'R3004' },
  { displayName: 'Erin Case', userPrincipalName: 'erin@contoso.com', employeeId: 'R3005' },
  { displayName: 'Frank Moved', userPrincipalName: 'frank@contoso.com', employeeId: 'R3006' },
];
const employeeOf = (step: JoinerStep) => `R4${String(JOINER_STEPS.indexOf(step) + 1).padStart(3, '0')}`;
const upnOf = (step: JoinerStep) => `race-${step.replace(/_/g, '-')}@contoso.com`;

describe('revocation follows Entra', () => {
  let app: TestApp;
  let worker: typeof import('../../../functions/hrEventsWorker');
  let runtime: typeof import('../../../shared/app/runtime');
  const ids = new Map<string, string>();

  const json = (body: unknown) => ({ body: JSON.stringify(body), contentType: 'application/json' });
  const revokeUser = (user: string, body: unknown) => app.call('POST', `users/${encodeURIComponent(user)}/token/revoke`, json(body));
  const revokeSerial = (serial: string, body: unknown) => app.call('POST', `tokens/${encodeURIComponent(serial)}/revoke`, json(body));
  const device = async (serial: string) => (await app.graph.state({ serial })).matches?.devices[0];
  /** Moves a token in Entra from one user to another behind the inventory's back, with the standard beta calls. */
  const moveInEntra = async (serial: string, from: string, to: string) => {
    const deviceId = (await device(serial))!.id;
    expect((await tenantCall(app, 'DELETE', `/users/${ids.get(from)}/authentication/hardwareOathMethods/${deviceId}`, undefined, 'beta')).status).toBe(204);
    expect((await tenantCall(app, 'POST', `/users/${ids.get(to)}/authentication/hardwareOathMethods`, { device: { id: deviceId } }, 'beta')).status).toBe(201);
  };

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON });
    worker = await import('../../../functions/hrEventsWorker');
    runtime = await import('../../../shared/app/runtime');
    const users = await app.graph.seedUsers([...PEOPLE, ...JOINER_STEPS.map((step) => ({ displayName: `Race ${step}`, userPrincipalName: upnOf(step), employeeId: employeeOf(step) }))]);
    for (const user of users) ids.set(user.userPrincipalName, user.id);
    const rows = [
      ['ada@contoso.com', 'RV-MOVED'],
      ['frank@contoso.com', 'RV-MOVED-LOST'],
      ['carol@contoso.com', 'RV-SERIAL'],
      ['dave@contoso.com', 'RV-TWICE-1'],
      ['dave@contoso.com', 'RV-TWICE-2'],
      ['erin@contoso.com', 'RV-CASE'],
    ].map(([upn, serial]) => `${upn},${serial},${generateSeed('hmacsha1')},30,Token2,C202`);
    const imported = await jsonOf(await app.call('POST', 'tokens/import', { body: `${CSV_HEADER}\n${rows.join('\n')}\n`, contentType: 'text/csv' }));
    expect(imported).toMatchObject({ imported: rows.length, errors: [] });
    await importTokens(app, Array.from({ length: JOINER_STEPS.length * 3 }, (_, i) => ({ serial: `RV-STOCK-${String(i + 1).padStart(3, '0')}` })));
  });
  afterAll(async () => {
    await app?.close();
  });

  it('takes the token from the user Entra shows holding it, and says so', async () => {
    await moveInEntra('RV-MOVED', 'ada@contoso.com', 'bob@contoso.com');
    const response = await revokeUser('ada@contoso.com', { reason: 'offboarded' });
    expect(response.status).toBe(200);
    const answer = await jsonOf(response);
    expect(answer).toMatchObject({ serialNumber: 'RV-MOVED', status: 'revoked', changed: true, entraHolder: { id: ids.get('bob@contoso.com') }, detail: expect.stringContaining('not to ada@contoso.com') });
    expect(await device('RV-MOVED')).toMatchObject({ status: 'available', assignedTo: null });
    expect(await entraSerialsOf(app, 'bob@contoso.com')).toEqual([]);
  });

  it('a lost token held elsewhere in Entra leaves Entra altogether', async () => {
    await moveInEntra('RV-MOVED-LOST', 'frank@contoso.com', 'bob@contoso.com');
    const answer = await jsonOf(await revokeUser('R3006', { reason: 'lost' }));
    expect(answer).toMatchObject({ serialNumber: 'RV-MOVED-LOST', status: 'lost', entraHolder: { id: ids.get('bob@contoso.com') } });
    expect(await device('RV-MOVED-LOST')).toBeUndefined();
  });

  it('revokes by serial, harmlessly when repeated, and refuses what it cannot', async () => {
    const response = await revokeSerial('RV-SERIAL', { reason: 'stolen', note: 'bag taken' });
    expect(response.status).toBe(200);
    expect(await jsonOf(response)).toEqual({ serialNumber: 'RV-SERIAL', status: 'lost', changed: true });
    expect(await device('RV-SERIAL')).toBeUndefined();
    expect(await app.keyVault.secretExists('seed-RV-SERIAL')).toMatchObject({ exists: false });
    expect(await jsonOf(await revokeSerial('RV-SERIAL', { reason: 'stolen' }))).toEqual({ serialNumber: 'RV-SERIAL', status: 'lost', changed: false });
    expect((await revokeSerial('RV-NOPE', { reason: 'lost' })).status).toBe(404);
    expect((await revokeSerial('not a serial', { reason: 'lost' })).status).toBe(400);
    expect((await revokeSerial('RV-STOCK-001', { reason: 'offboarded' })).status).toBe(409);
    expect((await revokeSerial('RV-SERIAL', { reason: 'misplaced' })).status).toBe(400);
  });

  it('answers 409 listing the tokens of a user who holds two, and the serial settles it', async () => {
    const response = await revokeUser('dave@contoso.com', { reason: 'lost' });
    expect(response.status).toBe(409);
    const problem = await jsonOf(response);
    expect(problem.serialNumbers.sort()).toEqual(['RV-TWICE-1', 'RV-TWICE-2']);
    expect(await entraSerialsOf(app, 'dave@contoso.com')).toHaveLength(2);
    expect(await jsonOf(await revokeSerial('RV-TWICE-1', { reason: 'lost' }))).toMatchObject({ status: 'lost' });
    expect(await jsonOf(await revokeUser('dave@contoso.com', { reason: 'damaged' }))).toMatchObject({ serialNumber: 'RV-TWICE-2', status: 'retired' });
  });

  it('finds a user by UPN whatever its case', async () => {
    const listed = await jsonOf(await app.call('GET', `tokens?user=${encodeURIComponent('Erin@Contoso.COM')}`, { roles: ['Tokens.Read'] }));
    expect(listed.tokens.map((t: { serialNumber: string }) => t.serialNumber)).toEqual(['RV-CASE']);
    const response = await revokeUser('Erin@Contoso.COM', { reason: 'returned' });
    expect(response.status).toBe(200);
    expect(await jsonOf(response)).toMatchObject({ serialNumber: 'RV-CASE', status: 'in_stock' });
  });

  /**
   * A hire and an admin revoke interleaved at each saga step: the revoke runs inside the saga's afterStep
   * hook, then the hire carries on and its message is delivered again. Whatever the step, the person ends
   * with at most one token, and with none when the revoke said it took one.
   */
  it.each(JOINER_STEPS.map((step) => [step]))('a revoke after the hire step %s leaves no token behind it', async (step) => {
    const employeeId = employeeOf(step);
    const message = { eventId: `msg_race_${step}`, type: 'employee.hired', employeeId, userPrincipalName: upnOf(step), firstSeenAt: new Date().toISOString() };
    let revokeStatus: number | undefined;
    const racing = worker.hrEventsWorkerHandler(runtime.services, {
      afterStep: async (at) => {
        if (at !== step || revokeStatus !== undefined) return;
        revokeStatus = (await revokeUser(employeeId, { reason: 'lost' })).status;
      },
    });
    await racing(message, new InvocationContext({ functionName: 'hrEventsWorker', invocationId: `race-${step}`, triggerMetadata: { dequeueCount: 1 } }));
    expect(revokeStatus).toBeDefined();

    // A retry of the same event, through the real queue and worker, must not hand out another token.
    await enqueue(app, message);
    await eventually('the redelivery to be handled', async () => (await hrQueue(app).getProperties()).approximateMessagesCount === 0);
    const joiner = await joinerReaches(app, employeeId, ['completed', 'cancelled', 'failed']);

    const held = (await allTokens(app)).filter((t) => t.employeeId === employeeId && ['reserved', 'assigned', 'active', 'suspended'].includes(t.status));
    const inEntra = await entraSerialsOf(app, upnOf(step));
    if (revokeStatus === 200) {
      expect(held).toEqual([]);
      expect(inEntra).toEqual([]);
    } else {
      // Nothing to take yet (before the reservation): the hire goes on to one token.
      expect(revokeStatus).toBe(404);
      expect(joiner.status).toBe('completed');
      expect(held.map((t) => t.status)).toEqual(['active']);
      expect(inEntra).toEqual([held[0]?.serialNumber]);
    }
    expect((await allTokens(app)).filter((t) => t.status === 'reserved')).toEqual([]);
  });
});

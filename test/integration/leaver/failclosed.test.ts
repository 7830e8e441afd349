import { Secret, TOTP } from 'otpauth';
import { QueueClient } from '@azure/storage-queue';
import { poisonQueueOf, QUEUES } from '../../../shared/app/storageNames';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { eventually, importTokens, joinerReaches, JOINER_HOST_JSON, provisioningOf, sendEvent, sendHire } from '../../support/hr';
import { simulateTime, type SimulatedTime } from '../../support/simulatedTime';

const codeAt = (seed: string, at: number) => new TOTP({ secret: Secret.fromBase32(seed), period: 30, digits: 6 }).generate({ timestamp: at });
const OUTAGE_MS = 30 * 60_000;

describe('leavers fail closed: a revocation that keeps failing is retried until Entra confirms it', () => {
  let app: TestApp;
  let sim: SimulatedTime;
  let seed: string;
  let userId: string;

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON });
    const [user] = await app.graph.seedUsers([{ displayName: 'Mary Jackson', userPrincipalName: 'mary@contoso.com', employeeId: 'FC1001' }]);
    userId = user!.id;
    [seed] = (await importTokens(app, [{ serial: 'FC-01' }])) as [string];
  });
  afterAll(async () => {
    await app?.close();
  });

  it('Graph failing for 30 simulated minutes: the leaver retries with growing delays and ends revoked once Graph answers', async () => {
    await sendHire(app, { employeeId: 'FC1001', userPrincipalName: 'mary@contoso.com', hireDate: new Date().toISOString().slice(0, 10) });
    expect(await joinerReaches(app, 'FC1001', ['completed'])).toMatchObject({ serialNumber: 'FC-01' });

    const runtime = await import('../../../shared/app/runtime');
    const start = new Date();
    sim = simulateTime(runtime.services(), start);
    await app.graph.setFaults({ failRate: { status: 500, probability: 1 } });
    expect((await sendEvent(app, 'employee.terminated', { employeeId: 'FC1001', terminationDate: start.toISOString().slice(0, 10) })).status).toBe(202);

    const statuses = new Set<string>();
    let outage = true;
    for (let step = 0; step < 40; step++) {
      const leaver = await eventually('the leaver to be put back on the queue or to complete', async () => {
        const record = (await provisioningOf(app, 'FC1001'))?.leaver;
        if (record?.status === 'completed') return record;
        return sim.pending() > 0 ? record : undefined;
      });
      statuses.add(leaver!.status);
      if (leaver!.status === 'completed') break;
      if (outage && sim.now().getTime() - start.getTime() >= OUTAGE_MS) {
        await app.graph.clearFaults();
        outage = false;
      }
      expect(await sim.advance()).toBe(true);
    }

    expect(outage).toBe(false);
    expect(statuses.has('completed')).toBe(true);
    expect(statuses.has('failed')).toBe(false);
    expect(statuses.has('retrying')).toBe(true);
    // Growing waits through the queue's visibility, never the host's quick retries.
    expect(sim.delays.slice(0, 6)).toEqual([30, 60, 120, 240, 480, 900]);
    expect(sim.delays.reduce((sum, s) => sum + s, 0) * 1000).toBeGreaterThanOrEqual(OUTAGE_MS);

    const token = await jsonOf(await app.call('GET', 'tokens/FC-01', { roles: ['Tokens.Read'] }));
    expect(token).toMatchObject({ status: 'revoked', revocationReason: 'offboarded' });
    expect((await app.graph.state({ serial: 'FC-01' })).matches?.devices[0]).toMatchObject({ status: 'available', assignedTo: null });
    expect((await app.graph.signIn({ userId, code: codeAt(seed, Date.now() + 30_000) })).ok).toBe(false);

    const leaver = await provisioningOf(app, 'FC1001');
    expect(leaver?.leaver).toMatchObject({ status: 'completed' });
    const poison = new QueueClient(app.stack.azurite.connectionString, poisonQueueOf(QUEUES.hrEvents));
    expect((await poison.getProperties()).approximateMessagesCount).toBe(0);
    expect(app.logs.some((line) => line.includes('LeaverRevocationFailing employeeId=FC1001'))).toBe(true);
  }, 180_000);
});

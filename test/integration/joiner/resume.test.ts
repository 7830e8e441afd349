import { InvocationContext } from '@azure/functions';
import { JOINER_STEPS, type JoinerStep } from '../../../shared/workflows/provisionJoiner';
import { startTestApp, type TestApp } from '../../support/app';
import { allTokens, enqueue, importTokens, JOINER_HOST_JSON, joinerReaches, seedsIn } from '../../support/hr';

const employeeOf = (step: JoinerStep) => `E5${String(JOINER_STEPS.indexOf(step) + 1).padStart(3, '0')}`;
const upnOf = (step: JoinerStep) => `crash-${step.replace(/_/g, '-')}@contoso.com`;

class SimulatedCrash extends Error {}

describe('joiner resumes after a crash after each saga step', () => {
  let app: TestApp;
  let worker: typeof import('../../../functions/hrEventsWorker');
  let runtime: typeof import('../../../shared/app/runtime');
  const seeds: string[] = [];

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON });
    // Loaded after the local host, so the function modules register with it (not the real Functions host).
    worker = await import('../../../functions/hrEventsWorker');
    runtime = await import('../../../shared/app/runtime');
    await app.graph.seedUsers(JOINER_STEPS.map((step) => ({ displayName: `Crash ${step}`, userPrincipalName: upnOf(step), employeeId: employeeOf(step) })));
    seeds.push(...(await importTokens(app, Array.from({ length: JOINER_STEPS.length + 3 }, (_, i) => ({ serial: `RS-${String(i + 1).padStart(3, '0')}` })))));
  });
  afterAll(async () => {
    await app?.close();
  });

  it.each(JOINER_STEPS.map((step) => [step]))('crash after %s: the redelivered message resumes to one active token and one device', async (step) => {
    const employeeId = employeeOf(step);
    const message = { eventId: `msg_crash_${step}`, type: 'employee.hired', employeeId, userPrincipalName: upnOf(step), firstSeenAt: new Date().toISOString() };

    // The same worker the host runs, against the same stack, dying right after `step`.
    const crashing = worker.hrEventsWorkerHandler(runtime.services, {
      afterStep: (at) => {
        if (at === step) throw new SimulatedCrash(`crashed after ${step}`);
      },
    });
    const context = new InvocationContext({ functionName: 'hrEventsWorker', invocationId: `crash-${step}`, triggerMetadata: { dequeueCount: 1 } });
    await expect(crashing(message, context)).rejects.toBeInstanceOf(SimulatedCrash);

    // The host retries the message: here it arrives again through the real queue and worker.
    await enqueue(app, message);
    const joiner = await joinerReaches(app, employeeId, ['completed', 'failed']);
    expect(joiner).toMatchObject({ status: 'completed', reason: null });

    const held = (await allTokens(app)).filter((t) => t.employeeId === employeeId);
    expect(held.map((t) => [t.serialNumber, t.status])).toEqual([[joiner.serialNumber, 'active']]);
    const devices = (await app.graph.state({ user: upnOf(step) })).matches?.devices ?? [];
    expect(devices.map((d) => [d.serialNumber, d.status])).toEqual([[joiner.serialNumber, 'activated']]);
  });

  it('leaves no token reserved and no device assigned to anyone but its holder', async () => {
    const tokens = await allTokens(app);
    expect(tokens.filter((t) => t.status === 'reserved')).toEqual([]);
    expect(tokens.filter((t) => t.status === 'active')).toHaveLength(JOINER_STEPS.length);
    const state = await app.graph.state();
    expect(state.devicesByStatus.activated).toBe(JOINER_STEPS.length);
    expect(state.devicesByStatus.assigned).toBe(0);
    expect(seedsIn(app.logs.join('\n'), seeds)).toEqual([]);
  });
});

import { graphEmulatorControl } from '../../../dev/graph/control';
import type { GraphEmulator } from '../../../dev/graph/server';
import { TEST_TOKEN, startTestEmulator } from './helpers';

const DEVICES_URL = '/beta/directory/authenticationMethodDevices/hardwareOathDevices';

/** Raw HTTPS calls, so that no SDK retry hides what the emulator answered. */
async function get(emulator: GraphEmulator, path = DEVICES_URL): Promise<Response> {
  return fetch(`${emulator.url}${path}`, { headers: { Authorization: `Bearer ${TEST_TOKEN}` } });
}

describe('fault injection', () => {
  let clockMs = Date.UTC(2026, 0, 1);
  let randomValue = 0.5;
  let emulator: GraphEmulator;

  beforeAll(async () => {
    emulator = await startTestEmulator({ now: () => clockMs, random: () => randomValue });
  });

  afterAll(async () => {
    await emulator.close();
  });

  beforeEach(async () => {
    await graphEmulatorControl(emulator.url).reset();
  });

  it('throttles past N requests per window with 429 and Retry-After, and refills over time', async () => {
    const control = graphEmulatorControl(emulator.url);
    await control.setFaults({ throttle: { requests: 2, windowMs: 10_000 } });
    expect((await get(emulator)).status).toBe(200);
    expect((await get(emulator)).status).toBe(200);
    const throttled = await get(emulator);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('5');
    expect(((await throttled.json()) as { error: { code: string } }).error.code).toBe('TooManyRequests');

    clockMs += 5_000;
    expect((await get(emulator)).status).toBe(200);
    expect((await get(emulator)).status).toBe(429);

    const stats = await control.stats();
    expect(stats.throttled).toBe(2);
    expect(stats.injected).toEqual({});
    expect(stats.requests['GET devices']).toBe(5);
  });

  it('counts the requests that arrive while a 429 asks the app to wait', async () => {
    const control = graphEmulatorControl(emulator.url);
    await control.setFaults({ throttle: { requests: 1, windowMs: 2_000 } });
    expect((await get(emulator)).status).toBe(200);
    expect((await get(emulator)).headers.get('retry-after')).toBe('2');
    clockMs += 1_000;
    expect((await get(emulator)).status).toBe(429);
    expect((await control.stats()).duringRetryAfter).toBe(1);
    clockMs += 2_000;
    expect((await get(emulator)).status).toBe(200);
    expect((await control.stats()).duringRetryAfter).toBe(1);
  });

  it('fails only the requests failNext names by route, and refuses a route it cannot read', async () => {
    const control = graphEmulatorControl(emulator.url);
    await control.setFaults({ failNext: { status: 429, count: 1, route: 'PATCH devices.delta' } });
    expect((await get(emulator)).status).toBe(200);
    const patch = await fetch(`${emulator.url}${DEVICES_URL}`, { method: 'PATCH', headers: { Authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ '@context': '#$delta', value: [] }) });
    expect(patch.status).toBe(429);
    expect((await get(emulator)).status).toBe(200);
    expect((await control.stats()).injected).toEqual({ '429': 1 });
    await expect(control.setFaults({ failNext: { status: 429, count: 1, route: 'devices' } })).rejects.toThrow(/failNext.route/);
  });

  it('sends x-ms-throttle-limit-percentage once more than 0.8 of the throttle is used, never on a 429', async () => {
    const control = graphEmulatorControl(emulator.url);
    await control.setFaults({ throttle: { requests: 10, windowMs: 10_000 } });
    const seen: (string | null)[] = [];
    for (let i = 0; i < 11; i++) {
      const response = await get(emulator);
      seen.push(response.status === 200 ? response.headers.get('x-ms-throttle-limit-percentage') : `status ${response.status}`);
    }
    expect(seen.slice(0, 8)).toEqual(Array(8).fill(null));
    expect(seen.slice(8)).toEqual(['0.90', '1.00', 'status 429']);
  });

  it('fails the next N requests with the chosen status', async () => {
    const control = graphEmulatorControl(emulator.url);
    await control.setFaults({ failNext: { status: 503, count: 2, retryAfterSeconds: 7 } });
    const first = await get(emulator);
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('7');
    expect(((await first.json()) as { error: { code: string } }).error.code).toBe('serviceNotAvailable');
    expect((await get(emulator)).status).toBe(503);
    expect((await get(emulator)).status).toBe(200);
    expect((await control.stats()).injected).toEqual({ '503': 2 });
  });

  it('fails at the configured rate', async () => {
    const control = graphEmulatorControl(emulator.url);
    await control.setFaults({ failRate: { status: 500, probability: 0.3 } });
    randomValue = 0.1;
    const failed = await get(emulator);
    expect(failed.status).toBe(500);
    expect(failed.headers.get('retry-after')).toBeNull();
    randomValue = 0.9;
    expect((await get(emulator)).status).toBe(200);
  });

  it('adds latency without changing answers, and DELETE /_emulator/faults stops all of it', async () => {
    const control = graphEmulatorControl(emulator.url);
    await control.setFaults({ latencyMs: 20, failNext: { status: 429, count: 1 } });
    const throttled = await get(emulator);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('1');
    await control.setFaults({ latencyMs: 20, failNext: { status: 429, count: 3 } });
    await control.clearFaults();
    expect((await get(emulator)).status).toBe(200);
  });

  it('rejects malformed fault settings', async () => {
    const control = graphEmulatorControl(emulator.url);
    await expect(control.setFaults({ failNext: { status: 418 as 429, count: 1 } })).rejects.toMatchObject({ status: 400 });
    await expect(control.setFaults({ throttle: { requests: 0, windowMs: 1000 } })).rejects.toMatchObject({ status: 400 });
  });

  it('answers every request with a request-id, control API included', async () => {
    const api = await get(emulator);
    const controlState = await fetch(`${emulator.url}/_emulator/state`);
    const unknown = await fetch(`${emulator.url}/nowhere`);
    for (const response of [api, controlState, unknown]) expect(response.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(unknown.status).toBe(400);
  });
});

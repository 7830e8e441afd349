import path from 'node:path';
import type { Timer } from '@azure/functions';
import { startLocalHost, type LocalHost } from '../../../dev/host/server';
import { nextObservation, observations } from '../../fixtures/host-functions/observed';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'host-functions');

describe('local host: timer functions', () => {
  let host: LocalHost;
  const logLines: string[] = [];

  beforeAll(async () => {
    host = await startLocalHost({
      port: 0,
      functionsDir: path.join(FIXTURES, 'timers'),
      hostJsonPath: path.join(FIXTURES, 'host.json'),
      storageConnectionString: 'UseDevelopmentStorage=true',
      settings: { FIXTURE_NIGHTLY_SCHEDULE: '0 30 3 * * *' },
      log: (line) => logLines.push(line),
    });
  });

  afterAll(async () => {
    await host.close();
  });

  it('keeps the declared schedule, %SETTING% and all', () => {
    expect(host.functions).toContainEqual(expect.objectContaining({ kind: 'timer', name: 'nightly', schedule: '%FIXTURE_NIGHTLY_SCHEDULE%' }));
  });

  it('runs a timer whose schedule is a %SETTING% through the admin endpoint', async () => {
    const before = Date.now();
    const response = await fetch(`${host.url}/admin/functions/nightly`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: '' }),
    });
    expect(response.status).toBe(202);

    const seen = await nextObservation((o) => o.functionName === 'nightly');
    const timer = seen.value as Timer;
    expect(timer.isPastDue).toBe(false);
    // The resolved setting decides the next occurrence: 03:30:00 UTC, within a day from now.
    const next = new Date(timer.scheduleStatus.next);
    expect([next.getUTCHours(), next.getUTCMinutes(), next.getUTCSeconds(), next.getUTCMilliseconds()]).toEqual([3, 30, 0, 0]);
    expect(next.getTime()).toBeGreaterThan(before);
    expect(next.getTime() - before).toBeLessThanOrEqual(24 * 3600_000);
    expect(new Date(timer.scheduleStatus.last).getTime()).toBeLessThan(next.getTime());
    expect(logLines.some((line) => line.startsWith("[nightly] Executing (Reason='This function was programmatically called via the host APIs."))).toBe(true);
  });

  it('runs a timer on its schedule', async () => {
    const seen = await nextObservation((o) => o.functionName === 'everySecond');
    const timer = seen.value as Timer;
    expect(timer.isPastDue).toBe(false);
    expect(new Date(timer.scheduleStatus.next).getUTCMilliseconds()).toBe(0);
    expect(new Date(timer.scheduleStatus.next).getTime()).toBeGreaterThan(new Date(timer.scheduleStatus.last).getTime());
    expect(logLines.some((line) => line.startsWith("[everySecond] Executing (Reason='Timer fired at"))).toBe(true);
  });

  it('runNow resolves once the function has run, and rejects for a name that is not a timer or queue function', async () => {
    const runsBefore = observations.filter((o) => o.functionName === 'nightly').length;
    await host.runNow('nightly');
    expect(observations.filter((o) => o.functionName === 'nightly')).toHaveLength(runsBefore + 1);
    await expect(host.runNow('noSuchFunction')).rejects.toThrow('noSuchFunction');
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../shared/app/config';
import { startLocalHost } from '../../../dev/host/server';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'host-functions');

/**
 * Start-up failures. The order matters: a host that fails after loading keeps its functions declared
 * in this file's module registry, so the failing schedule comes last.
 */
describe('local host: start-up', () => {
  const base = { port: 0, storageConnectionString: 'UseDevelopmentStorage=true', log: () => undefined };

  it('fails with the ConfigError a function module throws while loading', async () => {
    delete process.env.FIXTURE_GREETING;
    const failure = startLocalHost({ ...base, functionsDir: path.join(FIXTURES, 'needs-setting') });
    await expect(failure).rejects.toBeInstanceOf(ConfigError);
    await expect(failure).rejects.toThrow('Setting FIXTURE_GREETING: missing');
  });

  it('applies settings before the functions load', async () => {
    const host = await startLocalHost({ ...base, functionsDir: path.join(FIXTURES, 'needs-setting'), settings: { FIXTURE_GREETING: 'hello' } });
    try {
      const response = await fetch(`${host.url}/api/greet`);
      expect(await response.text()).toBe('hello');
    } finally {
      await host.close();
    }
  });

  it('refuses a bad host.json with a line naming the field', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'host-json-'));
    try {
      const hostJsonPath = path.join(dir, 'host.json');
      writeFileSync(hostJsonPath, JSON.stringify({ version: '2.0', extensions: { queues: { maxPollingInterval: 'soon' } } }));
      const failure = startLocalHost({ ...base, functionsDir: path.join(FIXTURES, 'needs-setting'), hostJsonPath });
      await expect(failure).rejects.toBeInstanceOf(ConfigError);
      await expect(failure).rejects.toThrow('extensions.queues.maxPollingInterval: "soon" is not a TimeSpan');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a missing functions directory', async () => {
    await expect(startLocalHost({ ...base, functionsDir: path.join(FIXTURES, 'no-such-dir') })).rejects.toThrow('does not exist');
  });

  it('fails when a timer schedule names a setting that is not set', async () => {
    delete process.env.FIXTURE_UNSET_SCHEDULE;
    const failure = startLocalHost({ ...base, functionsDir: path.join(FIXTURES, 'bad-schedule') });
    await expect(failure).rejects.toBeInstanceOf(ConfigError);
    await expect(failure).rejects.toThrow('Setting FIXTURE_UNSET_SCHEDULE: missing');
  });
});

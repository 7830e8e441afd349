import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

/** `npm start` as a new user runs it, on free ports so it cannot clash with a stack already running. */
describe('the local stack started by dev/start', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('serves GET /api/health with 200, prints where everything runs, and stops everything on SIGINT', async () => {
    child = spawn(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'dev', 'start.ts'), '--free-ports'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));

    const ready = await Promise.race([
      new Promise<string>((resolve) => {
        const check = setInterval(() => {
          const match = /Functions host\s+(http:\/\/127\.0\.0\.1:\d+)\/api/.exec(output);
          if (match?.[1]) {
            clearInterval(check);
            resolve(match[1]);
          }
        }, 100);
      }),
      exited.then((code) => {
        throw new Error(`dev/start exited early with ${code}: ${output}`);
      }),
    ]);
    expect(output).toMatch(/Graph emulator\s+https:\/\/127\.0\.0\.1:\d+\/beta/);
    expect(output).toContain('npm run -s dev:token -- --roles Tokens.Admin');
    const health = await fetch(`${ready}/api/health`);
    expect(health.status).toBe(200);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    await expect(fetch(`${ready}/api/health`)).rejects.toThrow();
  }, 120_000);
});

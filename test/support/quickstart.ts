import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestApp } from './app';
import { eventually } from './hr';

const execute = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

/**
 * The README quickstart's tools against a test's own stack, run in `dir` as the README runs them:
 * oathctl with an admin token, dev:hr signing with the stack's webhook secret, and a wait.
 */
export async function quickstartTools(app: TestApp, dir: string) {
  const env = { ...process.env, OATHCTL_URL: app.host.url, OATHCTL_TOKEN: await app.adminToken(['Tokens.Admin']) };
  const settings = path.join(dir, `dev-settings-${app.host.url.split(':').pop() ?? ''}.json`);
  writeFileSync(settings, JSON.stringify({ HR_WEBHOOK_SECRETS: app.stack.hrWebhookSecret }));
  const oathctl = async (...args: string[]) => (await execute(process.execPath, [TSX, path.join(ROOT, 'cli', 'oathctl.ts'), ...args], { env, cwd: dir })).stdout;
  const hr = async (...args: string[]) => (await execute(process.execPath, [TSX, path.join(ROOT, 'dev', 'hr.ts'), '--url', app.host.url, '--settings', settings, ...args], { cwd: dir })).stdout;
  const until = <T>(what: string, check: () => Promise<T | undefined>): Promise<T> => eventually(what, check, { tries: 100, pauseMs: 300 });
  return { oathctl, hr, until };
}

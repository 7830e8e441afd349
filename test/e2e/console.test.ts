import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { graphEmulatorControl } from '../../dev/graph/control';
import { postJsonTrusting } from '../../dev/net';
import { DEV_CA_DIR } from '../../dev/tls';
import { generateSeed } from '../../shared/domain/seed';

/**
 * The admin console end to end: built with Vite as `npm run build` does, served by the local stack as
 * `npm start` runs it, signed in through MSAL Browser against the dev identity, in Debian's headless
 * Chromium. Screenshots of each page go to .local/screenshots/.
 */

const ROOT = path.resolve(__dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(ROOT, '.local', 'screenshots');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

interface Stack {
  child: ChildProcess;
  output(): string;
  hostUrl: string;
  identityUrl: string;
  graphUrl: string;
}

async function startDev(): Promise<Stack> {
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'dev', 'start.ts'), '--free-ports'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await Promise.race([
    new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (/Ctrl-C stops everything/.test(output)) {
          clearInterval(check);
          resolve();
        }
      }, 100);
    }),
    exited.then((code) => {
      throw new Error(`dev/start exited early with ${code}: ${output}`);
    }),
  ]);
  const find = (pattern: RegExp): string => {
    const found = pattern.exec(output)?.[1];
    if (!found) throw new Error(`banner without ${pattern}: ${output}`);
    return found;
  };
  return {
    child,
    output: () => output,
    hostUrl: find(/Functions host\s+(http:\/\/127\.0\.0\.1:\d+)\/api/),
    identityUrl: find(/Dev identity\s+(https:\/\/127\.0\.0\.1:\d+)/),
    graphUrl: find(/Graph emulator\s+(https:\/\/127\.0\.0\.1:\d+)\/beta/),
  };
}

describe('the admin console in headless Chromium', () => {
  let stack: Stack;
  let adminToken: string;
  const run = randomUUID().slice(0, 6).toUpperCase();
  const held = `CON-${run}-1`;
  const spare = `CON-${run}-2`;
  const profiles: string[] = [];
  const contexts: BrowserContext[] = [];
  const cspViolations: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it), or set CHROMIUM_PATH`);
    const build = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', path.join(ROOT, 'console', 'vite.config.mjs')], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`vite build failed: ${build.stdout}${build.stderr}`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    stack = await startDev();
    const ca = readFileSync(path.join(DEV_CA_DIR, 'ca.pem'), 'utf8');
    const minted = await postJsonTrusting(`${stack.identityUrl}/_dev/token`, { audience: 'api://entra-oath-tokens', roles: ['Tokens.Admin'] }, ca);
    adminToken = (JSON.parse(minted.text) as { access_token: string }).access_token;
    const csv = [
      'upn,serial number,secret key,time interval,manufacturer,model,pool',
      `ada@contoso.com,${held},${generateSeed('hmacsha1')},30,Token2,C302,GVA`,
      `,${spare},${generateSeed('hmacsha1')},30,Token2,C302,GVA`,
    ].join('\n');
    const imported = await fetch(`${stack.hostUrl}/api/tokens/import`, { method: 'POST', body: csv, headers: { 'content-type': 'text/csv', authorization: `Bearer ${adminToken}` } });
    expect(imported.status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    if (stack && stack.child.exitCode === null) {
      const exited = new Promise((resolve) => stack.child.once('exit', resolve));
      stack.child.kill('SIGINT');
      await exited;
    }
    for (const dir of profiles) rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh browser profile, signed in as the persona whose button carries `label`. */
  async function signedIn(label: RegExp): Promise<Page> {
    const profile = mkdtempSync(path.join(tmpdir(), 'oath-console-chromium-'));
    profiles.push(profile);
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    const response = await page.goto(`${stack.hostUrl}/api/console/`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: label }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    return page;
  }

  it('signs in as Tokens.Admin, shows imported tokens, revokes one (Entra follows) and shows an import row error', async () => {
    const page = await signedIn(/Tokens\.Admin/);
    await page.getByRole('heading', { name: /Stock per pool/ }).waitFor();
    await page.getByRole('cell', { name: 'GVA' }).first().waitFor();
    // The stack's LOW_STOCK_THRESHOLD is 5: one token in stock in GVA is low.
    await page.getByText('Tokens in stock per pool (low below 5)').waitFor();
    await page.getByRole('row', { name: /GVA 1 2 low stock/ }).waitFor();
    // The ageing forecast's chart, from GET /api/reports/ageing, and the unused tokens' section, each with its list.
    await page.getByRole('img', { name: /^Tokens reaching their end per month/ }).waitFor();
    await page.getByRole('heading', { name: /^Unused tokens/ }).waitFor();
    await page.getByRole('link', { name: 'The unused tokens in the latest reconciliation report' }).waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'overview.png'), fullPage: true });

    await page.getByRole('link', { name: 'Tokens', exact: true }).click();
    await page.getByLabel('Pool').fill('GVA');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: held }).waitFor();
    await page.getByRole('link', { name: spare }).waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'tokens.png'), fullPage: true });

    const graph = graphEmulatorControl(stack.graphUrl, { caCertPem: readFileSync(path.join(DEV_CA_DIR, 'ca.pem'), 'utf8') });
    expect((await graph.state({ serial: held })).matches?.devices[0]?.status).toBe('activated');
    await page.getByRole('link', { name: held }).click();
    await page.getByTestId('token-status').filter({ hasText: 'active' }).waitFor();
    await page.getByRole('button', { name: 'Revoke', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').selectOption('lost');
    await dialog.getByLabel('Note (optional)').fill('left on a train');
    await dialog.getByRole('button', { name: 'Revoke the token' }).click();
    await page.getByTestId('token-status').filter({ hasText: 'lost' }).waitFor();
    await page.getByRole('cell', { name: /revoke/i }).first().waitFor();
    // Nobody holds a lost token: nothing is left to do to it.
    await expect(page.getByRole('button', { name: /Revoke|Suspend|Replace/ }).count()).resolves.toBe(0);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'token.png'), fullPage: true });
    // A lost token's device is deleted in Entra.
    expect((await graph.state({ serial: held })).matches?.devices).toEqual([]);

    await page.getByRole('link', { name: 'Imports' }).click();
    const bad = `CON-${run}-BAD`;
    const upload = ['upn,serial number,secret key,time interval,manufacturer,model', `,CON-${run}-3,${generateSeed('hmacsha1')},30,Token2,C302`, `,${bad},not-a-seed!,30,Token2,C302`].join('\n');
    await page.getByLabel(/Seed file/).setInputFiles({ name: 'seeds.csv', mimeType: 'text/csv', buffer: Buffer.from(upload) });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByText('Imported 1, unchanged 0, rejected 1.').waitFor();
    const row = page.getByRole('row', { name: new RegExp(bad) });
    await row.waitFor();
    expect(await row.getByRole('cell').first().textContent()).toBe('3');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'imports.png'), fullPage: true });

    await page.getByRole('link', { name: 'People' }).click();
    await page.getByRole('heading', { name: 'People', level: 1 }).waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'people.png'), fullPage: true });
    await page.getByRole('link', { name: 'Reconciliation' }).click();
    await page.getByLabel('Mode').selectOption('report');
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.getByText(/is queued \(mode report\)/).waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'reconciliation.png'), fullPage: true });
    expect(cspViolations).toEqual([]);
  }, 120_000);

  it('signs in as Tokens.Read: sees the token without any action, and the API refuses a forced revoke with 403', async () => {
    const page = await signedIn(/Tokens\.Read/);
    await expect(page.getByRole('link', { name: 'Imports' }).count()).resolves.toBe(0);
    await page.goto(`${stack.hostUrl}/api/console/#/tokens/${spare}`);
    await page.getByTestId('token-status').filter({ hasText: 'in_stock' }).waitFor();
    await page.getByRole('heading', { name: 'History' }).waitFor();
    await expect(page.getByRole('button', { name: /Revoke|Suspend|Resume/ }).count()).resolves.toBe(0);
    await page.goto(`${stack.hostUrl}/api/console/#/people`);
    await page.getByRole('heading', { name: 'People', level: 1 }).waitFor();
    await expect(page.getByRole('button', { name: /Retry/ }).count()).resolves.toBe(0);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'reader-people.png'), fullPage: true });

    // The reader's own access token, as MSAL keeps it, used for a call the page does not offer.
    const forced = await page.evaluate(async () => {
      // Runs in the page; the root tsconfig has no DOM types.
      const storage = (globalThis as unknown as { sessionStorage: Record<string, string> & { getItem(key: string): string | null } }).sessionStorage;
      const entry = Object.keys(storage)
        .map((key) => storage.getItem(key) ?? '')
        .map((value) => {
          try {
            return JSON.parse(value) as { credentialType?: string; secret?: string };
          } catch {
            return {};
          }
        })
        .find((value) => value.credentialType === 'AccessToken');
      const response = await fetch('/api/users/ada@contoso.com/token/revoke', {
        method: 'POST',
        headers: { authorization: `Bearer ${entry?.secret ?? ''}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'lost' }),
      });
      return { status: response.status, hadToken: Boolean(entry?.secret) };
    });
    expect(forced).toEqual({ status: 403, hadToken: true });
    expect(cspViolations).toEqual([]);
  }, 120_000);
});

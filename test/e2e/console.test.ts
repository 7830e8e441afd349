import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { graphEmulatorControl } from '../../dev/graph/control';
import { postJsonTrusting } from '../../dev/net';
import { DEV_CA_DIR } from '../../dev/tls';
import { generateSeed, totpCode } from '../../shared/domain/seed';
import { signWebhook } from '../../shared/domain/webhookSignature';

/**
 * The admin console end to end: built with Vite as `npm run build` does, served by the local stack as
 * `npm start` runs it (here in hand-over mode, so the desk has work), signed in through MSAL Browser
 * against the dev identity, in Debian's headless Chromium. Every page is checked by axe-core (no
 * serious or critical violation) and photographed into .local/screenshots/ (git-ignored), the test's artefacts.
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

async function startDev(settingsFile: string): Promise<Stack> {
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'dev', 'start.ts'), '--free-ports', '--settings', settingsFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
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

/**
 * Fluent UI's focus manager (Tabster) puts focusable, aria-hidden <i data-tabster-dummy> sentinels
 * around groups; they only pass focus on and are hidden from screen readers on purpose. axe flags them
 * as aria-hidden-focus, a known false positive (microsoft/tabster#288) that Microsoft's own scanner
 * suppresses the same way (accessibility-insights-web#7605): only those nodes, of only that rule.
 */
const TABSTER_DUMMY = /^<i [^>]*data-tabster-dummy=""[^>]*><\/i>$/;

/** No serious or critical accessibility violation on the page as it is now. */
async function expectAccessible(page: Page, name: string): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ ...v, nodes: v.nodes.filter((n) => !(v.id === 'aria-hidden-focus' && TABSTER_DUMMY.test(n.html))) }))
    .filter((v) => v.nodes.length > 0)
    .map((v) => `${name}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.map((n) => `${n.target.join(' ')} ${n.html}`).slice(0, 3).join(' | ')}`);
  expect(bad).toEqual([]);
}

/** The page's artefact: a full-page screenshot, and the axe check of the same state. */
async function capture(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  await expectAccessible(page, name);
}

describe('the admin console in headless Chromium', () => {
  let stack: Stack;
  let adminToken: string;
  const run = randomUUID().slice(0, 6).toUpperCase();
  // GVA: one token for Ada's hire (hand-over mode), one left in stock: below LOW_STOCK_THRESHOLD (5).
  const handed = `CON-${run}-1`;
  const spare = `CON-${run}-2`;
  const seeds = new Map<string, string>([
    [handed, generateSeed('hmacsha1')],
    [spare, generateSeed('hmacsha1')],
  ]);
  const hrSecret = `whsec_${randomBytes(32).toString('base64')}`;
  const profiles: string[] = [];
  const contexts: BrowserContext[] = [];
  const cspViolations: string[] = [];
  // Errors each page logged in the browser (its own origin only) and uncaught ones.
  const consoleErrors = new Map<Page, string[]>();
  const errorsOf = (page: Page): string[] => consoleErrors.get(page) ?? [];
  let settingsDir: string;

  const api = async (method: string, route: string, body?: { type: string; text: string }) =>
    fetch(`${stack.hostUrl}/api/${route}`, { method, headers: { authorization: `Bearer ${adminToken}`, ...(body ? { 'content-type': body.type } : {}) }, ...(body ? { body: body.text } : {}) });

  /** A signed HR hire at GVA, followed until provisioning ends; the serial it took. */
  async function hire(employeeId: string, userPrincipalName: string, displayName: string): Promise<string | undefined> {
    const body = JSON.stringify({ type: 'employee.hired', data: { employeeId, userPrincipalName, displayName, location: 'GVA' } });
    const eventId = `msg_console_${run}_${employeeId}`;
    const timestamp = Math.floor(Date.now() / 1000);
    const sent = await fetch(`${stack.hostUrl}/api/hr/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': eventId, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(hrSecret, eventId, timestamp, body) },
      body,
    });
    expect(sent.status).toBe(202);
    let joiner: { status?: string; serialNumber?: string } | undefined;
    for (let poll = 0; poll < 240 && joiner?.status !== 'completed' && joiner?.status !== 'failed'; poll++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const answer = await api('GET', `provisioning/${employeeId}`);
      if (answer.status === 200) joiner = ((await answer.json()) as { joiner?: typeof joiner }).joiner;
    }
    expect(joiner).toMatchObject({ status: 'completed' });
    return joiner?.serialNumber;
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it), or set CHROMIUM_PATH`);
    const build = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', path.join(ROOT, 'console', 'vite.config.mjs')], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`vite build failed: ${build.stdout}${build.stderr}`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    // The repository's local.settings.json in hand-over mode, with an HR secret this test signs with.
    settingsDir = mkdtempSync(path.join(tmpdir(), 'oath-console-settings-'));
    const local = JSON.parse(readFileSync(path.join(ROOT, 'local.settings.json'), 'utf8')) as { Values: Record<string, string> };
    const settingsFile = path.join(settingsDir, 'local.settings.json');
    writeFileSync(settingsFile, JSON.stringify({ ...local, Values: { ...local.Values, ACTIVATION_MODE: 'handover', HR_WEBHOOK_SECRETS: hrSecret } }));
    stack = await startDev(settingsFile);
    const ca = readFileSync(path.join(DEV_CA_DIR, 'ca.pem'), 'utf8');
    const minted = await postJsonTrusting(`${stack.identityUrl}/_dev/token`, { audience: 'api://entra-oath-tokens', roles: ['Tokens.Admin'] }, ca);
    adminToken = (JSON.parse(minted.text) as { access_token: string }).access_token;
    const csv = ['upn,serial number,secret key,time interval,manufacturer,model,pool', ...[...seeds].map(([serial, seed]) => `,${serial},${seed},30,Token2,C302,GVA`)].join('\n');
    expect((await api('POST', 'tokens/import', { type: 'text/csv', text: csv })).status).toBe(200);

    // Ada is hired at GVA: in hand-over mode her token waits at the desk, assigned but not active.
    const serial = await hire('E1001', 'ada@contoso.com', 'Ada Lovelace');
    expect(serial).toMatch(new RegExp(`^CON-${run}-[12]$`));
    // The hire took either token: name them by what happened.
    if (serial !== handed) {
      handedSerial = spare;
      spareSerial = handed;
    }
  }, 180_000);
  let handedSerial = handed;
  let spareSerial = spare;

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    if (stack && stack.child.exitCode === null) {
      const exited = new Promise((resolve) => stack.child.once('exit', resolve));
      stack.child.kill('SIGINT');
      await exited;
    }
    for (const dir of profiles) rmSync(dir, { recursive: true, force: true });
    if (settingsDir) rmSync(settingsDir, { recursive: true, force: true });
  });

  /** A fresh browser profile on the console's first page; `trustDevCa: false` is a browser that has never seen the dev CA. */
  async function openConsole(trustDevCa = true): Promise<Page> {
    const profile = mkdtempSync(path.join(tmpdir(), 'oath-console-chromium-'));
    profiles.push(profile);
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, ignoreHTTPSErrors: trustDevCa, viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
    contexts.push(context);
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    consoleErrors.set(page, errors);
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
      // Only the console's own origin: the dev identity's sign-in page is not the console.
      else if (message.type() === 'error' && page.url().startsWith(stack.hostUrl)) errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(`uncaught ${error.message}`));
    const response = await page.goto(`${stack.hostUrl}/api/console/`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    return page;
  }

  /** Signed in as the persona whose button carries `label`, on the page that person lands on. */
  async function signedIn(label: RegExp, landing = 'Overview'): Promise<Page> {
    const page = await openConsole();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: label }).click();
    await page.getByRole('heading', { name: landing, level: 1 }).waitFor();
    return page;
  }

  it('says what is wrong and what to do when the browser does not trust the dev CA', async () => {
    const page = await openConsole(false);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    expect(text).toContain(`cannot reach the dev identity at ${stack.identityUrl}`);
    expect(text).toContain(`${stack.identityUrl}/dev-tenant/v2.0/.well-known/openid-configuration`);
    expect(text).toContain('.local/dev-ca/ca.pem');
    // Still on the console, with the button to try again.
    expect(page.url()).toContain(`${stack.hostUrl}/api/console/`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await capture(page, 'signin-untrusted');
    // The browser's own line for the refused certificate, and nothing uncaught: the failure was handled.
    expect(errorsOf(page)).toEqual(['Failed to load resource: net::ERR_CERT_AUTHORITY_INVALID']);
  }, 60_000);

  it('as Tokens.Admin: the overview lists what needs a person, the desk ships and hands over, a revoke names the person, a run is followed to its report', async () => {
    const page = await signedIn(/Tokens\.Admin/);
    const graph = graphEmulatorControl(stack.graphUrl, { caCertPem: readFileSync(path.join(DEV_CA_DIR, 'ca.pem'), 'utf8') });

    // Overview: low stock in GVA and Ada's token waiting for its hand-over, both needing a person.
    await page.getByRole('heading', { name: /Stock per pool/ }).waitFor();
    await page.getByText('Tokens in stock per pool (low below 5)').waitFor();
    await page.getByRole('row', { name: /GVA 1 2 low stock/ }).waitFor();
    const attention = page.getByRole('region', { name: /Needs a person/ });
    await attention.getByRole('link', { name: 'Low stock in pool GVA: 1 left' }).waitFor();
    await attention.getByRole('link', { name: `Token ${handedSerial} waits for its hand-over to Ada Lovelace (ada@contoso.com)` }).waitFor();
    await page.getByRole('heading', { name: 'Needs a person (2)' }).waitFor();
    await page.getByRole('cell', { name: 'Waiting for hand-over' }).waitFor();
    // The ageing forecast's chart, from GET /api/reports/ageing, and the unused tokens' section, each with its list.
    await page.getByRole('img', { name: /^Tokens reaching their end per month/ }).waitFor();
    await page.getByRole('heading', { name: /^Unused tokens/ }).waitFor();
    await page.getByRole('link', { name: 'The unused tokens in the latest reconciliation report' }).waitFor();
    await capture(page, 'overview');

    // The desk: the pick list names Ada, the token is shipped with tracking, delivered, then handed over.
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Desk' }).click();
    await page.getByRole('heading', { name: 'Desk', level: 1 }).waitFor();
    const line = page.getByRole('row', { name: new RegExp(handedSerial) });
    await line.getByRole('cell', { name: 'Ada Lovelace (ada@contoso.com)' }).waitFor();
    await line.getByText('Not shipped').waitFor();
    await capture(page, 'desk');
    await line.getByRole('button', { name: `Mark ${handedSerial} shipped` }).click();
    let dialog = page.getByRole('dialog');
    await dialog.getByText(`Ship token ${handedSerial} to GVA for Ada Lovelace (ada@contoso.com)`).waitFor();
    await dialog.getByLabel(/Tracking number/).fill('CH-123 456');
    await dialog.getByRole('button', { name: 'Mark shipped' }).click();
    await page.getByRole('status').filter({ hasText: `${handedSerial}: shipped` }).waitFor();
    await line.getByRole('cell', { name: 'CH-123 456' }).waitFor();
    await line.getByRole('button', { name: `Mark ${handedSerial} delivered` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Mark delivered' }).click();
    await line.getByText('Delivered').waitFor();
    // A wrong code is refused with the API's words, in the dialog.
    await line.getByRole('button', { name: `Hand over ${handedSerial}` }).click();
    dialog = page.getByRole('dialog');
    await dialog.getByText(`Hand token ${handedSerial} over to Ada Lovelace (ada@contoso.com)`).waitFor();
    await dialog.getByLabel(/The code the token shows now/).fill(totpCode(seeds.get(spareSerial) ?? '', 30, 'hmacsha1', new Date()));
    await capture(page, 'desk-handover-dialog');
    await dialog.getByRole('button', { name: 'Check the code and activate' }).click();
    await dialog.getByRole('alert').waitFor();
    expect(await graph.state({ serial: handedSerial }).then((s) => s.matches?.devices[0]?.status)).toBe('assigned');
    await dialog.getByLabel(/The code the token shows now/).fill(totpCode(seeds.get(handedSerial) ?? '', 30, 'hmacsha1', new Date()));
    await dialog.getByRole('button', { name: 'Check the code and activate' }).click();
    await page.getByRole('status').filter({ hasText: `${handedSerial} is handed over to Ada Lovelace (ada@contoso.com) and active` }).waitFor();
    expect((await graph.state({ serial: handedSerial })).matches?.devices[0]?.status).toBe('activated');
    await page.getByText('Nothing waits for hand-over').waitFor();

    // Tokens: readable statuses, the holder by name with the ids one click away.
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Tokens', exact: true }).click();
    await page.getByLabel('Pool').fill('GVA');
    await page.getByRole('button', { name: 'Search' }).click();
    const row = page.getByRole('row', { name: new RegExp(handedSerial) });
    await row.getByText('Active', { exact: true }).waitFor();
    await page.getByRole('row', { name: new RegExp(spareSerial) }).getByText('In stock', { exact: true }).waitFor();
    await row.getByRole('button', { name: 'Ada Lovelace (ada@contoso.com): show ids' }).click();
    const ids = page.getByRole('group', { name: 'Ids of Ada Lovelace (ada@contoso.com)' });
    await ids.getByText('E1001', { exact: true }).waitFor();
    await ids.getByRole('button', { name: 'Copy Entra object id' }).waitFor();
    await capture(page, 'tokens');
    await page.keyboard.press('Escape');

    // Revoke: no reason chosen at first, each explained, a destructive one confirmed, the person named.
    await row.getByRole('link', { name: handedSerial }).click();
    await page.getByTestId('token-status').filter({ hasText: 'Active' }).waitFor();
    // From the keyboard: the dialog opens on Enter with focus inside, Escape closes it and focus goes back.
    const revoke = page.getByRole('button', { name: 'Revoke', exact: true });
    await revoke.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    expect(await page.getByRole('dialog').evaluate((d) => d.contains((d.ownerDocument as unknown as { activeElement: unknown }).activeElement as never))).toBe(true);
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await revoke.evaluate((b) => b === (b.ownerDocument as unknown as { activeElement: unknown }).activeElement)).toBe(true);
    await revoke.click();
    dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Revoke the token of Ada Lovelace (ada@contoso.com)' }).waitFor();
    const confirm = dialog.getByRole('button', { name: "Revoke Ada Lovelace's token" });
    expect(await confirm.isDisabled()).toBe(true);
    expect(await dialog.getByRole('radio', { checked: true }).count()).toBe(0);
    await dialog.getByRole('radio', { name: /^Returned: The token is back at the desk/ }).waitFor();
    await dialog.getByRole('radio', { name: /^Unused: Nobody signed in with it for UNUSED_TOKEN_DAYS .*seed is kept/ }).waitFor();
    await dialog.getByRole('radio', { name: /^Lost: .*seed destroyed for good/ }).check();
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByRole('checkbox', { name: /can never be used again, by Ada Lovelace \(ada@contoso\.com\)/ }).check();
    await dialog.getByLabel('Note (optional)').fill('left on a train');
    await capture(page, 'token-revoke-dialog');
    await confirm.click();
    await page.getByTestId('token-status').filter({ hasText: 'Lost or stolen' }).waitFor();
    // Nobody holds a lost token: nothing is left to do to it.
    await expect(page.getByRole('button', { name: /Revoke|Suspend|Replace/ }).count()).resolves.toBe(0);
    // The history names who did it (the caller's name kept with the entry), not an id; the id is one click away.
    await page.getByRole('row', { name: /token\.revoked\.lost/ }).getByRole('button', { name: 'alex.admin@contoso.dev: show ids' }).click();
    await page.getByRole('group', { name: 'Ids of alex.admin@contoso.dev' }).getByText('00000000-0000-4000-8000-0000000a0001').waitFor();
    // The last change names the admin, not their object id.
    await page.getByText(/^revoked, lost: left on a train \(by alex\.admin@contoso\.dev\) \(/).waitFor();
    await capture(page, 'token');
    expect((await graph.state({ serial: handedSerial })).matches?.devices).toEqual([]);

    // Imports: a rejected row by its line.
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Imports' }).click();
    const bad = `CON-${run}-BAD`;
    const upload = ['upn,serial number,secret key,time interval,manufacturer,model', `,CON-${run}-3,${generateSeed('hmacsha1')},30,Token2,C302`, `,${bad},not-a-seed!,30,Token2,C302`].join('\n');
    await page.getByLabel(/Seed file/).setInputFiles({ name: 'seeds.csv', mimeType: 'text/csv', buffer: Buffer.from(upload) });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByText('Imported 1, unchanged 0, rejected 1.').waitFor();
    const rejected = page.getByRole('row', { name: new RegExp(bad) });
    await rejected.waitFor();
    expect(await rejected.getByRole('cell').first().textContent()).toBe('3');
    await capture(page, 'imports');

    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'People' }).click();
    await page.getByRole('heading', { name: 'People', level: 1 }).waitFor();
    await page.getByRole('radio', { name: 'Everything' }).check();
    await page.getByRole('row', { name: /Ada Lovelace \(ada@contoso\.com\)/ }).getByText('Done').waitFor();
    await capture(page, 'people');

    // Reconciliation: a fresh stack has no report (an empty state, no error); a run is followed to its report.
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Reconciliation' }).click();
    await page.getByText('No reconciliation has run yet.').waitFor();
    await page.getByLabel('Mode').selectOption('report');
    await page.getByRole('button', { name: 'Run now' }).click();
    const summary = page.getByTestId('report-summary');
    await summary.waitFor({ timeout: 60_000 });
    expect(await summary.textContent()).toMatch(/\d+ tokens in the inventory: \d+ consistent with Entra and Key Vault, \d+ in flight \(reserved by a hire or changed in the last minutes/);
    await page.getByRole('heading', { name: /^Run \d{8}T\d+Z-[0-9a-f]+: Report only$/ }).waitFor();
    await page.getByText(/^Requested by you \(Alex Admin\), finished /).waitFor();
    await capture(page, 'reconciliation');

    expect(cspViolations).toEqual([]);
    // The one error the browser logged is the wrong code's 422, shown in the dialog: no 404 (no report
    // yet is an empty state), no unhandled rejection.
    expect(errorsOf(page)).toEqual(['Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)']);
  }, 240_000);

  it('as Tokens.Read: sees the token and the desk without any action, and the API refuses a forced revoke with 403', async () => {
    const page = await signedIn(/Tokens\.Read/);
    await expect(page.getByRole('link', { name: 'Imports' }).count()).resolves.toBe(0);
    // A page out of reach says which role it needs.
    await page.goto(`${stack.hostUrl}/api/console/#/imports`);
    await page.getByRole('status').filter({ hasText: 'The Imports page needs the Tokens.Admin role' }).waitFor();
    await page.goto(`${stack.hostUrl}/api/console/#/tokens/${spareSerial}`);
    await page.getByTestId('token-status').filter({ hasText: 'In stock' }).waitFor();
    await page.getByRole('heading', { name: 'History' }).waitFor();
    await expect(page.getByRole('button', { name: /Revoke|Suspend|Resume/ }).count()).resolves.toBe(0);
    await page.goto(`${stack.hostUrl}/api/console/#/people`);
    await page.getByRole('heading', { name: 'People', level: 1 }).waitFor();
    await expect(page.getByRole('button', { name: /Retry/ }).count()).resolves.toBe(0);
    await capture(page, 'reader-people');
    await page.goto(`${stack.hostUrl}/api/console/#/desk`);
    await page.getByRole('heading', { name: 'Desk', level: 1 }).waitFor();
    await page.getByText('Nothing waits for hand-over').waitFor();
    await expect(page.getByRole('button', { name: /Hand over|Mark/ }).count()).resolves.toBe(0);
    // Another admin's run is named by that admin's name, the object id one click away.
    await page.goto(`${stack.hostUrl}/api/console/#/reconciliation`);
    await page.getByRole('button', { name: 'alex.admin@contoso.dev: show ids' }).click();
    await page.getByRole('group', { name: 'Ids of alex.admin@contoso.dev' }).getByText('00000000-0000-4000-8000-0000000a0001').waitFor();
    await page.keyboard.press('Escape');

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

  it('as Tokens.Desk alone: only the Desk, other pages name the role they need, the desk ships and hands over', async () => {
    // Grace is hired at GVA after the other cases: the last GVA token waits for her at the desk.
    const serial = await hire('E1002', 'grace@contoso.com', 'Grace Hopper');
    expect(serial).toBe(spareSerial);
    const page = await signedIn(/^Dana Desk \(Tokens\.Desk\)/, 'Desk');
    const graph = graphEmulatorControl(stack.graphUrl, { caCertPem: readFileSync(path.join(DEV_CA_DIR, 'ca.pem'), 'utf8') });

    // The navigation offers the Desk and nothing else.
    expect(await page.getByRole('navigation', { name: 'Pages' }).getByRole('link').allTextContents()).toEqual(['Desk']);
    // Another page's route says which role it needs, and nothing of it is shown.
    await page.goto(`${stack.hostUrl}/api/console/#/tokens`);
    await page.getByRole('status').filter({ hasText: 'The Tokens page needs the Tokens.Read role, which your account does not have.' }).waitFor();
    await expect(page.getByRole('heading', { name: 'Tokens', level: 1 }).count()).resolves.toBe(0);
    await capture(page, 'desk-only-refused');
    await page.goto(`${stack.hostUrl}/api/console/#/imports`);
    await page.getByRole('status').filter({ hasText: 'The Imports page needs the Tokens.Admin role, which your account does not have.' }).waitFor();

    // The pick list: Grace's token, not shipped; the serial is plain text (the desk cannot open the inventory).
    await page.goto(`${stack.hostUrl}/api/console/#/desk`);
    await page.getByRole('heading', { name: 'Desk', level: 1 }).waitFor();
    const line = page.getByRole('row', { name: new RegExp(serial ?? 'none') });
    await line.getByRole('cell', { name: 'Grace Hopper (grace@contoso.com)' }).waitFor();
    await line.getByText('Not shipped').waitFor();
    await expect(line.getByRole('link', { name: serial ?? 'none' }).count()).resolves.toBe(0);
    await capture(page, 'desk-only');

    // Shipping with its tracking number.
    await line.getByRole('button', { name: `Mark ${serial} shipped` }).click();
    let dialog = page.getByRole('dialog');
    await dialog.getByText(`Ship token ${serial} to GVA for Grace Hopper (grace@contoso.com)`).waitFor();
    await dialog.getByLabel(/Tracking number/).fill('CH-789');
    await dialog.getByRole('button', { name: 'Mark shipped' }).click();
    await page.getByRole('status').filter({ hasText: `${serial}: shipped` }).waitFor();
    await line.getByRole('cell', { name: 'CH-789' }).waitFor();

    // The hand-over with the code the token shows: the token is active in Entra.
    await line.getByRole('button', { name: `Hand over ${serial}` }).click();
    dialog = page.getByRole('dialog');
    await dialog.getByText(`Hand token ${serial} over to Grace Hopper (grace@contoso.com)`).waitFor();
    expect((await graph.state({ serial: serial ?? '' })).matches?.devices[0]?.status).toBe('assigned');
    await dialog.getByLabel(/The code the token shows now/).fill(totpCode(seeds.get(serial ?? '') ?? '', 30, 'hmacsha1', new Date()));
    await capture(page, 'desk-only-handover-dialog');
    await dialog.getByRole('button', { name: 'Check the code and activate' }).click();
    await page.getByRole('status').filter({ hasText: `${serial} is handed over to Grace Hopper (grace@contoso.com) and active` }).waitFor();
    expect((await graph.state({ serial: serial ?? '' })).matches?.devices[0]?.status).toBe('activated');
    await page.getByText('Nothing waits for hand-over').waitFor();

    expect(cspViolations).toEqual([]);
    // The desk's pages asked only for what Tokens.Desk may read: no 403 was logged.
    expect(errorsOf(page)).toEqual([]);
  }, 180_000);
});

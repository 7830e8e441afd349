import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { generateSeed } from '../shared/domain/seed';
import { signWebhook } from '../shared/domain/webhookSignature';
import { DEMO_USERS } from './demoData';
import { graphEmulatorControl } from './graph/control';
import { DEV_ADMIN_AUDIENCE, DEV_IDENTITY_PORT } from './identity/server';
import { LOCAL_DIR } from './paths';
import { DEFAULT_PORTS } from './stack';
import { DEV_CA_DIR } from './tls';
import { postJsonTrusting } from './net';

/**
 * `npm run demo`, against the stack `npm start` runs: imports a few demo tokens, sends a signed hire
 * event for each demo user, and shows each reach active in Entra; then the hand-over path (dev/demoHandover.ts). Every seed is made here in memory
 * and goes only to the import request.
 */

const API = 'http://127.0.0.1:7071/api';
const IDENTITY = `https://127.0.0.1:${DEV_IDENTITY_PORT}`;
const GRAPH = `https://127.0.0.1:${DEFAULT_PORTS.graph}`;
/** Written by `npm start` (dev/start.ts): the generated HR webhook secret. */
const DEV_SETTINGS_FILE = path.join(LOCAL_DIR, 'dev-settings.json');
const POLL_MS = 250;
const MAX_POLLS = 240;

class DemoError extends Error {}

const NOT_RUNNING = 'the local stack is not running; start it with `npm start` in another terminal, then run `npm run demo` again';

function readFileOrExplain(file: string, what: string): string {
  if (!existsSync(file)) throw new DemoError(`${what} is missing (${path.relative(process.cwd(), file)}): ${NOT_RUNNING}`);
  return readFileSync(file, 'utf8');
}

function hrSecret(): string {
  const settings = JSON.parse(readFileOrExplain(DEV_SETTINGS_FILE, 'the dev settings file')) as { HR_WEBHOOK_SECRETS?: unknown };
  const secret = typeof settings.HR_WEBHOOK_SECRETS === 'string' ? settings.HR_WEBHOOK_SECRETS.split(/\s+/)[0] : undefined;
  if (!secret) throw new DemoError(`${DEV_SETTINGS_FILE} has no HR_WEBHOOK_SECRETS; restart the stack with npm start`);
  return secret;
}

/** An admin token from the dev identity, over TLS that trusts exactly the dev CA. */
async function adminToken(ca: string): Promise<string> {
  const answer = await postJsonTrusting(`${IDENTITY}/_dev/token`, { audience: DEV_ADMIN_AUDIENCE, roles: ['Tokens.Admin'], name: 'npm run demo' }, ca).catch((error: unknown) => {
    throw new DemoError(`the dev identity does not answer at ${IDENTITY} (${(error as Error).message}): ${NOT_RUNNING}`);
  });
  const parsed = JSON.parse(answer.text) as { access_token?: unknown };
  if (answer.status !== 200 || typeof parsed.access_token !== 'string') throw new DemoError(`the dev identity refused a token (HTTP ${answer.status})`);
  return parsed.access_token;
}

async function api(method: string, route: string, token: string, body?: { type: string; text: string }): Promise<{ status: number; json: unknown }> {
  let response: Response;
  try {
    response = await fetch(`${API}/${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': body.type } : {}) },
      ...(body ? { body: body.text } : {}),
    });
  } catch {
    throw new DemoError(`the Functions host does not answer at ${API}: ${NOT_RUNNING}`);
  }
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

async function importDemoTokens(token: string, count: number): Promise<void> {
  const run = Date.now().toString(36).toUpperCase();
  const rows = Array.from({ length: count }, (_, i) => `,DEMO-${run}-${i + 1},${generateSeed('hmacsha1')},30,Token2,C302`);
  const answer = await api('POST', 'tokens/import', token, { type: 'text/csv', text: ['upn,serial number,secret key,time interval,manufacturer,model', ...rows].join('\n') });
  const summary = answer.json as { imported?: number; errors?: { serial: string; reason: string }[]; detail?: string };
  if (answer.status !== 200) throw new DemoError(`the token import was refused (HTTP ${answer.status}): ${summary.detail ?? 'no detail'}`);
  console.log(`Imported ${summary.imported ?? 0} demo tokens (seeds made in memory, stored only in the Key Vault emulator).`);
  for (const error of summary.errors ?? []) console.log(`  not imported: ${error.serial}: ${error.reason}`);
}

async function sendHire(secret: string, user: { employeeId: string; userPrincipalName: string; displayName: string }): Promise<string> {
  const eventId = `msg_demo_${randomUUID()}`;
  const body = JSON.stringify({
    type: 'employee.hired',
    data: { employeeId: user.employeeId, userPrincipalName: user.userPrincipalName, displayName: user.displayName, hireDate: new Date().toISOString().slice(0, 10) },
  });
  const timestamp = Math.floor(Date.now() / 1000);
  let response: Response;
  try {
    response = await fetch(`${API}/hr/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': eventId, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(secret, eventId, timestamp, body) },
      body,
    });
  } catch {
    throw new DemoError(`the Functions host does not answer at ${API}: ${NOT_RUNNING}`);
  }
  if (response.status !== 202) throw new DemoError(`the HR webhook answered ${response.status} for ${user.employeeId}: ${await response.text()}`);
  return eventId;
}

interface Joiner {
  status: string;
  serialNumber: string | null;
  reason: string | null;
}

async function waitForJoiner(token: string, employeeId: string): Promise<Joiner> {
  let last: Joiner | undefined;
  for (let poll = 0; poll < MAX_POLLS; poll++) {
    const answer = await api('GET', `provisioning/${employeeId}`, token);
    last = answer.status === 200 ? ((answer.json as { joiner: Joiner | null }).joiner ?? undefined) : undefined;
    if (last && ['completed', 'failed', 'cancelled'].includes(last.status)) return last;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return last ?? { status: 'not started', serialNumber: null, reason: 'the worker has not picked the event up yet' };
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const ca = readFileOrExplain(path.join(DEV_CA_DIR, 'ca.pem'), 'the dev CA');
  const secret = hrSecret();
  const token = await adminToken(ca);
  const hires = DEMO_USERS.filter((u): u is typeof u & { employeeId: string } => typeof u.employeeId === 'string' && u.userType !== 'Guest');

  // Only as many new tokens as the hires still to do need beyond what is in stock, so a second run adds none.
  const pending: string[] = [];
  for (const user of hires) {
    const answer = await api('GET', `provisioning/${user.employeeId}`, token);
    if (answer.status !== 200 || (answer.json as { joiner: Joiner | null }).joiner?.status !== 'completed') pending.push(user.employeeId);
  }
  const stock = await api('GET', 'tokens?status=in_stock&pageSize=1000', token);
  const inStock = stock.status === 200 ? (stock.json as { tokens: { registeredInEntra: boolean }[] }).tokens.filter((t) => t.registeredInEntra).length : 0;
  if (pending.length > inStock) await importDemoTokens(token, pending.length - inStock);
  else console.log(`${inStock} tokens in stock; ${pending.length} of the demo hires still need one.`);

  for (const user of hires) await sendHire(secret, user);
  console.log(`Sent ${hires.length} signed hire events (a hire already done is left as it is); waiting for the queue worker...\n`);

  const graph = graphEmulatorControl(GRAPH, { caCertPem: ca });
  const rows: string[][] = [];
  let allActive = true;
  for (const user of hires) {
    const joiner = await waitForJoiner(token, user.employeeId);
    let inventory = '-';
    let entra = '-';
    if (joiner.serialNumber) {
      const answer = await api('GET', `tokens/${encodeURIComponent(joiner.serialNumber)}`, token);
      inventory = answer.status === 200 ? (answer.json as { status: string }).status : `HTTP ${answer.status}`;
      const device = (await graph.state({ serial: joiner.serialNumber })).matches?.devices[0];
      entra = device ? `${device.status}${device.assignedTo ? ` (${device.assignedTo.displayName})` : ''}` : 'not in Entra';
    }
    if (joiner.status !== 'completed' || entra.split(' ')[0] !== 'activated') allActive = false;
    rows.push([user.employeeId, user.userPrincipalName, joiner.serialNumber ?? '-', joiner.status, inventory, entra, joiner.reason ?? '']);
  }
  console.log(table(['Employee', 'UPN', 'Serial', 'Hire', 'Inventory', 'Entra', 'Reason'], rows));
  console.log(allActive ? '\nEvery demo hire has an activated hardware token in Entra.' : '\nNot every demo hire reached active; see the reasons above and the host log.');

  // The hand-over path runs on a private stack of its own; its host calls the emulators, so it starts trusting the dev CA.
  const handover = spawnSync(process.execPath, [...process.execArgv, path.join(__dirname, `demoHandover${path.extname(__filename)}`)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(DEV_CA_DIR, 'ca.pem') },
  });
  if (!allActive || handover.status !== 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  const message = error instanceof DemoError ? error.message : `unexpected failure: ${error instanceof Error ? error.message : String(error)}`;
  console.error(`demo: ${message.split('\n')[0]}`);
  process.exit(1);
});

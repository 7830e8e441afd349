import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { graphEmulatorControl } from '../../../dev/graph/control';
import { postJsonTrusting } from '../../../dev/net';
import { DEV_CA_DIR } from '../../../dev/tls';
import { generateSeed } from '../../../shared/domain/seed';
import { signWebhook } from '../../../shared/domain/webhookSignature';
import { eventually } from '../../support/hr';

const ROOT = path.resolve(__dirname, '../../..');

interface DevStart {
  child: ChildProcess;
  /** Everything printed so far. */
  output(): string;
  exited: Promise<number | null>;
  /** http://127.0.0.1:PORT of the Functions host, once the banner is out. */
  hostUrl: string;
}

/** `npm start` as a new user runs it, on free ports so it cannot clash with a stack already running. */
async function startDev(args: string[], started: ChildProcess[]): Promise<DevStart> {
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'dev', 'start.ts'), '--free-ports', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const hostUrl = await Promise.race([
    new Promise<string>((resolve) => {
      const check = setInterval(() => {
        // The banner's last line: everything above it has been printed.
        const match = /Functions host\s+(http:\/\/127\.0\.0\.1:\d+)\/api[\s\S]*Ctrl-C stops everything/.exec(output);
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
  return { child, output: () => output, exited, hostUrl };
}

describe('the local stack started by dev/start', () => {
  const started: ChildProcess[] = [];
  afterAll(() => {
    for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('serves GET /api/health with 200, prints where everything runs, and stops everything on SIGINT', async () => {
    const dev = await startDev([], started);
    expect(dev.output()).toMatch(/^Data: FRESH\. Nothing is kept: stopping wipes the inventory, seeds and people, and tokens minted now stop working\./m);
    expect(dev.output()).toMatch(/Graph emulator\s+https:\/\/127\.0\.0\.1:\d+\/beta/);
    expect(dev.output()).toContain('npm run -s dev:token -- --roles Tokens.Admin');
    // The repository's local.settings.json names the stack on its default ports: the stack's free ports serve instead.
    expect(dev.output()).toMatch(/The stack's own addresses for [^\n]*KEY_VAULT_URL, GRAPH_BASE_URL/);
    const health = await fetch(`${dev.hostUrl}/api/health`);
    expect(health.status).toBe(200);

    dev.child.kill('SIGINT');
    expect(await dev.exited).toBe(0);
    await expect(fetch(`${dev.hostUrl}/api/health`)).rejects.toThrow();
  }, 120_000);

  it('with --keep-data, keeps the inventory, seeds, people, Entra devices and minted tokens across a restart, and says so', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'oath-kept-'));
    try {
      const first = await startDev(['--keep-data', '--data-dir', dataDir], started);
      expect(first.output()).toMatch(/^Data: KEPT across restarts in \S+ \(first run: starting empty\); delete that folder to start afresh\./m);
      expect(first.output()).toMatch(/ {2}Data {15}KEPT in /);
      const urls = (output: string) => {
        const identityUrl = /Dev identity\s+(https:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
        const graphUrl = /Graph emulator\s+(https:\/\/127\.0\.0\.1:\d+)\/beta/.exec(output)?.[1];
        if (!identityUrl || !graphUrl) throw new Error(`banner without the identity or Graph: ${output}`);
        return { identityUrl, graphUrl };
      };
      const ca = readFileSync(path.join(DEV_CA_DIR, 'ca.pem'), 'utf8');
      const minted = await postJsonTrusting(`${urls(first.output()).identityUrl}/_dev/token`, { audience: 'api://entra-oath-tokens', roles: ['Tokens.Admin', 'Tokens.Read'] }, ca);
      const token = (JSON.parse(minted.text) as { access_token: string }).access_token;
      const api = (hostUrl: string, route: string, init: RequestInit = {}) =>
        fetch(`${hostUrl}/api/${route}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) } });
      const serial = `KEPT-${randomUUID().slice(0, 8)}`;
      const csv = `upn,serial number,secret key,time interval,manufacturer,model\n,${serial},${generateSeed('hmacsha1')},30,Token2,C302`;
      expect((await api(first.hostUrl, 'tokens/import', { method: 'POST', body: csv, headers: { 'content-type': 'text/csv' } })).status).toBe(200);
      first.child.kill('SIGINT');
      expect(await first.exited).toBe(0);

      const second = await startDev(['--keep-data', '--data-dir', dataDir], started);
      expect(second.output()).toMatch(/^Data: KEPT across restarts in \S+ \(resuming the data of the last run\)/m);
      // The token minted before the restart still opens the API, and the row is there.
      const row = await api(second.hostUrl, `tokens/${serial}`);
      expect(row.status).toBe(200);
      expect(await row.json()).toMatchObject({ serialNumber: serial, status: 'in_stock' });
      // Entra (the Graph emulator) still has the device and the demo people, once each.
      const graph = graphEmulatorControl(urls(second.output()).graphUrl, { caCertPem: ca });
      expect((await graph.state({ serial })).matches?.devices).toEqual([expect.objectContaining({ serialNumber: serial, status: 'available' })]);
      expect((await graph.state({ user: 'ada@contoso.com' })).matches?.user?.employeeId).toBe('E1001');
      expect((await graph.state()).users).toBe(6);
      // Inventory, Entra and Key Vault agree: a report-only reconciliation finds no drift.
      const run = (await (await api(second.hostUrl, 'reconcile', { method: 'POST', body: JSON.stringify({ mode: 'report' }), headers: { 'content-type': 'application/json' } })).json()) as { runId: string };
      const report = await eventually('the reconciliation report', async () => {
        const answer = await api(second.hostUrl, `reports/reconcile/${run.runId}`);
        return answer.status === 200 ? ((await answer.json()) as { counts: Record<string, number>; drift: Record<string, number>; items: unknown[] }) : undefined;
      });
      expect(report.counts).toMatchObject({ tokensInInventory: 1, devicesInEntra: 1, seedsInVault: 1 });
      // One token is below LOW_STOCK_THRESHOLD: that is the only finding.
      expect({ drift: Object.fromEntries(Object.entries(report.drift).filter(([, count]) => count > 0)), items: report.items }).toEqual({ drift: { low_stock: 1 }, items: [] });
      second.child.kill('SIGINT');
      expect(await second.exited).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 240_000);

  describe('with a local.settings.json of its own (--settings)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'oath-local-settings-'));
    const file = path.join(dir, 'local.settings.json');
    const hrSecret = `whsec_${randomBytes(32).toString('base64')}`;
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('uses the file over the stack defaults: ACTIVATION_MODE=user leaves a hire assigned, not activated, and the banner says so', async () => {
      writeFileSync(
        file,
        JSON.stringify({
          IsEncrypted: false,
          Values: {
            AzureWebJobsStorage: 'UseDevelopmentStorage=true',
            KEY_VAULT_URL: 'https://127.0.0.1:8444',
            ACTIVATION_MODE: 'user',
            RECONCILE_SCHEDULE: '0 30 3 * * *',
            HR_WEBHOOK_SECRETS: hrSecret,
          },
        }),
      );
      const dev = await startDev(['--settings', file], started);
      const output = dev.output();
      expect(output).toMatch(/Settings from .*local\.settings\.json \(they replace the stack's defaults\):\n {4}ACTIVATION_MODE=user\n {4}RECONCILE_SCHEDULE=0 30 3 \* \* \*\n {4}HR_WEBHOOK_SECRETS \(secret, not shown\)\n/);
      expect(output).toContain("The stack's own addresses for AzureWebJobsStorage, KEY_VAULT_URL (the file points at this machine's stack)");
      expect(output).not.toContain(hrSecret);
      const identityUrl = /Dev identity\s+(https:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      const graphUrl = /Graph emulator\s+(https:\/\/127\.0\.0\.1:\d+)\/beta/.exec(output)?.[1];
      if (!identityUrl || !graphUrl) throw new Error(`banner without the identity or Graph: ${output}`);

      const ca = readFileSync(path.join(DEV_CA_DIR, 'ca.pem'), 'utf8');
      const minted = await postJsonTrusting(`${identityUrl}/_dev/token`, { audience: 'api://entra-oath-tokens', roles: ['Tokens.Admin', 'Tokens.Read'] }, ca);
      const token = (JSON.parse(minted.text) as { access_token: string }).access_token;
      const api = (route: string, init: RequestInit = {}) =>
        fetch(`${dev.hostUrl}/api/${route}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) } });

      const serial = `START-${randomUUID().slice(0, 8)}`;
      const csv = `upn,serial number,secret key,time interval,manufacturer,model\n,${serial},${generateSeed('hmacsha1')},30,Token2,C302`;
      const imported = await api('tokens/import', { method: 'POST', body: csv, headers: { 'content-type': 'text/csv' } });
      expect(imported.status).toBe(200);

      // Signed with the file's secret: the stack's generated one is not what the app checks.
      const body = JSON.stringify({ type: 'employee.hired', data: { employeeId: 'E1001', userPrincipalName: 'ada@contoso.com', hireDate: new Date().toISOString().slice(0, 10) } });
      const eventId = `msg_${randomUUID()}`;
      const timestamp = Math.floor(Date.now() / 1000);
      const hire = await fetch(`${dev.hostUrl}/api/hr/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': eventId, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(hrSecret, eventId, timestamp, body) },
        body,
      });
      expect(hire.status).toBe(202);

      const joiner = await eventually('the hire of E1001 to complete', async () => {
        const answer = (await (await api('provisioning/E1001')).json()) as { joiner?: { status: string; serialNumber: string | null } };
        return answer.joiner?.status === 'completed' ? answer.joiner : undefined;
      });
      expect(joiner.serialNumber).toBe(serial);
      const inventory = (await (await api(`tokens/${serial}`)).json()) as { status: string };
      expect(inventory.status).toBe('assigned');
      const entra = await graphEmulatorControl(graphUrl, { caCertPem: ca }).state({ serial });
      expect(entra.matches?.devices.map((d) => d.status)).toEqual(['assigned']);

      dev.child.kill('SIGINT');
      expect(await dev.exited).toBe(0);
    }, 120_000);

    it('stops with one line naming a bad setting from the file, and the file it came from', async () => {
      writeFileSync(file, JSON.stringify({ Values: { ACTIVATION_MODE: 'sometimes' } }));
      const child = spawn(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'dev', 'start.ts'), '--free-ports', '--settings', file], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      started.push(child);
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(output).toMatch(/The app cannot start: Setting ACTIVATION_MODE: .*\n {2}Settings from .*local\.settings\.json .*\n {4}ACTIVATION_MODE=sometimes\n/);
    }, 120_000);
  });
});

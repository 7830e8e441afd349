import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { graphEmulatorControl, type GraphEmulatorControl } from '../dev/graph/control';
import { LEASE_SECONDS } from '../dev/host/queueListener';
import { createKeyVaultControl, type KeyVaultControl } from '../dev/keyvault/control';
import { LOCAL_DIR, REPO_ROOT } from '../dev/paths';
import { freePort } from '../dev/ports';
import { startStack, type LocalStack } from '../dev/stack';
import { generateSeed, totpCode } from '../shared/domain/seed';
import { isHeld, REVOKE_REASONS, type TokenStatus } from '../shared/domain/token';
import { signWebhook } from '../shared/domain/webhookSignature';
import { poisonQueueOf, QUEUES, TABLES } from '../shared/app/storageNames';
import { runTrustingDevCa } from './devCa';
import { saveResult } from './results';

/**
 * `npm run soak -- --minutes N --seed S`: the local stack under a seeded random mix of hires,
 * terminations (before and after their hire), webhook replays under the same and new ids, revokes with
 * every reason, suspends and resumes, while Graph and Key Vault faults come and go and the local host is
 * killed with SIGKILL and started again (Azurite keeps its data on disk, so messages and rows outlive
 * the crash). Then it waits for quiet and checks DESIGN section 4's invariants by reading Entra (the
 * emulator), Key Vault and the inventory. The same seed replays the same schedule of operations; the
 * timing of the host's own work still varies from run to run.
 */

interface SoakOptions {
  minutes: number;
  seed: number;
  employees: number;
  tokens: number;
}

interface SoakFigures {
  seed: number;
  minutes: number;
  operations: number;
  operationsByKind: Record<string, number>;
  crashes: number;
  faults: number;
  violations: number;
  poisoned: number;
  hiresCompleted: number;
  hiresFailed: number;
  quietAfterSeconds: number;
}

/**
 * How long the stack may take to settle once the mix stops: a message a killed host was working on stays
 * hidden for the rest of its lease (10 minutes, as the Functions host takes it), and retries back off.
 */
const QUIET_DEADLINE_MS = LEASE_SECONDS * 1000 + 3 * 60_000;
const QUIET_POLLS = 3;
const OPERATION_PAUSE_MS = { min: 100, max: 700 };
const CRASH_PAUSE_MS = { min: 8_000, max: 40_000 };
/** Concurrent operation loops, so requests interleave with each other as well as with the host's work. */
const OPERATION_LOOPS = 2;
/** Tries of an admin call or webhook that answers 5xx or finds the host down, before the soak moves on. */
const ADMIN_ATTEMPTS = 6;

function parseOptions(argv: string[]): SoakOptions {
  const value = (name: string): string | undefined => {
    const index = argv.indexOf(`--${name}`);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const number = (name: string, fallback: number, min: number): number => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const parsed = Number(raw);
    if (!Number.isFinite(parsed) || parsed < min) throw new Error(`--${name} takes a number of at least ${min}, not "${raw}"`);
    return parsed;
  };
  return {
    minutes: number('minutes', 2, 0.1),
    seed: Math.floor(number('seed', Math.floor(Math.random() * 2 ** 31), 0)),
    employees: Math.floor(number('employees', 30, 2)),
    tokens: Math.floor(number('tokens', 40, 2)),
  };
}

/** mulberry32: small, seeded, good enough to pick operations. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const today = () => new Date().toISOString().slice(0, 10);

/** The compiled local host in a child process that the soak can kill at any moment. */
class CrashableHost {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  readonly url: string;

  constructor(
    private readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: WriteStream,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'dist', 'dev', 'host', 'main.js'), '--port', String(this.port)], {
      cwd: REPO_ROOT,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    for (let attempt = 0; attempt < 300; attempt++) {
      if (child.exitCode !== null) throw new Error(`the local host exited at start (code ${child.exitCode}); see its log`);
      try {
        if ((await fetch(`${this.url}/api/health`)).status === 200) return;
      } catch {
        // Not listening yet.
      }
      await sleep(100);
    }
    throw new Error('the local host did not become healthy within 30 s');
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
  }
}

interface SentEvent {
  eventId: string;
  body: string;
}

interface Person {
  employeeId: string;
  upn: string;
  /** A hire event was accepted (202) at least once. */
  hired: boolean;
  /** A termination dated today was accepted: from then on the person must hold nothing. */
  terminated: boolean;
}

interface TokenEntity {
  serialNumber: string;
  status: TokenStatus;
  seedSecretName: string;
  entraDeviceId?: string;
  employeeId?: string;
  entraUserId?: string;
}

interface ProvisioningEntity {
  partitionKey: string;
  rowKey: string;
  status: string;
  reason?: string;
}

async function listAll<T extends object>(client: TableClient): Promise<T[]> {
  const rows: T[] = [];
  try {
    for await (const row of client.listEntities<T>()) rows.push(row);
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
  return rows;
}

async function queueDepth(connectionString: string, queue: string): Promise<number> {
  try {
    return (await new QueueClient(connectionString, queue).getProperties()).approximateMessagesCount ?? 0;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return 0;
    throw error;
  }
}

async function soak(options: SoakOptions): Promise<void> {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const between = (range: { min: number; max: number }) => range.min + Math.floor(random() * (range.max - range.min));
  const scratch = mkdtempSync(path.join(tmpdir(), 'soak-'));
  const hostLog = createWriteStream(path.join(scratch, 'host.log'));
  const started = performance.now();
  const operationLog: string[] = [];
  const note = (line: string) => operationLog.push(`${((performance.now() - started) / 1000).toFixed(1).padStart(7)}s ${line}`);

  let stack: LocalStack | undefined;
  let host: CrashableHost | undefined;
  try {
    stack = await startStack({ storageLocation: path.join(scratch, 'azurite') });
    const graph: GraphEmulatorControl = graphEmulatorControl(stack.graph.url, { caCertPem: stack.ca.certPem });
    const keyVault: KeyVaultControl = createKeyVaultControl(stack.keyVault.url, { ca: stack.ca.certPem });
    host = new CrashableHost(await freePort(), { ...process.env, ...stack.appSettings, NODE_EXTRA_CA_CERTS: stack.ca.certPath }, hostLog);
    await host.start();
    const hostUrl = host.url;

    const people: Person[] = Array.from({ length: options.employees }, (_, i) => ({
      employeeId: `SK${String(i).padStart(4, '0')}`,
      upn: `soak${String(i).padStart(4, '0')}@contoso.com`,
      hired: false,
      terminated: false,
    }));
    await graph.seedUsers(people.map((p) => ({ displayName: `Soak ${p.employeeId}`, userPrincipalName: p.upn, employeeId: p.employeeId })));
    const adminToken = await stack.identity.mintToken({ audience: stack.appSettings.ADMIN_AUTH_AUDIENCE ?? '', roles: ['Tokens.Admin'], name: 'soak' });
    const seeds = new Map<string, string>();
    const serials = Array.from({ length: options.tokens }, (_, i) => `SOAK-${String(i).padStart(5, '0')}`);
    for (const serial of serials) seeds.set(serial, generateSeed('hmacsha1'));
    const csv = ['upn,serial number,secret key,time interval,manufacturer,model', ...serials.map((s) => `,${s},${seeds.get(s) ?? ''},30,Token2,C302`)].join('\n');
    const imported = await fetch(`${hostUrl}/api/tokens/import`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'text/csv' }, body: csv });
    const importSummary = (await imported.json()) as { imported?: number };
    if (importSummary.imported !== serials.length) throw new Error(`the import brought in ${importSummary.imported ?? 0} of ${serials.length} tokens (HTTP ${imported.status})`);

    const accepted: SentEvent[] = [];
    const operationsByKind: Record<string, number> = {};
    let crashes = 0;
    let eventCounter = 0;
    let hostDown = false;

    /** Answers no caller should ever see: the app maps throttling and failing dependencies to 503. */
    const serverErrors: string[] = [];
    /** As an HR system does: a delivery that fails (5xx, or nobody listening) is sent again under the same id. */
    const sendWebhook = async (eventId: string, body: string): Promise<number> => {
      let status = 0;
      for (let attempt = 0; attempt < ADMIN_ATTEMPTS; attempt++) {
        if (attempt > 0) {
          note(`webhook ${eventId} -> ${status}; delivered again`);
          await sleep(1000);
        }
        const timestamp = Math.floor(Date.now() / 1000);
        try {
          const response = await fetch(`${hostUrl}/api/hr/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'webhook-id': eventId, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(stack?.hrWebhookSecret ?? '', eventId, timestamp, body) },
            body,
          });
          const text = await response.text();
          status = response.status;
          if (status >= 500 && status !== 503) serverErrors.push(`webhook ${eventId} answered ${status}: ${text.slice(0, 200)}`);
        } catch {
          status = 0;
        }
        if (status !== 0 && status < 500) return status;
      }
      return status;
    };
    const once = async (route: string, body: unknown): Promise<{ status: number; text: string; retryAfterSeconds: number }> => {
      try {
        const response = await fetch(`${hostUrl}/api/${route}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify(body ?? {}),
        });
        const text = (await response.text()).slice(0, 200);
        if (response.status >= 500 && response.status !== 503) serverErrors.push(`POST /api/${route} answered ${response.status}: ${text}`);
        return { status: response.status, text, retryAfterSeconds: Number(response.headers.get('retry-after') ?? '1') || 1 };
      } catch {
        return { status: 0, text: 'host down', retryAfterSeconds: 1 };
      }
    };
    /** As an admin does: a 503 (or a host that is down) is sent again after Retry-After, a few times. */
    const admin = async (route: string, body?: unknown): Promise<{ status: number; text: string }> => {
      let answer = await once(route, body);
      for (let attempt = 1; attempt < ADMIN_ATTEMPTS && (answer.status === 0 || answer.status === 503); attempt++) {
        note(`POST /api/${route} -> ${answer.status}; sent again after ${answer.retryAfterSeconds} s`);
        await sleep(Math.min(answer.retryAfterSeconds, 10) * 1000);
        answer = await once(route, body);
      }
      return answer;
    };
    const hrEvent = async (person: Person, type: 'employee.hired' | 'employee.terminated'): Promise<void> => {
      const eventId = `msg_soak_${options.seed}_${eventCounter++}`;
      const data = type === 'employee.hired' ? { employeeId: person.employeeId, userPrincipalName: person.upn, hireDate: today() } : { employeeId: person.employeeId, terminationDate: today() };
      const body = JSON.stringify({ type, data });
      const status = await sendWebhook(eventId, body);
      note(`${type} ${person.employeeId} (${eventId}) -> ${status}`);
      if (status !== 202) return;
      accepted.push({ eventId, body });
      if (type === 'employee.hired') person.hired = true;
      else person.terminated = true;
    };

    const operations: Record<string, () => Promise<void>> = {
      hire: () => hrEvent(pick(people), 'employee.hired'),
      terminate: () => hrEvent(pick(people), 'employee.terminated'),
      replaySameId: async () => {
        if (accepted.length === 0) return;
        const event = pick(accepted);
        note(`replay ${event.eventId} -> ${await sendWebhook(event.eventId, event.body)}`);
      },
      replayNewId: async () => {
        if (accepted.length === 0) return;
        const event = pick(accepted);
        const eventId = `msg_soak_${options.seed}_${eventCounter++}`;
        const status = await sendWebhook(eventId, event.body);
        note(`replay of ${event.eventId} as ${eventId} -> ${status}`);
        if (status === 202) accepted.push({ eventId, body: event.body });
      },
      revoke: async () => {
        const person = pick(people);
        const reason = pick(REVOKE_REASONS);
        const answer = await admin(`users/${encodeURIComponent(person.upn)}/token/revoke`, { reason });
        note(`revoke ${person.employeeId} ${reason} -> ${answer.status} ${answer.text}`);
      },
      suspend: async () => {
        const person = pick(people);
        note(`suspend ${person.employeeId} -> ${(await admin(`users/${encodeURIComponent(person.upn)}/token/suspend`)).status}`);
      },
      resume: async () => {
        const person = pick(people);
        note(`resume ${person.employeeId} -> ${(await admin(`users/${encodeURIComponent(person.upn)}/token/resume`)).status}`);
      },
      faults: async () => {
        const kind = pick(['graph429', 'graph5xx', 'graphLatency', 'keyVault5xx', 'clear'] as const);
        if (kind === 'graph429') await graph.setFaults({ failRate: { status: 429, probability: 0.2, retryAfterSeconds: 1 } });
        else if (kind === 'graph5xx') await graph.setFaults({ failRate: { status: pick([500, 503] as const), probability: 0.15 } });
        else if (kind === 'graphLatency') await graph.setFaults({ latencyMs: between({ min: 50, max: 400 }) });
        else if (kind === 'keyVault5xx') await keyVault.setFaults({ failNext: { status: 503, count: between({ min: 1, max: 6 }) } });
        else {
          await graph.clearFaults();
          await keyVault.setFaults({ failNext: null, latencyMs: 0 });
        }
        note(`faults ${kind}`);
      },
    };
    const weights: [string, number][] = [
      ['hire', 30],
      ['terminate', 7],
      ['replaySameId', 8],
      ['replayNewId', 8],
      ['revoke', 14],
      ['suspend', 6],
      ['resume', 6],
      ['faults', 6],
    ];
    const totalWeight = weights.reduce((sum, [, w]) => sum + w, 0);
    const nextOperation = (): string => {
      let roll = random() * totalWeight;
      for (const [name, weight] of weights) {
        roll -= weight;
        if (roll < 0) return name;
      }
      return 'hire';
    };

    const deadline = started + options.minutes * 60_000;
    const crashLoop = async (): Promise<void> => {
      for (;;) {
        const pause = between(CRASH_PAUSE_MS);
        if (performance.now() + pause >= deadline) return;
        await sleep(pause);
        hostDown = true;
        await host?.kill('SIGKILL');
        crashes++;
        note('host killed (SIGKILL)');
        await sleep(between({ min: 200, max: 3000 }));
        await host?.start();
        hostDown = false;
        note('host started again');
      }
    };
    const operationLoop = async (): Promise<void> => {
      while (performance.now() < deadline) {
        const name = nextOperation();
        operationsByKind[name] = (operationsByKind[name] ?? 0) + 1;
        await operations[name]?.();
        await sleep(between(OPERATION_PAUSE_MS));
      }
    };
    await Promise.all([crashLoop(), ...Array.from({ length: OPERATION_LOOPS }, () => operationLoop())]);
    if (hostDown) await host.start();

    const graphStats = await graph.stats();
    const keyVaultStats = await keyVault.stats();
    const faults = Object.values(graphStats.injected).reduce((sum, n) => sum + n, 0) + keyVaultStats.injectedFaults;
    await graph.clearFaults();
    await keyVault.setFaults({ failNext: null, latencyMs: 0 });
    note('mix stopped; faults cleared; waiting for quiet');
    console.log(`soak: mix stopped (${crashes} crashes); waiting up to ${QUIET_DEADLINE_MS / 60_000} minutes for the queues to empty`);

    const connection = stack.azurite.connectionString;
    const tokensTable = TableClient.fromConnectionString(connection, TABLES.tokens, { allowInsecureConnection: true });
    const provisioningTable = TableClient.fromConnectionString(connection, TABLES.provisioning, { allowInsecureConnection: true });
    const quietStarted = performance.now();
    // Quiet: nothing left on the queues (the count includes messages waiting out a delay) for a few polls in a row.
    let depth = Number.POSITIVE_INFINITY;
    for (let emptyPolls = 0; emptyPolls < QUIET_POLLS && performance.now() - quietStarted < QUIET_DEADLINE_MS; ) {
      await sleep(1000);
      depth = (await queueDepth(connection, QUEUES.hrEvents)) + (await queueDepth(connection, QUEUES.reconcileWork));
      emptyPolls = depth === 0 ? emptyPolls + 1 : 0;
    }
    const quiet = depth === 0;
    const quietAfterSeconds = Math.round((performance.now() - quietStarted) / 1000);

    const violations: string[] = [];
    if (!quiet) violations.push(`${depth} messages were still queued ${QUIET_DEADLINE_MS / 60_000} minutes after the mix stopped`);
    violations.push(...serverErrors);
    const tokens = await listAll<TokenEntity>(tokensTable);
    const records = await listAll<ProvisioningEntity>(provisioningTable);
    const bySerial = new Map(tokens.map((t) => [t.serialNumber, t]));
    const userIds = new Map<string, Person>();

    for (const person of people) {
      const state = await graph.state({ user: person.upn });
      const entraUserId = state.matches?.user?.id;
      if (entraUserId) userIds.set(entraUserId, person);
      const inEntra = state.matches?.devices ?? [];
      const heldRows = tokens.filter((t) => t.employeeId === person.employeeId && isHeld(t.status));
      // 1: one token per person.
      if (inEntra.length > 1) violations.push(`${person.employeeId} holds ${inEntra.length} tokens in Entra: ${inEntra.map((d) => d.serialNumber).join(', ')}`);
      if (heldRows.length > 1) violations.push(`${person.employeeId} holds ${heldRows.length} tokens in the inventory: ${heldRows.map((t) => t.serialNumber).join(', ')}`);
      // 4: a terminated person holds nothing, and no code of any token signs them in.
      if (person.terminated) {
        if (inEntra.length > 0) violations.push(`${person.employeeId} was terminated yet Entra shows ${inEntra.map((d) => `${d.serialNumber} (${d.status})`).join(', ')}`);
        if (heldRows.length > 0) violations.push(`${person.employeeId} was terminated yet the inventory shows ${heldRows.map((t) => `${t.serialNumber} ${t.status}`).join(', ')}`);
        for (const serial of serials) {
          const next = new Date(Date.now() + 30_000);
          const signIn = await graph.signIn({ userId: person.upn, code: totpCode(seeds.get(serial) ?? '', 30, 'hmacsha1', next) });
          if (signIn.ok) violations.push(`${person.employeeId} was terminated yet signed in with a code of ${serial}`);
        }
      }
      // 2: every hire ends provisioned or as a visible failure.
      const joiner = records.find((r) => r.partitionKey === person.employeeId && r.rowKey === 'joiner');
      if (person.hired && !person.terminated) {
        if (!joiner) violations.push(`${person.employeeId}'s hire was accepted but has no provisioning record`);
        else if (joiner.status === 'failed' && !joiner.reason) violations.push(`${person.employeeId}'s hire failed without a reason`);
        else if (!['completed', 'failed'].includes(joiner.status)) violations.push(`${person.employeeId}'s hire is left ${joiner.status} with nothing queued to finish it`);
      }
    }

    for (const serial of serials) {
      const row = bySerial.get(serial);
      const device = (await graph.state({ serial })).matches?.devices[0];
      if (!row) {
        if (device) violations.push(`${serial} is in Entra but not in the inventory`);
        continue;
      }
      const seed = await keyVault.secretExists(row.seedSecretName);
      // 3: a device in Entra has its seed in Key Vault; a destroyed token is gone from Entra.
      if (device && !seed.exists) violations.push(`${serial} is in Entra (${device.status}) but its seed ${row.seedSecretName} is not in Key Vault`);
      if ((row.status === 'lost' || row.status === 'retired') && device) violations.push(`${serial} is ${row.status} yet still in Entra (${device.status})`);
      if (['in_stock', 'reserved', 'assigned', 'active', 'suspended', 'revoked'].includes(row.status) && !device) violations.push(`${serial} is ${row.status} but not in Entra`);
      // 6: Entra and the inventory agree on the holder.
      const holder = device?.assignedTo?.id;
      if (holder && !(isHeld(row.status) && row.entraUserId === holder)) {
        violations.push(`${serial} is ${device?.status} in Entra for ${userIds.get(holder)?.employeeId ?? holder}, but the inventory says ${row.status}${row.employeeId ? ` for ${row.employeeId}` : ''}`);
      }
      if ((row.status === 'assigned' || row.status === 'active' || row.status === 'suspended') && holder !== row.entraUserId) {
        violations.push(`${serial} is ${row.status} for ${row.employeeId ?? '?'} in the inventory, but Entra shows it ${holder ? `on ${userIds.get(holder)?.employeeId ?? holder}` : 'unassigned'}`);
      }
      if (row.status === 'active' && device?.status !== 'activated') violations.push(`${serial} is active in the inventory but ${device?.status ?? 'absent'} in Entra`);
    }

    // Seeds never reach a log line.
    hostLog.end();
    await new Promise<void>((resolve) => hostLog.once('close', () => resolve()));
    const logText = readFileSync(path.join(scratch, 'host.log'), 'utf8');
    let redactedLog = logText;
    for (const [serial, seed] of seeds) {
      if (!logText.includes(seed)) continue;
      violations.push(`the seed of ${serial} appears in the host's log`);
      redactedLog = redactedLog.split(seed).join(`[seed of ${serial}]`);
    }

    const poisoned = (await queueDepth(connection, poisonQueueOf(QUEUES.hrEvents))) + (await queueDepth(connection, poisonQueueOf(QUEUES.reconcileWork)));
    const joiners = records.filter((r) => r.rowKey === 'joiner');
    const operationsTotal = Object.values(operationsByKind).reduce((sum, n) => sum + n, 0);
    const figures: SoakFigures = {
      seed: options.seed,
      minutes: options.minutes,
      operations: operationsTotal,
      operationsByKind,
      crashes,
      faults,
      violations: violations.length,
      poisoned,
      hiresCompleted: joiners.filter((r) => r.status === 'completed').length,
      hiresFailed: joiners.filter((r) => r.status === 'failed').length,
      quietAfterSeconds,
    };
    console.log(`soak: ${operationsTotal} operations, ${crashes} crashes, ${faults} faults, ${violations.length} violations`);
    saveResult('soak', figures);
    if (violations.length > 0) {
      mkdirSync(LOCAL_DIR, { recursive: true });
      const logFile = path.join(LOCAL_DIR, `soak-${options.seed}.log`);
      writeFileSync(logFile, [`seed ${options.seed}`, '', 'violations:', ...violations, '', 'operations:', ...operationLog, '', 'host log:', redactedLog].join('\n'));
      console.error(`Violations (replay with --seed ${options.seed}; the operation log and the host's log are in ${path.relative(REPO_ROOT, logFile)}):`);
      for (const violation of violations) console.error(`  ${violation}`);
      console.error('Last operations:');
      for (const line of operationLog.slice(-40)) console.error(`  ${line}`);
      process.exitCode = 1;
    }
  } finally {
    await host?.kill('SIGTERM');
    await stack?.stop();
    hostLog.end();
    rmSync(scratch, { recursive: true, force: true });
  }
}

runTrustingDevCa(__filename, 'soak', () => soak(parseOptions(process.argv.slice(2))));

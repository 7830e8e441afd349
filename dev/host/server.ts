import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { ConfigError } from '../../shared/app/config';
import { declaredFunctions, functionsNotStarted, startupProblem, useLocalHost, type FunctionDeclaration, type QueueFunction, type TimerFunction } from '../../shared/app/hosting';
import { readHostOptions } from './hostJson';
import { startHttpServer, type HttpServer } from './httpServer';
import { createInvoker, InFlight, type Invoke, type LogLine } from './invocation';
import { messageValue, startQueueListener, type QueueListener } from './queueListener';
import { parseSchedule, resolveSettingReferences } from './schedule';
import { startTimerRunner, type TimerRunner } from './timerRunner';

/**
 * The local Functions host: loads a directory of function modules (which declare themselves through
 * shared/app/hosting.ts) and serves each as the Azure Functions host would: HTTP routes, queue triggers
 * polling Azurite, timers, and the admin endpoint that runs a queue or timer function on demand.
 */

export interface LocalHostOptions {
  /** 7071 unless given; 0 picks a free port. */
  port?: number;
  host?: string;
  /** Directory of function modules, loaded in name order. */
  functionsDir: string;
  /** host.json to honour; the host's defaults without one. */
  hostJsonPath?: string;
  /** Storage the queue triggers poll (the AzureWebJobsStorage connection string). */
  storageConnectionString: string;
  /** App settings, written to process.env before the functions load so their config sees them. */
  settings?: Record<string, string>;
  /** Where host and function log lines go; console.log unless given. */
  log?: (line: string) => void;
}

export interface LocalHost {
  /** http://host:port, without a trailing slash. */
  url: string;
  /** Every function declared in this module registry (shared/app/hosting.ts keeps one list per process). */
  functions: FunctionDeclaration[];
  /** Stops polling, timers and the server, after waiting for invocations in flight. */
  close(): Promise<void>;
  /** Runs a queue or timer function now (a queue function gets `input` as its message); resolves when it finished. */
  runNow(name: string, input?: unknown): Promise<void>;
}

/** The module extension this host itself runs as: .ts under jest or tsx, .js from dist. */
const MODULE_EXTENSION = path.extname(__filename);

function functionModules(functionsDir: string): string[] {
  if (!existsSync(functionsDir)) throw new ConfigError(`Functions directory ${functionsDir} does not exist (build first: npm run build)`);
  return readdirSync(functionsDir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(MODULE_EXTENSION) && !entry.name.endsWith('.d.ts'))
    .map((entry) => entry.name)
    .sort()
    .map((name) => path.join(functionsDir, name));
}

async function loadFunctions(functionsDir: string, log: LogLine): Promise<FunctionDeclaration[]> {
  useLocalHost();
  for (const file of functionModules(functionsDir)) await import(file);
  // As in Azure, a bad setting leaves the host up: HTTP functions answer 503 naming it, queue and timer functions do not start.
  const broken = startupProblem();
  if (broken) log(`${broken.message}. Not started until it is fixed: ${functionsNotStarted().join(', ') || 'none'}.`);
  return declaredFunctions();
}

function queueRunner(declaration: QueueFunction, invoke: Invoke) {
  return (input: unknown): Promise<void> => {
    const text = typeof input === 'string' ? input : JSON.stringify(input ?? null);
    const now = new Date();
    return invoke({
      declaration,
      reason: 'This function was programmatically called via the host APIs.',
      trigger: { type: 'queueTrigger', name: 'queueItem', queueName: declaration.queueName },
      triggerMetadata: {
        id: randomUUID(),
        dequeueCount: 1,
        insertionTime: now.toISOString(),
        expirationTime: new Date(now.getTime() + 7 * 24 * 3600_000).toISOString(),
        nextVisibleTime: now.toISOString(),
        popReceipt: '',
        queueTrigger: text,
      },
      run: (context) => declaration.handler(typeof input === 'string' ? messageValue(input) : input, context),
    });
  };
}

export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const log: LogLine = options.log ?? ((line) => console.log(line));
  const hostOptions = readHostOptions(options.hostJsonPath);
  if (options.settings) Object.assign(process.env, options.settings);

  const functions = await loadFunctions(options.functionsDir, log);
  const httpFunctions = functions.filter((f) => f.kind === 'http');
  const queueFunctions = functions.filter((f): f is QueueFunction => f.kind === 'queue');
  const timerFunctions = functions.filter((f): f is TimerFunction => f.kind === 'timer');
  // Schedules are checked before anything starts, so a bad one is a clean start-up error.
  const timeZone = process.env.WEBSITE_TIME_ZONE?.trim() || 'UTC';
  const schedules = timerFunctions.map((declaration) => ({
    declaration,
    schedule: parseSchedule(resolveSettingReferences(declaration.schedule, process.env, `the schedule of ${declaration.name}`), declaration.name, timeZone),
  }));

  const inFlight = new InFlight();
  const invoke = createInvoker(log, hostOptions.logLevels, inFlight);

  const queueClients = new Map<string, { queue: QueueClient; poisonQueue: QueueClient }>();
  if (queueFunctions.length > 0) {
    const service = QueueServiceClient.fromConnectionString(options.storageConnectionString, {
      retryOptions: { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
    });
    for (const declaration of queueFunctions) {
      const queue = service.getQueueClient(declaration.queueName);
      const poisonQueue = service.getQueueClient(`${declaration.queueName}-poison`);
      await queue.createIfNotExists();
      await poisonQueue.createIfNotExists();
      queueClients.set(declaration.name, { queue, poisonQueue });
    }
  }

  const runners = new Map<string, (input: unknown) => Promise<void>>();
  for (const declaration of queueFunctions) runners.set(declaration.name.toLowerCase(), queueRunner(declaration, invoke));
  const timers: TimerRunner[] = [];
  let closed = false;
  const findRunnable = (name: string) => {
    const run = runners.get(name.toLowerCase());
    if (!run) return undefined;
    return (input: unknown) => (closed ? Promise.reject(new Error(`the host is closed; ${name} cannot run`)) : run(input));
  };

  const httpServer: HttpServer = await startHttpServer({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 7071,
    routePrefix: hostOptions.routePrefix,
    functions: httpFunctions,
    invoke,
    findRunnable,
    inFlight,
    log,
  });

  const listeners: QueueListener[] = queueFunctions.map((declaration) => {
    const clients = queueClients.get(declaration.name);
    if (!clients) throw new Error(`no queue client for ${declaration.name}`);
    return startQueueListener({ declaration, ...clients, options: hostOptions.queues, invoke, log });
  });
  for (const { declaration, schedule } of schedules) {
    const runner = startTimerRunner(declaration, schedule, invoke);
    timers.push(runner);
    runners.set(declaration.name.toLowerCase(), () => runner.runNow());
  }

  let closing: Promise<void> | undefined;
  return {
    url: httpServer.url,
    functions,
    runNow(name, input) {
      const run = findRunnable(name);
      if (!run) return Promise.reject(new Error(`No queue or timer function is named ${name}`));
      return run(input);
    },
    close() {
      closing ??= (async () => {
        closed = true;
        await Promise.all([...listeners.map((l) => l.stop()), ...timers.map((t) => t.stop())]);
        await httpServer.close();
        await inFlight.drain();
      })();
      return closing;
    },
  };
}

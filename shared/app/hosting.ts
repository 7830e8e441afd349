import { format } from 'node:util';
import { app, type HttpHandler, type HttpMethod, type InvocationContext, type Timer } from '@azure/functions';
import { ConfigError } from './config';
import { printableLogLine } from '../domain/text';
import { dependencyFailureFor } from '../ports';
import { problem } from '../http/problem';

/**
 * The one way a file in functions/ declares its function. Each declaration registers with the
 * Azure Functions host (app.http / app.storageQueue / app.timer) and is kept in a list that the
 * local host (dev/host) serves, so the two can never disagree about what exists.
 */

export type QueueHandler = (message: unknown, context: InvocationContext) => Promise<void>;
export type TimerHandler = (timer: Timer, context: InvocationContext) => Promise<void>;

/** The storage connection every trigger uses: the AzureWebJobsStorage setting (or its __ identity form). */
export const STORAGE_CONNECTION = 'AzureWebJobsStorage';

export interface HttpFunction {
  kind: 'http';
  name: string;
  /** Route below /api, in the host's syntax (`tokens/{serial}`). */
  route: string;
  methods: HttpMethod[];
  handler: HttpHandler;
}

export interface QueueFunction {
  kind: 'queue';
  name: string;
  queueName: string;
  handler: QueueHandler;
}

export interface TimerFunction {
  kind: 'timer';
  name: string;
  /** NCRONTAB, or `%SETTING%` resolved from app settings as the host does. */
  schedule: string;
  handler: TimerHandler;
}

export type FunctionDeclaration = HttpFunction | QueueFunction | TimerFunction;

const declarations = new Map<string, FunctionDeclaration>();
const startupChecks: (() => void)[] = [];
let startupOutcome: { problem: ConfigError | undefined } | undefined;
const notStarted: string[] = [];
let servedByLocalHost = false;

/** Called by the local host before it loads functions/, so nothing is handed to the real host's API. */
export function useLocalHost(): void {
  servedByLocalHost = true;
}

export function declaredFunctions(): FunctionDeclaration[] {
  return [...declarations.values()];
}

function remember(declaration: FunctionDeclaration): void {
  if (declarations.has(declaration.name)) throw new Error(`Function ${declaration.name} is declared twice`);
  declarations.set(declaration.name, declaration);
}

const LOG_LEVELS = ['log', 'trace', 'debug', 'info', 'warn', 'error'] as const;

/**
 * The invocation's logger with every line made printable (printableLogLine): functions build log lines
 * from outside input (event types, vendors' and SDKs' words), and one line must stay one line.
 */
export function withPrintableLogs(context: InvocationContext): InvocationContext {
  for (const level of LOG_LEVELS) {
    const write = context[level].bind(context);
    context[level] = (...args: unknown[]) => write(printableLogLine(format(...args)));
  }
  return context;
}

/** Enables the worker's HTTP streams once, before the first registration, so bodies reach readBody as they arrive. */
let streamsEnabled = false;
function enableHttpStreams(): void {
  if (streamsEnabled) return;
  streamsEnabled = true;
  app.setup({ enableHttpStream: true });
}

/**
 * A handler whose settings are broken answers 503 naming the setting (ConfigError messages never carry
 * a value); one stopped by Graph, Key Vault or Storage failing past the SDKs' retries answers 503 with
 * Retry-After: every admin action converges when sent again, so the caller is told to do just that.
 */
function answeringKnownFailures(handler: HttpHandler): HttpHandler {
  return async (request, invocation) => {
    const context = withPrintableLogs(invocation);
    try {
      return await handler(request, context);
    } catch (error) {
      if (error instanceof ConfigError) {
        context.error(error.message);
        return problem(503, error.message, error.setting === undefined ? {} : { setting: error.setting });
      }
      const failure = dependencyFailureFor(error);
      if (!failure) throw error;
      context.warn(`DependencyFailed status=${failure.status} retryAfter=${failure.retryAfterSeconds}: ${error instanceof Error ? error.message : String(error)}`);
      return problem(
        503,
        `A service this request needs (Microsoft Graph, Key Vault or Storage) answered ${failure.status} and the request stopped; what it did is kept, and sending the same request again after Retry-After finishes it`,
        { dependencyStatus: failure.status },
        { 'Retry-After': String(failure.retryAfterSeconds) },
      );
    }
  };
}

export function httpFunction(name: string, options: Omit<HttpFunction, 'kind' | 'name'>): void {
  const handler = answeringKnownFailures(options.handler);
  remember({ kind: 'http', name, ...options, handler });
  if (!servedByLocalHost) {
    enableHttpStreams();
    // Authorisation is done by the handlers themselves (signed webhooks, bearer JWTs), not function keys.
    app.http(name, { route: options.route, methods: options.methods, authLevel: 'anonymous', handler });
  }
}

/**
 * A queue or timer function is not registered while a setting is broken: no listener starts, so its
 * messages wait in the queue instead of failing their way to the poison queue (docs/deploy.md).
 */
function startedDespiteConfig(name: string): boolean {
  const broken = startupProblem();
  if (broken === undefined) return true;
  notStarted.push(name);
  // The local host reports these itself, in one line.
  if (!servedByLocalHost) console.error(`${name} not started: ${broken.message}. Its messages wait in the queue until the setting is fixed and the app restarts.`);
  return false;
}

export function queueFunction(name: string, options: Omit<QueueFunction, 'kind' | 'name'>): void {
  if (!startedDespiteConfig(name)) return;
  const handler: QueueHandler = (message, context) => options.handler(message, withPrintableLogs(context));
  remember({ kind: 'queue', name, ...options, handler });
  if (!servedByLocalHost) {
    app.storageQueue(name, { queueName: options.queueName, connection: STORAGE_CONNECTION, handler });
  }
}

export function timerFunction(name: string, options: Omit<TimerFunction, 'kind' | 'name'>): void {
  if (!startedDespiteConfig(name)) return;
  const handler: TimerHandler = (timer, context) => options.handler(timer, withPrintableLogs(context));
  remember({ kind: 'timer', name, ...options, handler });
  if (!servedByLocalHost) {
    app.timer(name, { schedule: options.schedule, handler });
  }
}

/**
 * Work to do once when the app starts (parsing config), so a bad setting is found before the first
 * request. It does not stop the worker (a throwing appStart hook would stop every function, health
 * included): see startupProblem.
 */
export function atStartup(check: () => void): void {
  startupChecks.push(check);
  startupOutcome = undefined;
}

/** The ConfigError the start-up checks raise, if any; they run once (again only after a new check is added). */
export function startupProblem(): ConfigError | undefined {
  if (startupOutcome === undefined) {
    let found: ConfigError | undefined;
    try {
      for (const check of startupChecks) check();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      found = error;
    }
    startupOutcome = { problem: found };
  }
  return startupOutcome.problem;
}

/** Queue and timer functions left unregistered because of startupProblem, for health to name. */
export function functionsNotStarted(): readonly string[] {
  return notStarted;
}

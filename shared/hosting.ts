import { app, type HttpHandler, type HttpMethod, type InvocationContext, type Timer } from '@azure/functions';

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

export function httpFunction(name: string, options: Omit<HttpFunction, 'kind' | 'name'>): void {
  remember({ kind: 'http', name, ...options });
  if (!servedByLocalHost) {
    // Authorisation is done by the handlers themselves (signed webhooks, bearer JWTs), not function keys.
    app.http(name, { route: options.route, methods: options.methods, authLevel: 'anonymous', handler: options.handler });
  }
}

export function queueFunction(name: string, options: Omit<QueueFunction, 'kind' | 'name'>): void {
  remember({ kind: 'queue', name, ...options });
  if (!servedByLocalHost) {
    app.storageQueue(name, { queueName: options.queueName, connection: STORAGE_CONNECTION, handler: options.handler });
  }
}

export function timerFunction(name: string, options: Omit<TimerFunction, 'kind' | 'name'>): void {
  remember({ kind: 'timer', name, ...options });
  if (!servedByLocalHost) {
    app.timer(name, { schedule: options.schedule, handler: options.handler });
  }
}

/**
 * Work to do once when the app starts (parsing config), so a bad setting stops start-up instead of
 * failing the first request. The local host runs these itself after loading functions/.
 */
export function atStartup(check: () => void): void {
  startupChecks.push(check);
  if (!servedByLocalHost) app.hook.appStart(check);
}

export function runStartupChecks(): void {
  for (const check of startupChecks) check();
}

import { randomUUID } from 'node:crypto';
import { format } from 'node:util';
import { InvocationContext, type TriggerMetadata } from '@azure/functions';
import type { FunctionDeclaration } from '../../shared/app/hosting';
import { logLevelEnabled, type FunctionLogLevel } from './hostJson';

/**
 * Runs one invocation the way the host frames it: a real InvocationContext whose log lines go to the
 * host log prefixed with the function name, "Executing"/"Executed" lines around it, and the error's
 * stack logged (never sent to a caller) when the handler throws. Trigger payloads are never logged.
 */

export type LogLine = (line: string) => void;

export interface InvocationRequest<T> {
  declaration: FunctionDeclaration;
  /** Why it runs, as shown in the host log; must not contain payload data. */
  reason: string;
  trigger: { type: string; name: string } & Record<string, unknown>;
  triggerMetadata: TriggerMetadata;
  run(context: InvocationContext): Promise<T>;
}

export type Invoke = <T>(request: InvocationRequest<T>) => Promise<T>;

/** Promises still running, so close() can wait for them. */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>();

  get size(): number {
    return this.running.size;
  }

  track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    const forget = () => this.running.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Resolves once nothing is running, including work that started while waiting. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}

function prefixed(name: string, marker: string, text: string): string[] {
  return text.split(/\r?\n/).map((line) => `[${name}] ${marker}${line}`);
}

const MARKERS: Record<FunctionLogLevel, string> = {
  trace: 'TRACE ',
  debug: 'DEBUG ',
  information: '',
  warning: 'WARN ',
  error: 'ERROR ',
  critical: 'CRITICAL ',
  none: '',
};

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return `non-Error value thrown (${typeof error})`;
}

export function createInvoker(log: LogLine, logLevels: Readonly<Record<string, FunctionLogLevel>>, inFlight: InFlight): Invoke {
  const write = (name: string, level: FunctionLogLevel, text: string) => {
    if (!logLevelEnabled(logLevels, name, level)) return;
    for (const line of prefixed(name, MARKERS[level], text)) log(line);
  };

  return <T>(request: InvocationRequest<T>): Promise<T> => {
    const { declaration } = request;
    const invocationId = randomUUID();
    const context = new InvocationContext({
      invocationId,
      functionName: declaration.name,
      triggerMetadata: request.triggerMetadata,
      options: { trigger: request.trigger, extraInputs: [], extraOutputs: [] },
      logHandler: (level, ...args) => write(declaration.name, level, format(...args)),
    });
    const started = process.hrtime.bigint();
    const elapsed = () => `${Number((process.hrtime.bigint() - started) / 1_000_000n)}ms`;
    write(declaration.name, 'information', `Executing (Reason='${request.reason}', Id=${invocationId})`);
    const work = (async () => {
      try {
        const result = await request.run(context);
        write(declaration.name, 'information', `Executed (Succeeded, Id=${invocationId}, Duration=${elapsed()})`);
        return result;
      } catch (error) {
        write(declaration.name, 'error', `Executed (Failed, Id=${invocationId}, Duration=${elapsed()}): ${describeError(error)}`);
        throw error;
      }
    })();
    return inFlight.track(work);
  };
}

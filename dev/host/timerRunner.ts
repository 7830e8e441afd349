import type { Timer } from '@azure/functions';
import type { TimerFunction } from '../../shared/app/hosting';
import type { Invoke } from './invocation';
import type { Schedule } from './schedule';

/**
 * The timer trigger: one invocation per occurrence, the next one armed when the previous finished
 * (the host never overlaps runs of one timer). No schedule monitor is kept, so a run is past due
 * only when the process was late by a whole occurrence (a laptop waking from sleep, say).
 */

/** setTimeout's ceiling (about 24.8 days); longer waits are taken in steps. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface TimerRunner {
  /** Runs the function now, outside the schedule; resolves when it finished, rejects if it failed. */
  runNow(): Promise<void>;
  stop(): Promise<void>;
}

export function startTimerRunner(declaration: TimerFunction, schedule: Schedule, invoke: Invoke): TimerRunner {
  let stopped = false;
  let timeout: NodeJS.Timeout | undefined;
  let scheduledRun: Promise<void> | undefined;
  let lastRun: Date | undefined;

  function timerInfo(occurrence: Date, now: Date): Timer {
    return {
      isPastDue: now.getTime() >= schedule.next(occurrence).getTime(),
      schedule: { adjustForDST: true },
      scheduleStatus: {
        last: (lastRun ?? schedule.previous(occurrence)).toISOString(),
        next: schedule.next(now > occurrence ? now : occurrence).toISOString(),
        lastUpdated: now.toISOString(),
      },
    };
  }

  function run(occurrence: Date, reason: string): Promise<void> {
    const timer = timerInfo(occurrence, new Date());
    lastRun = occurrence;
    return invoke({
      declaration,
      reason,
      trigger: { type: 'timerTrigger', name: 'myTimer', schedule: schedule.expression },
      triggerMetadata: {},
      run: (context) => declaration.handler(timer, context),
    });
  }

  function waitFor(occurrence: Date): void {
    const remaining = occurrence.getTime() - Date.now();
    timeout = setTimeout(
      () => {
        timeout = undefined;
        if (remaining > MAX_TIMEOUT_MS) {
          waitFor(occurrence);
          return;
        }
        scheduledRun = run(occurrence, `Timer fired at ${new Date().toISOString()}`)
          .catch(() => undefined) // already logged by the invoker; the schedule goes on
          .finally(() => {
            scheduledRun = undefined;
            if (!stopped) arm(occurrence);
          });
      },
      Math.max(0, Math.min(remaining, MAX_TIMEOUT_MS)),
    );
  }

  /** Arms the next occurrence after both now and the one just run (a timer may fire a hair early). */
  function arm(previous?: Date): void {
    const now = new Date();
    waitFor(schedule.next(previous && previous > now ? previous : now));
  }

  arm();

  return {
    runNow() {
      if (stopped) return Promise.reject(new Error(`the host is closed; ${declaration.name} cannot run`));
      return run(new Date(), 'This function was programmatically called via the host APIs.');
    },
    async stop() {
      stopped = true;
      if (timeout) clearTimeout(timeout);
      timeout = undefined;
      await scheduledRun;
    },
  };
}

import type { AppServices } from '../../shared/app/composition';
import type { Clock, WorkQueue } from '../../shared/ports';

/**
 * Simulated time for end-to-end tests that must span minutes or hours without waiting for them.
 * It replaces the running app's clock, and its hr-events queue's visibility delays: a message sent
 * with a delay is held here (as Storage would keep it invisible) and put on the real queue, with no
 * delay, when the test advances the clock to its due time. Everything else (the queue, the worker,
 * Graph, Storage) is the real stack.
 */
export interface SimulatedTime {
  now(): Date;
  /** Delays the app asked for, in the order it asked (seconds). */
  delays: number[];
  /** Messages waiting for their delay to pass. */
  pending(): number;
  /** Moves the clock to the earliest waiting message's due time and delivers it; false when none waits. */
  advance(): Promise<boolean>;
  /** Moves the clock `ms` forward (weeks without use, for reconciliation); a message that falls due waits for advance(). */
  jump(ms: number): void;
}

export function simulateTime(app: AppServices, start: Date): SimulatedTime {
  let now = start.getTime();
  const clock: Clock = { now: () => new Date(now) };
  const realQueue = app.hrEvents;
  const waiting: { dueAt: number; message: Parameters<typeof realQueue.send>[0] }[] = [];
  const delays: number[] = [];
  const queue: WorkQueue<Parameters<typeof realQueue.send>[0]> = {
    async send(message, options) {
      const delaySeconds = options?.delaySeconds ?? 0;
      if (delaySeconds <= 0) return realQueue.send(message);
      delays.push(delaySeconds);
      waiting.push({ dueAt: now + delaySeconds * 1000, message });
    },
  };
  app.clock = clock;
  app.hrEvents = queue;
  return {
    now: clock.now,
    delays,
    pending: () => waiting.length,
    async advance() {
      waiting.sort((a, b) => a.dueAt - b.dueAt);
      const next = waiting.shift();
      if (!next) return false;
      now = Math.max(now, next.dueAt);
      await realQueue.send(next.message);
      return true;
    },
    jump(ms) {
      now += ms;
    },
  };
}

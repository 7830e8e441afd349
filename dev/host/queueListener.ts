import type { QueueClient, ReceivedMessageItem } from '@azure/storage-queue';
import type { QueueFunction } from '../../shared/app/hosting';
import { MIN_POLLING_INTERVAL_MS, type QueueOptions } from './hostJson';
import type { Invoke, LogLine } from './invocation';

/**
 * The queue trigger, as the host's Storage extension runs it: receive up to batchSize messages under
 * a lease, fetch more once no more than newBatchThreshold are still running, back off to
 * maxPollingInterval while the queue is empty, delete on success, make a failed message visible
 * again after visibilityTimeout, and move it to `<queue>-poison` once it has failed maxDequeueCount
 * times. Message contents are handed to the handler and never logged.
 */

/** How long a received message stays hidden while its handler runs; renewed at half-time. */
export const LEASE_SECONDS = 600;

export interface QueueListener {
  stop(): Promise<void>;
}

export interface QueueListenerOptions {
  declaration: QueueFunction;
  queue: QueueClient;
  poisonQueue: QueueClient;
  options: QueueOptions;
  invoke: Invoke;
  log: LogLine;
}

/** Base64 text to UTF-8 text, refusing what .NET's Convert.FromBase64String refuses. */
function decodeBase64(text: string): string | undefined {
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}

/** What the Node worker hands a queue handler: the parsed JSON when the text is JSON, else the text. */
export function messageValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Something to await that the listener can cut short (stop, or a finished invocation freeing a slot). */
function wakeable() {
  let wake: (() => void) | undefined;
  return {
    wait(ms?: number): Promise<void> {
      return new Promise((resolve) => {
        const timer = ms === undefined ? undefined : setTimeout(done, ms);
        function done() {
          if (timer) clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      });
    },
    wake(): void {
      wake?.();
    },
  };
}

export function startQueueListener({ declaration, queue, poisonQueue, options, invoke, log }: QueueListenerOptions): QueueListener {
  const name = declaration.name;
  const processing = new Set<Promise<void>>();
  const pause = wakeable();
  let stopping = false;
  let receiveFailing = false;

  /** Keeps the message hidden while a long handler runs; the latest pop receipt is needed to settle it. */
  function holdLease(message: ReceivedMessageItem) {
    let popReceipt = message.popReceipt;
    let renewal: Promise<void> = Promise.resolve();
    const interval = setInterval(() => {
      renewal = queue
        .updateMessage(message.messageId, popReceipt, undefined, LEASE_SECONDS)
        .then((updated) => {
          popReceipt = updated.popReceipt ?? popReceipt;
        })
        .catch((error: unknown) => log(`[${name}] WARN could not renew the lease on message ${message.messageId}: ${(error as Error).message}`));
    }, (LEASE_SECONDS * 1000) / 2);
    return {
      async release(): Promise<string> {
        clearInterval(interval);
        await renewal;
        return popReceipt;
      },
    };
  }

  async function runHandler(message: ReceivedMessageItem): Promise<boolean> {
    const text = options.messageEncoding === 'base64' ? decodeBase64(message.messageText) : message.messageText;
    if (text === undefined) {
      log(`[${name}] ERROR message ${message.messageId} is not valid base64 (host.json messageEncoding is base64); counted as a failed try`);
      return false;
    }
    try {
      await invoke({
        declaration,
        reason: `New queue message detected on '${declaration.queueName}'.`,
        trigger: { type: 'queueTrigger', name: 'queueItem', queueName: declaration.queueName },
        triggerMetadata: {
          id: message.messageId,
          dequeueCount: message.dequeueCount,
          insertionTime: message.insertedOn.toISOString(),
          expirationTime: message.expiresOn.toISOString(),
          nextVisibleTime: message.nextVisibleOn.toISOString(),
          popReceipt: message.popReceipt,
          queueTrigger: text,
        },
        run: (context) => declaration.handler(messageValue(text), context),
      });
      return true;
    } catch {
      // The invoker has logged the failure; the message's fate is decided below.
      return false;
    }
  }

  async function processMessage(message: ReceivedMessageItem): Promise<void> {
    const lease = holdLease(message);
    const succeeded = await runHandler(message);
    const popReceipt = await lease.release();
    try {
      if (succeeded) {
        await queue.deleteMessage(message.messageId, popReceipt);
      } else if (message.dequeueCount >= options.maxDequeueCount) {
        // The original text, still encoded, so the poison message reads exactly like the one sent.
        await poisonQueue.sendMessage(message.messageText);
        await queue.deleteMessage(message.messageId, popReceipt);
        log(`[${name}] WARN message ${message.messageId} has reached MaxDequeueCount of ${options.maxDequeueCount}; moved to queue '${poisonQueue.name}'`);
      } else {
        await queue.updateMessage(message.messageId, popReceipt, undefined, Math.round(options.visibilityTimeoutMs / 1000));
      }
    } catch (error) {
      log(`[${name}] ERROR could not settle message ${message.messageId}: ${(error as Error).message}`);
    }
  }

  function start(message: ReceivedMessageItem): void {
    const work = processMessage(message);
    processing.add(work);
    void work.finally(() => {
      processing.delete(work);
      pause.wake();
    });
  }

  /** Messages received while stopping go back at once rather than waiting out the lease. */
  async function giveBack(messages: ReceivedMessageItem[]): Promise<void> {
    await Promise.allSettled(messages.map((m) => queue.updateMessage(m.messageId, m.popReceipt, undefined, 0)));
  }

  async function poll(): Promise<void> {
    let idleDelayMs = MIN_POLLING_INTERVAL_MS;
    while (!stopping) {
      if (processing.size > options.newBatchThreshold) {
        await pause.wait();
        continue;
      }
      let batch: ReceivedMessageItem[] = [];
      try {
        const received = await queue.receiveMessages({ numberOfMessages: options.batchSize, visibilityTimeout: LEASE_SECONDS });
        batch = received.receivedMessageItems;
        if (receiveFailing) log(`[${name}] queue '${declaration.queueName}' is reachable again`);
        receiveFailing = false;
      } catch (error) {
        if (!receiveFailing) log(`[${name}] ERROR cannot receive from queue '${declaration.queueName}': ${(error as Error).message}`);
        receiveFailing = true;
        idleDelayMs = options.maxPollingIntervalMs;
      }
      if (stopping) {
        await giveBack(batch);
        break;
      }
      for (const message of batch) start(message);
      if (batch.length > 0) {
        idleDelayMs = MIN_POLLING_INTERVAL_MS;
        continue;
      }
      await pause.wait(idleDelayMs);
      idleDelayMs = Math.min(idleDelayMs * 2, options.maxPollingIntervalMs);
    }
  }

  const polling = poll();

  return {
    async stop() {
      stopping = true;
      pause.wake();
      await polling;
      while (processing.size > 0) await Promise.allSettled([...processing]);
    },
  };
}

import type { QueueClient } from '@azure/storage-queue';
import type { WorkQueue } from '../ports';
import { createdOnce } from './createdOnce';

/** Storage refuses a message over 64 KB, base64 text included. */
const MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * A Storage queue of JSON work items, base64-encoded as the Functions host's queue trigger expects
 * (host.json messageEncoding "base64"). Messages never expire: work must not vanish unseen.
 */
export function storageWorkQueue<Message>(queue: QueueClient): WorkQueue<Message> {
  const ensureQueue = createdOnce(() => queue.createIfNotExists());
  return {
    async send(message, options = {}) {
      const text = Buffer.from(JSON.stringify(message), 'utf8').toString('base64');
      if (text.length > MAX_MESSAGE_BYTES) throw new Error(`queue message for ${queue.name} is ${text.length} bytes; the limit is ${MAX_MESSAGE_BYTES}`);
      await ensureQueue();
      await queue.sendMessage(text, {
        messageTimeToLive: -1,
        ...(options.delaySeconds ? { visibilityTimeout: Math.round(options.delaySeconds) } : {}),
      });
    },
  };
}

import path from 'node:path';
import { QueueClient } from '@azure/storage-queue';
import { startLocalHost, type LocalHost } from '../../../dev/host/server';
import { DOOMED_QUEUE, nextObservation, observedBy, ORDERS_QUEUE } from '../../fixtures/host-functions/observed';
import { startAzurite, type Azurite } from '../../support/azurite';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'host-functions');

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** Re-checks until `check` passes; the test's own timeout bounds it. Nothing here measures time. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('local host: queue functions', () => {
  let azurite: Azurite;
  let host: LocalHost;
  const logLines: string[] = [];

  beforeAll(async () => {
    azurite = await startAzurite();
    host = await startLocalHost({
      port: 0,
      functionsDir: path.join(FIXTURES, 'queues'),
      hostJsonPath: path.join(FIXTURES, 'host.json'),
      storageConnectionString: azurite.connectionString,
      log: (line) => logLines.push(line),
    });
  });

  afterAll(async () => {
    await host?.close();
    await azurite?.stop();
  });

  const queue = (name: string) => new QueueClient(azurite.connectionString, name);

  it('creates each trigger queue and its poison queue', async () => {
    for (const name of [ORDERS_QUEUE, `${ORDERS_QUEUE}-poison`, DOOMED_QUEUE, `${DOOMED_QUEUE}-poison`]) {
      expect(await queue(name).exists()).toBe(true);
    }
  });

  it('hands a base64 JSON message to its handler parsed, on the first try, and deletes it', async () => {
    const order = { orderId: 'o-1', lines: [{ sku: 'YK-5', quantity: 2 }] };
    const sent = await queue(ORDERS_QUEUE).sendMessage(base64(JSON.stringify(order)));

    const seen = await nextObservation((o) => o.functionName === 'recordOrder' && o.metadata?.id === sent.messageId);
    expect(seen.value).toEqual(order);
    expect(seen.metadata).toMatchObject({ dequeueCount: 1, queueTrigger: JSON.stringify(order), insertionTime: sent.insertedOn.toISOString() });
    expect(typeof seen.metadata?.popReceipt).toBe('string');

    await eventually(async () => (await queue(ORDERS_QUEUE).getProperties()).approximateMessagesCount === 0);
    expect(logLines).toContain('[recordOrder] order received');
    expect(logLines.join('\n')).not.toContain('o-1');
  });

  it('hands a message that is not JSON to its handler as text', async () => {
    const sent = await queue(ORDERS_QUEUE).sendMessage(base64('plain words'));
    const seen = await nextObservation((o) => o.functionName === 'recordOrder' && o.metadata?.id === sent.messageId);
    expect(seen.value).toBe('plain words');
  });

  it('moves a message that always fails to the poison queue after exactly five tries', async () => {
    const body = base64(JSON.stringify({ orderId: 'doomed-1' }));
    const sent = await queue(DOOMED_QUEUE).sendMessage(body);
    const poison = queue(`${DOOMED_QUEUE}-poison`);

    await eventually(async () => (await poison.peekMessages()).peekedMessageItems.length > 0);
    const [poisoned] = (await poison.peekMessages()).peekedMessageItems;
    expect(poisoned?.messageText).toBe(body);

    const tries = observedBy('alwaysFails').filter((o) => o.metadata?.id === sent.messageId);
    expect(tries.map((o) => o.metadata?.dequeueCount)).toEqual([1, 2, 3, 4, 5]);
    expect(tries.every((o) => (o.value as { orderId: string }).orderId === 'doomed-1')).toBe(true);
    await eventually(async () => (await queue(DOOMED_QUEUE).getProperties()).approximateMessagesCount === 0);
    expect(logLines.some((line) => line.includes(`message ${sent.messageId} has reached MaxDequeueCount of 5`))).toBe(true);
  });

  it('runs a queue function now through the admin endpoint, with the input as its message', async () => {
    const response = await fetch(`${host.url}/admin/functions/recordOrder`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: JSON.stringify({ orderId: 'admin-1' }) }),
    });
    expect(response.status).toBe(202);
    const seen = await nextObservation((o) => o.functionName === 'recordOrder' && (o.value as { orderId?: string }).orderId === 'admin-1');
    expect(seen.metadata).toMatchObject({ dequeueCount: 1 });
  });
});

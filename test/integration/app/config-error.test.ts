import { QueueClient } from '@azure/storage-queue';
import { poisonQueueOf, QUEUES } from '../../../shared/app/storageNames';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';

/**
 * A setting Azure could not resolve (a Key Vault reference left as its text, as on a first deploy
 * before the identity's role reaches the vault) keeps the host up: health and the functions that need
 * the setting answer 503 naming it, and the queue functions do not start, so no message is consumed.
 */
const UNRESOLVED = '@Microsoft.KeyVault(SecretUri=https://kv-test.vault.azure.net/secrets/hr-webhook-secrets/)';

describe('a broken setting keeps the local host up', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ settings: { HR_WEBHOOK_SECRETS: UNRESOLVED } });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('health answers 503 problem+json naming the setting, never its value; a Tokens.Read caller also gets the functions it stopped', async () => {
    const anonymous = await fetch(`${app.api}/health`);
    expect(anonymous.status).toBe(503);
    expect(anonymous.headers.get('content-type')).toBe('application/problem+json');
    const anonymousText = await anonymous.text();
    expect(anonymousText).not.toContain('kv-test');
    expect(JSON.parse(anonymousText)).toEqual({
      type: 'about:blank',
      title: 'Service Unavailable',
      status: 503,
      detail: 'Setting HR_WEBHOOK_SECRETS: every entry must look like whsec_<base64>',
      setting: 'HR_WEBHOOK_SECRETS',
    });

    const response = await app.call('GET', 'health', { roles: ['Tokens.Read'] });
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(text).not.toContain('kv-test');
    expect(JSON.parse(text)).toMatchObject({
      status: 503,
      detail: 'Setting HR_WEBHOOK_SECRETS: every entry must look like whsec_<base64>',
      setting: 'HR_WEBHOOK_SECRETS',
      notStarted: expect.arrayContaining(['hrEventsWorker', 'reconcileWorker']),
    });
  });

  it('the admin API and the webhook answer 503 naming the setting', async () => {
    for (const response of [await app.call('GET', 'tokens', { roles: ['Tokens.Read'] }), await fetch(`${app.api}/hr/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })]) {
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await jsonOf(response)).toMatchObject({ setting: 'HR_WEBHOOK_SECRETS', detail: expect.stringContaining('Setting HR_WEBHOOK_SECRETS:') });
    }
  });

  it('queue and timer functions are not started: a message waits in its queue, never dequeued, never poisoned', async () => {
    const kinds = app.host.functions.map((f) => f.kind);
    expect(kinds).not.toContain('queue');
    expect(kinds).not.toContain('timer');
    await expect(app.host.runNow('hrEventsWorker', {})).rejects.toThrow('No queue or timer function is named hrEventsWorker');

    const queue = new QueueClient(app.stack.azurite.connectionString, QUEUES.hrEvents);
    await queue.createIfNotExists();
    await queue.sendMessage(Buffer.from(JSON.stringify({ kind: 'hire', eventId: 'msg_waiting' })).toString('base64'));
    // No listener was started, so nothing can take it: it is there as sent.
    const peeked = await queue.peekMessages({ numberOfMessages: 32 });
    expect(peeked.peekedMessageItems).toHaveLength(1);
    expect(peeked.peekedMessageItems[0]?.dequeueCount).toBe(0);
    const poison = new QueueClient(app.stack.azurite.connectionString, poisonQueueOf(QUEUES.hrEvents));
    expect(await poison.exists()).toBe(false);
  });
});

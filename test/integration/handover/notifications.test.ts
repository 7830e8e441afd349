import { createServer, type Server } from 'node:https';
import { QueueClient } from '@azure/storage-queue';
import { listen } from '../../../dev/net';
import { ensureDevCa, issueServerCertificate } from '../../../dev/tls';
import type { Notification } from '../../../shared/domain/notification';
import { QUEUES } from '../../../shared/app/storageNames';
import { startTestApp, type TestApp } from '../../support/app';
import { enqueue, eventually, importTokens, JOINER_HOST_JSON, joinerReaches, seedsIn, sendHire } from '../../support/hr';
import { reconcile } from '../reconcile/helpers';

/** A Teams incoming webhook stand-in: an HTTPS server (dev CA) that keeps every card posted to it. */
async function startTeamsReceiver(): Promise<{ url: string; cards: unknown[]; close(): Promise<void> }> {
  const cards: unknown[] = [];
  const server: Server = createServer(issueServerCertificate(ensureDevCa()), (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      cards.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      response.writeHead(202).end();
    });
  });
  const port = await listen(server, 0, '127.0.0.1');
  return { url: `https://127.0.0.1:${port}/webhook`, cards, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const cardText = (card: unknown): string => JSON.stringify(card);

describe('notifications: the desk and the manager by mail, Teams by Adaptive Card, each event once', () => {
  let app: TestApp;
  let teams: Awaited<ReturnType<typeof startTeamsReceiver>>;
  let seeds: string[] = [];

  const mailWith = async (text: string) => (await app.graph.mail()).filter((m) => m.subject.includes(text));
  const cardsWith = (text: string) => teams.cards.filter((card) => cardText(card).includes(text));
  /** How many deliveries of the notification with this key the worker has finished. */
  const handled = (key: string) => app.logs.filter((line) => line.includes(`notification ${key}:`)).length;

  beforeAll(async () => {
    teams = await startTeamsReceiver();
    app = await startTestApp({
      hostJsonPath: JOINER_HOST_JSON,
      settings: {
        ACTIVATION_MODE: 'handover',
        NOTIFY_MAIL_FROM: 'it-notify@contoso.com',
        NOTIFY_SITES: JSON.stringify({ gva: 'it-gva@contoso.com' }),
        NOTIFY_TEAMS_WEBHOOK_URL: teams.url,
        LOW_STOCK_THRESHOLD: '3',
      },
    });
    const users = await app.graph.seedUsers([
      { displayName: 'IT notifications', userPrincipalName: 'it-notify@contoso.com' },
      { displayName: 'Mona Manager', userPrincipalName: 'mona@contoso.com' },
      { displayName: 'Ada Lovelace', userPrincipalName: 'ada@contoso.com', employeeId: 'E4001' },
      { displayName: 'Gus Guest', userPrincipalName: 'gus_fabrikam.com#EXT#@contoso.com', employeeId: 'E4002', userType: 'Guest' },
    ]);
    const id = (upn: string) => users.find((u) => u.userPrincipalName === upn)!.id;
    await app.graph.setManager(id('ada@contoso.com'), id('mona@contoso.com'));
    seeds = await importTokens(app, [{ serial: 'NT-GVA-1', pool: 'GVA' }, { serial: 'NT-GVA-2', pool: 'GVA' }]);
  });
  afterAll(async () => {
    await app?.close();
    await teams?.close();
  });

  it('a token awaiting hand-over: one mail to the site desk and the manager, one card', async () => {
    await sendHire(app, { employeeId: 'E4001', userPrincipalName: 'ada@contoso.com', location: 'GVA' });
    const joiner = await joinerReaches(app, 'E4001', ['completed', 'failed']);
    expect(joiner.status).toBe('completed');
    const [mail, ...more] = await eventually('the hand-over mail', async () => {
      const sent = await mailWith(`${joiner.serialNumber} awaits hand-over`);
      return sent.length > 0 ? sent : undefined;
    });
    expect(more).toEqual([]);
    expect(mail).toMatchObject({ from: 'it-notify@contoso.com', contentType: 'Text' });
    expect(mail!.to.sort()).toEqual(['it-gva@contoso.com', 'mona@contoso.com']);
    expect(mail!.content).toContain(`oathctl handover ${joiner.serialNumber} CODE`);
    await eventually('the hand-over card', async () => cardsWith(`${joiner.serialNumber} awaits hand-over`).length === 1);
    expect(cardsWith(`${joiner.serialNumber} awaits hand-over`)[0]).toMatchObject({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard' } }] });
  });

  it('a failed hire notifies once, even when its hr-events message is delivered twice', async () => {
    const message = { eventId: 'msg_guest_hire', type: 'employee.hired', employeeId: 'E4002', userPrincipalName: 'gus_fabrikam.com#EXT#@contoso.com', location: 'GVA', firstSeenAt: new Date().toISOString() };
    await enqueue(app, message);
    await enqueue(app, message);
    expect((await joinerReaches(app, 'E4002', ['failed', 'completed'])).status).toBe('failed');
    await eventually('the failure mail', async () => (await mailWith('the hire failed')).length > 0);
    const queue = new QueueClient(app.stack.azurite.connectionString, QUEUES.hrEvents);
    await eventually('both deliveries to be handled', async () => (await queue.getProperties()).approximateMessagesCount === 0);
    await eventually('the notification to be handled', async () => handled('hire_failed:E4002:msg_guest_hire') >= 1);
    const failed = await mailWith('the hire failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.to).toEqual(['it-gva@contoso.com']);
    expect(failed[0]!.content).toContain('guest');
    expect(cardsWith('the hire failed')).toHaveLength(1);
  });

  it('one notification message delivered twice at once is sent once per channel', async () => {
    const notification: Notification = { kind: 'hire_failed', key: 'hire_failed:E4999:msg_twice', employeeId: 'E4999', site: 'GVA', reason: 'delivered twice on purpose' };
    const notifications = new QueueClient(app.stack.azurite.connectionString, QUEUES.notifications);
    const body = Buffer.from(JSON.stringify(notification)).toString('base64');
    await Promise.all([notifications.sendMessage(body), notifications.sendMessage(body)]);
    // The second finds the first at work (put back to look again after the lease) or done (already sent).
    await eventually('both deliveries to be handled', async () => handled(notification.key) >= 2);
    expect(await mailWith('employee E4999')).toHaveLength(1);
    expect(cardsWith('delivered twice on purpose')).toHaveLength(1);
  });

  it('a pool running low is told to its desk', async () => {
    const key = `low_stock:GVA:${new Date().toISOString().slice(0, 10)}`;
    await reconcile(app, 'report');
    await eventually('the low-stock mail', async () => (await mailWith('running low in pool GVA')).length === 1);
    expect((await mailWith('running low in pool GVA'))[0]!.to).toEqual(['it-gva@contoso.com']);
    // Run again the same day: the same event, so nothing more is sent.
    await reconcile(app, 'report');
    await eventually('the second run\'s notification to be handled', async () => handled(key) >= 2);
    expect(app.logs.filter((line) => line.includes(`notification ${key}: already_sent`))).toHaveLength(1);
    expect(await mailWith('running low in pool GVA')).toHaveLength(1);
  });

  it('no mail or card carries a seed', async () => {
    expect(seedsIn(JSON.stringify(await app.graph.mail()), seeds)).toEqual([]);
    expect(seedsIn(JSON.stringify(teams.cards), seeds)).toEqual([]);
    expect(seedsIn(app.logs.join('\n'), seeds)).toEqual([]);
  });
});

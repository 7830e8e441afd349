import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { TableClient } from '@azure/data-tables';
import { totpCode } from '../../../shared/domain/seed';
import { signWebhook } from '../../../shared/domain/webhookSignature';
import { TABLES } from '../../../shared/app/storageNames';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import {
  allTokens,
  eventually,
  hrQueue,
  importTokens,
  JOINER_HOST_JSON,
  joinerReaches,
  postSigned,
  provisioningOf,
  seedsIn,
  sendEvent,
  sendHire,
} from '../../support/hr';

/** Two secrets as during a key rotation: the HR system may sign with either. */
const OLD_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const NEW_SECRET = `whsec_${randomBytes(32).toString('base64')}`;

describe('HR webhook and the joiner path, through HTTP and the queue', () => {
  let app: TestApp;
  const seeds: string[] = [];

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON, settings: { HR_WEBHOOK_SECRETS: `${OLD_SECRET} ${NEW_SECRET}` } });
    // The stack's own secret is replaced by the rotation pair; sign with the new one by default.
    app.stack.hrWebhookSecret = NEW_SECRET;
    await app.graph.seedUsers([
      { displayName: 'Ada Lovelace', userPrincipalName: 'ada@contoso.com', employeeId: 'E1001' },
      { displayName: 'Grace Hopper', userPrincipalName: 'grace@contoso.com', employeeId: 'E1002' },
      { displayName: 'Alan Turing', userPrincipalName: 'alan@contoso.com', employeeId: 'E1003' },
      { displayName: 'Edsger Dijkstra', userPrincipalName: 'edsger@contoso.com', employeeId: 'E1005' },
      { displayName: 'Barbara Liskov', userPrincipalName: 'barbara@contoso.com', employeeId: 'E1007' },
    ]);
    seeds.push(...(await importTokens(app, Array.from({ length: 10 }, (_, i) => ({ serial: `WH-${String(i + 1).padStart(3, '0')}`, pool: i < 2 ? 'GVA' : '' })))));
  });
  afterAll(async () => {
    await app?.close();
  });

  const hireBody = (data: Record<string, unknown>) => JSON.stringify({ type: 'employee.hired', data });

  describe('answers every bad input as DESIGN section 6 lists, as problem+json', () => {
    const expectProblem = async (response: Response, status: number) => {
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      const body = await jsonOf(response);
      expect(body).toMatchObject({ type: 'about:blank', status });
      return body as { detail: string; errors?: { path: string; message: string }[] };
    };

    it('413 when content-length says more than 64 KB', async () => {
      const body = hireBody({ employeeId: 'E1001', displayName: 'x'.repeat(70 * 1024) });
      await expectProblem(await postSigned(app, body), 413);
    });

    it('413 when a body sent without content-length turns out larger than 64 KB', async () => {
      const body = hireBody({ employeeId: 'E1001', displayName: 'x'.repeat(70 * 1024) });
      const timestamp = Math.floor(Date.now() / 1000);
      const response = await fetch(`${app.api}/hr/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': 'msg_big', 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(NEW_SECRET, 'msg_big', timestamp, body) },
        body: Readable.toWeb(Readable.from([Buffer.from(body)])) as ReadableStream,
        duplex: 'half',
      });
      await expectProblem(response, 413);
    });

    it('415 when the body is not JSON', async () => {
      await expectProblem(await postSigned(app, hireBody({ employeeId: 'E1001' }), { headers: { 'content-type': 'text/plain' } }), 415);
    });

    it('401 without the signature headers', async () => {
      const response = await fetch(`${app.api}/hr/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: hireBody({ employeeId: 'E1001' }) });
      const problem = await expectProblem(response, 401);
      expect(problem.detail).toContain('webhook-id, webhook-timestamp and webhook-signature headers are required');
    });

    it('401 for a signature made with another secret, never echoing a secret', async () => {
      const stranger = `whsec_${randomBytes(32).toString('base64')}`;
      const problem = await expectProblem(await postSigned(app, hireBody({ employeeId: 'E1001' }), { secret: stranger }), 401);
      expect(problem.detail).toBe('no webhook-signature matches a configured secret');
      const text = JSON.stringify(problem);
      for (const secret of [OLD_SECRET, NEW_SECRET, stranger]) expect(text).not.toContain(secret.slice(6));
    });

    it('401 for a body changed after signing', async () => {
      const timestamp = Math.floor(Date.now() / 1000);
      const signed = hireBody({ employeeId: 'E1001' });
      const response = await fetch(`${app.api}/hr/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': 'msg_tampered', 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(NEW_SECRET, 'msg_tampered', timestamp, signed) },
        body: hireBody({ employeeId: 'E9999' }),
      });
      await expectProblem(response, 401);
    });

    it('401 for a timestamp more than 5 minutes old', async () => {
      const problem = await expectProblem(await postSigned(app, hireBody({ employeeId: 'E1001' }), { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 }), 401);
      expect(problem.detail).toContain('more than 5 minutes');
    });

    it('accepts the old secret during a rotation, and a header carrying several signatures', async () => {
      const old = await postSigned(app, hireBody({ employeeId: 'E7001' }), { secret: OLD_SECRET, eventId: 'msg_rotation_old' });
      expect(old.status).toBe(202);
      const timestamp = Math.floor(Date.now() / 1000);
      const body = hireBody({ employeeId: 'E7002' });
      const stranger = `whsec_${randomBytes(32).toString('base64')}`;
      const several = `${signWebhook(stranger, 'msg_rotation_both', timestamp, body)} ${signWebhook(NEW_SECRET, 'msg_rotation_both', timestamp, body)}`;
      const response = await postSigned(app, body, { eventId: 'msg_rotation_both', timestamp, headers: { 'webhook-signature': several } });
      expect(response.status).toBe(202);
    });

    it('400 for a body that is not JSON at all', async () => {
      await expectProblem(await postSigned(app, '{"type": "employee.hired", '), 400);
    });

    it.each([
      ['no employeeId', { type: 'employee.hired', data: {} }, 'data.employeeId'],
      ['an employeeId with a slash', { type: 'employee.hired', data: { employeeId: 'E1/../x' } }, 'data.employeeId'],
      ['an employeeId of 65 characters', { type: 'employee.hired', data: { employeeId: 'E'.repeat(65) } }, 'data.employeeId'],
      ['an unknown type', { type: 'employee.promoted', data: { employeeId: 'E1001' } }, 'type'],
      ['no data', { type: 'employee.hired' }, 'data'],
      ['a hire date that does not exist', { type: 'employee.hired', data: { employeeId: 'E1001', hireDate: '2026-02-30' } }, 'data.hireDate'],
      ['a hire date in another format', { type: 'employee.hired', data: { employeeId: 'E1001', hireDate: '01/12/2026' } }, 'data.hireDate'],
      ['a UPN that is not an address', { type: 'employee.hired', data: { employeeId: 'E1001', userPrincipalName: 'ada' } }, 'data.userPrincipalName'],
      ['a location that is not a short code', { type: 'employee.hired', data: { employeeId: 'E1001', location: 'Geneva, Switzerland' } }, 'data.location'],
      ['a termination without its date', { type: 'employee.terminated', data: { employeeId: 'E1001' } }, 'data.terminationDate'],
    ])('400 naming the field for %s', async (_case, event, path) => {
      const problem = await expectProblem(await postSigned(app, JSON.stringify(event)), 400);
      expect(problem.errors?.map((e) => e.path)).toContain(path);
      expect(problem.errors?.every((e) => typeof e.message === 'string' && e.message.length > 0)).toBe(true);
    });

    it('400 for a signed webhook-id that cannot be a key', async () => {
      const problem = await expectProblem(await postSigned(app, hireBody({ employeeId: 'E1001' }), { eventId: 'msg/with/slashes' }), 400);
      expect(problem.errors?.[0]?.path).toBe('webhook-id');
    });
  });

  it('provisions a hire end to end: one active token, activated in Entra, usable to sign in', async () => {
    const response = await sendHire(app, { employeeId: 'E1001', userPrincipalName: 'ada@contoso.com', displayName: 'Ada Lovelace', hireDate: new Date().toISOString().slice(0, 10), location: 'GVA' }, 'msg_ada_1');
    expect(response.status).toBe(202);
    expect(await jsonOf(response)).toEqual({ eventId: 'msg_ada_1', status: 'queued' });

    const joiner = await joinerReaches(app, 'E1001', ['completed', 'failed']);
    expect(joiner).toMatchObject({ status: 'completed', step: 'completed', reason: null, eventIds: ['msg_ada_1'] });
    const serial = joiner.serialNumber!;
    // The GVA pool holds WH-001 and WH-002.
    expect(['WH-001', 'WH-002']).toContain(serial);

    const tokens = await jsonOf(await app.call('GET', 'tokens?user=E1001', { roles: ['Tokens.Read'] }));
    expect(tokens.tokens).toEqual([expect.objectContaining({ serialNumber: serial, status: 'active', employeeId: 'E1001', userPrincipalName: 'ada@contoso.com' })]);
    expect(tokens.provisioning).toMatchObject({ employeeId: 'E1001', status: 'completed', reason: null, serialNumber: serial });

    const state = await app.graph.state({ user: 'ada@contoso.com' });
    expect(state.matches?.devices).toEqual([expect.objectContaining({ serialNumber: serial, status: 'activated' })]);
    // The activation used the seed from Key Vault: the token's next code signs Ada in.
    const seed = seeds[Number(serial.slice(3)) - 1]!;
    const signIn = await app.graph.signIn({ userId: 'ada@contoso.com', code: totpCode(seed, 30, 'hmacsha1', new Date(Date.now() + 30_000)) });
    expect(signIn).toMatchObject({ ok: true });
  });

  it('answers the same delivery twice as 200 duplicate, and queues it once', async () => {
    const data = { employeeId: 'E1002', userPrincipalName: 'grace@contoso.com' };
    const first = await sendHire(app, data, 'msg_grace_1');
    const second = await sendHire(app, data, 'msg_grace_1');
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(await jsonOf(second)).toEqual({ eventId: 'msg_grace_1', status: 'duplicate' });

    const joiner = await joinerReaches(app, 'E1002', ['completed', 'failed']);
    expect(joiner).toMatchObject({ status: 'completed', eventIds: ['msg_grace_1'] });
    expect((await app.graph.state({ user: 'grace@contoso.com' })).matches?.devices).toHaveLength(1);
  });

  it('gives one token to the same hire sent under two webhook-ids', async () => {
    const data = { employeeId: 'E1003', userPrincipalName: 'alan@contoso.com' };
    const [first, second] = await Promise.all([sendHire(app, data, 'msg_alan_a'), sendHire(app, data, 'msg_alan_b')]);
    expect([first.status, second.status]).toEqual([202, 202]);
    await joinerReaches(app, 'E1003', ['completed', 'failed']);
    // Both messages are handled (the second finds the hire done); wait until the queue is drained.
    await eventuallyDrained(app);
    const record = await provisioningOf(app, 'E1003');
    expect(record?.joiner?.status).toBe('completed');
    const held = (await allTokens(app)).filter((t) => t.employeeId === 'E1003');
    expect(held).toEqual([expect.objectContaining({ status: 'active' })]);
    expect((await app.graph.state({ user: 'alan@contoso.com' })).matches?.devices).toHaveLength(1);
  });

  it('defers a hire whose date is beyond PROVISION_LEAD_DAYS, keeping its message for later', async () => {
    const hireDate = new Date(Date.now() + 30 * 24 * 3600_000).toISOString().slice(0, 10);
    expect((await sendHire(app, { employeeId: 'E1005', userPrincipalName: 'edsger@contoso.com', hireDate }, 'msg_edsger')).status).toBe(202);
    const joiner = await joinerReaches(app, 'E1005', ['deferred']);
    expect(joiner.reason).toContain(`hire date ${hireDate}`);
    expect(joiner.serialNumber).toBeNull();
    // Put back on the queue, invisible until it is due (or for the queue's 7-day maximum).
    expect((await hrQueue(app).getProperties()).approximateMessagesCount).toBeGreaterThanOrEqual(1);
    expect((await app.graph.state({ user: 'edsger@contoso.com' })).matches?.devices).toEqual([]);
  });

  it('waits for an Entra account created after the event, then completes', async () => {
    expect((await sendHire(app, { employeeId: 'E1006', userPrincipalName: 'katherine@contoso.com' }, 'msg_katherine')).status).toBe(202);
    const waiting = await joinerReaches(app, 'E1006', ['waiting_for_user']);
    expect(waiting.reason).toContain('no Entra account for katherine@contoso.com yet; checking again in 60 s');
    expect((await allTokens(app)).filter((t) => t.employeeId === 'E1006')).toEqual([]);

    await app.graph.seedUsers([{ displayName: 'Katherine Johnson', userPrincipalName: 'katherine@contoso.com', employeeId: 'E1006' }]);
    // The put-back message stays invisible for 60 s; deliver its twin now, as the queue would then.
    await app.host.runNow('hrEventsWorker', {
      eventId: 'msg_katherine',
      type: 'employee.hired',
      employeeId: 'E1006',
      userPrincipalName: 'katherine@contoso.com',
      attempt: 1,
      waitingSince: new Date().toISOString(),
      firstSeenAt: new Date().toISOString(),
    });
    expect((await provisioningOf(app, 'E1006'))?.joiner).toMatchObject({ status: 'completed', reason: null });
    expect((await app.graph.state({ user: 'katherine@contoso.com' })).matches?.devices).toEqual([expect.objectContaining({ status: 'activated' })]);
  });

  it('records a termination, and does not provision a hire that arrives after it', async () => {
    expect((await sendEvent(app, 'employee.terminated', { employeeId: 'E1007', terminationDate: '2026-01-31' }, 'msg_barbara_leaves')).status).toBe(202);
    await until(async () => (await provisioningOf(app, 'E1007'))?.leaver?.status === 'completed');
    expect((await sendHire(app, { employeeId: 'E1007', userPrincipalName: 'barbara@contoso.com', hireDate: '2025-09-01' }, 'msg_barbara_hired')).status).toBe(202);
    const joiner = await joinerReaches(app, 'E1007', ['cancelled', 'completed', 'failed']);
    expect(joiner).toMatchObject({ status: 'cancelled', reason: 'employee terminated on 2026-01-31; the hire is not provisioned' });
    expect((await app.graph.state({ user: 'barbara@contoso.com' })).matches?.devices).toEqual([]);
  });

  it('notes an employee.updated on the joiner record', async () => {
    await joinerReaches(app, 'E1001', ['completed']);
    expect((await sendEvent(app, 'employee.updated', { employeeId: 'E1001', location: 'ZRH' }, 'msg_ada_moves')).status).toBe(202);
    const note = await eventually('the update note on E1001', async () => (await provisioningOf(app, 'E1001'))?.joiner?.note ?? undefined);
    expect(note).toContain('(event msg_ada_moves): location ZRH');
    expect((await allTokens(app)).filter((t) => t.employeeId === 'E1001')).toHaveLength(1);
  });

  it('answers 404 for an employee nobody sent, 400 for a malformed id, 403 without a role', async () => {
    expect((await app.call('GET', 'provisioning/E4040', { roles: ['Tokens.Read'] })).status).toBe(404);
    expect((await app.call('GET', 'provisioning/E%2F1', { roles: ['Tokens.Read'] })).status).toBe(400);
    expect((await app.call('GET', 'provisioning/E1001', { roles: [] })).status).toBe(403);
  });

  it('never lets a seed into a log line, a table row or a response', async () => {
    await eventuallyDrained(app);
    const logs = app.logs.join('\n');
    expect(seedsIn(logs, seeds)).toEqual([]);
    const connection = app.stack.azurite.connectionString;
    for (const table of [TABLES.provisioning, TABLES.webhookEvents, TABLES.audit, TABLES.tokens]) {
      const rows: unknown[] = [];
      for await (const row of TableClient.fromConnectionString(connection, table, { allowInsecureConnection: true }).listEntities()) rows.push(row);
      expect(rows.length).toBeGreaterThan(0);
      expect(seedsIn(JSON.stringify(rows), seeds)).toEqual([]);
    }
    const answers = JSON.stringify([await provisioningOf(app, 'E1001'), await allTokens(app)]);
    expect(seedsIn(answers, seeds)).toEqual([]);
  });
});

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let tries = 0; tries < 600 && !(await check()); tries++) await new Promise((resolve) => setTimeout(resolve, 100));
}

/** No visible message is left on hr-events (deferred ones stay invisible and do not count). */
async function eventuallyDrained(app: TestApp): Promise<void> {
  const queue = hrQueue(app);
  await until(async () => (await queue.peekMessages({ numberOfMessages: 1 })).peekedMessageItems.length === 0);
}

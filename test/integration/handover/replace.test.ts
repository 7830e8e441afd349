import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { odata, TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { QUEUES, TABLES, poisonQueueOf } from '../../../shared/app/storageNames';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { eventually, importTokens, JOINER_HOST_JSON, joinerReaches, seedsIn, sendHire } from '../../support/hr';
import { tenantCall } from '../targets/helpers';

const run = promisify(execFile);
const TSX = path.resolve(__dirname, '../../../node_modules/tsx/dist/cli.mjs');
const OATHCTL = path.resolve(__dirname, '../../../cli/oathctl.ts');

describe('replacing a token in one call, with a Temporary Access Pass on request', () => {
  let app: TestApp;
  let seeds: string[] = [];
  const userIds = new Map<string, string>();
  const first = new Map<string, string>();

  const replace = (user: string, body: unknown, roles?: string[]) =>
    app.call('POST', `users/${encodeURIComponent(user)}/token/replace`, { body: JSON.stringify(body), contentType: 'application/json', ...(roles ? { roles } : {}) });
  const token = async (serial: string) => jsonOf(await app.call('GET', `tokens/${serial}`, { roles: ['Tokens.Read'] }));

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON, settings: { TAP_LIFETIME_MINUTES: '90' } });
    const users = await app.graph.seedUsers([
      { displayName: 'Ada Lovelace', userPrincipalName: 'ada@contoso.com', employeeId: 'E3001' },
      { displayName: 'Grace Hopper', userPrincipalName: 'grace@contoso.com', employeeId: 'E3002' },
      { displayName: 'Bob Nobody', userPrincipalName: 'bob@contoso.com', employeeId: 'E3003' },
      { displayName: 'Cleo Twice', userPrincipalName: 'cleo@contoso.com', employeeId: 'E3004' },
      { displayName: 'Dan Doubleclick', userPrincipalName: 'dan@contoso.com', employeeId: 'E3005' },
    ]);
    for (const user of users) userIds.set(user.userPrincipalName, user.id);
    seeds = await importTokens(app, ['RP-GVA-1', 'RP-GVA-2', 'RP-GVA-3', 'RP-GVA-4', 'RP-GVA-5', 'RP-GVA-6', 'RP-GVA-7', 'RP-GVA-8'].map((serial) => ({ serial, pool: 'GVA' })));
    for (const [employeeId, upn] of [['E3001', 'ada@contoso.com'], ['E3002', 'grace@contoso.com'], ['E3004', 'cleo@contoso.com'], ['E3005', 'dan@contoso.com']] as const) {
      await sendHire(app, { employeeId, userPrincipalName: upn, location: 'GVA' });
      const joiner = await joinerReaches(app, employeeId, ['completed', 'failed']);
      expect(joiner.status).toBe('completed');
      first.set(upn, joiner.serialNumber!);
    }
  });
  afterAll(async () => {
    await app?.close();
  });

  let pass = '';

  it('after a loss: revokes the old token, provisions a new one through the saga and issues exactly one pass, answered once and not cached', async () => {
    const old = first.get('ada@contoso.com')!;
    const response = await replace('ada@contoso.com', { reason: 'lost', note: 'left on the train', temporaryAccessPass: true });
    expect(response.status).toBe(202);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await jsonOf(response);
    expect(body).toMatchObject({
      revoked: { serialNumber: old, status: 'lost', changed: true },
      replacement: { status: 'queued', eventId: `replace-${old}`, employeeId: 'E3001' },
      temporaryAccessPass: { lifetimeInMinutes: 90, isUsableOnce: true, startDateTime: expect.any(String) },
    });
    pass = body.temporaryAccessPass.temporaryAccessPass;
    expect(pass).toMatch(/^\S{8,}$/);

    expect(await token(old)).toMatchObject({ status: 'lost', revocationReason: 'lost', registeredInEntra: false });
    expect((await app.graph.state({ serial: old })).matches?.devices).toEqual([]);

    const joiner = await eventually('the replacement to be provisioned', async () => {
      const answer = await jsonOf(await app.call('GET', 'provisioning/E3001', { roles: ['Tokens.Read'] }));
      return answer.joiner?.status === 'completed' && answer.joiner.serialNumber !== old ? answer.joiner : undefined;
    });
    expect(joiner.eventIds).toContain(`replace-${old}`);
    expect(await token(joiner.serialNumber)).toMatchObject({ status: 'active', userPrincipalName: 'ada@contoso.com', pool: 'GVA' });
    expect((await app.graph.state({ user: 'ada@contoso.com' })).matches?.devices).toEqual([expect.objectContaining({ serialNumber: joiner.serialNumber, status: 'activated' })]);

    // The pass works once, and it is the only one ever issued to ada.
    expect(await app.graph.accessPassSignIn({ userId: userIds.get('ada@contoso.com')!, temporaryAccessPass: pass })).toEqual({ ok: true, issued: 1 });
    expect(await app.graph.accessPassSignIn({ userId: userIds.get('ada@contoso.com')!, temporaryAccessPass: pass })).toEqual({ ok: false, issued: 1 });
  });

  it('refuses what it cannot do, changing nothing', async () => {
    expect((await replace('bob@contoso.com', { reason: 'lost' })).status).toBe(404);
    expect((await replace('grace@contoso.com', { reason: 'returned' })).status).toBe(400);
    expect((await replace('grace@contoso.com', { reason: 'lost', temporaryAccessPass: 'yes' })).status).toBe(400);
    expect((await replace('grace@contoso.com', { reason: 'lost' }, ['Tokens.Read'])).status).toBe(403);
    expect(await token(first.get('grace@contoso.com')!)).toMatchObject({ status: 'active' });
  });

  it('oathctl replace without --tap: a new token and no pass', async () => {
    const env = { ...process.env, OATHCTL_URL: app.host.url, OATHCTL_TOKEN: await app.adminToken(['Tokens.Admin']) };
    const old = first.get('grace@contoso.com')!;
    const { stdout } = await run(process.execPath, [TSX, OATHCTL, 'replace', 'grace@contoso.com', '--reason', 'damaged'], { env });
    expect(stdout.trim()).toBe(`${old}: retired; a new token is queued (event replace-${old}).`);
    const joiner = await eventually('the replacement to be provisioned', async () => {
      const answer = await jsonOf(await app.call('GET', 'provisioning/E3002', { roles: ['Tokens.Read'] }));
      return answer.joiner?.status === 'completed' && answer.joiner.serialNumber !== old ? answer.joiner : undefined;
    });
    expect(await token(joiner.serialNumber)).toMatchObject({ status: 'active' });
    expect((await app.graph.accessPassSignIn({ userId: userIds.get('grace@contoso.com')!, temporaryAccessPass: pass })).issued).toBe(0);
  });

  it('no pass or seed in logs, queue messages or table rows', async () => {
    const secrets = [pass, ...seeds];
    expect(seedsIn(app.logs.join('\n'), secrets)).toEqual([]);
    for (const name of [QUEUES.hrEvents, poisonQueueOf(QUEUES.hrEvents)]) {
      const queue = new QueueClient(app.stack.azurite.connectionString, name);
      if (!(await queue.exists())) continue;
      const peeked = await queue.peekMessages({ numberOfMessages: 32 });
      expect(seedsIn(JSON.stringify(peeked.peekedMessageItems.map((m) => Buffer.from(m.messageText, 'base64').toString('utf8'))), secrets)).toEqual([]);
    }
    for (const table of Object.values(TABLES)) {
      const client = TableClient.fromConnectionString(app.stack.azurite.connectionString, table, { allowInsecureConnection: true });
      const rows = [];
      try {
        for await (const row of client.listEntities()) rows.push(row);
      } catch {
        continue;
      }
      expect(seedsIn(JSON.stringify(rows), secrets)).toEqual([]);
    }
    const audit = TableClient.fromConnectionString(app.stack.azurite.connectionString, TABLES.audit, { allowInsecureConnection: true });
    const entries = [];
    for await (const entry of audit.listEntities({ queryOptions: { filter: "action eq 'token.replaced'" } })) entries.push(entry);
    expect(entries).toHaveLength(2);
    expect(entries).toContainEqual(expect.objectContaining({ employeeId: 'E3001', detail: expect.stringContaining('Temporary Access Pass') }));
  });

  it('one live pass per person: a second replace while the pass is valid answers 409 with its expiry, and each issuance is audited by pass id only', async () => {
    const cleo = userIds.get('cleo@contoso.com')!;
    const old = first.get('cleo@contoso.com')!;
    const body = { reason: 'lost', temporaryAccessPass: true };
    const issued = await replace('cleo@contoso.com', body);
    expect(issued.status).toBe(202);
    const cleoPass = (await jsonOf(issued)).temporaryAccessPass;
    const listed = await tenantCall(app, 'GET', `/users/${cleo}/authentication/temporaryAccessPassMethods`, undefined, 'beta');
    const [method] = listed.body.value as { id: string; startDateTime: string; lifetimeInMinutes: number }[];
    expect(method).toMatchObject({ lifetimeInMinutes: 90 });

    // The answer to the first call was "lost": the admin asks again, and again.
    for (const repeat of [body, { reason: 'lost', temporaryAccessPass: true, note: 'asked again' }]) {
      const again = await replace('cleo@contoso.com', repeat);
      expect(again.status).toBe(409);
      expect(again.headers.get('cache-control')).toBe('no-store');
      const problem = await jsonOf(again);
      expect(problem).toMatchObject({ status: 409, temporaryAccessPassExpiresAt: new Date(Date.parse(method!.startDateTime) + 90 * 60_000).toISOString() });
      // The token the refusal names: the lost one, or the replacement once its hire has given it (the hire runs meanwhile).
      const held = (await jsonOf(await app.call('GET', 'tokens?user=cleo@contoso.com', { roles: ['Tokens.Read'] }))).tokens as { serialNumber: string }[];
      expect([old, ...held.map((t) => t.serialNumber)]).toContain(problem.serialNumber);
      expect(problem.detail).toContain(problem.temporaryAccessPassExpiresAt);
      expect(JSON.stringify(problem)).not.toContain(cleoPass.temporaryAccessPass);
    }
    // Still the one pass issued, and it still signs cleo in.
    expect(await app.graph.accessPassSignIn({ userId: cleo, temporaryAccessPass: cleoPass.temporaryAccessPass })).toEqual({ ok: true, issued: 1 });

    const audit = TableClient.fromConnectionString(app.stack.azurite.connectionString, TABLES.audit, { allowInsecureConnection: true });
    const entries: Record<string, unknown>[] = [];
    for await (const entry of audit.listEntities({ queryOptions: { filter: "action eq 'temporary_access_pass.issued'" } })) entries.push(entry);
    const cleos = entries.filter((e) => e.employeeId === 'E3004');
    expect(cleos).toHaveLength(1);
    expect(cleos[0]).toMatchObject({ serialNumber: old, outcome: 'succeeded', detail: expect.stringContaining(`pass ${method!.id} for account ${cleo}`) });
    // Ada's pass earlier was audited the same way; no entry holds a pass.
    expect(entries.filter((e) => e.employeeId === 'E3001')).toHaveLength(1);
    expect(seedsIn(JSON.stringify(entries), [pass, cleoPass.temporaryAccessPass])).toEqual([]);
    expect(seedsIn(app.logs.join('\n'), [cleoPass.temporaryAccessPass])).toEqual([]);
  });

  it('two replaces with a pass at the same moment: one mints it, the other answers 409 having changed nothing, and the claim lapses by itself', async () => {
    const dan = userIds.get('dan@contoso.com')!;
    const old = first.get('dan@contoso.com')!;
    const body = { reason: 'lost', temporaryAccessPass: true };
    // Each Graph request takes a while, so both calls look for a live pass before either issues one.
    await app.graph.setFaults({ latencyMs: 250 });
    let answers: Response[];
    try {
      answers = await Promise.all([replace('dan@contoso.com', body), replace('dan@contoso.com', body)]);
    } finally {
      await app.graph.clearFaults();
    }
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409]);
    const winner = await jsonOf(answers.find((a) => a.status === 202)!);
    const loser = answers.find((a) => a.status === 409)!;
    expect(loser.headers.get('content-type')).toBe('application/problem+json');
    expect(loser.headers.get('cache-control')).toBe('no-store');
    const problem = await jsonOf(loser);
    expect(problem).toMatchObject({ status: 409, title: 'Conflict', serialNumber: old, detail: expect.stringContaining('another replacement of dan@contoso.com') });
    expect(problem.detail).toContain('lapses 5 minutes after');

    // Asked again while the pass is unused, the live pass answers, as before.
    const again = await replace('dan@contoso.com', body);
    expect(again.status).toBe(409);
    expect(await jsonOf(again)).toMatchObject({ temporaryAccessPassExpiresAt: expect.any(String) });

    // One pass ever issued, and it is the winner's: it signs dan in (and is spent).
    const danPass = winner.temporaryAccessPass.temporaryAccessPass as string;
    expect(await app.graph.accessPassSignIn({ userId: dan, temporaryAccessPass: danPass })).toEqual({ ok: true, issued: 1 });
    // The loser left nothing: one replacement and one pass audited, the token revoked once.
    const audit = TableClient.fromConnectionString(app.stack.azurite.connectionString, TABLES.audit, { allowInsecureConnection: true });
    const actions: string[] = [];
    for await (const entry of audit.listEntities<{ action: string; employeeId?: string }>()) if (entry.employeeId === 'E3005') actions.push(entry.action);
    expect(actions.filter((a) => a === 'token.replaced' || a === 'temporary_access_pass.issued').sort()).toEqual(['temporary_access_pass.issued', 'token.replaced']);
    expect(await token(old)).toMatchObject({ status: 'lost', revocationReason: 'lost' });

    // The claim is one row that lapses 5 minutes after it was taken, and holds no pass.
    const claims = TableClient.fromConnectionString(app.stack.azurite.connectionString, TABLES.replaceClaims, { allowInsecureConnection: true });
    const rows: { until: string }[] = [];
    const partitionKey = Buffer.from(dan, 'utf8').toString('base64url');
    for await (const row of claims.listEntities<{ until: string }>({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey}` } })) rows.push(row);
    expect(rows).toHaveLength(1);
    expect(Date.parse(rows[0]!.until) - Date.now()).toBeGreaterThan(4 * 60_000);
    expect(Date.parse(rows[0]!.until) - Date.now()).toBeLessThanOrEqual(5 * 60_000);
    expect(seedsIn(JSON.stringify(rows), [danPass])).toEqual([]);
    expect(seedsIn(app.logs.join('\n'), [danPass])).toEqual([]);

    // The pass spent, the claim still answers until it lapses: no second pass within those minutes.
    const spent = await replace('dan@contoso.com', body);
    expect(spent.status).toBe(409);
    expect((await jsonOf(spent)).detail).toContain('another replacement of dan@contoso.com');
    expect((await app.graph.accessPassSignIn({ userId: dan, temporaryAccessPass: danPass })).issued).toBe(1);
  });
});

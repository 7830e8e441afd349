import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { startLocalHost, type LocalHost } from '../../../dev/host/server';
import { TABLES } from '../../../shared/app/storageNames';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { allTokens, eventually, importTokens, JOINER_HOST_JSON, provisioningOf, seedsIn, sendHire } from '../../support/hr';

const HIRES = 50;
const employee = (n: number) => `E${2000 + n}`;
const upn = (n: number) => `user${2000 + n}@contoso.com`;

describe('joiner under concurrency: many hires, several workers, limited stock', () => {
  let app: TestApp;
  const extraHosts: LocalHost[] = [];
  const handledBy = new Map<string, number>();
  const seeds: string[] = [];

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON });
    // Two more local hosts on the same stack: three queue listeners take hr-events messages at once,
    // as several Functions instances would.
    for (const name of ['second', 'third']) {
      extraHosts.push(
        await startLocalHost({
          port: 0,
          functionsDir: path.resolve(__dirname, '../../../functions'),
          hostJsonPath: JOINER_HOST_JSON,
          storageConnectionString: app.stack.azurite.connectionString,
          log: (line) => {
            app.logs.push(line);
            if (line.startsWith('[hrEventsWorker] Executed (Succeeded')) handledBy.set(name, (handledBy.get(name) ?? 0) + 1);
          },
        }),
      );
    }
    await app.graph.seedUsers(Array.from({ length: HIRES + 4 }, (_, i) => ({ displayName: `User ${i + 1}`, userPrincipalName: upn(i + 1), employeeId: employee(i + 1) })));
    seeds.push(...(await importTokens(app, Array.from({ length: HIRES }, (_, i) => ({ serial: `CC-${String(i + 1).padStart(3, '0')}` })))));
  });
  afterAll(async () => {
    for (const host of extraHosts) await host.close();
    await app?.close();
  });

  const settled = (employeeId: string) =>
    eventually(`${employeeId} to settle`, async () => {
      const joiner = (await provisioningOf(app, employeeId))?.joiner;
      return joiner && ['completed', 'failed', 'cancelled'].includes(joiner.status) ? joiner : undefined;
    });

  it(`gives ${HIRES} concurrent hires ${HIRES} distinct tokens: nobody with two, no token with two people`, async () => {
    const responses = await Promise.all(Array.from({ length: HIRES }, (_, i) => sendHire(app, { employeeId: employee(i + 1), userPrincipalName: upn(i + 1) })));
    expect(responses.map((r) => r.status)).toEqual(Array(HIRES).fill(202));

    const joiners = await Promise.all(Array.from({ length: HIRES }, (_, i) => settled(employee(i + 1))));
    expect(joiners.map((j) => j.status)).toEqual(Array(HIRES).fill('completed'));
    expect(new Set(joiners.map((j) => j.serialNumber)).size).toBe(HIRES);

    const tokens = await allTokens(app);
    expect(tokens.filter((t) => t.status === 'active')).toHaveLength(HIRES);
    const holders = new Map(tokens.map((t) => [t.serialNumber, t.employeeId]));
    for (const [i, joiner] of joiners.entries()) expect(holders.get(joiner.serialNumber!)).toBe(employee(i + 1));

    // Entra agrees: every user has exactly one device, every device is activated for one user.
    const state = await app.graph.state();
    expect(state.devicesByStatus).toMatchObject({ activated: HIRES, assigned: 0, available: 0, failedActivation: 0 });
    for (let i = 1; i <= HIRES; i += 7) {
      const devices = (await app.graph.state({ user: upn(i) })).matches?.devices ?? [];
      expect(devices.map((d) => d.serialNumber)).toEqual([joiners[i - 1]?.serialNumber]);
    }
    // The work was shared: the extra hosts handled hires too, not only the first.
    expect([...handledBy.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('fails clearly when stock runs out, leaving no half state', async () => {
    await importTokens(app, [{ serial: 'CC-901' }, { serial: 'CC-902' }]);
    const late = [HIRES + 1, HIRES + 2, HIRES + 3, HIRES + 4];
    await Promise.all(late.map((n) => sendHire(app, { employeeId: employee(n), userPrincipalName: upn(n), location: 'GVA' })));
    const joiners = await Promise.all(late.map((n) => settled(employee(n))));

    const completed = joiners.filter((j) => j.status === 'completed');
    const failed = joiners.filter((j) => j.status === 'failed');
    expect(completed).toHaveLength(2);
    expect(failed).toHaveLength(2);
    for (const joiner of failed) {
      expect(joiner.reason).toBe('no token in stock (pool GVA, nor in any other pool)');
      expect(joiner.serialNumber).toBeNull();
    }

    const tokens = await allTokens(app);
    expect(tokens.filter((t) => t.status !== 'active')).toEqual([]);
    for (const n of late) {
      const held = tokens.filter((t) => t.employeeId === employee(n));
      const devices = (await app.graph.state({ user: upn(n) })).matches?.devices ?? [];
      const joiner = joiners[late.indexOf(n)];
      expect(held).toHaveLength(joiner?.status === 'completed' ? 1 : 0);
      expect(devices).toHaveLength(joiner?.status === 'completed' ? 1 : 0);
    }

    // An admin sees the failure in the inventory listing, the log and the audit trail.
    for (const n of late) {
      const listing = await jsonOf(await app.call('GET', `tokens?user=${employee(n)}`, { roles: ['Tokens.Read'] }));
      const joiner = joiners[late.indexOf(n)];
      expect(listing.provisioning).toMatchObject({ employeeId: employee(n), status: joiner?.status });
      if (joiner?.status === 'failed') {
        expect(listing.provisioning.reason).toBe('no token in stock (pool GVA, nor in any other pool)');
        expect(app.logs).toContainEqual(`[hrEventsWorker] WARN ProvisioningFailed employeeId=${employee(n)} reason=no token in stock (pool GVA, nor in any other pool)`);
      }
    }
    const audit: { action: string; outcome: string; employeeId?: string; detail?: string }[] = [];
    for await (const row of TableClient.fromConnectionString(app.stack.azurite.connectionString, TABLES.audit, { allowInsecureConnection: true }).listEntities<{ action: string; outcome: string; employeeId?: string; detail?: string }>()) {
      audit.push(row);
    }
    expect(audit.filter((a) => a.action === 'token.provisioned' && a.outcome === 'failed').map((a) => a.detail)).toEqual([
      'no token in stock (pool GVA, nor in any other pool)',
      'no token in stock (pool GVA, nor in any other pool)',
    ]);
    expect(audit.filter((a) => a.action === 'token.provisioned' && a.outcome === 'succeeded')).toHaveLength(HIRES + 2);
  });

  it('keeps seeds out of every log line', () => {
    expect(app.logs.some((line) => line.startsWith('[hrEventsWorker]'))).toBe(true);
    expect(seedsIn(app.logs.join('\n'), seeds)).toEqual([]);
  });
});

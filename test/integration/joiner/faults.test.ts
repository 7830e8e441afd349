import { startTestApp, type TestApp } from '../../support/app';
import { allTokens, hrPoisonQueue, importTokens, JOINER_HOST_JSON, joinerReaches, provisioningOf, seedsIn, sendHire } from '../../support/hr';

const employee = (n: number) => `E${4000 + n}`;
const upn = (n: number) => `user${4000 + n}@contoso.com`;

describe('joiner under Graph and Key Vault failures', () => {
  let app: TestApp;
  const seeds: string[] = [];

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON });
    await app.graph.seedUsers(Array.from({ length: 30 }, (_, i) => ({ displayName: `User ${i + 1}`, userPrincipalName: upn(i + 1), employeeId: employee(i + 1) })));
    seeds.push(...(await importTokens(app, Array.from({ length: 30 }, (_, i) => ({ serial: `FL-${String(i + 1).padStart(3, '0')}` })))));
  });
  afterAll(async () => {
    await app?.graph.clearFaults();
    await app?.close();
  });

  /** Every hire in `numbers` is active with exactly one token, and Entra shows exactly that device. */
  const expectAllActive = async (numbers: number[]) => {
    const joiners = await Promise.all(numbers.map((n) => joinerReaches(app, employee(n), ['completed', 'failed'])));
    expect(joiners.map((j) => j.status)).toEqual(numbers.map(() => 'completed'));
    const tokens = await allTokens(app);
    for (const [index, n] of numbers.entries()) {
      expect(tokens.filter((t) => t.employeeId === employee(n)).map((t) => [t.serialNumber, t.status])).toEqual([[joiners[index]?.serialNumber, 'active']]);
      const devices = (await app.graph.state({ user: upn(n) })).matches?.devices ?? [];
      expect(devices.map((d) => [d.serialNumber, d.status])).toEqual([[joiners[index]?.serialNumber, 'activated']]);
    }
  };

  it('ends every hire active while Graph answers 429 (with Retry-After) and 500 at random', async () => {
    const before = await app.graph.stats();
    await app.graph.setFaults({ failRate: { status: 429, probability: 0.3, retryAfterSeconds: 1 }, failNext: { status: 500, count: 3 } });
    const hires = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    await Promise.all(hires.map((n) => sendHire(app, { employeeId: employee(n), userPrincipalName: upn(n) })));
    await expectAllActive(hires);
    await app.graph.clearFaults();

    const after = await app.graph.stats();
    expect((after.injected['500'] ?? 0) - (before.injected['500'] ?? 0)).toBe(3);
    expect((after.injected['429'] ?? 0) - (before.injected['429'] ?? 0)).toBeGreaterThan(0);
  });

  it('ends every hire active while Graph answers 503 at random', async () => {
    const before = await app.graph.stats();
    await app.graph.setFaults({ failRate: { status: 503, probability: 0.4, retryAfterSeconds: 0 } });
    const hires = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
    await Promise.all(hires.map((n) => sendHire(app, { employeeId: employee(n), userPrincipalName: upn(n) })));
    await expectAllActive(hires);
    await app.graph.clearFaults();
    expect(((await app.graph.stats()).injected['503'] ?? 0) - (before.injected['503'] ?? 0)).toBeGreaterThan(0);
  });

  it('fails a hire visibly after the last retry, with its reserved token back in stock and the message in the poison queue', async () => {
    const stockBefore = (await allTokens(app)).filter((t) => t.status === 'in_stock').length;
    // Key Vault refuses every seed read: the token is reserved, activation cannot happen, and retries do not help.
    await app.keyVault.setFaults({ failNext: { status: 403, count: 1000 } });
    try {
      expect((await sendHire(app, { employeeId: employee(21), userPrincipalName: upn(21) }, 'msg_doomed')).status).toBe(202);
      const joiner = await joinerReaches(app, employee(21), ['failed', 'completed']);
      expect(joiner.status).toBe('failed');
      expect(joiner.reason).toMatch(/^gave up after 5 tries; the last failed with \w+ \(status 403\)/);
      expect(joiner.serialNumber).toBeNull();
    } finally {
      await app.keyVault.setFaults({ failNext: null });
    }

    const poisoned = await waitForPoison();
    expect(JSON.parse(Buffer.from(poisoned, 'base64').toString('utf8'))).toMatchObject({ eventId: 'msg_doomed', employeeId: employee(21) });
    expect(seedsIn(poisoned + Buffer.from(poisoned, 'base64').toString('utf8'), seeds)).toEqual([]);

    const tokens = await allTokens(app);
    expect(tokens.filter((t) => t.employeeId === employee(21))).toEqual([]);
    expect(tokens.filter((t) => t.status === 'in_stock')).toHaveLength(stockBefore);
    expect(tokens.filter((t) => t.status === 'reserved')).toEqual([]);
    expect((await app.graph.state({ user: upn(21) })).matches?.devices).toEqual([]);
    expect(app.logs.some((line) => line.startsWith(`[hrEventsWorker] WARN ProvisioningFailed employeeId=${employee(21)} reason=gave up after 5 tries`))).toBe(true);
    expect((await provisioningOf(app, employee(21)))?.joiner?.attempts).toBe(4);
  });

  it('keeps seeds out of the logs, even with failures logged', () => {
    expect(app.logs.some((line) => line.includes('Executed (Failed'))).toBe(true);
    expect(seedsIn(app.logs.join('\n'), seeds)).toEqual([]);
  });

  async function waitForPoison(): Promise<string> {
    const poison = hrPoisonQueue(app);
    for (let tries = 0; tries < 300; tries++) {
      const [message] = (await poison.peekMessages()).peekedMessageItems;
      if (message) return message.messageText;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('gave up waiting for a poison message');
  }
});

import { TableClient } from '@azure/data-tables';
import { Secret } from 'otpauth';
import type { ThrottleModel } from '../../../dev/graph/throttle';
import { mapWithLimit } from '../../../shared/workflows/concurrency';
import { TABLES } from '../../../shared/app/storageNames';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { JOINER_HOST_JSON } from '../../support/hr';

/**
 * The product under each throttle model of the Graph emulator (docs/graph-throttling.md): an import
 * naming users (each checked, assigned and activated) while another client of the same app keeps its
 * write quota (3,000 per 150 s) spent: it empties it, then goes on writing faster than the quota refills.
 * Under `identity` the app's hardware OATH writes meet 429s and are paced through them; under
 * `oathGlobalOnly` they do not count against that quota; under `singleBucket` only the bucket set
 * through the faults API throttles. Every row ends active, whatever the model.
 */

const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';
const USERS = 8;

describe('an import naming users under each throttle model', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON, settings: { GRAPH_REQUESTS_PER_SECOND: '200' } });
  }, 180_000);
  afterAll(async () => {
    await app?.close();
  });

  /**
   * Another client of the app (same appid and tenant as the app's own token) writes until Graph refuses;
   * once started, it goes on writing twice every 50 ms (above the quota's refill rate) until stopped. Nothing of it
   * is in flight before the start or after the stop, so the emulator's counts and its own agree.
   */
  const spendWriteQuota = async (): Promise<{ refused: () => number; start: () => void; stop: () => Promise<void> }> => {
    const token = await app.stack.identity.mintToken({ audience: 'https://graph.microsoft.com', appId: app.stack.appSettings.AZURE_CLIENT_ID ?? '', roles: ['User.ReadWrite.All'] });
    let refused = 0;
    let sent = 0;
    const write = async (): Promise<void> => {
      const response = await fetch(`${app.stack.graph.url}/beta/users/nobody-${sent++}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ displayName: 'x' }),
      });
      await response.arrayBuffer();
      if (response.status === 429) refused++;
    };
    while (refused === 0 && sent < 4000) await mapWithLimit(Array.from({ length: 100 }, (_, i) => i), 25, write);
    let stopped = false;
    let steady: Promise<void> = Promise.resolve();
    return {
      refused: () => refused,
      start: () => {
        const loop = async (): Promise<void> => {
          while (!stopped) {
            await write();
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        };
        steady = Promise.all([loop(), loop()]).then(() => undefined);
      },
      stop: async () => {
        stopped = true;
        await steady;
      },
    };
  };

  const importRows = async (prefix: string): Promise<{ imported: number; unchanged: number; errors: unknown[] }> => {
    const people = Array.from({ length: USERS }, (_, i) => ({ displayName: `${prefix} ${i}`, userPrincipalName: `${prefix.toLowerCase()}${i}@contoso.com`, employeeId: `${prefix}${1000 + i}` }));
    await app.graph.seedUsers(people);
    const rows = people.map((p, i) => `${p.userPrincipalName},${prefix}-${String(i).padStart(3, '0')},${new Secret({ size: 20 }).base32},30,Token2,C202`);
    const file = `${HEADER}\n${rows.join('\n')}\n`;
    for (let send = 0; send < 10; send++) {
      const response = await app.call('POST', 'tokens/import', { body: file, contentType: 'text/csv' });
      if (response.status === 200) return jsonOf(response);
      expect(response.status).toBe(503);
      await new Promise((resolve) => setTimeout(resolve, Number(response.headers.get('retry-after') ?? '1') * 1000));
    }
    throw new Error('the import did not finish in 10 sends');
  };

  const CASES: [ThrottleModel, string][] = [
    ['identity', 'TMI'],
    ['oathGlobalOnly', 'TMO'],
    ['singleBucket', 'TMS'],
  ];

  /** Each model starts from a fresh app budget: the shared row remembers the rate an earlier model taught it. */
  const forgetBudget = async () => {
    const budget = TableClient.fromConnectionString(app.stack.azurite.connectionString, TABLES.graphBudget, { allowInsecureConnection: true });
    try {
      for await (const row of budget.listEntities()) await budget.deleteEntity(row.partitionKey ?? '', row.rowKey ?? '');
    } catch (error) {
      // The table appears with the app's first Graph request.
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
  };

  it.each(CASES)('%s: every row ends active, paced through the limits that model applies', async (model, prefix) => {
    await app.graph.reset();
    await forgetBudget();
    await app.graph.setVariants({ throttle: model, tenantSize: 'large' });
    let spender: Awaited<ReturnType<typeof spendWriteQuota>> | undefined;
    if (model === 'singleBucket') {
      await app.graph.setFaults({ throttle: { requests: 5, windowMs: 1000 } });
    } else {
      spender = await spendWriteQuota();
      expect(spender.refused()).toBeGreaterThan(0);
    }
    const spenderBefore = spender?.refused() ?? 0;
    const before = await app.graph.stats();
    spender?.start();
    const summary = await importRows(prefix);
    await spender?.stop();
    const after = await app.graph.stats();
    await app.graph.clearFaults();

    expect(summary.errors).toEqual([]);
    expect(summary.imported + summary.unchanged).toBe(USERS);
    for (let i = 0; i < USERS; i++) {
      const devices = (await app.graph.state({ serial: `${prefix}-${String(i).padStart(3, '0')}` })).matches?.devices ?? [];
      expect(devices.map((device) => device.status)).toEqual(['activated']);
    }
    // The app's own 429s: all of them since the other client emptied the quota, less the other client's.
    const throttledDuringImport = after.throttled - before.throttled - ((spender?.refused() ?? 0) - spenderBefore);
    if (model === 'oathGlobalOnly') expect(throttledDuringImport).toBe(0);
    else expect(throttledDuringImport).toBeGreaterThan(0);
  }, 300_000);
});

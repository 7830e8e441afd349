import { Secret } from 'otpauth';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { JOINER_HOST_JSON } from '../../support/hr';
import { ageTokenRows, reconcile } from '../reconcile/helpers';

const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';

type Listed = { serialNumber: string; status: string; registeredInEntra: boolean };

/**
 * Graph throttled harder than the app's own budget: the import must finish (slower), or answer 503
 * with Retry-After and resume when the same file is sent again; never a 500, and never a row in stock
 * without its device in Entra.
 */
describe('token import under a tight Graph throttle', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON, settings: { GRAPH_REQUESTS_PER_SECOND: '20' } });
  }, 180_000);
  afterAll(async () => {
    await app?.close();
  });

  const listed = async (prefix: string): Promise<Listed[]> =>
    ((await jsonOf(await app.call('GET', 'tokens?pageSize=1000', { roles: ['Tokens.Read'] }))).tokens as Listed[]).filter((t) => t.serialNumber.startsWith(prefix));
  const devicesOf = async (serial: string) => (await app.graph.state({ serial })).matches?.devices ?? [];

  it('a 503 leaves the rows that did not reach Entra importing, never in stock; the same file again lands them all', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `,GTB-${String(i).padStart(3, '0')},${new Secret({ size: 20 }).base32},30,Token2,C202`);
    const file = `${HEADER}\n${rows.join('\n')}\n`;
    // The bulk create meets 429s beyond the Graph client's retries; the tenant's listing still answers.
    await app.graph.setFaults({ failNext: { status: 429, count: 100, retryAfterSeconds: 1, route: 'PATCH devices.delta' } });
    const failed = await app.call('POST', 'tokens/import', { body: file, contentType: 'text/csv' });
    expect(failed.status).toBe(503);
    expect(Number(failed.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await app.graph.stats()).injected['429']).toBeGreaterThanOrEqual(4);

    const left = await listed('GTB-');
    expect(left).toHaveLength(30);
    expect(left.filter((t) => t.status === 'in_stock')).toEqual([]);
    expect(left.every((t) => t.status === 'importing' && !t.registeredInEntra)).toBe(true);
    expect(await listed('GTB-')).toEqual((await jsonOf(await app.call('GET', 'tokens?pageSize=1000&status=importing', { roles: ['Tokens.Read'] }))).tokens.filter((t: Listed) => t.serialNumber.startsWith('GTB-')));
    expect((await jsonOf(await app.call('GET', 'tokens?pageSize=1000&status=in_stock', { roles: ['Tokens.Read'] }))).tokens.filter((t: Listed) => t.serialNumber.startsWith('GTB-'))).toEqual([]);
    expect(await devicesOf('GTB-000')).toEqual([]);

    // Left for long, they are reported for an admin to send the file again; even mode all never makes them stock.
    await app.graph.clearFaults();
    await ageTokenRows(app);
    const report = await reconcile(app, 'all');
    expect(report.drift.import_incomplete).toBe(30);
    expect(report.items.filter((i) => i.kind === 'import_incomplete').map((i) => [i.repair, i.detail.includes('send the same file again')])).toEqual(Array.from({ length: 30 }, () => ['none', true]));
    expect((await listed('GTB-')).every((t) => t.status === 'importing')).toBe(true);

    const again = await app.call('POST', 'tokens/import', { body: file, contentType: 'text/csv' });
    expect(again.status).toBe(200);
    expect(await jsonOf(again)).toEqual({ imported: 30, unchanged: 0, errors: [] });
    const landed = await listed('GTB-');
    expect(landed.map((t) => [t.status, t.registeredInEntra])).toEqual(Array.from({ length: 30 }, () => ['in_stock', true]));
    for (const token of landed) expect(await devicesOf(token.serialNumber)).toHaveLength(1);
  }, 120_000);

  it('lands every row registered in Entra, answering 200 or 503 with Retry-After, never 500', async () => {
    const people = Array.from({ length: 20 }, (_, i) => ({ displayName: `Throttled ${i}`, userPrincipalName: `gth${i}@contoso.com`, employeeId: `GTH${1000 + i}` }));
    await app.graph.seedUsers(people);
    await app.graph.setFaults({ throttle: { requests: 5, windowMs: 1000 } });
    const before = await app.graph.stats();
    const rows = people.map((p, i) => `${p.userPrincipalName},GTH-${String(i).padStart(3, '0')},${new Secret({ size: 20 }).base32},30,Token2,C202`);
    const file = `${HEADER}\n${rows.join('\n')}\n`;
    const statuses: number[] = [];
    let summary: { imported: number; unchanged: number; errors: unknown[] } | undefined;
    for (let send = 0; send < 10 && !summary; send++) {
      const response = await app.call('POST', 'tokens/import', { body: file, contentType: 'text/csv' });
      statuses.push(response.status);
      if (response.status === 200) {
        summary = (await jsonOf(response)) as typeof summary;
      } else {
        expect(response.status).toBe(503);
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
    }
    expect(statuses).not.toContain(500);
    expect(summary?.errors).toEqual([]);
    expect((summary?.imported ?? 0) + (summary?.unchanged ?? 0)).toBe(people.length);
    const after = await app.graph.stats();
    expect(after.throttled).toBeGreaterThan(before.throttled);

    await app.graph.clearFaults();
    const tokens = await listed('GTH-');
    expect(tokens.map((t) => [t.status, t.registeredInEntra])).toEqual(people.map(() => ['active', true]));
    expect((await listed('GTH-')).filter((t) => t.status === 'importing')).toEqual([]);
    for (const token of tokens.slice(0, 5)) expect(await devicesOf(token.serialNumber)).toHaveLength(1);
  }, 600_000);
});

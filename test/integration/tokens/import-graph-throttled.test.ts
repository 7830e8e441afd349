import { Secret } from 'otpauth';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';

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
    app = await startTestApp({ settings: { GRAPH_REQUESTS_PER_SECOND: '20' } });
  }, 180_000);
  afterAll(async () => {
    await app?.close();
  });

  const listed = async (prefix: string): Promise<Listed[]> =>
    ((await jsonOf(await app.call('GET', 'tokens?pageSize=1000', { roles: ['Tokens.Read'] }))).tokens as Listed[]).filter((t) => t.serialNumber.startsWith(prefix));
  const devicesOf = async (serial: string) => (await app.graph.state({ serial })).matches?.devices ?? [];

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

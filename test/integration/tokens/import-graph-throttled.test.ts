import { Secret } from 'otpauth';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';

const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';
const ROWS = 60;

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

  it('lands every row registered in Entra, answering 200 or 503 with Retry-After, never 500', async () => {
    await app.graph.setFaults({ throttle: { requests: 5, windowMs: 1000 } });
    const rows = Array.from({ length: ROWS }, (_, i) => `,GTH-${String(i).padStart(3, '0')},${new Secret({ size: 20 }).base32},30,Token2,C202`);
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
    expect((summary?.imported ?? 0) + (summary?.unchanged ?? 0)).toBe(ROWS);
    expect((await app.graph.stats()).throttled).toBeGreaterThan(0);

    await app.graph.clearFaults();
    const listed = (await jsonOf(await app.call('GET', 'tokens?pageSize=1000', { roles: ['Tokens.Read'] }))).tokens as { serialNumber: string; status: string; registeredInEntra: boolean }[];
    const stock = listed.filter((t) => t.serialNumber.startsWith('GTH-') && t.status === 'in_stock');
    expect(stock).toHaveLength(ROWS);
    expect(stock.filter((t) => !t.registeredInEntra)).toEqual([]);
    for (const token of stock.slice(0, 5)) {
      expect((await app.graph.state({ serial: token.serialNumber })).matches?.devices).toHaveLength(1);
    }
  }, 600_000);
});

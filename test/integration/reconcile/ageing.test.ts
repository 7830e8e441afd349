import { Secret } from 'otpauth';
import type { AgeingReport, PoolAgeing } from '../../../shared/domain/ageing';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { JOINER_HOST_JSON } from '../../support/hr';
import { ageTokenRows, editTokenRow, reconcile } from './helpers';

/**
 * The ageing forecast and the low-stock warning that counts tokens past their life as gone: C202s serve
 * 60 months (the default), C100s 12 (TOKEN_SERVICE_LIFE_MONTHS_BY_MODEL in its model=months form).
 */

const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model,pool';

/** The 15th of the month `offset` months from this one: its end of life falls in a known month. */
function fifteenth(offset: number): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 15, 12)).toISOString();
}

describe('ageing forecast', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON, settings: { LOW_STOCK_THRESHOLD: '4', TOKEN_SERVICE_LIFE_MONTHS: '60', TOKEN_SERVICE_LIFE_MONTHS_BY_MODEL: 'C100=12' } });
    await app.graph.seedUsers([{ displayName: 'Zoe', userPrincipalName: 'zoe@contoso.com', employeeId: 'AG1001' }]);
    const rows = [
      ',AG-GVA-1,C202,GVA',
      ',AG-GVA-2,C202,GVA',
      ',AG-GVA-3,C202,GVA',
      ',AG-GVA-4,C202,GVA',
      'zoe@contoso.com,AG-ZRH-1,C100,ZRH',
      ',AG-ZRH-2,C100,ZRH',
      ',AG-ZRH-3,C100,ZRH',
    ].map((row) => {
      const [upn, serial, model, pool] = row.split(',');
      return `${upn},${serial},${new Secret({ size: 20 }).base32},30,Token2,${model},${pool}`;
    });
    expect(await jsonOf(await app.call('POST', 'tokens/import', { body: `${HEADER}\n${rows.join('\n')}\n`, contentType: 'text/csv' }))).toMatchObject({ imported: 7, errors: [] });
    // Arrivals: GVA-1 61 months ago (past its 60), GVA-2 and -3 58 months ago (ending in two months), GVA-4 today;
    // ZRH-1 (in use) 6 months ago, ZRH-2 today (ending in 12 months), ZRH-3 13 months ago (past its 12).
    await editTokenRow(app, 'AG-GVA-1', { createdAt: fifteenth(-61) });
    await editTokenRow(app, 'AG-GVA-2', { createdAt: fifteenth(-58) });
    await editTokenRow(app, 'AG-GVA-3', { createdAt: fifteenth(-58) });
    await editTokenRow(app, 'AG-ZRH-1', { createdAt: fifteenth(-6) });
    await editTokenRow(app, 'AG-ZRH-2', { createdAt: fifteenth(0) });
    await editTokenRow(app, 'AG-ZRH-3', { createdAt: fifteenth(-13) });
  });
  afterAll(async () => {
    await app?.close();
  });

  const monthsWith = (pool: PoolAgeing) => pool.months.filter((m) => m.inUse + m.inStock > 0).map((m) => ({ ...m, index: pool.months.indexOf(m) }));

  it('GET /api/reports/ageing: per pool and month, the tokens in use and in stock that reach their end', async () => {
    const response = await app.call('GET', 'reports/ageing', { roles: ['Tokens.Read'] });
    expect(response.status).toBe(200);
    const report = (await response.json()) as AgeingReport;
    expect(report.horizonMonths).toBe(24);
    expect(report.serviceLife).toEqual({ months: 60, byModel: { c100: 12 } });
    expect(report.pools.map((p) => p.pool)).toEqual(['GVA', 'ZRH']);
    const [gva, zrh] = report.pools as [PoolAgeing, PoolAgeing];
    expect(gva.months[0]?.month).toBe(new Date().toISOString().slice(0, 7));
    expect(gva).toMatchObject({ total: { inUse: 0, inStock: 4 }, pastLife: { inUse: 0, inStock: 1 }, inStockAfterHorizon: 1 });
    expect(monthsWith(gva)).toEqual([{ index: 2, month: fifteenth(2).slice(0, 7), inUse: 0, inStock: 2 }]);
    expect(zrh).toMatchObject({ total: { inUse: 1, inStock: 2 }, pastLife: { inUse: 0, inStock: 1 }, inStockAfterHorizon: 0 });
    expect(monthsWith(zrh)).toEqual([
      { index: 6, month: fifteenth(6).slice(0, 7), inUse: 1, inStock: 0 },
      { index: 12, month: fifteenth(12).slice(0, 7), inUse: 0, inStock: 1 },
    ]);

    const one = (await jsonOf(await app.call('GET', 'reports/ageing?pool=ZRH&months=6', { roles: ['Tokens.Read'] }))) as AgeingReport;
    expect(one.pools.map((p) => [p.pool, p.months.length, p.months.reduce((n, m) => n + m.inUse + m.inStock, 0)])).toEqual([['ZRH', 6, 0]]);

    for (const query of ['months=0', 'months=121', 'months=two', 'pools=GVA']) {
      const bad = await app.call('GET', `reports/ageing?${query}`, { roles: ['Tokens.Read'] });
      expect(bad.status).toBe(400);
      expect(bad.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await app.call('GET', 'reports/ageing', { roles: [] })).status).toBe(403);
  });

  it('the low-stock warning counts stock past its life as gone', async () => {
    await ageTokenRows(app);
    const report = await reconcile(app, 'report');
    // GVA has 4 in stock, one past its life: 3 < 4. ZRH has 2, one past: 1.
    expect(report.lowStock).toEqual([
      { pool: 'GVA', available: 3, threshold: 4, pastLife: 1 },
      { pool: 'ZRH', available: 1, threshold: 4, pastLife: 1 },
    ]);
    expect(app.logs.some((line) => line.includes('LowStock pool=GVA available=3 threshold=4 pastLife=1'))).toBe(true);
  });
});

import { Secret } from 'otpauth';
import type { GraphVariants } from '../../../dev/graph/types';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { JOINER_HOST_JSON } from '../../support/hr';
import { ageTokenRows, reconcile } from '../reconcile/helpers';

/**
 * Reconciliation against every shape of Entra's answers the docs allow (docs/local-stack.md, "Graph emulator
 * variants"): a tenant that agrees with the inventory shows no drift, whatever the list items look like.
 */

const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';

const MATRIX: [string, Partial<GraphVariants>][] = [
  ['the default reading', {}],
  ['nested list items', { list: 'nested' }],
  ["the docs' examples: nested items and distinct method ids", { list: 'nested', delta: 'nested201', methodId: 'distinct' }],
];

describe('reconciliation under each Graph variant', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON, settings: { LOW_STOCK_THRESHOLD: '0' } });
  });
  afterAll(async () => {
    await app?.close();
  });

  it.each(MATRIX)('%s: a consistent tenant shows no drift', async (name, variants) => {
    const n = MATRIX.findIndex(([label]) => label === name);
    await app.graph.clearVariants();
    await app.graph.setVariants(variants);
    await app.graph.seedUsers([{ displayName: `Holder ${n}`, userPrincipalName: `holder${n}@contoso.com`, employeeId: `ER${n}` }]);
    const rows = [`holder${n}@contoso.com,RV${n}-A`, `,RV${n}-B`, `,RV${n}-C`].map((start) => `${start},${new Secret({ size: 20 }).base32},30,Token2,C202`);
    expect(await jsonOf(await app.call('POST', 'tokens/import', { body: `${HEADER}\n${rows.join('\n')}\n`, contentType: 'text/csv' }))).toMatchObject({ errors: [] });
    await ageTokenRows(app);

    const report = await reconcile(app, 'report');
    expect(Object.entries(report.drift).filter(([, count]) => count > 0)).toEqual([]);
    expect(report.counts).toMatchObject({ tokensInInventory: 3 * (n + 1), devicesInEntra: 3 * (n + 1), consistent: 3 * (n + 1) });
  });
});

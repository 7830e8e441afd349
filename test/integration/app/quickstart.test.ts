import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_USERS } from '../../../dev/demoData';
import { startTestApp, type TestApp } from '../../support/app';
import { JOINER_HOST_JSON } from '../../support/hr';
import { quickstartTools } from '../../support/quickstart';

/**
 * The README's quickstart, command by command (oathctl and dev:hr as the README writes them), against a
 * stack of the test's own: stock, a hire, a revoke (the hand-over part is quickstart-handover.test.ts).
 */
describe("the README's quickstart", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'quickstart-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const tools = (app: TestApp) => quickstartTools(app, dir);

  it('stock, a hire that ends active in Entra, and a revoke', async () => {
    const app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON });
    try {
      await app.graph.seedUsers(DEMO_USERS);
      const { oathctl, hr, until } = await tools(app);
      expect(await oathctl('seeds', '--serials', 'QS-0001,QS-0002,QS-0003', '--manufacturer', 'Token2', '--model', 'C302', '--out', 'seeds.csv')).toContain('Seeds written to seeds.csv');
      expect(await oathctl('list', '--status', 'in_stock')).toMatch(/QS-0001\s+in_stock/);
      expect(await hr('hire', 'E1001', '--upn', 'ada@contoso.com')).toMatch(/202 queued/);
      await until('the hire to complete', async () => ((await oathctl('provisioning', 'E1001')).match(/E1001\s+Ada Lovelace\s+joiner\s+completed/) ? true : undefined));
      const held = await oathctl('list', '--user', 'E1001');
      const serial = /(QS-000\d)\s+active/.exec(held)?.[1];
      expect(serial).toBeDefined();
      expect((await app.graph.state({ serial: serial! })).matches?.devices.map((d) => d.status)).toEqual(['activated']);
      expect((await oathctl('revoke', 'ada@contoso.com', '--reason', 'returned', '--note', 'quickstart')).trim()).toBe(`${serial!}: quarantined`);
      // Its seed was shown once (seeds.csv): the seed is destroyed and the device leaves Entra.
      expect((await app.graph.state({ serial: serial! })).matches?.devices).toEqual([]);
      expect(await oathctl('audit', '--user', 'E1001')).toMatch(/token\.revoked\.returned/);
    } finally {
      await app.close();
    }
  }, 180_000);
});

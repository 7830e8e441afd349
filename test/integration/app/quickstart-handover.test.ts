import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { TOTP } from 'otpauth';
import { DEMO_USERS } from '../../../dev/demoData';
import { startTestApp, type TestApp } from '../../support/app';
import { JOINER_HOST_JSON } from '../../support/hr';
import { quickstartTools } from '../../support/quickstart';

const execute = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../..');

/**
 * The README's quickstart, command by command (oathctl and dev:hr as the README writes them), against a
 * stack of the test's own, in hand-over mode: a hire handed over at the desk with the README's code.
 */
describe("the README's quickstart, hand-over part (one app per file: its own settings)", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'quickstart-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const tools = (app: TestApp) => quickstartTools(app, dir);

  it('in hand-over mode: the pick list, and the hand-over with the code the README computes from seeds.csv', async () => {
    const app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON, settings: { ACTIVATION_MODE: 'handover' } });
    try {
      await app.graph.seedUsers(DEMO_USERS);
      const { oathctl, hr, until } = await tools(app);
      rmSync(path.join(dir, 'seeds.csv'), { force: true });
      await oathctl('seeds', '--serials', 'QS-0001,QS-0002,QS-0003', '--manufacturer', 'Token2', '--model', 'C302', '--out', 'seeds.csv');
      expect(await hr('hire', 'E1002', '--upn', 'grace@contoso.com', '--location', 'GVA')).toMatch(/202 queued/);
      const serial = await until('the pick list', async () => /^GVA\s+(QS-000\d)\s+Grace Hopper\s+grace@contoso\.com/m.exec(await oathctl('handovers'))?.[1]);
      // The README's one-liner, run as written.
      const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
      const oneLiner = /CODE=\$\(node -e '([^']+)' \$SERIAL seeds\.csv\)/.exec(readme)?.[1];
      expect(oneLiner).toBeDefined();
      const code = (await execute(process.execPath, ['-e', oneLiner!, serial, 'seeds.csv'], { cwd: dir, env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') } })).stdout.trim();
      const seed = readFileSync(path.join(dir, 'seeds.csv'), 'utf8').split(/\r?\n/).find((l) => l.startsWith(`${serial},`))?.split(',')[1] ?? '';
      expect(code).toBe(new TOTP({ secret: seed }).generate());
      expect(await oathctl('handover', serial, code)).toMatch(new RegExp(`^${serial}: handed over to Grace Hopper \\(grace@contoso\\.com\\) and active`));
      expect((await app.graph.state({ serial })).matches?.devices.map((d) => d.status)).toEqual(['activated']);
    } finally {
      await app.close();
    }
  }, 180_000);
});

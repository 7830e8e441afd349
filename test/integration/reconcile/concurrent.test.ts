import { Secret } from 'otpauth';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { allTokens, JOINER_HOST_JSON, joinerReaches, sendHire } from '../../support/hr';
import { ageTokenRows, entraDevices, reconcile } from './helpers';

const HOLDERS = Array.from({ length: 6 }, (_, i) => ({ displayName: `Holder ${i}`, userPrincipalName: `holder${i}@contoso.com`, employeeId: `E81${i}` }));
const HIRES = Array.from({ length: 6 }, (_, i) => ({ displayName: `Hire ${i}`, userPrincipalName: `hire${i}@contoso.com`, employeeId: `E82${i}` }));

describe('reconciliation while hires and revokes run at the same time', () => {
  let app: TestApp;
  const userIds = new Map<string, string>();

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON, settings: { LOW_STOCK_THRESHOLD: '0' } });
    for (const user of await app.graph.seedUsers([...HOLDERS, ...HIRES])) userIds.set(user.userPrincipalName, user.id);
    const seed = () => new Secret({ size: 20 }).base32;
    const rows = [
      ...HOLDERS.map((h, i) => `${h.userPrincipalName},CC-H${i},${seed()},30,Token2,C302`),
      ...Array.from({ length: 10 }, (_, i) => `,CC-S${i},${seed()},30,Token2,C302`),
    ];
    const summary = await jsonOf(await app.call('POST', 'tokens/import', { body: `upn,serial number,secret key,time interval,manufacturer,model\n${rows.join('\n')}\n`, contentType: 'text/csv' }));
    expect(summary.errors).toEqual([]);
    // Old rows are compared and repaired; only what the hires and revokes touch becomes fresh.
    await ageTokenRows(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('undoes none of their work: every hire ends active, every revoke revoked', async () => {
    const revoke = (upn: string) =>
      app.call('POST', `users/${encodeURIComponent(upn)}/token/revoke`, { body: JSON.stringify({ reason: 'offboarded' }), contentType: 'application/json' });
    const reconciling = (async () => {
      const reports = [];
      for (let run = 0; run < 3; run++) reports.push(await reconcile(app, 'all'));
      return reports;
    })();
    const [revokes] = await Promise.all([
      Promise.all(HOLDERS.map(async (h) => ({ status: (await revoke(h.userPrincipalName)).status }))),
      Promise.all(HIRES.map((h) => sendHire(app, { employeeId: h.employeeId, userPrincipalName: h.userPrincipalName }))),
      reconciling,
    ]);
    expect(revokes.map((r) => r.status)).toEqual(HOLDERS.map(() => 200));
    const joiners = await Promise.all(HIRES.map((h) => joinerReaches(app, h.employeeId, ['completed', 'failed'])));
    expect(joiners.map((j) => j.status)).toEqual(HIRES.map(() => 'completed'));
    await reconciling;

    const tokens = await allTokens(app);
    const devices = await entraDevices(app);
    for (const [i, holder] of HOLDERS.entries()) {
      expect([holder.userPrincipalName, tokens.find((t) => t.serialNumber === `CC-H${i}`)?.status]).toEqual([holder.userPrincipalName, 'revoked']);
      expect(devices.find((d) => d.serialNumber === `CC-H${i}`)?.assignedTo).toBeNull();
    }
    for (const [i, hire] of HIRES.entries()) {
      const serial = joiners[i]?.serialNumber;
      expect([hire.employeeId, tokens.find((t) => t.serialNumber === serial)?.status]).toEqual([hire.employeeId, 'active']);
      expect(devices.find((d) => d.serialNumber === serial)).toMatchObject({ status: 'activated', assignedTo: { id: userIds.get(hire.userPrincipalName) } });
    }
    expect(tokens.filter((t) => t.status === 'quarantined')).toEqual([]);
  });
});

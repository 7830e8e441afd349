import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { Secret, TOTP } from 'otpauth';
import type { GraphVariants } from '../../../dev/graph/types';
import { startTestApp, type TestApp } from '../../support/app';
import { allTokens, eventually, JOINER_HOST_JSON, joinerReaches, sendHire } from '../../support/hr';

/**
 * The joiner path (webhook, queue, saga) against every answer of Entra the docs allow (docs/local-stack.md, "Graph
 * emulator variants"): each hire ends with an activated token the person can sign in with, or with a
 * visible reason; a token whose seed Entra refuses is quarantined and the hire moves to another token.
 */

const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model,pool';
const codeAt = (seed: string, at: number) => new TOTP({ secret: Secret.fromBase32(seed), period: 30, digits: 6 }).generate({ timestamp: at });

const MATRIX: [string, Partial<GraphVariants>][] = [
  ['the default reading', {}],
  ["the docs' examples: nested devices in lists and in the bulk create answer", { delta: 'nested201', list: 'nested' }],
  ['distinct method ids', { methodId: 'distinct' }],
  ['an assignAndActivate saved, then answered 504', { savedThen5xx: { post: 1, patch: 0 } }],
  ['new devices missing from $filter for 2 s', { filterLagSeconds: 2 }],
  ['a narrow activation allowance', { activationAllowance: 'narrow' }],
];

describe('the joiner path under each Graph variant', () => {
  let app: TestApp;
  let secrets: SecretClient;

  beforeAll(async () => {
    app = await startTestApp({ hostJsonPath: JOINER_HOST_JSON });
    const s = app.stack.appSettings;
    const credential = new ClientSecretCredential(s.AZURE_TENANT_ID!, s.AZURE_CLIENT_ID!, s.AZURE_CLIENT_SECRET!, { authorityHost: s.AZURE_AUTHORITY_HOST!, disableInstanceDiscovery: true });
    secrets = new SecretClient(s.KEY_VAULT_URL!, credential, { disableChallengeResourceVerification: true });
  });
  afterAll(async () => {
    await app?.close();
  });

  const importPool = async (tokens: { serial: string; pool: string; seed: string }[]) => {
    const csv = [HEADER, ...tokens.map((t) => `,${t.serial},${t.seed},30,Token2,C302,${t.pool}`)].join('\n');
    const response = await app.call('POST', 'tokens/import', { body: csv, contentType: 'text/csv' });
    expect(await response.json()).toMatchObject({ imported: tokens.length, errors: [] });
  };

  it.each(MATRIX)('%s: the hire ends with an activated token the person signs in with', async (name, variants) => {
    const n = MATRIX.findIndex(([label]) => label === name);
    await app.graph.clearVariants();
    await app.graph.setVariants(variants);
    const [user] = await app.graph.seedUsers([{ displayName: `Hire ${n}`, userPrincipalName: `hire${n}@contoso.com`, employeeId: `EV${n}` }]);
    const seed = new Secret({ size: 20 }).base32;
    await importPool([{ serial: `HV${n}`, pool: `P${n}`, seed }]);
    await app.graph.setVariants(variants);

    expect((await sendHire(app, { employeeId: `EV${n}`, userPrincipalName: `hire${n}@contoso.com`, location: `P${n}` })).status).toBe(202);
    expect(await joinerReaches(app, `EV${n}`, ['completed', 'failed'])).toMatchObject({ status: 'completed', serialNumber: `HV${n}` });
    expect((await app.graph.state({ serial: `HV${n}` })).matches?.devices[0]).toMatchObject({ status: 'activated', assignedTo: { id: user!.id } });
    // The next step's code: past the one activation used, and inside the sign-in window even when the
    // activation crossed a step boundary and Entra learnt a drift of one step.
    expect((await app.graph.signIn({ userId: user!.id, code: codeAt(seed, Date.now() + 30_000) })).ok).toBe(true);
  });

  // A second code is tried at the next TOTP step: real time.
  it.each([
    ['an all-or-nothing assignAndActivate', 'atomic' as const],
    ['an assignAndActivate that leaves the device failedActivation', 'leavesFailedActivation' as const],
  ])('%s: a token whose seed Entra refuses is quarantined and taken back, and the hire gets another token', async (_name, assignAndActivate) => {
    await app.graph.clearVariants();
    await app.graph.setVariants({ assignAndActivate });
    const tag = assignAndActivate === 'atomic' ? 'A' : 'F';
    const [user] = await app.graph.seedUsers([{ displayName: `Mismatch ${tag}`, userPrincipalName: `mismatch${tag}@contoso.com`, employeeId: `EMM${tag}` }]);
    const good = new Secret({ size: 20 }).base32;
    await importPool([
      { serial: `BAD-${tag}`, pool: `BAD${tag}`, seed: new Secret({ size: 20 }).base32 },
      { serial: `GOOD-${tag}`, pool: `GOOD${tag}`, seed: good },
    ]);
    // Key Vault now holds a seed the token was never programmed with.
    await secrets.setSecret(`seed-BAD-${tag}`, new Secret({ size: 20 }).base32);

    await sendHire(app, { employeeId: `EMM${tag}`, userPrincipalName: `mismatch${tag}@contoso.com`, location: `BAD${tag}` });
    expect(await joinerReaches(app, `EMM${tag}`, ['completed', 'failed'])).toMatchObject({ status: 'completed', serialNumber: `GOOD-${tag}` });
    const bad = await eventually('the bad token row', async () => (await allTokens(app)).find((t) => t.serialNumber === `BAD-${tag}`));
    expect(bad).toMatchObject({ status: 'quarantined' });
    expect((await app.graph.state({ serial: `BAD-${tag}` })).matches?.devices[0]).toMatchObject({ assignedTo: null });
    expect((await app.graph.state({ user: user!.id })).matches?.devices.map((d) => d.serialNumber)).toEqual([`GOOD-${tag}`]);
  }, 120_000);

  it('a person who already holds five authenticator apps: the hire fails with Entra\'s reason, and the token goes back to stock', async () => {
    await app.graph.clearVariants();
    await app.graph.seedUsers([{ displayName: 'Full', userPrincipalName: 'full@contoso.com', employeeId: 'EFULL', otherMethods: 5 }]);
    await importPool([{ serial: 'HV-FULL', pool: 'FULL', seed: new Secret({ size: 20 }).base32 }]);
    await sendHire(app, { employeeId: 'EFULL', userPrincipalName: 'full@contoso.com', location: 'FULL' });
    const joiner = await joinerReaches(app, 'EFULL', ['completed', 'failed']);
    expect(joiner.status).toBe('failed');
    expect(joiner.reason).toContain('Entra refused to give full@contoso.com a token');
    expect((await allTokens(app)).find((t) => t.serialNumber === 'HV-FULL')).toMatchObject({ status: 'in_stock' });
    expect((await app.graph.state({ serial: 'HV-FULL' })).matches?.devices[0]).toMatchObject({ status: 'available', assignedTo: null });
  });
});

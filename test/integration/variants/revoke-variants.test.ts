import { Secret, TOTP } from 'otpauth';
import type { GraphVariants } from '../../../dev/graph/types';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';

/**
 * Revoke, suspend and resume against every answer of Entra the docs allow (docs/local-stack.md, "Graph emulator
 * variants"): what the API answers must be what Entra then shows, whatever the method ids look like,
 * however lists are shaped, and when a write is saved but answered 504.
 */

const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';
const codeAt = (seed: string, at: number) => new TOTP({ secret: Secret.fromBase32(seed), period: 30, digits: 6 }).generate({ timestamp: at });

const MATRIX: [string, Partial<GraphVariants>][] = [
  ['the default reading', {}],
  ['distinct method ids', { methodId: 'distinct' }],
  ['nested lists', { list: 'nested' }],
  ['each write saved, then answered 504 (the client sends it again)', { savedThen5xx: { post: 1, patch: 0 } }],
  ['a narrow activation allowance', { activationAllowance: 'narrow' }],
];

describe('revoke, suspend and resume under each Graph variant', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  const post = async (route: string, body?: unknown) =>
    jsonOf(await app.call('POST', route, body === undefined ? {} : { body: JSON.stringify(body), contentType: 'application/json' }));

  // A resume waits for the next TOTP step when the import's activation used the current one: real time.
  it.each(MATRIX)('%s: Entra shows what each answer says', async (name, variants) => {
    await app.graph.clearVariants();
    await app.graph.setVariants(variants);
    const n = MATRIX.findIndex(([label]) => label === name);
    const people = ['lost', 'returned', 'leave'].map((what) => ({ what, upn: `${what}${n}@contoso.com`, serial: `RV${n}-${what.toUpperCase()}`, seed: new Secret({ size: 20 }).base32 }));
    const users = await app.graph.seedUsers(people.map((p) => ({ displayName: p.what, userPrincipalName: p.upn })));
    const rows = people.map((p) => `${p.upn},${p.serial},${p.seed},30,Token2,C202`);
    const imported = await jsonOf(await app.call('POST', 'tokens/import', { body: `${HEADER}\n${rows.join('\n')}\n`, contentType: 'text/csv' }));
    expect(imported).toMatchObject({ imported: 3, errors: [] });
    // Set before each action, so a savedThen5xx count applies to each one's first write.
    const act = async (route: string, body?: unknown) => {
      await app.graph.setVariants(variants);
      return post(route, body);
    };
    const device = async (serial: string) => (await app.graph.state({ serial })).matches?.devices[0];
    const [lost, returned, leave] = people as [(typeof people)[0], (typeof people)[0], (typeof people)[0]];

    expect(await act(`users/${lost.upn}/token/revoke`, { reason: 'lost' })).toEqual({ serialNumber: lost.serial, status: 'lost', changed: true });
    expect(await device(lost.serial)).toBeUndefined();
    expect(await app.keyVault.secretExists(`seed-${lost.serial}`)).toMatchObject({ exists: false });

    expect(await act(`users/${returned.upn}/token/revoke`, { reason: 'returned' })).toEqual({ serialNumber: returned.serial, status: 'in_stock', changed: true });
    expect(await device(returned.serial)).toMatchObject({ status: 'available', assignedTo: null });
    expect(await app.keyVault.secretExists(`seed-${returned.serial}`)).toMatchObject({ exists: true });

    expect(await act(`users/${leave.upn}/token/suspend`)).toEqual({ serialNumber: leave.serial, status: 'suspended', changed: true });
    expect(await device(leave.serial)).toMatchObject({ status: 'assigned', assignedTo: { id: users[2]!.id } });
    const userId = users[2]!.id;
    expect((await app.graph.signIn({ userId, code: codeAt(leave.seed, Date.now() + 60_000) })).ok).toBe(false);
    expect(await act(`users/${leave.upn}/token/resume`)).toEqual({ serialNumber: leave.serial, status: 'active', changed: true });
    expect(await device(leave.serial)).toMatchObject({ status: 'activated' });
    // The holder signs in with a code the token shows later: resume never spent a future step's code.
    expect((await app.graph.signIn({ userId, code: codeAt(leave.seed, Date.now() + 60_000) })).ok).toBe(true);
  }, 120_000);
});

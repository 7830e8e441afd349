import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type JWK, type KeyLike, SignJWT, exportJWK, generateKeyPair } from 'jose';
import { startGraphEmulator, type GraphEmulator } from '../../../dev/graph/server';
import { ensureDevCa, issueServerCertificate } from '../../../dev/tls';
import { errorOf, graphClient } from './helpers';

const DEVICES = '/directory/authenticationMethodDevices/hardwareOathDevices';
const ISSUER = 'https://127.0.0.1/dev-identity/v2.0';

let privateKey: KeyLike;
let publicJwk: JWK;
let otherKey: KeyLike;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'dev-key-1', alg: 'RS256', use: 'sig' };
  otherKey = (await generateKeyPair('RS256')).privateKey;
});

function sign(claims: Record<string, unknown>, options: { key?: KeyLike; audience?: string; issuer?: string; expiresIn?: string } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'dev-key-1' })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? 'https://graph.microsoft.com')
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '10m')
    .sign(options.key ?? privateKey);
}

describe('bearer tokens checked against a JWKS endpoint over HTTPS', () => {
  let jwksServer: Server;
  let emulator: GraphEmulator;

  beforeAll(async () => {
    jwksServer = createServer(issueServerCertificate(ensureDevCa()), (_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const { port } = jwksServer.address() as AddressInfo;
    emulator = await startGraphEmulator({ ca: ensureDevCa(), jwksUri: `https://127.0.0.1:${port}/keys`, issuer: ISSUER });
  });

  afterAll(async () => {
    await emulator.close();
    await new Promise<void>((resolve) => jwksServer.close(() => resolve()));
  });

  it('accepts a signed token for either Graph audience', async () => {
    for (const audience of ['https://graph.microsoft.com', '00000003-0000-0000-c000-000000000000']) {
      const result = (await graphClient(emulator, await sign({}, { audience })).api(DEVICES).get()) as { value: unknown[] };
      expect(result.value).toEqual([]);
    }
  });

  const refusedTokens: Array<[string, () => Promise<string>]> = [
    ['another audience', () => sign({}, { audience: 'api://something-else' })],
    ['another issuer', () => sign({}, { issuer: 'https://evil.example/v2.0' })],
    ['another signing key', () => sign({}, { key: otherKey })],
    ['an expired token', () => sign({}, { expiresIn: '-1m' })],
    ['a token that is not a JWT', async () => 'not-a-jwt'],
  ];

  it.each(refusedTokens)('refuses %s with 401', async (_label, makeToken) => {
    const error = await errorOf(graphClient(emulator, await makeToken()).api(DEVICES).get());
    expect(error.statusCode).toBe(401);
    expect(error.code).toBe('InvalidAuthenticationToken');
  });
});

describe('bearer tokens checked against an inline key set, with app roles enforced', () => {
  let emulator: GraphEmulator;

  beforeAll(async () => {
    emulator = await startGraphEmulator({ ca: ensureDevCa(), jwks: { keys: [publicJwk] }, enforceRoles: true });
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('lets a read permission read and answers 403 Authorization_RequestDenied for writes', async () => {
    const reader = graphClient(emulator, await sign({ roles: ['Policy.Read.All'] }));
    expect(((await reader.api(DEVICES).get()) as { value: unknown[] }).value).toEqual([]);
    const denied = await errorOf(
      reader.api(DEVICES).post({ serialNumber: 'S1', manufacturer: 'Token2', model: 'C202', secretKey: 'JBSWY3DPEHPK3PXP', timeIntervalInSeconds: 30 }),
    );
    expect(denied.statusCode).toBe(403);
    expect(denied.code).toBe('Authorization_RequestDenied');

    const writer = graphClient(emulator, await sign({ roles: ['Policy.ReadWrite.AuthenticationMethod'] }));
    const created = (await writer
      .api(DEVICES)
      .post({ serialNumber: 'S1', manufacturer: 'Token2', model: 'C202', secretKey: 'JBSWY3DPEHPK3PXP', timeIntervalInSeconds: 30 })) as { id: string };
    expect(created.id).toBeDefined();
    expect((await errorOf(writer.api('/users').get())).statusCode).toBe(403);
  });
});

it('refuses to start without a way to check tokens', async () => {
  await expect(startGraphEmulator({ ca: ensureDevCa() })).rejects.toThrow(/jwks, jwksUri or verifyToken/);
});

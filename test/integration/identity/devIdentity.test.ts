import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { ClientSecretCredential } from '@azure/identity';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import {
  DEV_ADMIN_AUDIENCE,
  DEV_DEFAULT_SUBJECT,
  DEV_GRAPH_APP_ROLES,
  startDevIdentity,
  type DevIdentity,
} from '../../../dev/identity/server';
import { REPO_ROOT } from '../../../dev/paths';
import { ensureDevCa } from '../../../dev/tls';

const run = promisify(execFile);

const CLIENT_ID = 'identity-test-app';
const CLIENT_SECRET = randomBytes(24).toString('base64url');
const WRONG_SECRET = randomBytes(24).toString('base64url');
const KEY_VAULT_CLIENT = 'identity-test-vault-reader';

let identity: DevIdentity;

function credential(secret: string, clientId = CLIENT_ID): ClientSecretCredential {
  return new ClientSecretCredential(identity.tenantId, clientId, secret, {
    authorityHost: identity.authorityHost,
    disableInstanceDiscovery: true,
  });
}

async function postForm(fields: Record<string, string>, tenant = identity.tenantId): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${identity.url}/${tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function verify(token: string, audience: string): ReturnType<typeof jwtVerify> {
  return jwtVerify(token, createRemoteJWKSet(new URL(identity.jwksUri)), { issuer: identity.issuer, audience });
}

/** Runs the dev:token CLI the way `npm run dev:token` does, trusting the dev CA on its own (no NODE_EXTRA_CA_CERTS). */
function tokenCli(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const tsx = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
  const { NODE_EXTRA_CA_CERTS: _inherited, ...env } = process.env;
  return run(tsx, [path.join(REPO_ROOT, 'dev', 'identity', 'token-cli.ts'), ...args], { cwd: REPO_ROOT, env, timeout: 30_000 });
}

/** A loopback port nobody listens on: bound, read, released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

beforeAll(async () => {
  identity = await startDevIdentity({
    port: 0,
    ca: ensureDevCa(),
    clients: [
      { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
      { clientId: KEY_VAULT_CLIENT, clientSecret: CLIENT_SECRET, roles: { 'https://vault.azure.net': ['Vault.Reader'] } },
    ],
  });
});

afterAll(async () => {
  await identity?.close();
});

describe('dev identity discovery', () => {
  test('serves Entra-shaped OpenID metadata under the issuer', async () => {
    const response = await fetch(`${identity.issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const metadata = (await response.json()) as Record<string, unknown>;
    expect(identity.issuer).toBe(`${identity.url}/dev-tenant/v2.0`);
    expect(metadata).toMatchObject({
      issuer: identity.issuer,
      jwks_uri: identity.jwksUri,
      token_endpoint: `${identity.url}/dev-tenant/oauth2/v2.0/token`,
      authorization_endpoint: `${identity.url}/dev-tenant/oauth2/v2.0/authorize`,
      id_token_signing_alg_values_supported: ['RS256'],
    });
  });

  test('serves public signing keys only', async () => {
    const response = await fetch(identity.jwksUri);
    const jwks = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    const [key] = jwks.keys;
    expect(key).toMatchObject({ kty: 'RSA', use: 'sig', kid: expect.any(String), n: expect.any(String), e: 'AQAB' });
    for (const privatePart of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(privatePart);
    expect(jwks).toEqual(identity.jwks);
  });

  test('an unknown tenant is refused the way Entra refuses it', async () => {
    const response = await fetch(`${identity.url}/other-tenant/v2.0/.well-known/openid-configuration`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_tenant', error_codes: [90002] });
  });
});

describe('dev identity client credentials', () => {
  test('ClientSecretCredential gets a Graph token that verifies against the JWKS', async () => {
    const token = await credential(CLIENT_SECRET).getToken('https://graph.microsoft.com/.default');
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now());
    const { payload, protectedHeader } = await verify(token.token, 'https://graph.microsoft.com');
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: identity.jwks.keys[0]!.kid });
    expect(payload).toMatchObject({ azp: CLIENT_ID, appid: CLIENT_ID, tid: 'dev-tenant', idtyp: 'app', ver: '2.0' });
    expect(payload.roles).toEqual([...DEV_GRAPH_APP_ROLES]);
    expect(payload.sub).toBe(payload.oid);
  });

  test('a Key Vault scope gives a Key Vault audience, with the roles configured for it', async () => {
    const token = await credential(CLIENT_SECRET, KEY_VAULT_CLIENT).getToken('https://vault.azure.net/.default');
    const { payload } = await verify(token.token, 'https://vault.azure.net');
    expect(payload.roles).toEqual(['Vault.Reader']);
    await expect(verify(token.token, 'https://graph.microsoft.com')).rejects.toThrow(/aud/);
  });

  test('a wrong secret is invalid_client, through MSAL and on the wire, without echoing the secret', async () => {
    const error = await credential(WRONG_SECRET)
      .getToken('https://graph.microsoft.com/.default')
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(error?.message).toContain('invalid_client');
    expect(error?.message).not.toContain(WRONG_SECRET);
    expect(error?.message).not.toContain(CLIENT_SECRET);

    const { status, body } = await postForm({
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_secret: WRONG_SECRET,
      scope: 'https://graph.microsoft.com/.default',
    });
    expect(status).toBe(401);
    expect(body).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
    expect(JSON.stringify(body)).not.toContain(WRONG_SECRET);
  });

  test('Entra-style errors for unknown clients, missing secrets, bad scopes and grants', async () => {
    const base = { grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, scope: 'https://graph.microsoft.com/.default' };
    expect(await postForm({ ...base, client_id: 'nobody' })).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });
    const { client_secret: _omitted, ...withoutSecret } = base;
    expect(await postForm(withoutSecret)).toMatchObject({ status: 401, body: { error: 'invalid_client', error_codes: [7000218] } });
    expect(await postForm({ ...base, scope: 'User.Read' })).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    expect(await postForm({ ...base, grant_type: 'password' })).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
    expect(await postForm(base, 'other-tenant')).toMatchObject({ status: 400, body: { error: 'invalid_tenant' } });
  });

  test('a good request on the wire answers like Entra', async () => {
    const { status, body } = await postForm({
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      scope: 'https://graph.microsoft.com/.default',
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: expect.any(Number), ext_expires_in: expect.any(Number) });
    expect(typeof body.access_token).toBe('string');
  });
});

describe('dev identity minting', () => {
  test('mintToken signs a token that verifies with the right issuer, audience and roles', async () => {
    const token = await identity.mintToken({ audience: DEV_ADMIN_AUDIENCE, roles: ['Tokens.Admin'], name: 'Ada Admin', subject: 'ada' });
    const { payload } = await jwtVerify(token, createLocalJWKSet(identity.jwks), { issuer: identity.issuer, audience: DEV_ADMIN_AUDIENCE });
    expect(payload).toMatchObject({ roles: ['Tokens.Admin'], name: 'Ada Admin', sub: 'ada', oid: 'ada', tid: 'dev-tenant' });
    expect(decodeProtectedHeader(token).kid).toBe(identity.jwks.keys[0]!.kid);
  });

  test('expired and not-yet-valid tokens fail verification', async () => {
    const expired = await identity.mintToken({ audience: DEV_ADMIN_AUDIENCE, expiresInSeconds: -60 });
    await expect(verify(expired, DEV_ADMIN_AUDIENCE)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
    const future = await identity.mintToken({ audience: DEV_ADMIN_AUDIENCE, notBefore: new Date(Date.now() + 3600_000) });
    await expect(verify(future, DEV_ADMIN_AUDIENCE)).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'nbf' });
  });

  test('POST /_dev/token mints with the admin audience by default and validates its body', async () => {
    const response = await fetch(`${identity.url}/_dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ roles: ['Tokens.Read'], expiresInSeconds: 600 }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { access_token: string; expires_in: number };
    expect(body.expires_in).toBe(600);
    const { payload } = await verify(body.access_token, DEV_ADMIN_AUDIENCE);
    expect(payload).toMatchObject({ roles: ['Tokens.Read'], sub: DEV_DEFAULT_SUBJECT });
    expect(payload.exp! - payload.iat!).toBe(600);

    const bad = await fetch(`${identity.url}/_dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ roles: 'Tokens.Admin' }),
    });
    expect(bad.status).toBe(400);
  });
});

describe('dev:token CLI', () => {
  test('prints one admin token for the running identity', async () => {
    const { stdout } = await tokenCli(['--url', identity.url, '--roles', 'Tokens.Admin,Tokens.Read', '--name', 'Ada Admin']);
    const lines = stdout.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(1);
    const { payload } = await verify(lines[0]!, DEV_ADMIN_AUDIENCE);
    expect(payload).toMatchObject({ roles: ['Tokens.Admin', 'Tokens.Read'], name: 'Ada Admin' });
  });

  test('--persona desk mints the IT desk\'s token: Tokens.Desk only, with the persona\'s object id', async () => {
    const { stdout } = await tokenCli(['--url', identity.url, '--persona', 'desk']);
    const { payload } = await verify(stdout.trim(), DEV_ADMIN_AUDIENCE);
    expect(payload).toMatchObject({ roles: ['Tokens.Desk'], oid: '00000000-0000-4000-8000-0000000a0004', name: 'dana.desk@contoso.dev' });
    const unknown = await tokenCli(['--url', identity.url, '--persona', 'janitor']).then(
      () => undefined,
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect(unknown?.code).toBe(1);
    expect(unknown?.stderr.trim().split('\n')).toEqual([expect.stringContaining("--persona must be one of privileged, admin, reader, desk, got 'janitor'")]);
  });

  test('--audience gives a Graph token carrying the app\'s Graph permissions', async () => {
    const { stdout } = await tokenCli(['--url', identity.url, '--audience', 'https://graph.microsoft.com', '--expires', '120']);
    const { payload } = await verify(stdout.trim(), 'https://graph.microsoft.com');
    expect(payload.exp! - payload.iat!).toBe(120);
    expect(payload.roles).toEqual([...DEV_GRAPH_APP_ROLES]);
  });

  test('an unknown option is a one-line error', async () => {
    const failure = await tokenCli(['--url', identity.url, '--role', 'Tokens.Admin']).then(
      () => undefined,
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr.trim().split('\n')).toHaveLength(1);
    expect(failure?.stderr).toContain('--role');
  });

  test('says in one line that the identity is not running, and exits 1', async () => {
    const url = `https://127.0.0.1:${await closedPort()}`;
    const failure = await tokenCli(['--url', url]).then(
      () => undefined,
      (error: unknown) => error as { code: number; stdout: string; stderr: string },
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toBe('');
    expect(failure?.stderr.trim().split('\n')).toEqual([`dev:token: the dev identity is not running at ${url} (start the local stack with npm start)`]);
  });
});

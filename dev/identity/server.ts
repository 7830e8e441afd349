import { createHash, createPrivateKey, createPublicKey, randomUUID, timingSafeEqual, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet, type JWK, type KeyLike } from 'jose';
import { z } from 'zod';
import { issueServerCertificate, type DevCa } from '../tls';
import { clientHost, listen, readBodyText } from '../net';
import { authorizationCodeFlow, type DevSpaClient } from './authorize';

/**
 * The dev identity: plays Microsoft Entra ID for the local stack. It serves the OIDC metadata and JWKS
 * that verifiers read, a client-credentials token endpoint that MSAL (and so @azure/identity's
 * ClientSecretCredential) accepts, the authorization code flow with PKCE for single-page apps (the
 * admin console; dev/identity/authorize.ts), and a loopback-only minting endpoint for scripts and tests.
 */

export const DEV_IDENTITY_PORT = 8445;
export const DEV_TENANT_ID = 'dev-tenant';
/** The admin API's audience (ADMIN_AUTH_AUDIENCE in local.settings.json). */
export const DEV_ADMIN_AUDIENCE = 'api://entra-oath-tokens';
/**
 * Application permissions the dev app holds on Microsoft Graph: exactly what infra/modules/graph-permissions.bicep
 * grants the app's identity (graphPermissions) with every feature on (the dev stack turns Temporary Access
 * Passes, Lifecycle Workflows and mail on), so a call the product makes without its permission answers
 * 403 locally as in Azure (test/integration/graph/graph-permissions.test.ts keeps them equal).
 */
export const DEV_GRAPH_APP_ROLES: readonly string[] = [
  'Policy.ReadWrite.AuthenticationMethod',
  'UserAuthMethod-HardwareOATH.ReadWrite.All',
  'UserAuthenticationMethod.ReadWrite.All',
  'User.Read.All',
  'User-LifeCycleInfo.Read.All',
  'GroupMember.Read.All',
  'LifecycleWorkflows.ReadWrite.All',
  'RoleManagement.Read.Directory',
  'Mail.Send',
];
const GRAPH_AUDIENCE = 'https://graph.microsoft.com';
/** Object id put in minted tokens when no subject is given: a stand-in for the admin signed in. */
export const DEV_DEFAULT_SUBJECT = '00000000-0000-4000-8000-00000000ad01';
const DEFAULT_MINT_APP_ID = 'dev-token-cli';
const TOKEN_LIFETIME_SECONDS = 3599;

export interface DevIdentityClient {
  clientId: string;
  clientSecret: string;
  /**
   * App roles granted to this client, per resource audience, as they appear in its tokens' `roles`.
   * Without it the client holds DEV_GRAPH_APP_ROLES on Graph and no roles elsewhere.
   */
  roles?: Record<string, readonly string[]>;
}

export interface DevIdentityOptions {
  port?: number;
  host?: string;
  ca: DevCa;
  tenantId?: string;
  clients?: DevIdentityClient[];
  /** App registrations with a single-page application platform, which sign people in (the admin console). */
  spaClients?: DevSpaClient[];
  /** Keeps the signing key in this PEM file (made on first use), so tokens outlive a restart; a fresh key per start without it. */
  signingKeyFile?: string;
}

export interface MintTokenOptions {
  audience: string;
  roles?: readonly string[];
  /** `sub` and `oid`. */
  subject?: string;
  name?: string;
  /** Lifetime from now; zero or negative gives an already expired token (for tests). */
  expiresInSeconds?: number;
  /** `azp`/`appid`: the client the token was issued to. */
  appId?: string;
  notBefore?: Date;
  /**
   * 'id' mints what Entra's ID token claims reference lists instead of an access token: no `azp`/`appid`,
   * a `nonce` and a `sid`; `aud` is still `audience` (an app that signs in to itself). For verifier tests.
   */
  kind?: 'access' | 'id';
  /** No `exp` claim at all (no Entra token lacks one): for verifier tests. */
  withoutExpiry?: boolean;
}

export interface DevIdentity {
  url: string;
  tenantId: string;
  /** `${url}/${tenantId}`: what a Key Vault challenge names as its authorization server. */
  authority: string;
  issuer: string;
  jwksUri: string;
  /** The public signing keys, for verifiers in the same process. */
  jwks: JSONWebKeySet;
  /** What @azure/identity takes as `authorityHost`. */
  authorityHost: string;
  mintToken(options: MintTokenOptions): Promise<string>;
  close(): Promise<void>;
}

interface SigningKey {
  privateKey: KeyLike;
  publicJwk: JWK;
  kid: string;
}

async function newSigningKey(keyFile?: string): Promise<SigningKey> {
  let privateKey: KeyLike;
  let publicKey: KeyLike;
  if (keyFile !== undefined && existsSync(keyFile)) {
    // The key of an earlier run: tokens it minted (and the console's sign-ins) stay valid across restarts.
    const kept = createPrivateKey(readFileSync(keyFile, 'utf8'));
    privateKey = kept;
    publicKey = createPublicKey(kept);
  } else {
    ({ privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true }));
    if (keyFile !== undefined) {
      mkdirSync(path.dirname(keyFile), { recursive: true });
      writeFileSync(keyFile, (privateKey as KeyObject).export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    }
  }
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { privateKey, kid, publicJwk: { ...jwk, kid, use: 'sig', alg: 'RS256' } };
}

/** A stable object id for a client, as Entra gives each service principal one. */
function objectIdFor(clientId: string): string {
  const hex = createHash('sha256').update(`service-principal:${clientId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Compares secrets without leaking where they differ (or their lengths) through timing. */
function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

const MAX_BODY_BYTES = 64 * 1024;

class BodyTooLargeError extends Error {}

const readBody = (req: IncomingMessage): Promise<string> => readBodyText(req, MAX_BODY_BYTES, () => new BodyTooLargeError('request body too large'));

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store, no-cache',
    pragma: 'no-cache',
    ...headers,
  });
  res.end(text);
}

/** An error answered the way Entra's token and metadata endpoints answer. */
interface EntraError {
  status: number;
  error: string;
  code: number;
  description: string;
}

function entraErrorBody(err: EntraError, correlationId: string): Record<string, unknown> {
  const traceId = randomUUID();
  const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return {
    error: err.error,
    error_description: `AADSTS${err.code}: ${err.description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [err.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${err.code}`,
  };
}

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

/** Client credentials ask for exactly one resource as `<resource>/.default`; the resource is the audience. */
function audienceFromScope(scope: string): string | EntraError {
  const requested = scope.split(/\s+/).filter((s) => s !== '' && !OIDC_SCOPES.has(s));
  const only = requested.length === 1 ? requested[0] : undefined;
  if (!only || !only.endsWith('/.default') || only === '/.default') {
    return {
      status: 400,
      error: 'invalid_scope',
      code: 1002012,
      description: `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    };
  }
  return only.slice(0, -'/.default'.length);
}

/** client_secret_basic: `Authorization: Basic base64(urlencode(id):urlencode(secret))`. */
function basicCredentials(header: string | undefined): { clientId: string; clientSecret: string } | undefined {
  const match = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return {
    clientId: decodeURIComponent(decoded.slice(0, colon)),
    clientSecret: decodeURIComponent(decoded.slice(colon + 1)),
  };
}

const devTokenRequestSchema = z.object({
  audience: z.string().min(1).optional(),
  roles: z.array(z.string().min(1)).optional(),
  subject: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  expiresInSeconds: z.number().int().optional(),
  appId: z.string().min(1).optional(),
});

export async function startDevIdentity(options: DevIdentityOptions): Promise<DevIdentity> {
  const host = options.host ?? '127.0.0.1';
  const tenantId = options.tenantId ?? DEV_TENANT_ID;
  const clients = new Map((options.clients ?? []).map((c) => [c.clientId, c]));
  const key = await newSigningKey(options.signingKeyFile);
  const jwks: JSONWebKeySet = { keys: [key.publicJwk] };
  const certificate = issueServerCertificate(options.ca);
  const signIn = authorizationCodeFlow({ tenantId, clients: options.spaClients ?? [], adminAudience: DEV_ADMIN_AUDIENCE, sign: (claims, audience, lifetime) => sign(claims, audience, lifetime) });

  // Set once listening; requests cannot arrive before that.
  let url = '';
  const issuer = (): string => `${url}/${tenantId}/v2.0`;

  async function sign(claims: Record<string, unknown>, audience: string, lifetimeSeconds: number | undefined, notBefore?: Date): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ ...claims, tid: tenantId, ver: '2.0', uti: randomUUID().replace(/-/g, '') })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid })
      .setIssuer(issuer())
      .setAudience(audience)
      .setIssuedAt(now)
      .setNotBefore(notBefore ? Math.floor(notBefore.getTime() / 1000) : now);
    if (lifetimeSeconds !== undefined) jwt.setExpirationTime(now + lifetimeSeconds);
    return jwt.sign(key.privateKey);
  }

  async function mintToken(o: MintTokenOptions): Promise<string> {
    const subject = o.subject ?? DEV_DEFAULT_SUBJECT;
    const appId = o.appId ?? DEFAULT_MINT_APP_ID;
    const claims: Record<string, unknown> =
      o.kind === 'id' ? { sub: subject, oid: subject, nonce: randomUUID(), sid: randomUUID() } : { sub: subject, oid: subject, azp: appId, appid: appId };
    if (o.name !== undefined) claims.name = o.name;
    if (o.roles && o.roles.length > 0) claims.roles = [...o.roles];
    return sign(claims, o.audience, o.withoutExpiry ? undefined : (o.expiresInSeconds ?? 3600), o.notBefore);
  }

  function metadata(): Record<string, unknown> {
    const base = `${url}/${tenantId}`;
    return {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: issuer(),
      request_uri_parameter_supported: false,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'name', 'oid', 'tid', 'roles', 'azp', 'ver'],
      tenant_region_scope: null,
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
    };
  }

  async function tokenResponse(req: IncomingMessage): Promise<{ status: number; body: Record<string, unknown> }> {
    const correlationId = String(req.headers['client-request-id'] ?? randomUUID());
    const fail = (err: EntraError): { status: number; body: Record<string, unknown> } => ({
      status: err.status,
      body: entraErrorBody(err, correlationId),
    });
    const form = new URLSearchParams(await readBody(req));
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code' || grantType === 'refresh_token') {
      const answer = await signIn.redeem(form, req.headers.origin);
      if (answer && 'body' in answer) return answer;
      if (answer) return fail(answer);
    }
    if (!grantType) {
      return fail({
        status: 400,
        error: 'invalid_request',
        code: 900144,
        description: "The request body must contain the following parameter: 'grant_type'.",
      });
    }
    if (grantType !== 'client_credentials') {
      return fail({
        status: 400,
        error: 'unsupported_grant_type',
        code: 70003,
        description: `The app requested an unsupported grant type '${grantType}'. This dev identity issues client_credentials tokens, and authorization_code and refresh_token ones to its single-page apps.`,
      });
    }
    const basic = basicCredentials(req.headers.authorization);
    const clientId = basic?.clientId ?? form.get('client_id');
    const clientSecret = basic?.clientSecret ?? form.get('client_secret');
    if (!clientId) {
      return fail({
        status: 400,
        error: 'invalid_request',
        code: 900144,
        description: "The request body must contain the following parameter: 'client_id'.",
      });
    }
    const scope = form.get('scope');
    if (!scope) {
      return fail({
        status: 400,
        error: 'invalid_request',
        code: 900144,
        description: "The request body must contain the following parameter: 'scope'.",
      });
    }
    const client = clients.get(clientId);
    if (!client) {
      return fail({
        status: 400,
        error: 'unauthorized_client',
        code: 700016,
        description: `Application with identifier '${clientId}' was not found in the directory '${tenantId}'.`,
      });
    }
    if (!clientSecret) {
      return fail({
        status: 401,
        error: 'invalid_client',
        code: 7000218,
        description: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      });
    }
    if (!secretsEqual(clientSecret, client.clientSecret)) {
      return fail({
        status: 401,
        error: 'invalid_client',
        code: 7000215,
        description: `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      });
    }
    const audience = audienceFromScope(scope);
    if (typeof audience !== 'string') return fail(audience);
    const roles = client.roles ? (client.roles[audience] ?? []) : audience === GRAPH_AUDIENCE ? DEV_GRAPH_APP_ROLES : [];
    const oid = objectIdFor(clientId);
    const claims: Record<string, unknown> = {
      sub: oid,
      oid,
      azp: clientId,
      appid: clientId,
      azpacr: '1',
      idtyp: 'app',
    };
    if (roles.length > 0) claims.roles = [...roles];
    const accessToken = await sign(claims, audience, TOKEN_LIFETIME_SECONDS);
    return {
      status: 200,
      body: {
        token_type: 'Bearer',
        expires_in: TOKEN_LIFETIME_SECONDS,
        ext_expires_in: TOKEN_LIFETIME_SECONDS,
        access_token: accessToken,
      },
    };
  }

  async function devToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isLoopback(req.socket.remoteAddress)) {
      sendJson(res, 403, { error: 'forbidden', error_description: '/_dev/token answers loopback callers only.' });
      return;
    }
    const text = await readBody(req);
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      sendJson(res, 400, { error: 'invalid_request', error_description: 'The body is not JSON.' });
      return;
    }
    const parsed = devTokenRequestSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      sendJson(res, 400, {
        error: 'invalid_request',
        error_description: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
      });
      return;
    }
    const request = parsed.data;
    const audience = request.audience ?? DEV_ADMIN_AUDIENCE;
    const expiresIn = request.expiresInSeconds ?? 3600;
    // A Graph token asked for without roles carries the app's Graph permissions, as the app's own token would.
    const roles = request.roles ?? (audience === GRAPH_AUDIENCE ? DEV_GRAPH_APP_ROLES : undefined);
    const accessToken = await mintToken({ ...request, audience, expiresInSeconds: expiresIn, ...(roles ? { roles } : {}) });
    sendJson(res, 200, { token_type: 'Bearer', expires_in: expiresIn, access_token: accessToken });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'https://identity.invalid').pathname;
    const method = req.method ?? 'GET';
    if (path === '/_dev/token') {
      if (method !== 'POST') return sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'POST' });
      return devToken(req, res);
    }
    const match = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|discovery\/v2\.0\/keys|oauth2\/v2\.0\/token|oauth2\/v2\.0\/authorize)$/.exec(path);
    if (!match?.[1] || !match[2]) {
      return sendJson(res, 404, { error: 'not_found', error_description: `No endpoint at ${path}.` });
    }
    const [, tenant, endpoint] = match;
    if (tenant !== tenantId) {
      const correlationId = String(req.headers['client-request-id'] ?? randomUUID());
      return sendJson(
        res,
        400,
        entraErrorBody(
          {
            status: 400,
            error: 'invalid_tenant',
            code: 90002,
            description: `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
          },
          correlationId,
        ),
      );
    }
    if (endpoint === 'oauth2/v2.0/authorize') {
      if (method === 'GET') return signIn.authorizePage(new URL(req.url ?? '/', url), res);
      if (method === 'POST') return signIn.authorizeSubmit(await readBody(req), res);
      return sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'GET, POST' });
    }
    if (endpoint === 'oauth2/v2.0/token') {
      if (method === 'OPTIONS') return signIn.preflight(req, res);
      if (method !== 'POST') return sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'POST' });
      const answer = await tokenResponse(req);
      return sendJson(res, answer.status, answer.body, signIn.corsHeaders(req.headers.origin));
    }
    if (method !== 'GET') return sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'GET' });
    // Entra answers its discovery documents to any origin, so browsers can read them.
    return sendJson(res, 200, endpoint === 'discovery/v2.0/keys' ? jwks : metadata(), { 'cache-control': 'max-age=86400, private', 'access-control-allow-origin': '*' });
  }

  const server = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof BodyTooLargeError) {
        sendJson(res, 413, { error: 'invalid_request', error_description: 'The request body is too large.' });
        return;
      }
      console.error(`dev identity: ${req.method} ${req.url?.split('?')[0]} failed: ${error instanceof Error ? error.message : 'unknown error'}`);
      sendJson(res, 500, { error: 'server_error', error_description: 'The dev identity failed to answer.' });
    });
  });
  const port = await listen(server, options.port ?? DEV_IDENTITY_PORT, host);
  url = `https://${clientHost(host)}:${port}`;

  return {
    url,
    tenantId,
    authority: `${url}/${tenantId}`,
    issuer: issuer(),
    jwksUri: `${url}/${tenantId}/discovery/v2.0/keys`,
    jwks,
    authorityHost: url,
    mintToken,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

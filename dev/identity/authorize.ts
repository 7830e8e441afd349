import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The dev identity's sign-in for single-page apps: OAuth 2.0 authorization code with PKCE as Entra
 * runs it for a "Single-page application" redirect URI (learn.microsoft.com/entra/identity-platform/
 * v2-oauth2-auth-code-flow). Instead of a password, the sign-in page offers one button per dev persona.
 * Codes live 10 minutes and are redeemed once; the redemption must come cross-origin from the redirect
 * URI's origin, with the code_verifier whose S256 hash is the code_challenge.
 */

export interface DevPersona {
  /** The form value; also a stable part of the persona's object id. */
  key: string;
  name: string;
  userPrincipalName: string;
  /** Object id (`oid`, `sub`). */
  objectId: string;
  /** App roles on the admin API. */
  roles: readonly string[];
}

/** Who can sign in to the local stack: a privileged administrator, an administrator and a reader, as the admin app's roles divide the work. */
export const DEV_PERSONAS: readonly DevPersona[] = [
  { key: 'privileged', name: 'Pat Privileged', userPrincipalName: 'pat.privileged@contoso.dev', objectId: '00000000-0000-4000-8000-0000000a0003', roles: ['Tokens.PrivilegedAdmin'] },
  { key: 'admin', name: 'Alex Admin', userPrincipalName: 'alex.admin@contoso.dev', objectId: '00000000-0000-4000-8000-0000000a0001', roles: ['Tokens.Admin'] },
  { key: 'reader', name: 'Riley Reader', userPrincipalName: 'riley.reader@contoso.dev', objectId: '00000000-0000-4000-8000-0000000a0002', roles: ['Tokens.Read'] },
  { key: 'desk', name: 'Dana Desk', userPrincipalName: 'dana.desk@contoso.dev', objectId: '00000000-0000-4000-8000-0000000a0004', roles: ['Tokens.Desk'] },
];

/** An app registration's "Single-page application" platform: its client id and redirect URIs. */
export interface DevSpaClient {
  clientId: string;
  redirectUris: readonly string[];
}

export interface EntraErrorAnswer {
  status: number;
  error: string;
  code: number;
  description: string;
}

type Sign = (claims: Record<string, unknown>, audience: string, lifetimeSeconds: number) => Promise<string>;

export interface AuthorizationCodeFlowOptions {
  tenantId: string;
  clients: readonly DevSpaClient[];
  /** Which audience the personas' roles are for. */
  adminAudience: string;
  sign: Sign;
}

const CODE_LIFETIME_MS = 10 * 60 * 1000;
const PENDING_LIFETIME_MS = 30 * 60 * 1000;
const TOKEN_LIFETIME_SECONDS = 3599;
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  scope: string;
  state?: string;
  nonce?: string;
  codeChallenge: string;
  codeChallengeMethod: 'S256' | 'plain';
  responseMode: 'query' | 'fragment';
  clientInfo: boolean;
}

interface IssuedCode extends AuthorizationRequest {
  persona: DevPersona;
  expiresAt: number;
  redeemed: boolean;
}

interface Grant {
  clientId: string;
  scope: string;
  persona: DevPersona;
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** The resource a delegated request names (`api://x/.default` or `api://x/Scope`), or the error Entra answers. */
function resourceOf(scope: string): string | EntraErrorAnswer {
  const requested = scope.split(/\s+/).filter((s) => s !== '' && !OIDC_SCOPES.has(s));
  const only = requested.length === 1 ? requested[0] : undefined;
  const slash = only?.lastIndexOf('/') ?? -1;
  if (!only || slash <= 0 || slash === only.length - 1) {
    return { status: 400, error: 'invalid_scope', code: 70011, description: `The provided request must include a 'scope' input parameter naming one resource (e.g. api://<app>/.default): '${scope}' does not.` };
  }
  return only.slice(0, slash);
}

export function authorizationCodeFlow(options: AuthorizationCodeFlowOptions) {
  const clients = new Map(options.clients.map((c) => [c.clientId, c]));
  const pending = new Map<string, AuthorizationRequest & { expiresAt: number }>();
  const codes = new Map<string, IssuedCode>();
  const refreshTokens = new Map<string, Grant>();

  /** Origins of the SPA redirect URIs: the only ones allowed to redeem cross-origin, as Entra allows. */
  const spaOrigins = new Set(options.clients.flatMap((c) => c.redirectUris.map((uri) => new URL(uri).origin)));

  function corsHeaders(origin: string | undefined): Record<string, string> {
    if (!origin || !spaOrigins.has(origin)) return {};
    return { 'access-control-allow-origin': origin, vary: 'Origin', 'access-control-expose-headers': 'x-ms-request-id, client-request-id' };
  }

  /** An OPTIONS preflight for the token endpoint. */
  function preflight(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    const headers = corsHeaders(origin);
    if (Object.keys(headers).length === 0) {
      res.writeHead(403, { 'content-length': 0 });
      res.end();
      return;
    }
    res.writeHead(204, {
      ...headers,
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': String(req.headers['access-control-request-headers'] ?? 'content-type'),
      'access-control-max-age': '600',
      'content-length': 0,
    });
    res.end();
  }

  function errorPage(res: ServerResponse, status: number, code: number, message: string): void {
    const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title></head><body><main><h1>Sorry, but we're having trouble signing you in.</h1><p>AADSTS${code}: ${escapeHtml(message)}</p></main></body></html>`;
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'", 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  /** Redirects back to the app with the answer in the query or the fragment, as response_mode asked. */
  function redirectBack(res: ServerResponse, request: AuthorizationRequest, params: Record<string, string>): void {
    const values = new URLSearchParams({ ...params, ...(request.state !== undefined ? { state: request.state } : {}) });
    const target = new URL(request.redirectUri);
    if (request.responseMode === 'fragment') target.hash = values.toString();
    else for (const [name, value] of values) target.searchParams.set(name, value);
    res.writeHead(302, { location: target.toString(), 'cache-control': 'no-store', 'content-length': 0 });
    res.end();
  }

  /** GET .../oauth2/v2.0/authorize: checks the request, then shows one button per persona. */
  function authorizePage(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const clientId = q.get('client_id') ?? '';
    const client = clients.get(clientId);
    if (!client) return errorPage(res, 400, 700016, `Application with identifier '${clientId}' was not found in the directory '${options.tenantId}'.`);
    const redirectUri = q.get('redirect_uri') ?? '';
    if (!client.redirectUris.includes(redirectUri)) {
      return errorPage(res, 400, 50011, `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'.`);
    }
    const responseMode = q.get('response_mode') ?? 'query';
    if (responseMode !== 'query' && responseMode !== 'fragment') return errorPage(res, 400, 900144, `response_mode '${responseMode}' is not supported here (query or fragment).`);
    const base = { redirectUri, responseMode, state: q.get('state') ?? undefined } as AuthorizationRequest;
    const fail = (error: string, code: number, description: string): void => redirectBack(res, base, { error, error_description: `AADSTS${code}: ${description}` });
    if (q.get('response_type') !== 'code') return fail('unsupported_response_type', 700054, "response_type must be 'code' for this application.");
    const scope = q.get('scope') ?? '';
    const resource = resourceOf(scope);
    if (typeof resource !== 'string') return fail(resource.error, resource.code, resource.description);
    const codeChallenge = q.get('code_challenge') ?? '';
    const method = q.get('code_challenge_method') ?? 'plain';
    if (!codeChallenge) return fail('invalid_request', 9002325, 'Proof Key for Code Exchange is required for cross-origin authorization code redemption.');
    if (method !== 'S256' && method !== 'plain') return fail('invalid_request', 50123, `The code_challenge_method '${method}' is not supported.`);
    const id = randomUUID();
    pending.set(id, {
      ...base,
      clientId,
      scope,
      ...(q.get('nonce') ? { nonce: q.get('nonce') ?? '' } : {}),
      codeChallenge,
      codeChallengeMethod: method,
      clientInfo: q.get('client_info') === '1',
      expiresAt: Date.now() + PENDING_LIFETIME_MS,
    });
    const buttons = DEV_PERSONAS.map(
      (p) =>
        `<li><button type="submit" name="persona" value="${escapeHtml(p.key)}">${escapeHtml(p.name)} (${escapeHtml(p.roles.join(', '))})</button> <span>${escapeHtml(p.userPrincipalName)}</span></li>`,
    ).join('');
    const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in - dev identity</title></head><body><main><h1>Sign in to the local stack</h1><p>The dev identity has no passwords: pick who you are. Each person holds the app roles shown.</p><form method="post" action="${escapeHtml(url.pathname)}"><input type="hidden" name="request" value="${id}"><ul>${buttons}</ul></form></main></body></html>`;
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // The form's answer redirects to the app, which form-action must allow too.
      'content-security-policy': `default-src 'none'; form-action 'self' ${new URL(redirectUri).origin}; frame-ancestors 'none'`,
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  }

  /** POST .../oauth2/v2.0/authorize: the persona's button; answers the app's redirect URI with a code. */
  function authorizeSubmit(formText: string, res: ServerResponse): void {
    const form = new URLSearchParams(formText);
    const id = form.get('request') ?? '';
    const request = pending.get(id);
    pending.delete(id);
    if (!request || request.expiresAt < Date.now()) return errorPage(res, 400, 50058, 'The sign-in request expired or was already used. Start the sign-in again from the app.');
    const persona = DEV_PERSONAS.find((p) => p.key === form.get('persona'));
    if (!persona) return errorPage(res, 400, 50034, 'That person does not exist in the dev identity.');
    const code = base64url(randomBytes(32));
    codes.set(code, { ...request, persona, expiresAt: Date.now() + CODE_LIFETIME_MS, redeemed: false });
    redirectBack(res, request, { code, ...(request.clientInfo ? { client_info: clientInfoOf(persona) } : {}) });
  }

  const clientInfoOf = (persona: DevPersona): string => base64url(JSON.stringify({ uid: persona.objectId, utid: options.tenantId }));

  async function tokensFor(grant: Grant, nonce: string | undefined, withClientInfo: boolean): Promise<Record<string, unknown>> {
    const resource = resourceOf(grant.scope) as string;
    const { persona } = grant;
    const user = { sub: persona.objectId, oid: persona.objectId, name: persona.name, preferred_username: persona.userPrincipalName };
    const roles = resource === options.adminAudience ? persona.roles : [];
    const accessToken = await options.sign(
      { ...user, azp: grant.clientId, appid: grant.clientId, idtyp: 'user', scp: 'access_as_user', ...(roles.length > 0 ? { roles: [...roles] } : {}) },
      resource,
      TOKEN_LIFETIME_SECONDS,
    );
    // Entra puts the app roles a person holds on the signing-in app into its ID token too.
    const idToken = await options.sign({ ...user, ...(persona.roles.length > 0 ? { roles: [...persona.roles] } : {}), ...(nonce ? { nonce } : {}) }, grant.clientId, TOKEN_LIFETIME_SECONDS);
    const refreshToken = base64url(randomBytes(48));
    refreshTokens.set(refreshToken, grant);
    return {
      token_type: 'Bearer',
      scope: `${resource}/.default`,
      expires_in: TOKEN_LIFETIME_SECONDS,
      ext_expires_in: TOKEN_LIFETIME_SECONDS,
      access_token: accessToken,
      refresh_token: refreshToken,
      id_token: idToken,
      ...(withClientInfo ? { client_info: clientInfoOf(persona) } : {}),
    };
  }

  /** grant_type=authorization_code or refresh_token for a SPA client; undefined when the client is not one. */
  async function redeem(form: URLSearchParams, origin: string | undefined): Promise<{ status: number; body: Record<string, unknown> } | EntraErrorAnswer | undefined> {
    const clientId = form.get('client_id') ?? '';
    const client = clients.get(clientId);
    if (!client) return undefined;
    if (!origin || !client.redirectUris.some((uri) => new URL(uri).origin === origin)) {
      return { status: 400, error: 'invalid_request', code: 9002327, description: "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests." };
    }
    const grantType = form.get('grant_type');
    if (grantType === 'refresh_token') {
      const grant = refreshTokens.get(form.get('refresh_token') ?? '');
      if (!grant || grant.clientId !== clientId) return { status: 400, error: 'invalid_grant', code: 9002313, description: 'Invalid request. Request is malformed or invalid.' };
      refreshTokens.delete(form.get('refresh_token') ?? '');
      return { status: 200, body: await tokensFor(grant, undefined, form.get('client_info') === '1') };
    }
    const code = codes.get(form.get('code') ?? '');
    if (!code || code.clientId !== clientId) return { status: 400, error: 'invalid_grant', code: 9002313, description: 'Invalid request. Request is malformed or invalid.' };
    if (code.redeemed) return { status: 400, error: 'invalid_grant', code: 54005, description: 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.' };
    if (code.expiresAt < Date.now()) return { status: 400, error: 'invalid_grant', code: 70008, description: 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.' };
    if (form.get('redirect_uri') !== code.redirectUri) return { status: 400, error: 'invalid_grant', code: 70009, description: 'The redirect_uri does not match the one of the authorization request.' };
    const verifier = form.get('code_verifier') ?? '';
    const challenge = code.codeChallengeMethod === 'S256' ? base64url(createHash('sha256').update(verifier).digest()) : verifier;
    const sameChallenge = timingSafeEqual(createHash('sha256').update(challenge).digest(), createHash('sha256').update(code.codeChallenge).digest());
    if (!verifier || !sameChallenge) {
      return { status: 400, error: 'invalid_grant', code: 501481, description: 'The Code_Verifier does not match the code_challenge supplied in the authorization request.' };
    }
    code.redeemed = true;
    return { status: 200, body: await tokensFor({ clientId, scope: code.scope, persona: code.persona }, code.nonce, code.clientInfo || form.get('client_info') === '1') };
  }

  return { authorizePage, authorizeSubmit, redeem, preflight, corsHeaders };
}

import { createHash, randomBytes } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { DEV_ADMIN_AUDIENCE, startDevIdentity, type DevIdentity } from '../../../dev/identity/server';
import { ensureDevCa } from '../../../dev/tls';

/** The dev identity's authorization code flow with PKCE, as MSAL Browser drives it for the admin console. */
describe('the dev identity signs people in to a single-page app', () => {
  const clientId = 'console-client';
  const redirectUri = 'http://127.0.0.1:7071/api/console/';
  const origin = 'http://127.0.0.1:7071';
  let identity: DevIdentity;
  beforeAll(async () => {
    identity = await startDevIdentity({ ca: ensureDevCa(), port: 0, spaClients: [{ clientId, redirectUris: [redirectUri] }] });
  });
  afterAll(() => identity?.close());

  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorizeUrl = (params: Record<string, string>) =>
    `${identity.authority}/oauth2/v2.0/authorize?${new URLSearchParams({
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: `${DEV_ADMIN_AUDIENCE}/.default openid profile offline_access`,
      state: 'state-1',
      nonce: 'nonce-1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      client_info: '1',
      ...params,
    }).toString()}`;

  /** The sign-in page, then the persona's button: answers where the browser is sent. */
  async function signIn(persona: string, params: Record<string, string> = {}): Promise<URL> {
    const page = await fetch(authorizeUrl(params));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(page.headers.get('content-security-policy')).toContain(`form-action 'self' ${origin}`);
    const request = /name="request" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const answer = await fetch(`${identity.authority}/oauth2/v2.0/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ request, persona }).toString(),
      redirect: 'manual',
    });
    expect(answer.status).toBe(302);
    return new URL(answer.headers.get('location') ?? '');
  }

  const redeem = (form: Record<string, string>, headers: Record<string, string> = { origin }) =>
    fetch(`${identity.authority}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ client_id: clientId, grant_type: 'authorization_code', redirect_uri: redirectUri, code_verifier: verifier, ...form }).toString(),
    });

  it('offers one button per persona labelled with its roles', async () => {
    const html = await (await fetch(authorizeUrl({}))).text();
    expect(html).toContain('Alex Admin (Tokens.Admin)');
    expect(html).toContain('Riley Reader (Tokens.Read)');
    expect(html).not.toMatch(/<script|<style|style=/);
  });

  it('issues a code for the persona and redeems it once, with the verifier, from the app origin only', async () => {
    const back = await signIn('admin');
    expect(`${back.origin}${back.pathname}`).toBe(redirectUri);
    expect(back.searchParams.get('state')).toBe('state-1');
    const code = back.searchParams.get('code') ?? '';
    expect(code).not.toBe('');

    const sameOrigin = await redeem({ code }, {});
    expect(sameOrigin.status).toBe(400);
    expect(((await sameOrigin.json()) as { error_codes: number[] }).error_codes).toEqual([9002327]);
    const wrongVerifier = await redeem({ code, code_verifier: randomBytes(32).toString('base64url') });
    expect(wrongVerifier.status).toBe(400);
    expect(await wrongVerifier.json()).toMatchObject({ error: 'invalid_grant', error_codes: [501481] });

    const redeemed = await redeem({ code });
    expect(redeemed.status).toBe(200);
    expect(redeemed.headers.get('access-control-allow-origin')).toBe(origin);
    const tokens = (await redeemed.json()) as { access_token: string; id_token: string; refresh_token: string; client_info: string };
    const keys = createLocalJWKSet(identity.jwks);
    const access = await jwtVerify(tokens.access_token, keys, { issuer: identity.issuer, audience: DEV_ADMIN_AUDIENCE });
    expect(access.payload).toMatchObject({ roles: ['Tokens.Admin'], preferred_username: 'alex.admin@contoso.dev', azp: clientId });
    const id = await jwtVerify(tokens.id_token, keys, { issuer: identity.issuer, audience: clientId });
    expect(id.payload).toMatchObject({ nonce: 'nonce-1', roles: ['Tokens.Admin'] });
    expect(JSON.parse(Buffer.from(tokens.client_info, 'base64url').toString('utf8'))).toEqual({ uid: access.payload.oid, utid: identity.tenantId });

    const again = await redeem({ code });
    expect(await again.json()).toMatchObject({ error: 'invalid_grant', error_codes: [54005] });

    const refreshed = await fetch(`${identity.authority}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
      body: new URLSearchParams({ client_id: clientId, grant_type: 'refresh_token', refresh_token: tokens.refresh_token, scope: `${DEV_ADMIN_AUDIENCE}/.default` }).toString(),
    });
    expect(refreshed.status).toBe(200);
  });

  it('answers in the fragment when asked, and the reader gets only Tokens.Read', async () => {
    const back = await signIn('reader', { response_mode: 'fragment' });
    expect(back.search).toBe('');
    const code = new URLSearchParams(back.hash.slice(1)).get('code') ?? '';
    const tokens = (await (await redeem({ code })).json()) as { access_token: string };
    const access = await jwtVerify(tokens.access_token, createLocalJWKSet(identity.jwks), { issuer: identity.issuer, audience: DEV_ADMIN_AUDIENCE });
    expect(access.payload.roles).toEqual(['Tokens.Read']);
  });

  it('refuses a redirect URI the app did not register, PKCE left out, and other origins preflighting', async () => {
    const wrong = await fetch(authorizeUrl({ redirect_uri: 'https://evil.example/api/console/' }), { redirect: 'manual' });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('AADSTS50011');
    const noPkce = await fetch(authorizeUrl({ code_challenge: '' }), { redirect: 'manual' });
    expect(noPkce.status).toBe(302);
    expect(new URL(noPkce.headers.get('location') ?? '').searchParams.get('error')).toBe('invalid_request');
    const preflight = (from: string) =>
      fetch(`${identity.authority}/oauth2/v2.0/token`, { method: 'OPTIONS', headers: { origin: from, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    const allowed = await preflight(origin);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(origin);
    expect((await preflight('https://evil.example')).status).toBe(403);
  });
});

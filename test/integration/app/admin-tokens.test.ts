import { TableClient } from '@azure/data-tables';
import { generateSeed } from '../../../shared/domain/seed';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import type { MintTokenOptions } from '../../../dev/identity/server';

/** Which bearer tokens the admin API takes (Entra v2.0 access tokens for it, nothing else), and what the audit keeps of the caller. */
describe('admin API bearer tokens and the audit of their holder', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  const audience = () => app.stack.appSettings.ADMIN_AUTH_AUDIENCE ?? '';
  const mint = (options: Partial<MintTokenOptions> = {}) => app.stack.identity.mintToken({ audience: audience(), roles: ['Tokens.Admin'], subject: 'oid-reader', name: 'Reader', ...options });
  const listWith = async (token: string) => fetch(`${app.api}/tokens`, { headers: { authorization: `Bearer ${token}` } });

  it('takes an access token for this API with the role', async () => {
    expect((await listWith(await mint())).status).toBe(200);
  });

  it.each<[string, Partial<MintTokenOptions>, string]>([
    ['has no exp claim', { withoutExpiry: true }, 'The bearer token has no exp claim'],
    ['is an ID token (no azp or appid, a nonce) for the same app id, roles and all', { kind: 'id' }, 'The bearer token is not an access token for this API (it has the ID token claim nonce)'],
    ['is for another audience', { audience: 'https://graph.microsoft.com' }, "The bearer token's aud claim is not accepted"],
    ['has expired', { expiresInSeconds: -3600 }, 'The bearer token has expired'],
  ])('answers 401 to a token that %s, and changes nothing', async (_what, options, detail) => {
    const response = await listWith(await mint(options));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect((await jsonOf(response)).detail).toBe(detail);

    const serial = `AT-${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
    const imported = await fetch(`${app.api}/tokens/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await mint(options)}`, 'content-type': 'text/csv' },
      body: `upn,serial number,secret key,time interval,manufacturer,model\n,${serial},${generateSeed('hmacsha1')},30,Token2,C202\n`,
    });
    expect(imported.status).toBe(401);
    expect((await app.call('GET', `tokens/${serial}`, { roles: ['Tokens.Read'] })).status).toBe(404);
  });

  it('records the caller as separate fields, so a display name cannot pass for another admin, and keeps the caller correlation id beside ours', async () => {
    const token = await mint({ subject: 'oid-eve', name: 'Ada Lovelace (oid-ada)', appId: 'app-eve' });
    const response = await fetch(`${app.api}/tokens/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv', 'x-correlation-id': 'caller-corr-1' },
      body: `upn,serial number,secret key,time interval,manufacturer,model\n,AT-AUDIT,${generateSeed('hmacsha1')},30,Token2,C202\n`,
    });
    expect(await jsonOf(response)).toMatchObject({ imported: 1 });

    const audit = TableClient.fromConnectionString(app.stack.azurite.connectionString, 'audit', { allowInsecureConnection: true });
    const entries: Record<string, unknown>[] = [];
    for await (const entry of audit.listEntities({ queryOptions: { filter: "serialNumber eq 'AT-AUDIT'" } })) entries.push(entry);
    expect(entries).toHaveLength(1);
    const [entry] = entries;
    expect(entry).toMatchObject({
      action: 'token.imported',
      outcome: 'succeeded',
      actor: 'admin oid-eve',
      callerOid: 'oid-eve',
      callerTenantId: app.stack.identity.tenantId,
      callerAppId: 'app-eve',
      callerName: 'Ada Lovelace (oid-ada)',
      callerCorrelationId: 'caller-corr-1',
    });
    expect(entry?.correlationId).toEqual(expect.any(String));
    expect(entry?.correlationId).not.toBe('caller-corr-1');
    expect(String(entry?.actor)).not.toContain('oid-ada');
  });
});

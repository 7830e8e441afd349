import { randomBytes } from 'node:crypto';
import { ClientSecretCredential, type AccessToken, type TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { createKeyVaultControl, type KeyVaultControl } from '../../../dev/keyvault/control';
import { KEY_VAULT_RESOURCE, startKeyVaultEmulator, type KeyVaultEmulator } from '../../../dev/keyvault/server';
import { startDevIdentity, type DevIdentity } from '../../../dev/identity/server';
import { ensureDevCa, type DevCa } from '../../../dev/tls';

/**
 * The real @azure/keyvault-secrets SecretClient against the emulator over verified HTTPS, with a real
 * ClientSecretCredential getting its tokens from the dev identity after Key Vault's 401 challenge.
 */

const CLIENT_ID = 'keyvault-test-app';
const CLIENT_SECRET = randomBytes(24).toString('base64url');

let ca: DevCa;
let identity: DevIdentity;
let vault: KeyVaultEmulator;
let control: KeyVaultControl;
let client: SecretClient;
const logLines: string[] = [];
const valuesUsed: string[] = [];

function credential(): ClientSecretCredential {
  return new ClientSecretCredential(identity.tenantId, CLIENT_ID, CLIENT_SECRET, {
    authorityHost: identity.authorityHost,
    disableInstanceDiscovery: true,
  });
}

function secretClient(vaultUrl: string, tokenCredential: TokenCredential = credential()): SecretClient {
  return new SecretClient(vaultUrl, tokenCredential, { disableChallengeResourceVerification: true });
}

/** A fresh value, remembered so the test can check none of them reaches the emulator's log. */
function seedValue(): string {
  const value = `seed-${randomBytes(12).toString('hex')}`;
  valuesUsed.push(value);
  return value;
}

let counter = 0;
function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}-${randomBytes(3).toString('hex')}`;
}

async function vaultToken(): Promise<string> {
  return identity.mintToken({ audience: KEY_VAULT_RESOURCE, appId: CLIENT_ID });
}

async function rawRequest(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${vault.url}${path}`, init);
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

beforeAll(async () => {
  ca = ensureDevCa();
  identity = await startDevIdentity({ port: 0, ca, clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }] });
  vault = await startKeyVaultEmulator({ port: 0, ca, authority: identity.authority, log: (line) => logLines.push(line) });
  control = createKeyVaultControl(vault.url, { ca: ca.certPem });
  client = secretClient(vault.url);
});

afterAll(async () => {
  await vault?.close();
  await identity?.close();
});

describe('Key Vault emulator with the real SecretClient', () => {
  test('sets and gets a secret, latest and by version', async () => {
    const name = uniqueName('seed');
    const first = seedValue();
    const second = seedValue();
    const v1 = await client.setSecret(name, first, { contentType: 'text/plain', tags: { serial: 'GA1' } });
    const v2 = await client.setSecret(name, second);

    expect(v1.properties.version).toMatch(/^[0-9a-f]{32}$/);
    expect(v2.properties.version).not.toBe(v1.properties.version);
    expect(v1.properties.vaultUrl).toBe(vault.url);
    expect(v1.properties.tags).toEqual({ serial: 'GA1' });

    const latest = await client.getSecret(name);
    expect(latest.value).toBe(second);
    expect(latest.properties.version).toBe(v2.properties.version);

    const old = await client.getSecret(name, { version: v1.properties.version! });
    expect(old.value).toBe(first);
    expect(old.properties.contentType).toBe('text/plain');
    expect(old.properties.enabled).toBe(true);
    expect(old.properties.createdOn).toBeInstanceOf(Date);
    expect(old.properties.recoveryLevel).toBe('Recoverable+Purgeable');
    expect(old.properties.recoverableDays).toBe(90);

    // The client's first request went out without a token and was answered with the challenge.
    expect((await control.stats()).unauthorized).toBeGreaterThanOrEqual(1);
  });

  test('an unknown secret is a 404 SecretNotFound RestError', async () => {
    await expect(client.getSecret(uniqueName('missing'))).rejects.toMatchObject({ statusCode: 404, code: 'SecretNotFound' });
  });

  test('lists secrets across pages and lists the versions of one', async () => {
    const prefix = uniqueName('list');
    const names = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`, `${prefix}-d`, `${prefix}-e`];
    for (const name of names) await client.setSecret(name, seedValue());
    await client.setSecret(names[0]!, seedValue());

    const pages: string[][] = [];
    for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize: 2 })) {
      pages.push(page.map((p) => p.name));
    }
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages.every((p) => p.length <= 2)).toBe(true);
    const listed = pages.flat();
    expect(listed.filter((n) => n.startsWith(prefix)).sort()).toEqual(names);
    expect(new Set(listed).size).toBe(listed.length);

    const all = await collect(client.listPropertiesOfSecrets());
    expect(all.map((p) => p.name)).toEqual(expect.arrayContaining(names));
    expect(all.every((p) => p.version === undefined)).toBe(true);

    const versions = await collect(client.listPropertiesOfSecretVersions(names[0]!));
    expect(versions).toHaveLength(2);
    expect(versions.every((v) => /^[0-9a-f]{32}$/.test(v.version ?? ''))).toBe(true);
  });

  test('updates properties; a disabled secret cannot be read', async () => {
    const name = uniqueName('update');
    const created = await client.setSecret(name, seedValue());
    const version = created.properties.version!;
    const expiresOn = new Date(Date.UTC(2030, 0, 1));

    const updated = await client.updateSecretProperties(name, version, {
      contentType: 'application/x-totp-seed',
      tags: { state: 'assigned' },
      expiresOn,
      enabled: false,
    });
    expect(updated.contentType).toBe('application/x-totp-seed');
    expect(updated.tags).toEqual({ state: 'assigned' });
    expect(updated.expiresOn?.toISOString()).toBe(expiresOn.toISOString());
    expect(updated.enabled).toBe(false);

    await expect(client.getSecret(name)).rejects.toMatchObject({ statusCode: 403, code: 'Forbidden' });

    await client.updateSecretProperties(name, version, { enabled: true });
    const read = await client.getSecret(name);
    expect(read.properties.tags).toEqual({ state: 'assigned' });
    expect(read.properties.expiresOn?.toISOString()).toBe(expiresOn.toISOString());
  });

  test('rejects bad names, oversized values and too many tags with 400 BadParameter', async () => {
    await expect(client.setSecret('bad_name', seedValue())).rejects.toMatchObject({ statusCode: 400, code: 'BadParameter' });
    await expect(client.setSecret(uniqueName('big'), 'x'.repeat(25 * 1024 + 1))).rejects.toMatchObject({
      statusCode: 400,
      code: 'BadParameter',
    });
    const tags = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`t${i}`, 'v']));
    await expect(client.setSecret(uniqueName('tags'), seedValue(), { tags })).rejects.toMatchObject({
      statusCode: 400,
      code: 'BadParameter',
    });
    const fifteen = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`t${i}`, 'v']));
    const ok = await client.setSecret(uniqueName('tags'), seedValue(), { tags: fifteen });
    expect(Object.keys(ok.properties.tags ?? {})).toHaveLength(15);
  });

  test('soft delete: delete poller, deleted secret, 409 on re-create, recover', async () => {
    const name = uniqueName('deleted');
    const value = seedValue();
    await client.setSecret(name, value);

    const poller = await client.beginDeleteSecret(name);
    const deleted = await poller.pollUntilDone();
    expect(deleted.name).toBe(name);
    expect(deleted.properties.recoveryId).toBe(`${vault.url}/deletedsecrets/${name}`);
    expect(deleted.properties.deletedOn).toBeInstanceOf(Date);
    const retentionMs = deleted.properties.scheduledPurgeDate!.getTime() - deleted.properties.deletedOn!.getTime();
    expect(retentionMs).toBe(90 * 24 * 3600 * 1000);

    await expect(client.getSecret(name)).rejects.toMatchObject({ statusCode: 404, code: 'SecretNotFound' });
    const fetched = await client.getDeletedSecret(name);
    expect(fetched.properties.recoveryId).toBe(deleted.properties.recoveryId);
    expect(fetched.value).toBeUndefined();
    const deletedNames = (await collect(client.listDeletedSecrets())).map((d) => d.name);
    expect(deletedNames).toContain(name);

    const conflict = await client.setSecret(name, seedValue()).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(conflict).toMatchObject({ name: 'RestError', statusCode: 409, code: 'Conflict' });
    expect((conflict as { details: unknown }).details).toMatchObject({
      error: { code: 'Conflict', innerError: { code: 'ObjectIsDeletedButRecoverable' } },
    });
    expect((conflict as Error).message).toContain('deleted but recoverable');

    const recoverPoller = await client.beginRecoverDeletedSecret(name);
    const recovered = await recoverPoller.pollUntilDone();
    expect(recovered.name).toBe(name);
    expect((await client.getSecret(name)).value).toBe(value);
    await expect(client.getDeletedSecret(name)).rejects.toMatchObject({ statusCode: 404 });
  });

  test('purge removes a deleted secret for good and frees the name', async () => {
    const name = uniqueName('purged');
    await client.setSecret(name, seedValue());
    await (await client.beginDeleteSecret(name)).pollUntilDone();
    expect(await control.secretExists(name)).toEqual({ name, exists: false, deleted: true, versions: 1 });

    await client.purgeDeletedSecret(name);
    expect(await control.secretExists(name)).toEqual({ name, exists: false, deleted: false, versions: 0 });
    await expect(client.getDeletedSecret(name)).rejects.toMatchObject({ statusCode: 404 });

    const again = seedValue();
    await client.setSecret(name, again);
    expect((await client.getSecret(name)).value).toBe(again);
  });

  test('with purge protection, purge is refused with 403 and the secret stays recoverable', async () => {
    const protectedVault = await startKeyVaultEmulator({
      port: 0,
      ca,
      authority: identity.authority,
      purgeProtection: true,
      softDeleteRetentionDays: 7,
    });
    try {
      const protectedClient = secretClient(protectedVault.url);
      const name = uniqueName('protected');
      const created = await protectedClient.setSecret(name, seedValue());
      expect(created.properties.recoveryLevel).toBe('CustomizedRecoverable');
      expect(created.properties.recoverableDays).toBe(7);
      await (await protectedClient.beginDeleteSecret(name)).pollUntilDone();

      await expect(protectedClient.purgeDeletedSecret(name)).rejects.toMatchObject({ statusCode: 403, code: 'Forbidden' });
      expect(protectedVault.secretExists(name)).toEqual({ name, exists: false, deleted: true, versions: 1 });
      await (await protectedClient.beginRecoverDeletedSecret(name)).pollUntilDone();
      expect(protectedVault.secretExists(name).exists).toBe(true);
    } finally {
      await protectedVault.close();
    }
  });
});

describe('Key Vault emulator authentication', () => {
  test('a request without a token gets the 401 challenge naming the dev identity', async () => {
    const before = (await control.stats()).unauthorized;
    const response = await rawRequest('/secrets?api-version=2025-07-01');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      `Bearer authorization="${identity.authority}", resource="https://vault.azure.net"`,
    );
    expect(await response.json()).toMatchObject({ error: { code: 'Unauthorized' } });
    expect((await control.stats()).unauthorized).toBe(before + 1);
  });

  test('a Key Vault token is accepted on the wire', async () => {
    const response = await rawRequest('/secrets?api-version=7.5', { headers: { authorization: `Bearer ${await vaultToken()}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ value: expect.any(Array) });
  });

  test('a token for another audience is refused, through the SDK and on the wire', async () => {
    const graphToken = await identity.mintToken({ audience: 'https://graph.microsoft.com', appId: CLIENT_ID });
    const wrongAudience: TokenCredential = {
      getToken: async (): Promise<AccessToken> => ({ token: graphToken, expiresOnTimestamp: Date.now() + 3600_000 }),
    };
    await expect(secretClient(vault.url, wrongAudience).getSecret('anything')).rejects.toMatchObject({
      statusCode: 401,
      code: 'Unauthorized',
    });

    const response = await rawRequest('/secrets?api-version=2025-07-01', { headers: { authorization: `Bearer ${graphToken}` } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  test('an expired token is refused', async () => {
    const expired = await identity.mintToken({ audience: KEY_VAULT_RESOURCE, expiresInSeconds: -120 });
    const response = await rawRequest('/secrets?api-version=2025-07-01', { headers: { authorization: `Bearer ${expired}` } });
    expect(response.status).toBe(401);
  });

  test('a request without api-version is a 400', async () => {
    const response = await rawRequest('/secrets', { headers: { authorization: `Bearer ${await vaultToken()}` } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'BadParameter' } });
  });
});

describe('Key Vault emulator throttling and faults', () => {
  afterEach(async () => {
    await control.setLimits({ createRequests: 300, windowMs: 10_000 });
    await control.setFaults({ failNext: null, latencyMs: 0 });
  });

  test('creates beyond the limit get 429 Throttled with Retry-After; reads keep their own budget', async () => {
    const strict = await startKeyVaultEmulator({
      port: 0,
      ca,
      authority: identity.authority,
      jwks: identity.jwks,
      createLimit: { requests: 1, windowMs: 60_000 },
    });
    try {
      const token = await vaultToken();
      const put = (name: string): Promise<Response> =>
        fetch(`${strict.url}/secrets/${name}?api-version=2025-07-01`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ value: seedValue() }),
        });
      expect((await put(uniqueName('throttle'))).status).toBe(200);
      const refused = await put(uniqueName('throttle'));
      expect(refused.status).toBe(429);
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(await refused.json()).toMatchObject({ error: { code: 'Throttled' } });

      const read = await fetch(`${strict.url}/secrets?api-version=2025-07-01`, { headers: { authorization: `Bearer ${token}` } });
      expect(read.status).toBe(200);
      expect(strict.stats()).toMatchObject({ throttled: 1, operations: { setSecret: 2, listSecrets: 1 } });
    } finally {
      await strict.close();
    }
  });

  test('the SDK honours Retry-After and every set succeeds under a small limit', async () => {
    await control.setLimits({ createRequests: 3, windowMs: 1000 });
    const before = await control.stats();
    const names = Array.from({ length: 6 }, () => uniqueName('burst'));
    const results = await Promise.all(names.map((name) => client.setSecret(name, seedValue())));
    expect(results.map((r) => r.name)).toEqual(names);

    const after = await control.stats();
    expect(after.throttled - before.throttled).toBeGreaterThanOrEqual(3);
    expect((after.operations.setSecret ?? 0) - (before.operations.setSecret ?? 0)).toBeGreaterThanOrEqual(9);
    for (const name of names) expect(vault.secretExists(name).exists).toBe(true);
  });

  test('injected faults answer the given status, then service resumes', async () => {
    const token = await vaultToken();
    await control.setFaults({ failNext: { status: 500, count: 1 } });
    const failed = await rawRequest('/secrets?api-version=2025-07-01', { headers: { authorization: `Bearer ${token}` } });
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ error: { code: 'InternalServerError' } });
    const served = await rawRequest('/secrets?api-version=2025-07-01', { headers: { authorization: `Bearer ${token}` } });
    expect(served.status).toBe(200);
  });

  test('the SDK retries through an injected 503', async () => {
    const before = (await control.stats()).injectedFaults;
    await control.setFaults({ failNext: { status: 503, count: 1, retryAfterSeconds: 0 } });
    const name = uniqueName('fault');
    const value = seedValue();
    await client.setSecret(name, value);
    expect((await client.getSecret(name)).value).toBe(value);
    expect((await control.stats()).injectedFaults).toBe(before + 1);
  });

  test('limits and faults can be read back through the control API', async () => {
    expect(await control.setLimits({ createRequests: 7, windowMs: 2000 })).toEqual({
      createRequests: 7,
      windowMs: 2000,
      otherRequests: 4000,
      otherWindowMs: 10_000,
    });
    expect(await control.limits()).toMatchObject({ createRequests: 7 });
    expect(await control.setFaults({ latencyMs: 5 })).toEqual({ failNext: null, latencyMs: 5, deletionMs: 0, purgeForbiddenByRbac: false, emptyListPages: 0 });
    await expect(control.setLimits({ createRequests: 0 })).rejects.toThrow(/400/);
  });
});

describe('Key Vault emulator control API', () => {
  test('reset forgets secrets and stats', async () => {
    const standalone = await startKeyVaultEmulator({ port: 0, ca, authority: identity.authority, jwks: identity.jwks });
    try {
      const standaloneControl = createKeyVaultControl(standalone.url, { ca: ca.certPem });
      const standaloneClient = secretClient(standalone.url);
      await standaloneClient.setSecret('kept', seedValue());
      expect(await standaloneControl.secretExists('kept')).toMatchObject({ exists: true, versions: 1 });
      expect((await standaloneControl.stats()).operations.setSecret).toBe(1);

      await standaloneControl.reset();
      expect(await standaloneControl.secretExists('kept')).toMatchObject({ exists: false, deleted: false });
      expect(await standaloneControl.stats()).toEqual({ operations: {}, throttled: 0, unauthorized: 0, injectedFaults: 0 });
    } finally {
      await standalone.close();
    }
  });

  test('secret values never reach the emulator log', () => {
    expect(logLines.length).toBeGreaterThan(0);
    expect(valuesUsed.length).toBeGreaterThan(0);
    for (const value of valuesUsed) {
      expect(logLines.some((line) => line.includes(value))).toBe(false);
    }
  });
});

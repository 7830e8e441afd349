import { HttpRequest, InvocationContext } from '@azure/functions';
import { healthHandler } from '../../functions/health';
import { ConfigError } from '../../shared/app/config';
import type { AdminAuthenticator, Clock, DependencyProbe } from '../../shared/ports';

const request = (token?: string) =>
  new HttpRequest({ method: 'GET', url: 'http://127.0.0.1:7071/api/health', ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) });
const logged: string[] = [];
const context = () =>
  new InvocationContext({ functionName: 'health', invocationId: 'test', logHandler: (level, ...args) => logged.push(`${level}: ${args.map(String).join(' ')}`) });

/** "reader" holds Tokens.Read, "nobody" no role; anything else is not a valid token. */
const authenticator: AdminAuthenticator = {
  async authenticate(authorization) {
    const principal = (roles: string[]) => ({ id: 'oid-1', name: 'Ada', roles });
    if (authorization === 'Bearer reader') return { ok: true, principal: principal(['Tokens.Read']) };
    if (authorization === 'Bearer nobody') return { ok: false, status: 403, reason: 'The Tokens.Read role is required', principal: principal([]) };
    return { ok: false, status: 401, reason: 'The bearer token is not valid' };
  },
};

function fakeClock(start = Date.parse('2026-12-01T10:00:00Z')) {
  let now = start;
  const clock: Clock = { now: () => new Date(now) };
  return { clock, advance: (ms: number) => (now += ms) };
}

function countingProbe(name: string, outcome: () => Promise<void> = async () => undefined) {
  const probe = { name, calls: 0, check: async () => {
    probe.calls++;
    await outcome();
  } };
  return probe;
}

const failingKeyVault: DependencyProbe = {
  name: 'keyVault',
  check: async () => {
    throw Object.assign(new Error('Forbidden for secret abc'), { statusCode: 403, code: 'Forbidden' });
  },
};

const bodyOf = (response: { body?: unknown }) => JSON.parse(response.body as string);

describe('GET /api/health', () => {
  it('answers anonymous callers only {"status":"ok"} when every dependency answers', async () => {
    const { clock } = fakeClock();
    const handler = healthHandler(() => ({ healthProbes: [countingProbe('storage'), countingProbe('graph')], clock }), () => authenticator);
    const response = await handler(request(), context());
    expect(response.status).toBe(200);
    expect(bodyOf(response)).toEqual({ status: 'ok' });
  });

  it('answers anonymous callers only {"status":"unavailable"} with 503, naming nothing', async () => {
    const { clock } = fakeClock();
    const handler = healthHandler(() => ({ healthProbes: [countingProbe('storage'), failingKeyVault], clock }), () => authenticator);
    const response = await handler(request(), context());
    expect(response.status).toBe(503);
    expect(bodyOf(response)).toEqual({ status: 'unavailable' });
    expect(logged).toContain('warning: health: keyVault (status 403, Forbidden) not answering');
  });

  it('gives a Tokens.Read caller each dependency and the reason it fails, never the SDK message', async () => {
    const { clock } = fakeClock();
    const handler = healthHandler(() => ({ healthProbes: [countingProbe('storage'), failingKeyVault], clock }), () => authenticator);
    const response = await handler(request('reader'), context());
    expect(response.status).toBe(503);
    expect(bodyOf(response)).toEqual({
      status: 'unavailable',
      checkedAt: '2026-12-01T10:00:00.000Z',
      detail: 'Not answering: keyVault',
      dependencies: [
        { name: 'storage', ok: true },
        { name: 'keyVault', ok: false, reason: 'status 403, Forbidden' },
      ],
    });
    expect(response.body).not.toContain('secret abc');
  });

  it('answers 401 to a bad token and 403 to one without Tokens.Read, without asking any dependency', async () => {
    const { clock } = fakeClock();
    const storage = countingProbe('storage');
    const handler = healthHandler(() => ({ healthProbes: [storage], clock }), () => authenticator);
    expect((await handler(request('forged'), context())).status).toBe(401);
    expect((await handler(request('nobody'), context())).status).toBe(403);
    expect(storage.calls).toBe(0);
  });

  it('asks the dependencies at most once per 30 s, whoever calls', async () => {
    const { clock, advance } = fakeClock();
    const storage = countingProbe('storage');
    const graph = countingProbe('graph');
    const handler = healthHandler(() => ({ healthProbes: [storage, graph], clock }), () => authenticator);
    for (let i = 0; i < 5; i++) await handler(request(i % 2 === 0 ? undefined : 'reader'), context());
    expect([storage.calls, graph.calls]).toEqual([1, 1]);
    advance(29_999);
    const cached = await handler(request('reader'), context());
    expect(bodyOf(cached).checkedAt).toBe('2026-12-01T10:00:00.000Z');
    expect(storage.calls).toBe(1);
    advance(1);
    const fresh = await handler(request('reader'), context());
    expect(bodyOf(fresh).checkedAt).toBe('2026-12-01T10:00:30.000Z');
    expect([storage.calls, graph.calls]).toEqual([2, 2]);
  });

  it('runs one check at a time: requests arriving while it runs share its answer', async () => {
    const { clock } = fakeClock();
    let answer: () => void = () => undefined;
    const slow = countingProbe('graph', () => new Promise<void>((resolve) => (answer = resolve)));
    const handler = healthHandler(() => ({ healthProbes: [slow], clock }), () => authenticator);
    const waiting = Array.from({ length: 10 }, () => handler(request(), context()));
    await new Promise((resolve) => setImmediate(resolve));
    answer();
    const responses = await Promise.all(waiting);
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(slow.calls).toBe(1);
  });

  it('names a broken setting, never its value, in a 503 problem to anyone; a Tokens.Read caller also gets what it stopped', async () => {
    const broken = () => {
      throw new ConfigError('Setting KEY_VAULT_URL: missing');
    };
    const anonymous = await healthHandler(broken, () => authenticator)(request(), context());
    expect(anonymous.status).toBe(503);
    expect((anonymous.headers as Record<string, string>)['content-type']).toBe('application/problem+json');
    expect(bodyOf(anonymous)).toEqual({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'Setting KEY_VAULT_URL: missing', setting: 'KEY_VAULT_URL' });

    const detailed = await healthHandler(broken, () => authenticator)(request('reader'), context());
    expect(detailed.status).toBe(503);
    expect(bodyOf(detailed)).toMatchObject({ status: 503, detail: 'Setting KEY_VAULT_URL: missing', setting: 'KEY_VAULT_URL', notStarted: [], dependencies: [] });
  });

  it('answers as to an anonymous caller when the admin token settings themselves are broken', async () => {
    const broken = () => {
      throw new ConfigError('Setting ADMIN_AUTH_ISSUER: missing');
    };
    const response = await healthHandler(broken, broken)(request('reader'), context());
    expect(response.status).toBe(503);
    expect(bodyOf(response)).toEqual({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'Setting ADMIN_AUTH_ISSUER: missing', setting: 'ADMIN_AUTH_ISSUER' });
  });
});

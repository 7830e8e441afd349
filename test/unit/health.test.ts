import { HttpRequest, InvocationContext } from '@azure/functions';
import { healthHandler } from '../../functions/health';
import { ConfigError } from '../../shared/config';
import type { DependencyProbe } from '../../shared/ports';

const request = () => new HttpRequest({ method: 'GET', url: 'http://127.0.0.1:7071/api/health' });
const logged: string[] = [];
const context = () =>
  new InvocationContext({ functionName: 'health', invocationId: 'test', logHandler: (level, ...args) => logged.push(`${level}: ${args.map(String).join(' ')}`) });
const answering = (name: string): DependencyProbe => ({ name, check: async () => undefined });

describe('GET /api/health', () => {
  it('answers 200 when every dependency answers', async () => {
    const response = await healthHandler(() => ({ healthProbes: [answering('storage'), answering('graph')] }))(request(), context());
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body as string)).toEqual({
      status: 'healthy',
      dependencies: [
        { name: 'storage', ok: true },
        { name: 'graph', ok: true },
      ],
    });
  });

  it('answers 503 problem+json naming the failing dependency and its status code', async () => {
    const failing: DependencyProbe = {
      name: 'keyVault',
      check: async () => {
        throw Object.assign(new Error('Forbidden for secret abc'), { statusCode: 403, code: 'Forbidden' });
      },
    };
    const response = await healthHandler(() => ({ healthProbes: [answering('storage'), failing] }))(request(), context());
    expect(response.status).toBe(503);
    expect((response.headers as Record<string, string>)['content-type']).toBe('application/problem+json');
    const body = JSON.parse(response.body as string);
    expect(body).toMatchObject({ status: 503, detail: 'Not answering: keyVault' });
    expect(body.dependencies).toContainEqual({ name: 'keyVault', ok: false, reason: 'status 403, Forbidden' });
    expect(response.body).not.toContain('secret abc');
    expect(logged).toContain('warning: health: keyVault (status 403, Forbidden) not answering');
  });

  it('answers 503 with the one-line config error when a setting is bad', async () => {
    const response = await healthHandler(() => {
      throw new ConfigError('Setting KEY_VAULT_URL: missing');
    })(request(), context());
    expect(response.status).toBe(503);
    expect(JSON.parse(response.body as string).detail).toBe('Setting KEY_VAULT_URL: missing');
  });
});

import { jsonOf, startTestApp, type TestApp } from '../../support/app';

describe('GET /api/health through the local host', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers 200 when storage, Key Vault and Graph answer, over real HTTPS with the app credential', async () => {
    const response = await fetch(`${app.api}/health`);
    expect(response.status).toBe(200);
    expect(await jsonOf(response)).toEqual({
      status: 'healthy',
      dependencies: [
        { name: 'storage', ok: true },
        { name: 'keyVault', ok: true },
        { name: 'graph', ok: true },
      ],
    });
  });

  it('answers 503 naming Graph while the Graph emulator fails every request', async () => {
    await app.graph.setFaults({ failRate: { status: 500, probability: 1 } });
    try {
      const response = await fetch(`${app.api}/health`);
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      const body = await jsonOf(response);
      expect(body.detail).toBe('Not answering: graph');
    } finally {
      await app.graph.clearFaults();
    }
  });
});

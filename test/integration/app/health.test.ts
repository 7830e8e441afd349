import { jsonOf, startTestApp, type TestApp } from '../../support/app';

describe('GET /api/health through the local host', () => {
  describe('with every dependency answering', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp();
    });
    afterAll(async () => {
      await app?.close();
    });

    const graphProbes = async () => (await app.graph.stats()).requests['GET devices'] ?? 0;
    const vaultLists = async () => (await app.keyVault.stats()).operations.listSecrets ?? 0;

    it('answers an anonymous caller only {"status":"ok"}', async () => {
      const response = await fetch(`${app.api}/health`);
      expect(response.status).toBe(200);
      expect(await jsonOf(response)).toEqual({ status: 'ok' });
    });

    it('gives a Tokens.Read caller each dependency, checked over real HTTPS with the app credential', async () => {
      const response = await app.call('GET', 'health', { roles: ['Tokens.Read'] });
      expect(response.status).toBe(200);
      expect(await jsonOf(response)).toEqual({
        status: 'ok',
        checkedAt: expect.any(String),
        dependencies: [
          { name: 'storage', ok: true },
          { name: 'keyVault', ok: true },
          { name: 'graph', ok: true },
        ],
      });
    });

    it('answers 401 to a caller whose token is not valid, and 403 without a role', async () => {
      expect((await fetch(`${app.api}/health`, { headers: { authorization: 'Bearer not-a-jwt' } })).status).toBe(401);
      expect((await app.call('GET', 'health', { roles: [] })).status).toBe(403);
    });

    it('asks Graph and Key Vault once per check however many callers come, anonymous or not', async () => {
      const [graphBefore, vaultBefore] = [await graphProbes(), await vaultLists()];
      const checkedAt = new Set<string>();
      const detailed = () => app.call('GET', 'health', { roles: ['Tokens.Read'] }).then(async (r) => checkedAt.add((await jsonOf(r)).checkedAt as string));
      const anonymous = () => fetch(`${app.api}/health`).then((r) => r.arrayBuffer());
      await Promise.all([detailed(), ...Array.from({ length: 20 }, anonymous), detailed()]);
      for (let i = 0; i < 20; i++) await anonymous();
      await detailed();
      // Every check any of these requests caused shows in a detailed answer: one check per 30 s window.
      const checks = [...checkedAt].filter((at) => Date.parse(at) >= 0);
      expect(checks.length).toBeLessThanOrEqual(2);
      const [graphAfter, vaultAfter] = [await graphProbes(), await vaultLists()];
      expect(graphAfter - graphBefore).toBeLessThanOrEqual(checks.length);
      expect(vaultAfter - vaultBefore).toBeLessThanOrEqual(checks.length);
    });
  });
});

import { jsonOf, startTestApp, type TestApp } from '../../support/app';

/** Its own file: one app per jest module registry, and health's cached check lives in that registry. */
describe('GET /api/health through the local host', () => {
  describe('while the Graph emulator fails every request', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp();
      await app.graph.setFaults({ failRate: { status: 500, probability: 1 } });
    });
    afterAll(async () => {
      await app?.close();
    });

    it('answers 503 {"status":"unavailable"} to an anonymous caller, naming nothing', async () => {
      const response = await fetch(`${app.api}/health`);
      expect(response.status).toBe(503);
      expect(await jsonOf(response)).toEqual({ status: 'unavailable' });
    });

    it('names Graph to a Tokens.Read caller', async () => {
      const response = await app.call('GET', 'health', { roles: ['Tokens.Read'] });
      expect(response.status).toBe(503);
      const body = await jsonOf(response);
      expect(body).toMatchObject({ status: 'unavailable', detail: 'Not answering: graph' });
      expect(body.dependencies).toContainEqual({ name: 'graph', ok: false, reason: expect.stringContaining('500') });
    });
  });
});

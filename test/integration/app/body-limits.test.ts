import http from 'node:http';
import { generateSeed } from '../../../shared/domain/seed';
import { jsonOf, startTestApp, type TestApp } from '../../support/app';
import { sendChunked, type ChunkedAnswer } from '../../support/chunked';

/**
 * Item 8 of issue 21 through the real host: a chunked body (no Content-Length) that would never end is
 * answered 413 once it crosses the route's limit, long before it is read whole, on the anonymous routes
 * first (HR webhooks, vendor webhooks, Lifecycle Workflows tasks) and on the admin ones; a body under the
 * limit still arrives whole; and a problem's `status` is the HTTP status, never a token's state.
 */

const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';
const RELAY = '0b5e3c6a-8d2f-4c1e-9a7b-3f6d2e1c0a9b';
/** What the sender offers before it gives up: far more than any limit, so only an early answer stops it. */
const HUGE = 96 * 1024 * 1024;
/** What may have left the sender before the answer arrived: the limit plus socket buffers, nowhere near HUGE. */
const AT_MOST_SENT = 24 * 1024 * 1024;

describe('bodies are limited while they are read', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({
      settings: {
        HIBOB_WEBHOOK_SECRET_NAME: 'hibob-webhook-secret',
        HIBOB_API_URL: 'https://127.0.0.1:9/api',
        HIBOB_SERVICE_USER_ID: 'SERVICE-USER-1',
        HIBOB_API_TOKEN_SECRET_NAME: 'hibob-api-token',
        LIFECYCLE_ALLOWED_CALLERS: RELAY,
      },
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  const bearer = async (roles: string[], subject?: string) => ({ authorization: `Bearer ${await app.adminToken(roles, subject)}` });

  it.each([
    ['the HR webhook', 'hr/events', async () => ({ 'content-type': 'application/json' }), /larger than 64 KB/],
    ['a vendor webhook', 'hr/events/hibob', async () => ({ 'content-type': 'application/json' }), /larger than 64 KB/],
    ['the Lifecycle Workflows task', 'lifecycle/tasks', async () => ({ 'content-type': 'application/json', ...(await bearer(['Lifecycle.Tasks'], RELAY)) }), /larger than \d+ KB/],
    ['an admin JSON route', 'users/ada%40contoso.com/token/revoke', async () => ({ 'content-type': 'application/json', ...(await bearer(['Tokens.Admin'])) }), /larger than 16 KB/],
    ['the import', 'tokens/import', async () => ({ 'content-type': 'text/csv', ...(await bearer(['Tokens.Admin'])) }), /more than 5 MB/],
  ])('answers 413 problem+json to a chunked body that never ends, sent to %s, without reading it whole', async (_what, route, headers, detail) => {
    const answer = await sendChunked(`${app.api}/${route}`, await headers(), HUGE);
    expect(answer.status).toBe(413);
    expect(answer.contentType).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ status: 413, title: 'Content Too Large', detail: expect.stringMatching(detail) });
    expect(answer.sent).toBeLessThan(AT_MOST_SENT);
  });

  it("answers 413 on the local host's own admin endpoint too", async () => {
    const answer = await sendChunked(`${app.host.url}/admin/functions/reconcileWorker`, { 'content-type': 'application/json' }, HUGE);
    expect(answer.status).toBe(413);
    expect(answer.contentType).toBe('application/problem+json');
    expect(answer.sent).toBeLessThan(AT_MOST_SENT);
  });

  it('reads a chunked body under the limit whole, and answers a revoke of a token in stock with the HTTP status and the token state apart', async () => {
    const csv = `${HEADER}\n,LIMIT-STOCK-1,${generateSeed('hmacsha1')},30,Token2,C202\n`;
    const imported = await sendChunked(`${app.api}/tokens/import`, { 'content-type': 'text/csv', ...(await bearer(['Tokens.Admin'])) }, 0);
    // An empty chunked body is read as empty: the file has no header.
    expect(imported.status).toBe(400);
    const response = await new Promise<ChunkedAnswer>((resolve, reject) => {
      const target = new URL(`${app.api}/tokens/import`);
      void bearer(['Tokens.Admin']).then((auth) => {
        const request = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'text/csv', 'transfer-encoding': 'chunked', ...auth } });
        request.on('response', (res) => {
          const parts: Buffer[] = [];
          res.on('data', (part: Buffer) => parts.push(part));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: Buffer.concat(parts).toString('utf8'), sent: csv.length }));
        });
        request.on('error', reject);
        // The file in small chunks, the header split across two of them.
        for (let i = 0; i < csv.length; i += 7) request.write(csv.slice(i, i + 7));
        request.end();
      }, reject);
    });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ imported: 1, unchanged: 0, errors: [] });

    const revoke = await app.call('POST', 'tokens/LIMIT-STOCK-1/revoke', { body: JSON.stringify({ reason: 'offboarded' }), contentType: 'application/json' });
    expect(revoke.status).toBe(409);
    expect(revoke.headers.get('content-type')).toBe('application/problem+json');
    const problem = await jsonOf(revoke);
    expect(problem).toMatchObject({ type: 'about:blank', title: 'Conflict', status: 409, serialNumber: 'LIMIT-STOCK-1', tokenStatus: 'in_stock' });
    expect(problem.detail).toMatch(/in_stock/);
  });
});

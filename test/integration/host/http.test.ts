import path from 'node:path';
import { startLocalHost, type LocalHost } from '../../../dev/host/server';
import { EXPLOSION_TEXT, nextObservation, slowGate } from '../../fixtures/host-functions/observed';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'host-functions');

describe('local host: HTTP functions', () => {
  let host: LocalHost;
  const logLines: string[] = [];
  const api = (route: string) => `${host.url}/api/${route}`;

  beforeAll(async () => {
    host = await startLocalHost({
      port: 0,
      functionsDir: path.join(FIXTURES, 'http'),
      hostJsonPath: path.join(FIXTURES, 'host.json'),
      storageConnectionString: 'UseDevelopmentStorage=true',
      log: (line) => logLines.push(line),
    });
  });

  afterAll(async () => {
    await host.close();
  });

  it('lists the functions it loaded', () => {
    expect(host.functions.map((f) => f.name).sort()).toEqual(['echo', 'explode', 'files', 'getToken', 'importTokens', 'removeThing', 'revokeUserToken', 'slow']);
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('passes route params, query, headers and a JSON body, and maps status, headers and jsonBody back', async () => {
    const response = await fetch(`${api('echo/books/42')}?q=hello%20world&tag=a&tag=b`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-test': 'header value' },
      body: JSON.stringify({ title: 'Dune', pages: 412 }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-echo')).toBe('yes');
    expect(response.headers.get('content-type')).toBe('application/json');
    const echoed = (await response.json()) as Record<string, unknown>;
    expect(echoed).toMatchObject({
      method: 'POST',
      params: { category: 'books', id: '42' },
      query: { q: 'hello world', tag: 'b' },
      tags: ['a', 'b'],
      header: 'header value',
      body: { title: 'Dune', pages: 412 },
    });
    expect(echoed.url).toBe(`${api('echo/books/42')}?q=hello%20world&tag=a&tag=b`);
    expect(logLines).toContain('[echo] echo called');
    expect(logLines.some((line) => line.startsWith(`[echo] Executed (Succeeded, Id=${String(echoed.invocationId)}`))).toBe(true);
  });

  it('treats an optional parameter as optional and honours its constraint', async () => {
    const without = await fetch(api('echo/books'));
    expect(without.status).toBe(200);
    expect(((await without.json()) as { params: unknown }).params).toEqual({ category: 'books' });

    const notAnInt = await fetch(api('echo/books/forty-two'));
    expect(notAnInt.status).toBe(404);
  });

  it('decodes route parameters and matches literal segments case-insensitively', async () => {
    const response = await fetch(`${host.url}/API/Users/${encodeURIComponent('ada@contoso.com')}/Token/Revoke`, { method: 'POST' });
    expect(response.status).toBe(202);
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(await response.text()).toBe('revoking for ada@contoso.com');
  });

  it('prefers the literal route over the parameter and answers 405 for a method no route takes', async () => {
    const imported = await fetch(api('tokens/import'), { method: 'POST', body: 'serial,key\n' });
    expect(await imported.text()).toBe('imported 11 bytes');

    const token = await fetch(api('tokens/SN-1'));
    expect(await token.json()).toEqual({ serial: 'SN-1' });

    const wrongMethod = await fetch(api('tokens/SN-1'), { method: 'PUT' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
    await wrongMethod.arrayBuffer();
  });

  it('streams a ReadableStream body and fills a catch-all parameter with the rest of the path', async () => {
    const response = await fetch(api('files/a/b/c.txt'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await response.text()).toBe('file a/b/c.txt');

    const root = await fetch(api('files'));
    expect(await root.text()).toBe('file (root)');
  });

  it('sends no body with 204', async () => {
    const response = await fetch(api('things/7'), { method: 'DELETE' });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
  });

  it('answers 404 with problem details for an unknown route or outside the route prefix', async () => {
    for (const url of [api('no/such/route'), `${host.url}/echo/books`]) {
      const response = await fetch(url);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.json()).toMatchObject({ status: 404, title: 'Not Found' });
    }
  });

  it('answers 500 without the error text when a handler throws, and logs the error instead', async () => {
    const response = await fetch(api('explode'));
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const body = await response.text();
    expect(body).not.toContain(EXPLOSION_TEXT);
    expect(body).not.toContain('at ');
    expect(JSON.parse(body)).toMatchObject({ status: 500, title: 'Internal Server Error' });
    expect(logLines.some((line) => line.startsWith('[explode] ERROR') && line.includes(EXPLOSION_TEXT))).toBe(true);
  });

  it('answers 404 on the admin endpoint for an HTTP or unknown function', async () => {
    for (const name of ['echo', 'doesNotExist']) {
      const response = await fetch(`${host.url}/admin/functions/${name}`, { method: 'POST', body: '{}' });
      expect(response.status).toBe(404);
      await response.arrayBuffer();
    }
  });
});

describe('local host: close()', () => {
  it('waits for the invocation in flight, answers it, then stops accepting connections', async () => {
    const host = await startLocalHost({
      port: 0,
      functionsDir: path.join(FIXTURES, 'http'),
      storageConnectionString: 'UseDevelopmentStorage=true',
      log: () => undefined,
    });
    const responding = fetch(`${host.url}/api/slow`);
    await nextObservation((o) => o.functionName === 'slow');

    let closed = false;
    const closing = host.close().then(() => {
      closed = true;
    });
    // The handler is still waiting on the gate, so close() cannot have finished.
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);

    slowGate.open();
    const response = await responding;
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('finished');
    await closing;
    expect(closed).toBe(true);
    await expect(fetch(`${host.url}/api/slow`)).rejects.toThrow();
  });
});

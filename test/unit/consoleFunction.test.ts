import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { assetPath, consoleHandler } from '../../functions/console';

describe('the console function', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'console-dist-'));
  const outside = path.join(path.dirname(dir), `${path.basename(dir)}-secret.txt`);
  beforeAll(() => {
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(path.join(dir, 'assets', 'index-B2x_9aQe.js'), 'console.log(1)');
    writeFileSync(path.join(dir, 'assets', 'index-fzGhfoz1.css'), 'body{}');
    writeFileSync(path.join(dir, 'assets', 'index-B2x_9aQe.js.map'), '{}');
    writeFileSync(outside, 'not for the web');
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { force: true });
  });

  const signIn = { clientId: '6c0f5e1a-7d2b-4c3e-9a8f-00000000c0de', authority: 'https://login.microsoftonline.com/tenant-1', scope: 'api://x/.default' };
  const handler = consoleHandler({ dir, settings: () => ({ signIn, lowStockThreshold: 7 }) });
  const get = async (routePath: string | undefined, method = 'GET') => {
    const response = await handler(
      new HttpRequest({ url: `http://localhost/api/console/${routePath ?? ''}`, method, params: routePath === undefined ? {} : { path: routePath } }),
      new InvocationContext(),
    );
    const headers = new Headers(response.headers);
    const body = response.body instanceof Uint8Array ? Buffer.from(response.body).toString('utf8') : (response.body as string | undefined);
    return { status: response.status, headers, body };
  };

  it('serves the page with no-cache and a CSP that allows only itself and the sign-in authority', async () => {
    const page = await get(undefined);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>console</title>');
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self';");
    // Fluent UI's styles go through the CSSOM into empty <style> elements: only the empty one is allowed.
    expect(csp).toContain("style-src 'self' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';");
    expect(csp).toContain("connect-src 'self' https://login.microsoftonline.com;");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await get('index.html')).body).toBe(page.body);
  });

  it('serves hashed assets as immutable with their content types, and never source maps', async () => {
    const script = await get('assets/index-B2x_9aQe.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await get('assets/index-fzGhfoz1.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await get('assets/index-B2x_9aQe.js.map')).status).toBe(404);
    const head = await get('assets/index-B2x_9aQe.js', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBeUndefined();
  });

  it('answers config.json from the settings, never cached', async () => {
    const config = await get('config.json');
    expect(config.status).toBe(200);
    expect(JSON.parse(config.body ?? '')).toEqual({ ...signIn, lowStockThreshold: 7 });
    expect(config.headers.get('cache-control')).toBe('no-store');
  });

  it('says which setting is missing when no client id can be derived', async () => {
    const unset = consoleHandler({ dir, settings: () => ({ signIn: { authority: signIn.authority, scope: signIn.scope }, lowStockThreshold: 5 }) });
    const response = await unset(new HttpRequest({ url: 'http://localhost/api/console/config.json', method: 'GET', params: { path: 'config.json' } }), new InvocationContext());
    expect(response.status).toBe(503);
    expect(JSON.parse(response.body as string)).toMatchObject({ setting: 'CONSOLE_CLIENT_ID' });
  });

  it.each(['../' + path.basename(outside), 'assets/../../' + path.basename(outside), '..%2f' + path.basename(outside), 'assets\\..\\index.html', './index.html', 'assets//index-B2x_9aQe.js', 'nope.js', 'assets', `a${'/b'.repeat(200)}`])(
    'answers 404 problem+json for %s, never a file from elsewhere',
    async (wanted) => {
      const response = await get(wanted);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.body).not.toContain('not for the web');
    },
  );

  it('keeps every path inside the folder', () => {
    expect(assetPath('../x')).toBeUndefined();
    expect(assetPath('a/./b')).toBeUndefined();
    expect(assetPath('a\0b')).toBeUndefined();
    expect(assetPath('')).toBe('index.html');
    expect(assetPath('assets/app-12345678.js')).toBe('assets/app-12345678.js');
  });

  it('answers 503 for the page when the console was not built', async () => {
    const empty = consoleHandler({ dir: path.join(dir, 'missing'), settings: () => ({ signIn, lowStockThreshold: 5 }) });
    const response = await empty(new HttpRequest({ url: 'http://localhost/api/console/', method: 'GET', params: {} }), new InvocationContext());
    expect(response.status).toBe(503);
  });
});

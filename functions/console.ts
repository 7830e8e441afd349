import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { ConsoleSettings } from '../shared/app/config';
import { httpFunction } from '../shared/app/hosting';
import { json, problem } from '../shared/http/problem';
import { services } from '../shared/app/runtime';

/**
 * The admin console: the page and assets Vite builds into console-dist/, and the sign-in settings the
 * page reads from config.json (no inline script, so the Content-Security-Policy can forbid them all).
 * Files are read once per instance; only those found under console-dist/ are ever served.
 */

/** console-dist/ beside package.json, whether this runs compiled (dist/functions) or from source (functions/). */
export const CONSOLE_DIR = path.resolve(__dirname, path.basename(path.resolve(__dirname, '..')) === 'dist' ? '../..' : '..', 'console-dist');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Vite's content-hashed names (assets/index-B2x_9aQe.js): a new build gives a new name, so they never change. */
const HASHED_ASSET = /^assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

interface Asset {
  body: Buffer;
  type: string;
  immutable: boolean;
}

function readAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (relative: string): void => {
    for (const entry of readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const name = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(name);
      else if (entry.isFile()) {
        const type = CONTENT_TYPES[path.extname(name).toLowerCase()];
        // Source maps and anything without a known type stay on the server.
        if (type) assets.set(name, { body: readFileSync(path.join(dir, name)), type, immutable: HASHED_ASSET.test(name) });
      }
    }
  };
  try {
    walk('');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return assets;
}

/**
 * Fluent UI's styles (Griffel) are rules added to empty <style> elements through the CSSOM
 * (insertRule), which the CSP does not govern; the empty element itself is allowed by the hash of
 * the empty string. Any <style> with text in it, from anywhere, is still refused.
 */
export const EMPTY_STYLE_HASH = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='";

/** Nothing loads from elsewhere except the sign-in authority, which MSAL calls (metadata, token) and may frame for silent renewal. */
export function contentSecurityPolicy(authority: string): string {
  const origin = new URL(authority).origin;
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' ${EMPTY_STYLE_HASH}`,
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${origin}`,
    `frame-src ${origin}`,
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

function securityHeaders(authority: string): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(authority),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-resource-policy': 'same-origin',
  };
}

/** A path below /api/console/ as route parameters give it; undefined for anything that could climb out or is malformed. */
export function assetPath(raw: string | undefined): string | undefined {
  const value = raw ?? '';
  if (value === '' || value === 'index.html') return 'index.html';
  if (value.length > 256 || /[\\\0%]/.test(value)) return undefined;
  const segments = value.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) return undefined;
  return segments.join('/');
}

export interface ConsoleOptions {
  dir: string;
  /** The sign-in settings, and LOW_STOCK_THRESHOLD for the Overview's chart. */
  settings: () => { signIn: ConsoleSettings; lowStockThreshold: number };
}

/** GET /api/console/ and /api/console/{*path}: the page, its assets and config.json. */
export function consoleHandler(options: ConsoleOptions) {
  let assets: Map<string, Asset> | undefined;
  return async (request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
    const { signIn: settings, lowStockThreshold } = options.settings();
    const headers = securityHeaders(settings.authority);
    const wanted = assetPath(request.params.path);
    if (wanted === 'config.json') {
      if (!settings.clientId) {
        return problem(503, 'Setting CONSOLE_CLIENT_ID: missing; set it to the application (client) id of the admin app registration', { setting: 'CONSOLE_CLIENT_ID' }, headers);
      }
      return json(200, { clientId: settings.clientId, authority: settings.authority, scope: settings.scope, lowStockThreshold }, { ...headers, 'cache-control': 'no-store' });
    }
    assets ??= readAssets(options.dir);
    const asset = wanted === undefined ? undefined : assets.get(wanted);
    if (!asset) {
      if (wanted === 'index.html') return problem(503, 'The console is not built: run npm run build', {}, headers);
      return problem(404, 'No console file at this path', {}, headers);
    }
    return {
      status: 200,
      headers: {
        ...headers,
        'content-type': asset.type,
        'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      },
      body: request.method === 'HEAD' ? undefined : new Uint8Array(asset.body),
    };
  };
}

httpFunction('console', {
  route: 'console/{*path}',
  methods: ['GET', 'HEAD'],
  handler: consoleHandler({ dir: CONSOLE_DIR, settings: () => ({ signIn: services().config.console, lowStockThreshold: services().config.lowStockThreshold }) }),
});

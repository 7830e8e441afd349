import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, createServer } from 'node:https';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { setTimeout as delay } from 'node:timers/promises';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { issueServerCertificate, type DevCa } from '../tls';
import { SlidingWindowLimiter, type RateLimit } from './limiter';
import { checkSecretName, KeyVaultError, SecretStore, type SetSecretInput } from './store';
import { clientHost, listen, readBodyText } from '../net';

/**
 * Key Vault emulator: the secrets REST API as @azure/keyvault-secrets speaks it, over HTTPS, with
 * challenge-based bearer auth against the dev identity, soft delete, the service's throttling
 * limits, and a control API under /_emulator for tests (stats, reset, limits, injected faults).
 * Secret values are never logged.
 */

export const KEY_VAULT_PORT = 8444;
/** The resource Key Vault names in its challenge; tokens carry it (or the app id below) as `aud`. */
export const KEY_VAULT_RESOURCE = 'https://vault.azure.net';
export const KEY_VAULT_APP_ID = 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093';
/** Key Vault's published limits: 300 secret creates and 4,000 other transactions per 10 s per vault. */
export const DEFAULT_CREATE_LIMIT: RateLimit = { requests: 300, windowMs: 10_000 };
export const DEFAULT_OTHER_LIMIT: RateLimit = { requests: 4000, windowMs: 10_000 };
const MAX_PAGE_SIZE = 25;
const MAX_BODY_BYTES = 256 * 1024;
const API_VERSION_PATTERN = /^(7\.\d+(-preview(\.\d+)?)?|\d{4}-\d{2}-\d{2}(-preview)?)$/;

export type KeyVaultOperation =
  | 'setSecret'
  | 'getSecret'
  | 'updateSecret'
  | 'listSecrets'
  | 'listSecretVersions'
  | 'deleteSecret'
  | 'getDeletedSecret'
  | 'listDeletedSecrets'
  | 'recoverDeletedSecret'
  | 'purgeDeletedSecret';

export interface KeyVaultEmulatorOptions {
  port?: number;
  host?: string;
  ca: DevCa;
  /** Authorization server named in the 401 challenge: the dev identity's `${url}/${tenantId}`. */
  authority: string;
  /** Where verification keys come from; default `${authority}/discovery/v2.0/keys`. */
  jwksUri?: string;
  /** Verification keys held in process, instead of fetching jwksUri. */
  jwks?: JSONWebKeySet;
  /** Expected `iss`; default `${authority}/v2.0`. */
  issuer?: string;
  createLimit?: RateLimit;
  otherLimit?: RateLimit;
  /** Keeps the secrets in this file (owner-only), read at start and rewritten after each change; in memory only without it. */
  stateFile?: string;
  /** 7-90, default 90 as in Azure. */
  softDeleteRetentionDays?: number;
  purgeProtection?: boolean;
  /** One line per request (method, path, status); never values. */
  log?: (line: string) => void;
}

export interface KeyVaultLimits {
  createRequests: number;
  windowMs: number;
  otherRequests: number;
  otherWindowMs: number;
}

export interface KeyVaultFaults {
  /** The next `count` authenticated secret requests answer `status` instead of being served. */
  failNext: { status: number; count: number; retryAfterSeconds?: number } | null;
  /** Added before every secrets API request. */
  latencyMs: number;
  /** A delete or purge stays in progress this long: meanwhile a set or purge of the name answers 409 ObjectIsBeingDeleted. */
  deletionMs: number;
  /** Purges answer 403 ForbiddenByRbac (a role without the purge action) instead of being done or refused by purge protection. */
  purgeForbiddenByRbac: boolean;
  /** List operations answer this many empty pages, each with a nextLink, before the first real one. */
  emptyListPages: number;
}

export interface KeyVaultStats {
  /** Authenticated requests received, per operation (throttled and failed ones included). */
  operations: Partial<Record<KeyVaultOperation, number>>;
  /** 429s sent by the throttle (injected faults are counted apart). */
  throttled: number;
  /** 401s sent: challenges to requests without a token, and refused tokens. */
  unauthorized: number;
  injectedFaults: number;
}

export interface SecretPresence {
  name: string;
  exists: boolean;
  deleted: boolean;
  versions: number;
}

export interface KeyVaultEmulator {
  url: string;
  stats(): KeyVaultStats;
  /** Forgets all secrets, stats and faults; limits go back to the start options. */
  reset(): void;
  setLimits(limits: Partial<KeyVaultLimits>): KeyVaultLimits;
  setFaults(faults: Partial<KeyVaultFaults>): KeyVaultFaults;
  secretExists(name: string): SecretPresence;
  close(): Promise<void>;
}

interface Route {
  operation: KeyVaultOperation;
  name?: string;
  version?: string;
}

/** Maps method and path to an operation. Undefined: no such resource; 'method': wrong method. */
function resolveRoute(method: string, pathname: string): Route | 'method' | undefined {
  const raw = pathname.replace(/^\/+/, '').split('/');
  // The SDK asks for the latest version as `/secrets/{name}/` (an empty version).
  if (raw.length > 1 && raw.at(-1) === '') raw.pop();
  const segments = raw.map(decodeSegment);
  const [collection, name, third] = segments;
  const wrong = (): 'method' => 'method';
  if (collection === 'secrets') {
    if (segments.length === 1) return method === 'GET' ? { operation: 'listSecrets' } : wrong();
    if (segments.length === 2 && name !== undefined) {
      if (method === 'PUT') return { operation: 'setSecret', name };
      if (method === 'GET') return { operation: 'getSecret', name };
      if (method === 'PATCH') return { operation: 'updateSecret', name };
      if (method === 'DELETE') return { operation: 'deleteSecret', name };
      return wrong();
    }
    if (segments.length === 3 && name !== undefined && third !== undefined) {
      if (third === 'versions') return method === 'GET' ? { operation: 'listSecretVersions', name } : wrong();
      if (method === 'GET') return { operation: 'getSecret', name, version: third };
      if (method === 'PATCH') return { operation: 'updateSecret', name, version: third };
      return wrong();
    }
  }
  if (collection === 'deletedsecrets') {
    if (segments.length === 1) return method === 'GET' ? { operation: 'listDeletedSecrets' } : wrong();
    if (segments.length === 2 && name !== undefined) {
      if (method === 'GET') return { operation: 'getDeletedSecret', name };
      if (method === 'DELETE') return { operation: 'purgeDeletedSecret', name };
      return wrong();
    }
    if (segments.length === 3 && name !== undefined && third === 'recover') {
      return method === 'POST' ? { operation: 'recoverDeletedSecret', name } : wrong();
    }
  }
  return undefined;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new KeyVaultError(400, 'BadParameter', 'The request URI is not properly encoded.');
  }
}

const readBody = (req: IncomingMessage): Promise<string> =>
  readBodyText(req, MAX_BODY_BYTES, () => new KeyVaultError(413, 'BadParameter', 'The request body is too large.'));

async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? undefined : JSON.parse(text);
  } catch {
    throw new KeyVaultError(400, 'BadParameter', 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new KeyVaultError(400, 'BadParameter', 'The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-cache',
    'x-ms-request-id': randomUUID(),
    'x-ms-keyvault-service-version': '1.9.0.0',
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, error: KeyVaultError, headers: Record<string, string> = {}): void {
  sendJson(
    res,
    error.status,
    { error: { code: error.code, message: error.message, ...(error.innerCode ? { innererror: { code: error.innerCode } } : {}) } },
    headers,
  );
}

const ERROR_CODES: Record<number, string> = {
  400: 'BadParameter',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  429: 'Throttled',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

const limitsSchema = z
  .object({
    createRequests: z.number().int().positive().optional(),
    windowMs: z.number().int().positive().optional(),
    otherRequests: z.number().int().positive().optional(),
    otherWindowMs: z.number().int().positive().optional(),
  })
  .strict();

const NO_FAULTS: KeyVaultFaults = { failNext: null, latencyMs: 0, deletionMs: 0, purgeForbiddenByRbac: false, emptyListPages: 0 };

const faultsSchema = z
  .object({
    failNext: z
      .object({
        status: z.number().int().min(400).max(599),
        count: z.number().int().positive(),
        retryAfterSeconds: z.number().int().nonnegative().optional(),
      })
      .strict()
      .nullable()
      .optional(),
    latencyMs: z.number().int().nonnegative().max(60_000).optional(),
    deletionMs: z.number().int().nonnegative().max(600_000).optional(),
    purgeForbiddenByRbac: z.boolean().optional(),
    emptyListPages: z.number().int().nonnegative().max(100).optional(),
  })
  .strict();

function keySetFor(options: KeyVaultEmulatorOptions, authority: string): JWTVerifyGetKey {
  if (options.jwks) return createLocalJWKSet(options.jwks);
  // Trust the dev CA for the JWKS fetch explicitly, next to the usual roots.
  const agent = new Agent({ ca: [...rootCertificates, options.ca.certPem] });
  return createRemoteJWKSet(new URL(options.jwksUri ?? `${authority}/discovery/v2.0/keys`), { agent });
}

export async function startKeyVaultEmulator(options: KeyVaultEmulatorOptions): Promise<KeyVaultEmulator> {
  const host = options.host ?? '127.0.0.1';
  const authority = options.authority.replace(/\/+$/, '');
  const issuer = options.issuer ?? `${authority}/v2.0`;
  const retentionDays = options.softDeleteRetentionDays ?? 90;
  if (!Number.isInteger(retentionDays) || retentionDays < 7 || retentionDays > 90) {
    throw new Error('softDeleteRetentionDays must be a whole number of days from 7 to 90');
  }
  const initialCreateLimit = options.createLimit ?? DEFAULT_CREATE_LIMIT;
  const initialOtherLimit = options.otherLimit ?? DEFAULT_OTHER_LIMIT;
  const createLimiter = new SlidingWindowLimiter(initialCreateLimit);
  const otherLimiter = new SlidingWindowLimiter(initialOtherLimit);
  const keySet = keySetFor(options, authority);
  const challenge = `Bearer authorization="${authority}", resource="${KEY_VAULT_RESOURCE}"`;
  const log = options.log ?? (() => undefined);

  let stats: KeyVaultStats = { operations: {}, throttled: 0, unauthorized: 0, injectedFaults: 0 };
  let faults: KeyVaultFaults = NO_FAULTS;
  // Set once listening; requests cannot arrive before that.
  let url = '';
  const store = new SecretStore({
    vaultUrl: () => url,
    softDeleteRetentionDays: retentionDays,
    purgeProtection: options.purgeProtection ?? false,
  });
  const stateFile = options.stateFile;
  if (stateFile !== undefined && existsSync(stateFile)) store.restore(readFileSync(stateFile, 'utf8'));
  /** After each change, with a state file: written whole to a temporary file, then renamed over the old one. */
  const persist = (): void => {
    if (stateFile === undefined) return;
    mkdirSync(path.dirname(stateFile), { recursive: true });
    writeFileSync(`${stateFile}.tmp`, store.snapshot(), { mode: 0o600 });
    renameSync(`${stateFile}.tmp`, stateFile);
  };

  function limits(): KeyVaultLimits {
    const create = createLimiter.current;
    const other = otherLimiter.current;
    return { createRequests: create.requests, windowMs: create.windowMs, otherRequests: other.requests, otherWindowMs: other.windowMs };
  }

  function setLimits(change: Partial<KeyVaultLimits>): KeyVaultLimits {
    const next = { ...limits(), ...change };
    createLimiter.setLimit({ requests: next.createRequests, windowMs: next.windowMs });
    otherLimiter.setLimit({ requests: next.otherRequests, windowMs: next.otherWindowMs });
    return limits();
  }

  function setFaults(change: Partial<KeyVaultFaults>): KeyVaultFaults {
    faults = { ...faults, ...change };
    store.behaviour = { deletionMs: faults.deletionMs, purgeForbiddenByRbac: faults.purgeForbiddenByRbac };
    return { ...faults };
  }

  function reset(): void {
    store.clear();
    stats = { operations: {}, throttled: 0, unauthorized: 0, injectedFaults: 0 };
    faults = NO_FAULTS;
    createLimiter.setLimit(initialCreateLimit);
    otherLimiter.setLimit(initialOtherLimit);
    createLimiter.clear();
    otherLimiter.clear();
  }

  /** Undefined when the bearer token is good, else why not (for the 401). */
  async function authenticate(req: IncomingMessage): Promise<{ message: string; invalidToken: boolean } | undefined> {
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return { message: 'AKV10000: Request is missing a Bearer or PoP token.', invalidToken: false };
    try {
      await jwtVerify(token, keySet, { issuer, audience: [KEY_VAULT_RESOURCE, KEY_VAULT_APP_ID], algorithms: ['RS256'] });
      return undefined;
    } catch (error) {
      const reason = error instanceof Error ? error.message : 'verification failed';
      return { message: `AKV10022: Invalid token: ${reason}`, invalidToken: true };
    }
  }

  async function control(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const method = req.method ?? 'GET';
    const exists = /^\/_emulator\/secrets\/([^/]+)\/exists$/.exec(pathname);
    if (method === 'GET' && pathname === '/_emulator/stats') return sendJson(res, 200, stats);
    if (method === 'POST' && pathname === '/_emulator/reset') {
      reset();
      return sendJson(res, 200, { reset: true });
    }
    if (pathname === '/_emulator/limits') {
      if (method === 'GET') return sendJson(res, 200, limits());
      if (method === 'POST') {
        const parsed = limitsSchema.safeParse(await readJsonObject(req));
        if (!parsed.success) throw new KeyVaultError(400, 'BadParameter', `Invalid limits: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
        return sendJson(res, 200, setLimits(parsed.data));
      }
    }
    if (pathname === '/_emulator/faults') {
      if (method === 'GET') return sendJson(res, 200, faults);
      if (method === 'POST') {
        const parsed = faultsSchema.safeParse(await readJsonObject(req));
        if (!parsed.success) throw new KeyVaultError(400, 'BadParameter', `Invalid faults: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
        const change: Partial<KeyVaultFaults> = {};
        if (parsed.data.failNext !== undefined) change.failNext = parsed.data.failNext;
        if (parsed.data.latencyMs !== undefined) change.latencyMs = parsed.data.latencyMs;
        if (parsed.data.deletionMs !== undefined) change.deletionMs = parsed.data.deletionMs;
        if (parsed.data.purgeForbiddenByRbac !== undefined) change.purgeForbiddenByRbac = parsed.data.purgeForbiddenByRbac;
        if (parsed.data.emptyListPages !== undefined) change.emptyListPages = parsed.data.emptyListPages;
        return sendJson(res, 200, setFaults(change));
      }
    }
    if (method === 'GET' && exists?.[1]) return sendJson(res, 200, store.exists(decodeSegment(exists[1])));
    throw new KeyVaultError(404, 'NotFound', `No control endpoint ${method} ${pathname}.`);
  }

  function pageSize(query: URLSearchParams): number {
    const raw = query.get('maxresults');
    if (raw === null || raw === '') return MAX_PAGE_SIZE;
    const size = Number(raw);
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
      throw new KeyVaultError(400, 'BadParameter', `maxresults must be a number from 1 to ${MAX_PAGE_SIZE}.`);
    }
    return size;
  }

  function cursor(query: URLSearchParams): string | undefined {
    const token = query.get('$skiptoken');
    return token ? Buffer.from(token, 'base64url').toString('utf8') : undefined;
  }

  function listBody(pathname: string, apiVersion: string, size: number, result: { value: unknown[]; next?: string }, query?: URLSearchParams): Record<string, unknown> {
    // The emptyListPages variant: empty pages that still carry a nextLink come first (Key Vault does send them).
    const empties = Number(query?.get('emptypage') ?? '0');
    if (query && query.get('$skiptoken') === null && empties < faults.emptyListPages) {
      return { value: [], nextLink: `${url}${pathname}?api-version=${encodeURIComponent(apiVersion)}&maxresults=${size}&emptypage=${empties + 1}` };
    }
    const next =
      result.next === undefined
        ? null
        : `${url}${pathname}?api-version=${encodeURIComponent(apiVersion)}&$skiptoken=${Buffer.from(result.next).toString('base64url')}&maxresults=${size}`;
    return { value: result.value, nextLink: next };
  }

  async function execute(route: Route, req: IncomingMessage, res: ServerResponse, requestUrl: URL, apiVersion: string): Promise<void> {
    const query = requestUrl.searchParams;
    const name = route.name ?? '';
    if (route.name !== undefined) checkSecretName(route.name);
    switch (route.operation) {
      case 'setSecret': {
        const body = await readJsonObject(req);
        // The store checks every field's type; the cast only names the shape it expects.
        const created = store.set(name, body as unknown as SetSecretInput);
        persist();
        return sendJson(res, 200, created);
      }
      case 'getSecret':
        return sendJson(res, 200, store.get(name, route.version));
      case 'updateSecret': {
        const body = await readJsonObject(req);
        const updated = store.update(name, route.version, body);
        persist();
        return sendJson(res, 200, updated);
      }
      case 'listSecrets': {
        const size = pageSize(query);
        return sendJson(res, 200, listBody(requestUrl.pathname, apiVersion, size, store.list(size, cursor(query)), query));
      }
      case 'listSecretVersions': {
        const size = pageSize(query);
        return sendJson(res, 200, listBody(requestUrl.pathname, apiVersion, size, store.listVersions(name, size, cursor(query)), query));
      }
      case 'deleteSecret': {
        const deleted = store.delete(name);
        persist();
        return sendJson(res, 200, deleted);
      }
      case 'getDeletedSecret':
        return sendJson(res, 200, store.getDeleted(name));
      case 'listDeletedSecrets': {
        const size = pageSize(query);
        return sendJson(res, 200, listBody(requestUrl.pathname, apiVersion, size, store.listDeleted(size, cursor(query)), query));
      }
      case 'recoverDeletedSecret': {
        const recovered = store.recover(name);
        persist();
        return sendJson(res, 200, recovered);
      }
      case 'purgeDeletedSecret':
        store.purge(name);
        persist();
        res.writeHead(204, { 'x-ms-request-id': randomUUID() });
        res.end();
        return;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestUrl = new URL(req.url ?? '/', 'https://vault.invalid');
    const method = req.method ?? 'GET';
    if (requestUrl.pathname === '/_emulator' || requestUrl.pathname.startsWith('/_emulator/')) {
      return control(req, res, requestUrl.pathname);
    }
    if (faults.latencyMs > 0) await delay(faults.latencyMs);

    const refused = await authenticate(req);
    if (refused) {
      stats.unauthorized++;
      const header = refused.invalidToken ? `${challenge}, error="invalid_token"` : challenge;
      return sendError(res, new KeyVaultError(401, 'Unauthorized', refused.message), { 'www-authenticate': header });
    }

    const route = resolveRoute(method, requestUrl.pathname);
    if (route === undefined) throw new KeyVaultError(404, 'NotFound', `No resource at ${requestUrl.pathname}.`);
    if (route === 'method') throw new KeyVaultError(405, 'MethodNotAllowed', `${method} is not supported on ${requestUrl.pathname}.`);
    const apiVersion = requestUrl.searchParams.get('api-version');
    if (!apiVersion) throw new KeyVaultError(400, 'BadParameter', 'The api-version query parameter is missing.');
    if (!API_VERSION_PATTERN.test(apiVersion)) {
      throw new KeyVaultError(400, 'BadParameter', `The specified version (${apiVersion.slice(0, 40)}) is not recognized.`);
    }
    stats.operations[route.operation] = (stats.operations[route.operation] ?? 0) + 1;

    const failNext = faults.failNext;
    if (failNext && failNext.count > 0) {
      faults = { ...faults, failNext: failNext.count > 1 ? { ...failNext, count: failNext.count - 1 } : null };
      stats.injectedFaults++;
      const retryAfter = failNext.retryAfterSeconds ?? (failNext.status === 429 || failNext.status === 503 ? 1 : undefined);
      return sendError(
        res,
        new KeyVaultError(failNext.status, ERROR_CODES[failNext.status] ?? 'InjectedFault', 'Fault injected by the Key Vault emulator.'),
        retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) },
      );
    }

    const waitMs = (route.operation === 'setSecret' ? createLimiter : otherLimiter).take();
    if (waitMs !== undefined) {
      stats.throttled++;
      return sendError(
        res,
        new KeyVaultError(429, 'Throttled', 'Request was not processed because too many requests were received. Reason: A1'),
        { 'retry-after': String(Math.ceil(waitMs / 1000)) },
      );
    }
    return execute(route, req, res, requestUrl, apiVersion);
  }

  const certificate = issueServerCertificate(options.ca);
  const server = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    res.on('finish', () => log(`keyvault ${req.method} ${path} ${res.statusCode}`));
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof KeyVaultError) {
        sendError(res, error);
        return;
      }
      console.error(`keyvault emulator: ${req.method} ${path} failed: ${error instanceof Error ? error.name : 'unknown error'}`);
      sendError(res, new KeyVaultError(500, 'InternalServerError', 'The Key Vault emulator failed to answer.'));
    });
  });
  const port = await listen(server, options.port ?? KEY_VAULT_PORT, host);
  url = `https://${clientHost(host)}:${port}`;

  return {
    url,
    stats: () => structuredClone(stats),
    reset,
    setLimits,
    setFaults,
    secretExists: (name) => store.exists(name),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

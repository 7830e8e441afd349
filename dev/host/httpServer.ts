import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HttpRequest, HttpResponse, type Cookie } from '@azure/functions';
import { ConfigError } from '../../shared/app/config';
import type { HttpFunction } from '../../shared/app/hosting';
import { describeError, type InFlight, type Invoke, type LogLine } from './invocation';
import { comparePrecedence, compileRoute, type CompiledRoute } from './routes';

/**
 * The HTTP side of the host: routes under /<routePrefix> to HTTP functions with real HttpRequest
 * objects, writes their HttpResponseInit back, and offers the host's admin endpoint
 * `POST /admin/functions/{name}` to run a queue or timer function now. Failures answer with RFC 9457
 * problem details that never carry the error's text; the stack goes to the host log.
 */

export interface HttpServerOptions {
  host: string;
  port: number;
  routePrefix: string;
  functions: HttpFunction[];
  invoke: Invoke;
  /** The queue or timer function of that name, ready to run with an input; undefined for any other name. */
  findRunnable(name: string): ((input: unknown) => Promise<void>) | undefined;
  inFlight: InFlight;
  log: LogLine;
}

export interface HttpServer {
  url: string;
  close(): Promise<void>;
}

interface RouteEntry {
  declaration: HttpFunction;
  route: CompiledRoute;
  methods: ReadonlySet<string>;
}

type RouteLookup =
  | { kind: 'found'; declaration: HttpFunction; params: Record<string, string> }
  | { kind: 'wrongMethod'; allow: string[] }
  | { kind: 'notFound' };

/** Compiles and orders the routes; two functions claiming the same route and method is a start-up error. */
export function buildRouter(functions: HttpFunction[]): (method: string, path: string) => RouteLookup {
  const entries: RouteEntry[] = functions.map((declaration) => {
    let route: CompiledRoute;
    try {
      route = compileRoute(declaration.route);
    } catch (error) {
      throw new ConfigError(`Function ${declaration.name}: ${(error as Error).message}`);
    }
    const methods = declaration.methods.length > 0 ? declaration.methods : ['GET', 'POST'];
    return { declaration, route, methods: new Set(methods.map((m) => m.toUpperCase())) };
  });
  for (const [index, entry] of entries.entries()) {
    for (const other of entries.slice(index + 1)) {
      const sameRoute = entry.route.template.toLowerCase() === other.route.template.toLowerCase();
      const shared = [...entry.methods].filter((m) => other.methods.has(m));
      if (sameRoute && shared.length > 0) {
        throw new ConfigError(
          `Functions ${entry.declaration.name} and ${other.declaration.name} both serve ${shared.join(',')} ${entry.route.template || '/'}`,
        );
      }
    }
  }
  const ordered = entries
    .map((entry, position) => ({ entry, position }))
    .sort((a, b) => comparePrecedence(a.entry.route, b.entry.route) || a.position - b.position)
    .map(({ entry }) => entry);

  return (method, path) => {
    const allow = new Set<string>();
    for (const entry of ordered) {
      const params = entry.route.match(path);
      if (!params) continue;
      if (entry.methods.has(method)) return { kind: 'found', declaration: entry.declaration, params };
      for (const m of entry.methods) allow.add(m);
    }
    return allow.size > 0 ? { kind: 'wrongMethod', allow: [...allow] } : { kind: 'notFound' };
  };
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Content Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function sendProblem(res: http.ServerResponse, status: number, detail: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ type: 'about:blank', title: STATUS_TITLES[status] ?? 'Error', status, detail });
  res.writeHead(status, { ...headers, 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The admin endpoint's body ({"input": ...}) is small; a larger one is not read on. */
const MAX_ADMIN_BODY_BYTES = 64 * 1024;

function readAdminBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      chunks.push(chunk);
      if (size <= MAX_ADMIN_BODY_BYTES) return;
      // Stop reading without destroying the request, so the 413 can still be written.
      req.off('data', onData);
      req.pause();
      resolve(undefined);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** After answering, what a caller still sends of a body left unread is discarded this long, and no more. */
const LINGER_MS = 2000;
const LINGER_BYTES = 4 * 1024 * 1024;

/**
 * A body the function left unread (refused as too large, or not wanted) is not read on. Closing the
 * socket at once would reset the connection under the answer (the caller's unread bytes make the close
 * a TCP RST), so the caller gets a moment to read the answer and stop; past the time or the bytes above,
 * the connection is closed whatever the caller does.
 */
function lingerThenClose(req: http.IncomingMessage): void {
  if (req.complete) return;
  let discarded = 0;
  const close = () => req.socket.destroy();
  const timer = setTimeout(close, LINGER_MS);
  timer.unref();
  // Whoever stopped reading (the function's stream, or the admin endpoint) is done with it: discard from here.
  req.removeAllListeners('readable');
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > LINGER_BYTES) {
      clearTimeout(timer);
      close();
    }
  });
  req.on('end', () => clearTimeout(timer));
  req.resume();
}

/**
 * The request as the worker builds it with HTTP streams on (createStreamRequest in @azure/functions):
 * a fetch Request whose body is the incoming stream itself, so a function reads it as it arrives and
 * nothing is buffered before the function has judged its size. GET and HEAD carry no body.
 */
function streamingRequest(req: http.IncomingMessage, method: string, url: URL, params: Record<string, string>): HttpRequest {
  const withBody = method !== 'GET' && method !== 'HEAD';
  const nativeRequest = new Request(url.href, {
    method,
    headers: headerRecord(req),
    // The incoming stream as an async iterable, as the worker passes it: read only as the function pulls.
    ...(withBody ? { body: req, duplex: 'half' } : {}),
  });
  // The worker's own constructor form for a streamed request; its public type lists only the buffered form.
  return new HttpRequest({ nativeRequest, params } as unknown as ConstructorParameters<typeof HttpRequest>[0]);
}

/** Incoming headers as the worker sees them: one string per name, repeated values joined. */
function headerRecord(req: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (values) headers[name] = values.join(name === 'cookie' ? '; ' : ', ');
  }
  return headers;
}

function serializeCookie(cookie: Cookie): string {
  const parts = [`${cookie.name}=${cookie.value}`];
  if (cookie.domain) parts.push(`Domain=${cookie.domain}`);
  if (cookie.path) parts.push(`Path=${cookie.path}`);
  if (cookie.expires !== undefined) parts.push(`Expires=${new Date(cookie.expires).toUTCString()}`);
  if (cookie.maxAge !== undefined) parts.push(`Max-Age=${Math.trunc(cookie.maxAge)}`);
  if (cookie.secure) parts.push('Secure');
  if (cookie.httpOnly) parts.push('HttpOnly');
  if (cookie.sameSite) parts.push(`SameSite=${cookie.sameSite}`);
  return parts.join('; ');
}

/** The handler's result as the worker converts it: HttpResponseInit or HttpResponse; nothing means 204. */
function toHttpResponse(result: unknown): HttpResponse {
  if (result === undefined || result === null) return new HttpResponse({ status: 204 });
  if (result instanceof HttpResponse) return result;
  if (typeof result !== 'object') throw new TypeError('The HTTP response must be an object with optional properties "body", "status", "headers", and "cookies".');
  return new HttpResponse(result);
}

async function writeResponse(req: http.IncomingMessage, res: http.ServerResponse, response: HttpResponse): Promise<void> {
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie') res.setHeader(name, value);
  }
  const cookies = [...response.headers.getSetCookie(), ...response.cookies.map(serializeCookie)];
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  res.statusCode = response.status;
  if (!response.body || req.method === 'HEAD') {
    res.end();
    return;
  }
  await pipeline(Readable.fromWeb(response.body), res);
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { invoke, log, inFlight } = options;
  const findRoute = buildRouter(options.functions);
  const prefix = options.routePrefix === '' ? '' : `/${options.routePrefix.toLowerCase()}`;
  let closing = false;
  let baseUrl = '';

  async function serveAdmin(req: http.IncomingMessage, res: http.ServerResponse, encodedName: string): Promise<void> {
    if (req.method !== 'POST') {
      sendProblem(res, 405, 'The admin endpoint takes POST.', { allow: 'POST' });
      return;
    }
    const body = await readAdminBody(req);
    if (!body) {
      sendProblem(res, 413, `The body is larger than ${MAX_ADMIN_BODY_BYTES / 1024} KB.`);
      res.once('finish', () => lingerThenClose(req));
      return;
    }
    let input: unknown;
    if (body.length > 0) {
      try {
        input = (JSON.parse(body.toString('utf8')) as { input?: unknown } | null)?.input;
      } catch {
        sendProblem(res, 400, 'The body must be JSON: {"input": ...}.');
        return;
      }
    }
    let run: ((input: unknown) => Promise<void>) | undefined;
    try {
      run = options.findRunnable(decodeURIComponent(encodedName));
    } catch {
      run = undefined;
    }
    if (!run) {
      sendProblem(res, 404, 'No queue or timer function has that name.');
      return;
    }
    // The host answers at once and runs the function in the background; a failure is in the host log.
    run(input).catch(() => undefined);
    res.writeHead(202, { 'content-length': 0 });
    res.end();
  }

  async function serveFunction(req: http.IncomingMessage, res: http.ServerResponse, url: URL, path: string): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const found = findRoute(method, path);
    if (found.kind === 'notFound') {
      sendProblem(res, 404, 'No function serves this route.');
      return;
    }
    if (found.kind === 'wrongMethod') {
      sendProblem(res, 405, `This route takes ${found.allow.join(', ')}.`, { allow: found.allow.join(', ') });
      return;
    }
    const { declaration, params } = found;
    let request: HttpRequest;
    try {
      request = streamingRequest(req, method, url, params);
    } catch (error) {
      log(`[${declaration.name}] WARN request refused before invocation: ${(error as Error).message}`);
      sendProblem(res, 400, 'The request could not be read.');
      return;
    }
    let response: HttpResponse;
    try {
      response = await invoke({
        declaration,
        reason: `${method} ${declaration.route}`,
        trigger: { type: 'httpTrigger', name: 'httpTrigger', route: declaration.route, methods: declaration.methods, authLevel: 'anonymous' },
        triggerMetadata: { ...params },
        // Converting inside the invocation makes an unusable result count as the function failing, as in the worker.
        run: async (context) => toHttpResponse(await declaration.handler(request, context)),
      });
    } catch {
      // The invoker has logged the error; the caller learns nothing of it.
      sendProblem(res, 500, 'The function failed. The host log has the details.');
      return;
    }
    try {
      await writeResponse(req, res, response);
      lingerThenClose(req);
    } catch (error) {
      log(`[${declaration.name}] ERROR could not write the response: ${describeError(error)}`);
      sendProblem(res, 500, 'The function failed. The host log has the details.');
    }
  }

  async function serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (closing) {
      res.setHeader('connection', 'close');
      sendProblem(res, 503, 'The host is shutting down.');
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    } catch {
      url = new URL(req.url ?? '/', baseUrl);
    }
    const pathname = url.pathname;
    const admin = /^\/admin\/functions\/([^/]+)\/?$/i.exec(pathname);
    if (admin?.[1]) {
      await serveAdmin(req, res, admin[1]);
      return;
    }
    const lower = pathname.toLowerCase();
    if (prefix !== '' && lower !== prefix && !lower.startsWith(`${prefix}/`)) {
      sendProblem(res, 404, 'No function serves this route.');
      return;
    }
    await serveFunction(req, res, url, pathname.slice(prefix.length));
  }

  const server = http.createServer((req, res) => {
    void inFlight.track(
      serve(req, res).catch((error: unknown) => {
        log(`[host] ERROR ${describeError(error)}`);
        sendProblem(res, 500, 'The host failed. Its log has the details.');
      }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;

  return {
    url: baseUrl,
    async close() {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await inFlight.drain();
      server.closeAllConnections();
      await closed;
    },
  };
}

import { request } from 'node:https';
import type { AddressInfo, Server } from 'node:net';

/** Small network pieces the emulators and dev scripts share. */

/** Listens on host:port (0 for a free one) and answers the port it got. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** The host part of a URL clients use: a wildcard bind is still reached through loopback. */
export function clientHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Sends a request with an optional JSON body over HTTPS and answers the status and text. `ca` (the dev
 * CA, alone or with the usual roots) is trusted for this request only; without it the process must
 * trust the dev CA through NODE_EXTRA_CA_CERTS.
 */
export function requestText(method: string, url: string | URL, body?: unknown, ca?: string | string[], extraHeaders: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string | number> = { accept: 'application/json', ...extraHeaders };
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = Buffer.byteLength(payload);
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, ...(ca ? { ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** POSTs JSON over TLS that trusts exactly `ca` (the dev CA). */
export const postJsonTrusting = (url: string, body: unknown, ca: string) => requestText('POST', url, body, ca);

/** Reads a request body as text, throwing `tooLarge()` past `maxBytes` (each server answers that in its own error shape). */
export async function readBodyText(req: AsyncIterable<unknown>, maxBytes: number, tooLarge: () => Error): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

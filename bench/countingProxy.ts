import { createServer, request, Agent, type Server } from 'node:http';

/**
 * A plain HTTP proxy in front of one Azurite service that counts the requests passing through, so the
 * benchmark can report storage operations per hire without touching the app's adapters.
 */
export interface CountingProxy {
  /** http://127.0.0.1:PORT */
  url: string;
  /** Requests forwarded since the last reset, by HTTP method. */
  counts(): Record<string, number>;
  total(): number;
  reset(): void;
  close(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let counts: Record<string, number> = {};
  const server: Server = createServer((incoming, outgoing) => {
    const method = incoming.method ?? 'GET';
    counts[method] = (counts[method] ?? 0) + 1;
    const forwarded = request(
      { host: upstream.hostname, port: upstream.port, method, path: incoming.url, headers: { ...incoming.headers, host: upstream.host }, agent },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on('error', (error) => {
      outgoing.writeHead(502, { 'content-type': 'text/plain' });
      outgoing.end(`proxy: ${error.message}`);
    });
    incoming.pipe(forwarded);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the counting proxy has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    counts: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((sum, n) => sum + n, 0),
    reset: () => {
      counts = {};
    },
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

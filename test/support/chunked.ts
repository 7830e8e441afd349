import http from 'node:http';

/** A client that sends a body in chunks (Transfer-Encoding: chunked, no Content-Length) and says how much left it before the answer came. */

export interface ChunkedAnswer {
  status: number;
  contentType: string | undefined;
  body: string;
  sent: number;
}

/** POSTs `total` bytes in 64 KB chunks (Transfer-Encoding: chunked), stopping the moment an answer arrives. */
export function sendChunked(url: string, headers: Record<string, string>, total: number, fill = 'A'): Promise<ChunkedAnswer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const chunk = Buffer.alloc(64 * 1024, fill);
    let sent = 0;
    let answered = false;
    const request = http.request({ host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } });
    request.on('response', (response) => {
      answered = true;
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'], body: Buffer.concat(parts).toString('utf8'), sent }));
      response.on('error', reject);
    });
    // Once answered, the host closes the connection under the unread body: a reset then is expected.
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    const pump = (): void => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!request.write(chunk)) {
          request.once('drain', pump);
          return;
        }
      }
      if (!answered) request.end();
    };
    pump();
  });
}

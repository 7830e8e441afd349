import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { authorize } from '../shared/http/adminRequest';
import type { AppServices } from '../shared/app/composition';
import { httpFunction } from '../shared/app/hosting';
import { auditQueryOf, tokenFilterOf, type QueryErrors } from '../shared/http/listQueries';
import { problem } from '../shared/http/problem';
import { services } from '../shared/app/runtime';
import { auditCsv, tokensCsv } from '../shared/workflows/exports';

/**
 * GET /api/tokens/export and GET /api/audit/export: the lists as CSV, with the lists' filters, streamed
 * a page at a time. The header and the first page are read before the answer starts, so a store that
 * fails at once is a problem+json; a failure later cuts the stream (the client sees it incomplete).
 */

const encoder = new TextEncoder();

/** The chunks as a byte stream that reads the next page only when the client has taken the last one. */
async function csvAnswer(chunks: AsyncGenerator<string>, name: string, now: Date): Promise<HttpResponseInit> {
  const first: string[] = [];
  for (let read = 0; read < 2; read++) {
    const next = await chunks.next();
    if (!next.done) first.push(next.value);
  }
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const ready = first.shift();
        if (ready !== undefined) {
          controller.enqueue(encoder.encode(ready));
          return;
        }
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      },
      async cancel() {
        await chunks.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
  return {
    status: 200,
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${name}-${now.toISOString().slice(0, 10)}.csv"`,
      'cache-control': 'no-store',
    },
    body,
  };
}

/** GET /api/tokens/export?status=&pool=&user= */
export function exportTokensHandler(getServices: () => Pick<AppServices, 'adminAuth' | 'inventory' | 'clock'>) {
  return async (request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, 'Tokens.Read');
    if ('response' in auth) return auth.response;
    const errors: QueryErrors = [];
    const filter = tokenFilterOf(request.query, errors);
    if (errors.length > 0) return problem(400, 'The query is not valid', { errors });
    return csvAnswer(tokensCsv(app.inventory, filter), 'tokens', app.clock.now());
  };
}

/** GET /api/audit/export?serial=&user=&since=: unlike the list, no filter is needed (the whole trail, oldest first). */
export function exportAuditHandler(getServices: () => Pick<AppServices, 'adminAuth' | 'auditTrail' | 'clock'>) {
  return async (request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, 'Tokens.Read');
    if ('response' in auth) return auth.response;
    const errors: QueryErrors = [];
    const query = auditQueryOf(request.query, errors);
    if (errors.length > 0) return problem(400, 'The query is not valid', { errors });
    return csvAnswer(auditCsv(app.auditTrail, query), 'audit', app.clock.now());
  };
}

httpFunction('tokensExport', { route: 'tokens/export', methods: ['GET'], handler: exportTokensHandler(services) });
httpFunction('auditExport', { route: 'audit/export', methods: ['GET'], handler: exportAuditHandler(services) });

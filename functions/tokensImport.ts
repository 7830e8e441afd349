import { Readable } from 'node:stream';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { actorOf, auditFor, authorize, correlationIdOf, mediaTypeOf, readBody } from '../shared/adminRequest';
import type { AppServices } from '../shared/composition';
import { ImportFileError, parseToken2Json, parseTokenCsv, type ParsedRow } from '../shared/domain/importFile';
import { parseSeedEncoding } from '../shared/domain/seedEncoding';
import { httpFunction } from '../shared/hosting';
import { json, problem } from '../shared/problem';
import { services } from '../shared/runtime';
import { importTokens } from '../shared/workflows/importTokens';

/** Larger files are split by `oathctl import`, which sends them in parts with a line offset. */
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;

const CSV_TYPES = new Set(['text/csv', 'application/csv', 'text/plain']);

/** Shifts reported lines when a client sends a large file in parts. */
async function* withLineOffset(rows: AsyncIterable<ParsedRow> | Iterable<ParsedRow>, offset: number): AsyncGenerator<ParsedRow> {
  for await (const parsed of rows) {
    if (parsed.ok) yield { ok: true, row: { ...parsed.row, line: parsed.row.line + offset } };
    else yield { ok: false, error: { ...parsed.error, line: parsed.error.line + offset } };
  }
}

/** POST /api/tokens/import: the Entra portal CSV or Token2's JSON seed file. */
export function importHandler(getServices: () => AppServices) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, 'Tokens.Admin');
    if ('response' in auth) return auth.response;

    const mediaType = mediaTypeOf(request);
    if (!CSV_TYPES.has(mediaType) && mediaType !== 'application/json') {
      return problem(415, 'Send the seed file as text/csv (Entra portal format) or application/json (Token2 seed file)');
    }
    const offsetText = request.query.get('lineOffset') ?? '0';
    if (!/^\d{1,9}$/.test(offsetText)) return problem(400, 'lineOffset must be a whole number', { errors: [{ path: 'lineOffset', message: 'must be a whole number' }] });
    const encodingText = request.query.get('seedEncoding');
    const seedEncoding = encodingText === null ? 'base32' : parseSeedEncoding(encodingText);
    if (!seedEncoding) return problem(400, 'seedEncoding must be base32 or hex', { errors: [{ path: 'seedEncoding', message: 'must be base32 or hex' }] });
    const body = await readBody(request, MAX_IMPORT_BYTES);
    if (!body) return problem(413, `The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB; split it, or use "oathctl import", which sends it in parts`);

    const rows = mediaType === 'application/json' ? parseToken2Json(body.toString('utf8'), { seedEncoding }) : parseTokenCsv(Readable.from([body]), { seedEncoding });
    try {
      const summary = await importTokens(withLineOffset(rows, Number(offsetText)), { ...app, audit: auditFor(app.audit, request, auth.principal), activationMode: app.config.activationMode }, {
        actor: actorOf(auth.principal),
        correlationId: correlationIdOf(request, context.invocationId),
        seedOrigin: 'vendor',
      });
      context.log(`import: ${summary.imported} imported, ${summary.unchanged} unchanged, ${summary.errors.length} rejected`);
      return json(200, summary);
    } catch (error) {
      if (error instanceof ImportFileError) return problem(400, `The file cannot be imported: ${error.message}`);
      throw error;
    }
  };
}

httpFunction('tokensImport', { route: 'tokens/import', methods: ['POST'], handler: importHandler(services) });

import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { actorOf, auditFor, authorize, correlationIdOf, mayAssignPrivileged, mediaTypeOf, readBody } from '../shared/http/adminRequest';
import type { AppServices } from '../shared/app/composition';
import { FileTooLargeError, MAX_IMPORT_BYTES, SEALED_FILE_REASON, SealedFileError, type ParsedRow } from '../shared/domain/importFile';
import { PGP_MEDIA_TYPE } from '../shared/domain/pgpSeedFile';
import { PSKC_MEDIA_TYPE } from '../shared/domain/pskc';
import { parseSeedEncoding } from '../shared/domain/seedEncoding';
import { httpFunction } from '../shared/app/hosting';
import { json, problem } from '../shared/http/problem';
import { services } from '../shared/app/runtime';
import { directoryBusyFor } from '../shared/ports';
import { importTokens } from '../shared/workflows/importTokens';
import { guardedIntake, INTAKE_FAILURES_PER_HOUR } from '../shared/workflows/intakeLimit';
import { openSeedFile, type SeedFileFormat } from '../shared/workflows/openSeedFile';

/** Larger files are split by `oathctl import`, which sends them in parts with a line offset. */
const tooLarge = (error: FileTooLargeError) =>
  problem(413, `The file ${error.inflated ? 'decompresses to' : 'has'} more than ${error.limit / 1024 / 1024} MB; split it, or use "oathctl import", which sends it in parts`);

const FORMATS: Record<string, SeedFileFormat> = {
  'text/csv': 'csv',
  'application/csv': 'csv',
  'text/plain': 'csv',
  'application/json': 'json',
  [PSKC_MEDIA_TYPE]: 'pskc',
  [PGP_MEDIA_TYPE]: 'pgp',
};

/** Shifts reported lines when a client sends a large file in parts. */
async function* withLineOffset(rows: AsyncIterable<ParsedRow> | Iterable<ParsedRow>, offset: number): AsyncGenerator<ParsedRow> {
  for await (const parsed of rows) {
    if (parsed.ok) yield { ok: true, row: { ...parsed.row, line: parsed.row.line + offset } };
    else yield { ok: false, error: { ...parsed.error, line: parsed.error.line + offset } };
  }
}

const badQuery = (name: string, message: string) => problem(400, `${name} ${message}`, { errors: [{ path: name, message }] });

/** POST /api/tokens/import: the Entra portal CSV, Token2's JSON seed file, PSKC, or either of the first two OpenPGP-encrypted. */
export function importHandler(getServices: () => AppServices) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, 'Tokens.Admin');
    if ('response' in auth) return auth.response;

    const format = FORMATS[mediaTypeOf(request)];
    if (!format) {
      return problem(415, `Send the seed file as text/csv (Entra portal format), application/json (Token2 seed file), ${PSKC_MEDIA_TYPE} (PSKC, RFC 6030) or ${PGP_MEDIA_TYPE} (an OpenPGP-encrypted CSV or JSON file)`);
    }
    const query = request.query;
    const offsetText = query.get('lineOffset') ?? '0';
    if (!/^\d{1,9}$/.test(offsetText)) return badQuery('lineOffset', 'must be a whole number');
    const seedEncoding = parseSeedEncoding(query.get('seedEncoding') ?? 'base32');
    if (!seedEncoding) return badQuery('seedEncoding', 'must be base32 or hex');
    const keyName = query.get('keyName') ?? undefined;
    if (keyName !== undefined && format !== 'pskc') return badQuery('keyName', `names a PSKC key; it goes with ${PSKC_MEDIA_TYPE} only`);
    const audit = auditFor(app.audit, request, auth.principal);
    const actor = actorOf(auth.principal);
    const correlationId = correlationIdOf(request, context.invocationId);
    const intake = { callerId: auth.principal.id, actor, correlationId, what: `${format} file${keyName !== undefined ? ` for key "${keyName}"` : ''}` };
    try {
      // The caller's budget is checked before the body is read: a caller over it sends nothing we read.
      const result = await guardedIntake({ intakeFailures: app.intakeFailures, audit }, intake, async () => {
        const body = await readBody(request, MAX_IMPORT_BYTES);
        if (!body) throw new FileTooLargeError(MAX_IMPORT_BYTES, false);
        const rows = await openSeedFile(
          {
            format,
            body,
            seedEncoding,
            ...(keyName !== undefined ? { keyName } : {}),
            ...(query.get('manufacturer') ? { manufacturer: query.get('manufacturer') ?? '' } : {}),
            ...(query.get('model') ? { model: query.get('model') ?? '' } : {}),
            ...(query.get('pool') ? { pool: query.get('pool') ?? '' } : {}),
          },
          app,
        );
        return importTokens(withLineOffset(rows, Number(offsetText)), { ...app, audit, activationMode: app.config.activationMode }, {
          actor,
          correlationId,
          seedOrigin: 'vendor',
          privilegedAllowed: mayAssignPrivileged(auth.principal),
        });
      });
      switch (result.outcome) {
        case 'limited':
          context.warn(`import: refused unread, the caller had ${INTAKE_FAILURES_PER_HOUR} files refused in the last hour`);
          return problem(
            429,
            `${INTAKE_FAILURES_PER_HOUR} seed files you sent were refused in the last hour; the next is read in ${Math.ceil(result.retryAfterSeconds / 60)} min (Retry-After), and each refusal is in the audit`,
            {},
            { 'Retry-After': String(result.retryAfterSeconds) },
          );
        case 'refused':
          context.log(`import (${format}): the file was refused`);
          if (result.error instanceof FileTooLargeError) return tooLarge(result.error);
          // One answer for every file that cannot be decrypted or authenticated: the same status, title and detail, byte for byte.
          if (result.error instanceof SealedFileError) return problem(400, `The file cannot be imported: ${SEALED_FILE_REASON}`);
          return problem(400, `The file cannot be imported: ${result.error.message}`);
        case 'done':
          context.log(`import (${format}): ${result.value.imported} imported, ${result.value.unchanged} unchanged, ${result.value.errors.length} rejected`);
          return json(200, result.value);
      }
    } catch (error) {
      const retryAfter = directoryBusyFor(error);
      if (retryAfter !== undefined) {
        // Rows that did not reach Entra stay `importing`, never stock; sending the file again resumes them.
        context.warn(`import: Graph kept throttling; answered 503 with Retry-After ${retryAfter}`);
        return problem(503, 'Microsoft Graph is throttling this app; nothing is lost: send the same file again after Retry-After and the import resumes where it stopped', {}, { 'Retry-After': String(retryAfter) });
      }
      throw error;
    }
  };
}

httpFunction('tokensImport', { route: 'tokens/import', methods: ['POST'], handler: importHandler(services) });

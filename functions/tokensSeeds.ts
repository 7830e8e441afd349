import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { actorOf, auditFor, authorize, correlationIdOf, mediaTypeOf, readBody } from '../shared/http/adminRequest';
import type { AppServices } from '../shared/app/composition';
import { mapWithLimit } from '../shared/workflows/concurrency';
import { checkRow, ImportFileError, type ImportRow, type ParsedRow } from '../shared/domain/importFile';
import { buildPskc, protectionFrom, PSKC_MEDIA_TYPE, type PskcProtection } from '../shared/domain/pskc';
import { generateSeed } from '../shared/domain/seed';
import { httpFunction } from '../shared/app/hosting';
import { problem } from '../shared/http/problem';
import { services } from '../shared/app/runtime';
import { awaitsSeed, importTokens } from '../shared/workflows/importTokens';
import { KEY_NAME, readPskcKey } from '../shared/workflows/openSeedFile';
import { validate } from '../shared/domain/validation';

const MAX_SERIALS = 1000;

const seedRequestSchema = z.object({
  serials: z.array(z.string().trim().min(1)).min(1).max(MAX_SERIALS),
  manufacturer: z.string().trim().min(1),
  model: z.string().trim().min(1),
  timeIntervalInSeconds: z.union([z.literal(30), z.literal(60)]).default(30),
  hashFunction: z.enum(['hmacsha1', 'hmacsha256']).default('hmacsha1'),
  pool: z.string().trim().default(''),
  /** How the one-time answer comes: the serial,secret key CSV, or PSKC encrypted with a key kept in Key Vault. */
  export: z
    .discriminatedUnion('format', [
      z.object({ format: z.literal('csv') }).strict(),
      z
        .object({
          format: z.literal('pskc'),
          keyName: z.string().regex(KEY_NAME, 'must be 1-64 letters, digits and dashes'),
          keyType: z.enum(['preshared', 'passphrase']).default('preshared'),
        })
        .strict(),
    ])
    .default({ format: 'csv' }),
});

/** Escapes a CSV field the way spreadsheet programs read it back. */
const csvField = (value: string): string => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/**
 * POST /api/tokens/seeds: fresh seeds for programmable tokens. Each seed is stored and registered like
 * an imported one, and answered exactly once for the programming tool: `serial,secret key` CSV, or
 * PSKC encrypted with a key the admin keeps in Key Vault (`"export": {"format": "pskc", "keyName"}`).
 */
export function seedsHandler(getServices: () => AppServices) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const app = getServices();
    const auth = await authorize(request, app.adminAuth, 'Tokens.Admin');
    if ('response' in auth) return auth.response;
    if (mediaTypeOf(request) !== 'application/json') return problem(415, 'Send the request as application/json');
    const body = await readBody(request, 256 * 1024);
    if (!body) return problem(413, 'The request is larger than 256 KB');
    let input: unknown;
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch {
      return problem(400, 'The body is not valid JSON');
    }
    const parsed = validate(seedRequestSchema, input);
    if (!parsed.ok) return problem(400, 'The request is not valid', { errors: parsed.errors });
    const order = parsed.value;

    // The export key is read before anything is generated: a seed made for an answer that cannot be sent would be lost.
    let protection: PskcProtection | undefined;
    if (order.export.format === 'pskc') {
      try {
        protection = protectionFrom(order.export.keyName, order.export.keyType, await readPskcKey(app, order.export.keyName));
      } catch (error) {
        if (error instanceof ImportFileError) return problem(400, `The export cannot be encrypted: ${error.message}; nothing was generated`, { errors: [{ path: 'export.keyName', message: error.message }] });
        throw error;
      }
    }

    // Checked as import rows would be, so programmable tokens follow the same rules as vendor ones.
    const seen = new Map<string, number>();
    const rows: ParsedRow[] = order.serials.map((serial, index) => {
      const hash = order.hashFunction;
      return checkRow(index + 1, {
        serial,
        seed: generateSeed(hash),
        interval: String(order.timeIntervalInSeconds),
        manufacturer: order.manufacturer,
        model: order.model,
        hash,
        pool: order.pool,
      }, seen);
    });
    const rejected = rows.filter((r) => !r.ok);
    if (rejected.length > 0) {
      return problem(400, 'Some serial numbers are not valid; nothing was generated', {
        errors: rejected.flatMap((r) => (r.ok ? [] : [{ path: `serials.${r.error.line - 1}`, message: `${r.error.serial}: ${r.error.reason}` }])),
      });
    }

    // All or nothing up front: a seed generated for a serial that then fails would be lost unseen.
    // A returned programmable token awaiting re-seeding is the one serial in the inventory that may take a seed.
    const taken = await mapWithLimit(order.serials, 8, async (serial) => {
      const existing = await app.inventory.get(serial);
      if (existing) return awaitsSeed(existing, 'generated') ? undefined : `${serial}: already in the inventory (${existing.status})`;
      return (await app.directory.findDeviceBySerial(serial)) ? `${serial}: already registered in Entra` : undefined;
    });
    const conflicts = taken.flatMap((reason, index) => (reason ? [{ path: `serials.${index}`, message: reason }] : []));
    if (conflicts.length > 0) return problem(409, 'Some serial numbers are already in use; nothing was generated', { errors: conflicts });

    const seeded: ImportRow[] = [];
    const summary = await importTokens(rows, { ...app, audit: auditFor(app.audit, request, auth.principal), activationMode: app.config.activationMode }, {
      actor: actorOf(auth.principal),
      correlationId: correlationIdOf(request, context.invocationId),
      seedOrigin: 'generated',
    }, { onImported: (row) => seeded.push(row) });
    context.log(`seeds: ${summary.imported} generated, ${summary.errors.length + summary.unchanged} refused`);

    if (seeded.length === 0) return problem(409, 'No seed was generated', { errors: summary.errors.map((e) => ({ path: `serials.${e.line - 1}`, message: `${e.serial}: ${e.reason}` })) });
    const answer = protection
      ? { body: await buildPskc(seeded, protection), type: `${PSKC_MEDIA_TYPE}; charset=utf-8`, file: 'seeds.pskcxml' }
      : { body: ['serial,secret key', ...seeded.map((row) => `${csvField(row.serialNumber)},${row.seed}`)].join('\r\n') + '\r\n', type: 'text/csv; charset=utf-8', file: 'seeds.csv' };
    return {
      status: 200,
      headers: {
        'content-type': answer.type,
        'content-disposition': `attachment; filename="${answer.file}"`,
        // The one time a seed leaves the system: no cache may keep it.
        'cache-control': 'no-store',
        // Refused late (a concurrent import took the serial): counted here, reasons in the audit trail.
        ...(summary.errors.length > 0 ? { 'x-refused-serials': String(summary.errors.length) } : {}),
      },
      body: answer.body,
    };
  };
}

httpFunction('tokensSeeds', { route: 'tokens/seeds', methods: ['POST'], handler: seedsHandler(services) });

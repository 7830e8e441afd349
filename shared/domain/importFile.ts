import { parse } from 'csv-parse';
import { Readable } from 'node:stream';
import { HASH_FUNCTIONS, MAX_RAW_SEED_LENGTH, normaliseSeed, type HashFunction, type TimeInterval } from './seed';
import { HEX_IN_BASE32_REASON, hexToBase32, looksLikeHex, parseSeedEncoding, type SeedEncoding } from './seedEncoding';
import { hasControlCharacters, userPrincipalNameProblem } from './text';
import { checkSerial, serialKey } from './token';

/**
 * Token seed files: the Entra portal CSV (`upn,serial number,secret key,time interval,manufacturer,model`,
 * optional `hash function`, `pool` and `seed encoding`), which is also what Token2 sends for Entra, and
 * Token2's JSON seed file (the Graph `#$delta` document). Rows are checked one by one; a bad row becomes a reason, never an exception,
 * and never carries the seed.
 */

export interface ImportRow {
  /** Line in the CSV (1 = header), or the entry's position in a JSON file's `value`. */
  line: number;
  serialNumber: string;
  seed: string;
  timeIntervalInSeconds: TimeInterval;
  hashFunction: HashFunction;
  manufacturer: string;
  model: string;
  userPrincipalName?: string;
  pool: string;
}

export interface RowError {
  line: number;
  serial: string;
  reason: string;
  /** A machine-readable refusal of the target check (privileged_account, not_in_allowed_group, guest_account). */
  code?: string;
}

export type ParsedRow = { ok: true; row: ImportRow } | { ok: false; error: RowError };

/** The whole file is unusable (no header, a required column missing, not JSON...). */
export class ImportFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportFileError';
  }
}

/** The largest file the import takes in one request, and the most an encrypted one may decompress to. */
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;

/**
 * The one answer to a file that cannot be decrypted or authenticated, whatever the cause (a wrong key,
 * bad padding, a MAC or signature that does not verify, a file encrypted to another key): any difference
 * between two such answers would let the sender of altered copies learn the plaintext a little at a time.
 */
export const SEALED_FILE_REASON =
  'the file cannot be decrypted or authenticated: it was encrypted to another key than the one named or the intake key, altered after it was made, or not signed by a vendor key this app trusts; nothing was imported';

export class SealedFileError extends ImportFileError {
  constructor() {
    super(SEALED_FILE_REASON);
    this.name = 'SealedFileError';
  }
}

/** A file larger than `limit` as sent, or (`inflated`) an encrypted one whose content grows past it when decompressed. */
export class FileTooLargeError extends ImportFileError {
  constructor(
    readonly limit: number,
    readonly inflated: boolean,
  ) {
    super(`the file ${inflated ? 'decompresses to' : 'has'} more than ${limit / 1024 / 1024} MB`);
    this.name = 'FileTooLargeError';
  }
}

type Field = 'upn' | 'serial' | 'seed' | 'interval' | 'manufacturer' | 'model' | 'hash' | 'pool' | 'encoding';

/** What a whole file declares; a row's own `seed encoding` wins over it. */
export interface SeedFileOptions {
  seedEncoding?: SeedEncoding;
}

const HEADER_ALIASES: Record<string, Field> = {
  upn: 'upn',
  userprincipalname: 'upn',
  'serial number': 'serial',
  serialnumber: 'serial',
  serial: 'serial',
  'secret key': 'seed',
  secretkey: 'seed',
  seed: 'seed',
  'time interval': 'interval',
  timeinterval: 'interval',
  timeintervalinseconds: 'interval',
  interval: 'interval',
  manufacturer: 'manufacturer',
  model: 'model',
  'hash function': 'hash',
  hashfunction: 'hash',
  hash: 'hash',
  algorithm: 'hash',
  pool: 'pool',
  location: 'pool',
  'seed encoding': 'encoding',
  seedencoding: 'encoding',
};

const REQUIRED: readonly Field[] = ['serial', 'seed', 'interval', 'manufacturer', 'model'];
const COLUMN_NAMES: Record<Field, string> = {
  upn: 'upn',
  serial: 'serial number',
  seed: 'secret key',
  interval: 'time interval',
  manufacturer: 'manufacturer',
  model: 'model',
  hash: 'hash function',
  pool: 'pool',
  encoding: 'seed encoding',
};

const MAX_TEXT_LENGTH = 64;
/** Characters that make spreadsheet programs run a cell as a formula (CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

function checkText(what: string, value: string, required: boolean): string | undefined {
  if (value === '') return required ? `${what} is empty` : undefined;
  if (value.length > MAX_TEXT_LENGTH) return `${what} is longer than ${MAX_TEXT_LENGTH} characters`;
  if (FORMULA_START.test(value)) return `${what} starts with a formula character (= + - @ tab or CR)`;
  if (hasControlCharacters(value)) return `${what} holds control characters`;
  return undefined;
}

interface RawRow {
  upn?: string;
  serial?: string;
  seed?: string;
  interval?: string;
  manufacturer?: string;
  model?: string;
  hash?: string;
  pool?: string;
  encoding?: string;
}

/** The row's seed as Base32, decoded as the row (or else the file) declares it. */
function declaredSeed(raw: RawRow, options: SeedFileOptions): { ok: true; seed: string } | { ok: false; reason: string } {
  const declared = (raw.encoding ?? '').trim();
  const encoding = declared === '' ? (options.seedEncoding ?? 'base32') : parseSeedEncoding(declared);
  if (!encoding) return { ok: false, reason: 'seed encoding must be base32 or hex' };
  const text = raw.seed ?? '';
  // normaliseSeed refuses it by its length before any pattern reads it.
  if (text.length > MAX_RAW_SEED_LENGTH) return normaliseSeed(text);
  if (encoding === 'hex') {
    const converted = hexToBase32(text);
    return converted.ok ? normaliseSeed(converted.base32) : converted;
  }
  if (looksLikeHex(text)) return { ok: false, reason: HEX_IN_BASE32_REASON };
  return normaliseSeed(text);
}

/** Checks one row's fields. `seen` maps serial keys already taken in this file to their line. */
export function checkRow(line: number, raw: RawRow, seen: Map<string, number>, options: SeedFileOptions = {}): ParsedRow {
  const serialNumber = (raw.serial ?? '').trim();
  const fail = (reason: string): ParsedRow => ({ ok: false, error: { line, serial: serialNumber, reason } });

  const serialProblem = checkSerial(serialNumber);
  if (serialProblem) return fail(serialProblem);
  const firstLine = seen.get(serialKey(serialNumber));
  if (firstLine !== undefined) return fail(`duplicate serial number in this file (first at line ${firstLine})`);
  seen.set(serialKey(serialNumber), line);

  const seed = declaredSeed(raw, options);
  if (!seed.ok) return fail(seed.reason);

  const intervalText = (raw.interval ?? '').trim();
  if (intervalText !== '30' && intervalText !== '60') return fail('time interval must be 30 or 60 seconds');

  const hashText = (raw.hash ?? '').trim().toLowerCase();
  const hashFunction = (hashText === '' ? 'hmacsha1' : hashText) as HashFunction;
  if (!HASH_FUNCTIONS.includes(hashFunction)) return fail('hash function must be hmacsha1 or hmacsha256');

  const manufacturer = (raw.manufacturer ?? '').trim();
  const model = (raw.model ?? '').trim();
  const pool = (raw.pool ?? '').trim();
  const textProblem = checkText('manufacturer', manufacturer, true) ?? checkText('model', model, true) ?? checkText('pool', pool, false);
  if (textProblem) return fail(textProblem);

  const upn = (raw.upn ?? '').trim();
  if (upn !== '' && (FORMULA_START.test(upn) || userPrincipalNameProblem(upn))) return fail('upn is not a user principal name (name@domain, at most 113 characters)');

  return {
    ok: true,
    row: {
      line,
      serialNumber,
      seed: seed.seed,
      timeIntervalInSeconds: intervalText === '60' ? 60 : 30,
      hashFunction,
      manufacturer,
      model,
      pool,
      ...(upn === '' ? {} : { userPrincipalName: upn }),
    },
  };
}

function headerFields(header: string[]): (Field | undefined)[] {
  // Spreadsheets set to a locale with a decimal comma save "CSV" with semicolons: the header is then one field.
  if (header.length === 1 && (header[0] ?? '').split(';').length >= REQUIRED.length) {
    throw new ImportFileError('the file is separated by semicolons, not commas: save it as CSV with commas (in Excel: "CSV UTF-8 (Comma delimited)"), or replace the semicolons with commas');
  }
  const fields = header.map((name) => HEADER_ALIASES[name.trim().toLowerCase().replace(/\s+/g, ' ')]);
  const missing = REQUIRED.filter((field) => !fields.includes(field));
  if (missing.length > 0) {
    throw new ImportFileError(`missing column${missing.length > 1 ? 's' : ''}: ${missing.map((f) => COLUMN_NAMES[f]).join(', ')}`);
  }
  const twice = fields.find((field, index) => field !== undefined && fields.indexOf(field) !== index);
  if (twice) throw new ImportFileError(`column "${COLUMN_NAMES[twice]}" appears twice`);
  return fields;
}

/** Base32 or hex of seed length: a value a shifted row may have put where the serial belongs. */
const SEED_LIKE = /^(?:[A-Z2-7]{16,}=*|[0-9A-F]{20,})$/i;

/**
 * The serial a row with the wrong number of fields has in the serial column, so the report can name it;
 * '' when that cell is not a serial, or could be a seed moved there by a missing field (a report never holds one).
 */
function serialOfShortRow(record: string[], fields: (Field | undefined)[]): string {
  const cell = (record[fields.indexOf('serial')] ?? '').trim();
  if (cell.length > 64 || checkSerial(cell) !== undefined || SEED_LIKE.test(cell)) return '';
  return cell;
}

/** Streams a CSV seed file into checked rows, holding one record at a time (plus the serials seen). */
export async function* parseTokenCsv(input: Readable | AsyncIterable<Uint8Array | string>, options: SeedFileOptions = {}): AsyncGenerator<ParsedRow> {
  const parser = parse({ bom: true, skip_empty_lines: true, relax_column_count: true, relax_quotes: true, info: true, max_record_size: 64 * 1024 });
  const source = input instanceof Readable ? input : Readable.from(input);
  source.on('error', (error) => parser.destroy(error));
  source.pipe(parser);

  let fields: (Field | undefined)[] | undefined;
  const seen = new Map<string, number>();
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!fields) {
        fields = headerFields(record);
        continue;
      }
      const line = info.lines;
      if (record.length !== fields.length) {
        yield { ok: false, error: { line, serial: serialOfShortRow(record, fields), reason: `expected ${fields.length} fields, found ${record.length}` } };
        continue;
      }
      const raw: RawRow = {};
      fields.forEach((field, index) => {
        if (field) raw[field] = record[index] ?? '';
      });
      yield checkRow(line, raw, seen, options);
    }
  } catch (error) {
    if (error instanceof ImportFileError) throw error;
    const { code, lines } = error as { code?: unknown; lines?: unknown };
    if (typeof code !== 'string' || !code.startsWith('CSV_')) throw error;
    throw new ImportFileError(`not a readable CSV file (${code}${typeof lines === 'number' ? ` at line ${lines}` : ''})`);
  }
  if (!fields) throw new ImportFileError('the file is empty: expected a header row');
}

/** Token2's JSON seed file: `{"@context":"#$delta","value":[{serialNumber, secretKey, ...}]}`. */
export function* parseToken2Json(text: string, options: SeedFileOptions = {}): Generator<ParsedRow> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new ImportFileError('not valid JSON');
  }
  const entries = (document as { value?: unknown } | null)?.value;
  if (!Array.isArray(entries)) throw new ImportFileError('expected a JSON object with a "value" array of tokens');
  const seen = new Map<string, number>();
  const asText = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');
  for (const [index, entry] of entries.entries()) {
    const item = (entry ?? {}) as Record<string, unknown>;
    yield checkRow(
      index + 1,
      {
        serial: asText(item.serialNumber),
        seed: asText(item.secretKey),
        interval: asText(item.timeIntervalInSeconds),
        manufacturer: asText(item.manufacturer),
        model: asText(item.model),
        hash: asText(item.hashFunction),
        upn: asText(item.userPrincipalName),
        pool: asText(item.pool),
        encoding: asText(item.seedEncoding),
      },
      seen,
      options,
    );
  }
}

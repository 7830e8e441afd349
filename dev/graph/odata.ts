import { GraphApiError, badRequest, unsupportedQuery } from './errors';

type Literal = string | number | boolean | null;

/**
 * One `property eq value` or `property in (value, ...)` term of a `$filter`; property is lower-cased
 * (Graph matches names case-insensitively). An `in` term lists its values in `anyOf`, `value` being the first.
 */
export interface EqualityClause {
  property: string;
  value: Literal;
  anyOf?: Literal[];
}

/** Graph's known issues: "the `in` operator ... is limited to 15 expressions in the filter clause by default". */
export const MAX_IN_EXPRESSIONS = 15;

/** Whether an item's value meets the clause: equal to its value, or to one of an `in` term's. */
export const clauseMatches = (actual: Literal, clause: EqualityClause): boolean => (clause.anyOf ?? [clause.value]).some((wanted) => valuesEqual(actual, wanted));

const TOKEN = /\s*(?:'((?:[^']|'')*)'|([A-Za-z_][A-Za-z0-9_/.]*)|(-?\d+(?:\.\d+)?)|([(),]))/y;

/**
 * Parses the subset of OData `$filter` the emulator serves: `a eq 'x' and b/c eq 30 and d eq null`.
 * Anything else answers 400 Request_UnsupportedQuery, as Graph does for filters a resource cannot serve.
 */
export function parseEqualityFilter(filter: string): EqualityClause[] {
  const tokens: Array<{ kind: 'string' | 'word' | 'number' | 'punctuation'; text: string }> = [];
  TOKEN.lastIndex = 0;
  let position = 0;
  while (position < filter.length) {
    if (filter.slice(position).trim() === '') break;
    TOKEN.lastIndex = position;
    const match = TOKEN.exec(filter);
    if (!match) throw unsupportedQuery(`Invalid filter clause: unexpected text at position ${position}.`);
    position = TOKEN.lastIndex;
    if (match[1] !== undefined) tokens.push({ kind: 'string', text: match[1].replace(/''/g, "'") });
    else if (match[2] !== undefined) tokens.push({ kind: 'word', text: match[2] });
    else if (match[3] !== undefined) tokens.push({ kind: 'number', text: match[3] });
    else tokens.push({ kind: 'punctuation', text: match[4] ?? '' });
  }
  const unsupported = () => unsupportedQuery('Unsupported filter: only "property eq value" and "property in (value, ...)" terms joined by "and" are supported.');
  const clauses: EqualityClause[] = [];
  let index = 0;
  for (;;) {
    const property = tokens[index];
    const operator = tokens[index + 1];
    if (property?.kind !== 'word' || operator?.kind !== 'word') throw unsupported();
    if (operator.text.toLowerCase() === 'in') {
      if (tokens[index + 2]?.text !== '(' || tokens[index + 2]?.kind !== 'punctuation') throw unsupported();
      const values: Literal[] = [];
      index += 3;
      for (;;) {
        const operand = tokens[index];
        if (!operand || operand.kind === 'punctuation') throw unsupported();
        values.push(literal(operand));
        const after = tokens[index + 1];
        index += 2;
        if (after?.kind === 'punctuation' && after.text === ')') break;
        if (after?.kind !== 'punctuation' || after.text !== ',') throw unsupported();
      }
      if (values.length > MAX_IN_EXPRESSIONS) throw unsupportedQuery(`Too many expressions in the 'in' operator: ${values.length}; at most ${MAX_IN_EXPRESSIONS} are allowed.`);
      clauses.push({ property: property.text.toLowerCase(), value: values[0] ?? null, anyOf: values });
    } else {
      const operand = tokens[index + 2];
      if (operator.text.toLowerCase() !== 'eq' || !operand || operand.kind === 'punctuation') throw unsupported();
      clauses.push({ property: property.text.toLowerCase(), value: literal(operand) });
      index += 3;
    }
    const next = tokens[index];
    if (next === undefined) break;
    if (next.kind !== 'word' || next.text.toLowerCase() !== 'and') {
      throw unsupportedQuery('Unsupported filter: only "and" may join terms.');
    }
    index += 1;
  }
  return clauses;
}

function literal(token: { kind: 'string' | 'word' | 'number' | 'punctuation'; text: string }): Literal {
  if (token.kind === 'string') return token.text;
  if (token.kind === 'number') return Number(token.text);
  const word = token.text.toLowerCase();
  if (word === 'null') return null;
  if (word === 'true') return true;
  if (word === 'false') return false;
  throw unsupportedQuery(`Invalid filter value '${token.text}'.`);
}

/** Equality the way Graph compares directory strings: case-insensitive; numbers and strings compare by text. */
export function valuesEqual(actual: string | number | boolean | null, wanted: string | number | boolean | null): boolean {
  if (actual === null || wanted === null) return actual === wanted;
  return String(actual).toLowerCase() === String(wanted).toLowerCase();
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 999;

export function parseTop(raw: string | null): number {
  if (raw === null) return DEFAULT_PAGE_SIZE;
  const top = Number(raw);
  if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE_SIZE) {
    throw badRequest(`Invalid page size specified: '${raw}'. Must be between 1 and ${MAX_PAGE_SIZE} inclusive.`, 'Request_BadRequest');
  }
  return top;
}

/** Opaque continuation: the position after which the next page starts, plus a tag so tokens of one collection do not leak into another. */
export function encodeSkipToken(kind: string, position: number): string {
  return Buffer.from(`${kind}:${position}`, 'utf8').toString('base64url');
}

export function decodeSkipToken(kind: string, token: string): number {
  const [tag, position] = Buffer.from(token, 'base64url').toString('utf8').split(':');
  const value = Number(position);
  if (tag !== kind || !Number.isInteger(value) || value < 0) {
    throw new GraphApiError(400, 'Request_BadRequest', 'The specified page token value has expired or is invalid.');
  }
  return value;
}

/** `$select=a,b`: keeps only those properties (Graph answers nothing else). */
export function parseSelect(raw: string | null): string[] | undefined {
  if (raw === null || raw.trim() === '') return undefined;
  return raw.split(',').map((name) => name.trim()).filter((name) => name !== '');
}

export function project<T extends object>(entity: T, select: string[] | undefined): Partial<T> | T {
  if (!select) return entity;
  const byLowerName = new Map(Object.keys(entity).map((key) => [key.toLowerCase(), key]));
  const projected: Record<string, unknown> = {};
  for (const name of select) {
    const key = byLowerName.get(name.toLowerCase());
    if (key !== undefined) projected[key] = (entity as Record<string, unknown>)[key];
  }
  return projected as Partial<T>;
}

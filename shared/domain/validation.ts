import type { z } from 'zod';

/**
 * Validation errors as an administrator reads them. A schema's own messages ("must be one of ...") are
 * kept; where a schema gives none, zod's default text ("Invalid input: expected string, received
 * undefined") is replaced by a plain one ("is required"). The field is named by the error's `path`, so a
 * message never repeats it, and never quotes the value it refused (it may be a secret).
 */


/** One field of a refused input, as problem details carry it. */
export interface FieldError {
  path: string;
  message: string;
}

const NOUNS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  bigint: 'a whole number',
  boolean: 'true or false',
  object: 'a JSON object',
  array: 'a list',
  date: 'a date',
  null: 'null',
};

const FORMATS: Record<string, string> = {
  email: 'an email address',
  url: 'a URL',
  uuid: 'a UUID',
  guid: 'a GUID',
  datetime: 'an ISO 8601 date-time',
  date: 'an ISO 8601 date (YYYY-MM-DD)',
  time: 'an ISO 8601 time',
  base64: 'Base64 text',
  base64url: 'Base64url text',
  jwt: 'a JWT',
};

const kindOf = (input: unknown): string => (input === null ? 'null' : Array.isArray(input) ? 'a list' : typeof input === 'string' ? 'text' : typeof input === 'object' ? 'a JSON object' : `a ${typeof input}`);

const plural = (count: number | bigint, one: string): string => `${count} ${one}${Number(count) === 1 ? '' : 's'}`;

function sizeRule(issue: { origin: string; inclusive?: boolean; exact?: boolean }, bound: number | bigint, least: boolean): string {
  const word = issue.exact ? 'exactly' : least ? (issue.inclusive === false ? 'more than' : 'at least') : issue.inclusive === false ? 'fewer than' : 'at most';
  switch (issue.origin) {
    case 'string':
      if (least && Number(bound) === 1 && issue.inclusive !== false && !issue.exact) return 'must not be empty';
      return `must be ${word} ${plural(bound, 'character')} long`;
    case 'array':
    case 'set':
      if (least && Number(bound) === 1 && issue.inclusive !== false && !issue.exact) return 'must list at least one item';
      return `must have ${word} ${plural(bound, 'item')}`;
    default:
      if (issue.exact) return `must be exactly ${bound}`;
      return `must be ${least ? (issue.inclusive === false ? 'greater than' : 'at least') : issue.inclusive === false ? 'less than' : 'at most'} ${bound}`;
  }
}

/** The plain message of an issue whose schema set none (a zod error map: used for every issue without one). */
export const readableIssue = (issue: z.core.$ZodRawIssue): string => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      if (issue.expected === 'int' && typeof issue.input === 'number') return 'must be a whole number';
      return `must be ${NOUNS[issue.expected] ?? issue.expected}, not ${kindOf(issue.input)}`;
    case 'too_small':
      return sizeRule(issue, issue.minimum, true);
    case 'too_big':
      return sizeRule(issue, issue.maximum, false);
    case 'invalid_value':
      return issue.values.length === 1 ? `must be ${JSON.stringify(issue.values[0])}` : `must be one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_format':
      return FORMATS[issue.format] ? `must be ${FORMATS[issue.format]}` : 'is not in the expected format';
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'unrecognized_keys':
      return `has ${issue.keys.length === 1 ? 'a field' : 'fields'} this request does not take: ${issue.keys.join(', ')}`;
    case 'invalid_union':
      return 'does not match any of the accepted forms';
    case 'invalid_key':
      return 'has a key that is not valid';
    case 'invalid_element':
      return 'has an item that is not valid';
    default:
      return 'is not valid';
  }
};

/** Parses `input`: the value, or one readable error per field (its path, dotted; '' for the whole body). */
export function validate<T>(schema: z.ZodType<T>, input: unknown): { ok: true; value: T } | { ok: false; errors: FieldError[] } {
  const parsed = schema.safeParse(input, { error: readableIssue });
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, errors: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })) };
}

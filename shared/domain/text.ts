// eslint-disable-next-line no-control-regex -- control characters are exactly what this looks for
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** True when `value` holds characters no identifier or label should (line breaks, NUL, escapes). */
export const hasControlCharacters = (value: string): boolean => CONTROL_CHARACTERS.test(value);

// eslint-disable-next-line no-control-regex -- control characters are exactly what this looks for
const UNSAFE_IN_NOTES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/**
 * True when free text (an admin's note) holds what would fool a reader of the audit or a terminal:
 * control characters other than tab and line feed, and bidirectional overrides.
 */
export const hasUnsafeNoteCharacters = (value: string): boolean => UNSAFE_IN_NOTES.test(value);

// eslint-disable-next-line no-control-regex -- control characters are exactly what this drops
const UNPRINTABLE_IN_LOGS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g;

/**
 * A log line as it may be written when parts of it came from outside (an event type, a vendor's words,
 * an SDK's message): control characters (line breaks, escapes, NUL, C1), line and paragraph separators
 * and bidirectional overrides are dropped, each run left as one space, so no input can start a line of
 * its own, colour a terminal or reorder what a reader sees.
 */
export const printableLogLine = (line: string): string => line.replace(UNPRINTABLE_IN_LOGS, ' ');

/** Entra's longest user principal name: 64 characters, '@', 48 of domain. */
export const MAX_UPN_LENGTH = 113;
/** name@domain.tld; each part's class excludes its separator, so matching never backtracks. */
const UPN_SHAPE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/**
 * Why `value` is not a user principal name, or undefined. The length is checked first, so the pattern
 * only ever sees short text.
 */
export function userPrincipalNameProblem(value: string): string | undefined {
  if (value.length > MAX_UPN_LENGTH) return `must be at most ${MAX_UPN_LENGTH} characters`;
  if (!UPN_SHAPE.test(value)) return 'must look like an email address (name@domain)';
  return undefined;
}

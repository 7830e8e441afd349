// eslint-disable-next-line no-control-regex -- control characters are exactly what this looks for
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** True when `value` holds characters no identifier or label should (line breaks, NUL, escapes). */
export const hasControlCharacters = (value: string): boolean => CONTROL_CHARACTERS.test(value);

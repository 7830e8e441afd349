/**
 * CSV for exports an auditor opens in a spreadsheet (RFC 4180, CRLF). A cell that a spreadsheet would
 * read as a formula (starting with = + - @, or a tab or carriage return that hides one) is prefixed
 * with a single quote (OWASP, CSV injection), so an employee id or a note can never run as one.
 */

export type CsvValue = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvLine = (values: readonly CsvValue[]): string => `${values.map(csvCell).join(',')}\r\n`;

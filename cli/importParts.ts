import { parse } from 'csv-parse/sync';

/**
 * Splits a seed file into parts the admin API takes in one request each, cutting only between records
 * and telling the server each part's line offset, so reported lines are those of the original file.
 */
export interface ImportPart {
  body: string;
  contentType: 'text/csv' | 'application/json';
  lineOffset: number;
  /** Records (CSV rows or JSON entries) in this part, for the progress bar. */
  records: number;
}

export function csvParts(text: string, recordsPerPart: number): ImportPart[] {
  const records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, relax_quotes: true, info: true }) as unknown as { info: { lines: number } }[];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = records[0];
  if (!header) return [{ body: text, contentType: 'text/csv', lineOffset: 0, records: 0 }];
  const headerLines = lines.slice(0, header.info.lines).join('\n');
  const parts: ImportPart[] = [];
  for (let first = 1; first < records.length; first += recordsPerPart) {
    const last = Math.min(first + recordsPerPart, records.length) - 1;
    const startLine = (records[first - 1]?.info.lines ?? 0) + 1;
    const endLine = records[last]?.info.lines ?? startLine;
    parts.push({
      body: `${headerLines}\n${lines.slice(startLine - 1, endLine).join('\n')}\n`,
      contentType: 'text/csv',
      // The server counts the header as line 1..header lines; the part's first line follows it.
      lineOffset: startLine - 1 - header.info.lines,
      records: last - first + 1,
    });
  }
  return parts.length > 0 ? parts : [{ body: text, contentType: 'text/csv', lineOffset: 0, records: 0 }];
}

export function jsonParts(text: string, recordsPerPart: number): ImportPart[] {
  const document = JSON.parse(text) as { value?: unknown };
  if (!Array.isArray(document.value)) return [{ body: text, contentType: 'application/json', lineOffset: 0, records: 0 }];
  const entries = document.value as unknown[];
  const parts: ImportPart[] = [];
  for (let first = 0; first < entries.length; first += recordsPerPart) {
    const slice = entries.slice(first, first + recordsPerPart);
    parts.push({ body: JSON.stringify({ '@context': '#$delta', value: slice }), contentType: 'application/json', lineOffset: first, records: slice.length });
  }
  return parts;
}

/** The import answer ({imported, unchanged, errors}) as the Imports page shows it. */

export interface ImportRowError {
  line: number | null;
  serial: string | null;
  reason: string;
}

export interface ImportOutcome {
  imported: number;
  unchanged: number;
  errors: ImportRowError[];
}

export function importOutcomeOf(body: unknown): ImportOutcome {
  const value = (body && typeof body === 'object' ? body : {}) as { imported?: unknown; unchanged?: unknown; errors?: unknown };
  const count = (n: unknown): number => (typeof n === 'number' && Number.isFinite(n) ? n : 0);
  const errors = Array.isArray(value.errors)
    ? value.errors.map((e: unknown): ImportRowError => {
        const row = (e && typeof e === 'object' ? e : {}) as { line?: unknown; serial?: unknown; reason?: unknown };
        return {
          line: typeof row.line === 'number' ? row.line : null,
          serial: typeof row.serial === 'string' && row.serial !== '' ? row.serial : null,
          reason: typeof row.reason === 'string' ? row.reason : 'rejected',
        };
      })
    : [];
  errors.sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
  return { imported: count(value.imported), unchanged: count(value.unchanged), errors };
}

/** The request's content type from the file: Token2's JSON seed file or the Entra portal CSV. */
export function importContentType(fileName: string, fileType: string): 'application/json' | 'text/csv' {
  return fileType === 'application/json' || fileName.toLowerCase().endsWith('.json') ? 'application/json' : 'text/csv';
}

/** Serials typed one per line, or separated by commas or spaces; blanks dropped, duplicates once. */
export function serialsFrom(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).map((s) => s.trim()).filter((s) => s !== ''))];
}

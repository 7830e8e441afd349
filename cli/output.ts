/** Terminal output for oathctl: aligned tables and a progress bar that redraws one line. */

export function table(header: string[], rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export function progressBar(stream: NodeJS.WriteStream, width = 30): (done: number, total: number) => void {
  return (done, total) => {
    const ratio = total === 0 ? 1 : Math.min(1, done / total);
    const filled = Math.round(ratio * width);
    stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(ratio * 100)}% ${done}/${total} rows`);
    if (done >= total) stream.write('\n');
  };
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what this removes
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from the service made safe for a terminal: control characters (escape sequences that recolour,
 * retitle or rewrite the screen, carriage returns that overwrite a line) and bidirectional overrides
 * are removed; line breaks and tabs stay.
 */
export const printable = (text: string): string => text.replace(UNPRINTABLE, '');

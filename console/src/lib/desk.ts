/** The desk's pick list: what the API lists, the query for it, and the CSV for label printers. */

export interface HandoverLine {
  serialNumber: string;
  manufacturer: string;
  model: string;
  employeeId: string | null;
  userPrincipalName: string | null;
  displayName: string | null;
  site: string;
  since: string;
  shipping: string;
  tracking: string | null;
}

export const SHIPPING_FILTERS = ['pending', 'shipped', 'delivered'] as const;

export function handoversPath(query: { location?: string; status?: string }): string {
  const params = new URLSearchParams();
  if (query.location?.trim()) params.set('location', query.location.trim());
  if (query.status) params.set('status', query.status);
  const text = params.toString();
  return text === '' ? 'handovers' : `handovers?${text}`;
}

/** RFC 4180 quoting; a cell a spreadsheet would run as a formula is prefixed with ' (as oathctl handovers --csv does). */
const csvCell = (value: string): string => {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

export function pickListCsv(lines: readonly HandoverLine[]): string {
  const rows = lines.map((h) => [h.site, h.serialNumber, h.displayName ?? '', h.userPrincipalName ?? '', h.employeeId ?? '', h.since, h.shipping, h.tracking ?? '', `${h.manufacturer} ${h.model}`]);
  return [['site', 'serial number', 'name', 'holder', 'employee id', 'since', 'shipping', 'tracking', 'model'], ...rows].map((row) => row.map(csvCell).join(',')).join('\n');
}

/** What the desk can do next with a line: ship it, mark it delivered, hand it over (always, once in front of the person). */
export function nextShipment(shipping: string): 'shipped' | 'delivered' | undefined {
  if (shipping === 'pending') return 'shipped';
  if (shipping === 'shipped') return 'delivered';
  return undefined;
}

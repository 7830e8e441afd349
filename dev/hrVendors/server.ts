import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { clientHost, listen, readBodyText, requestText } from '../net';
import { type DevCa, issueServerCertificate } from '../tls';

/**
 * Small emulators of the HR vendors' APIs the app fetches employees from, over HTTPS with the dev CA:
 * - HiBob: POST /v1/people/search (Basic service-user id : token) answering {"employees": [...]} with the
 *   nested fields asked for (root.*, work.*, internal.*);
 * - BambooHR: GET /api/v1/employees/{id}?fields=a,b (Basic API key : "x") answering the fields flat,
 *   with BambooHR's "0000-00-00" for an empty date;
 * - Personio v2: POST /v2/auth/token (client credentials, form-encoded) for a bearer token, then
 *   GET /v2/persons/{id} and GET /v2/persons/{id}/employments ({"_data": [...]}).
 * Each keeps employees in memory, set through PUT /_emulator/employees/{id}. Also the vendors' webhook
 * bodies and signatures, so tests and the demo send deliveries exactly as the vendor does.
 */

export type HrVendorKind = 'hibob' | 'bamboohr' | 'personio';

/** An employee as the vendor keeps it; the emulator answers only the fields asked for. */
export interface VendorRecord {
  id: string;
  employeeNumber?: string;
  email?: string;
  displayName?: string;
  hireDate?: string;
  terminationDate?: string;
  status: 'Active' | 'Inactive';
  location?: string;
}

export interface HrVendorEmulator {
  url: string;
  kind: HrVendorKind;
  /** Requests the API answered, by path kind, for assertions. */
  requests: string[];
  close(): Promise<void>;
}

export interface HrVendorEmulatorOptions {
  kind: HrVendorKind;
  ca: DevCa;
  /** user:password of the Basic credential the API accepts. */
  user: string;
  password: string;
  port?: number;
  host?: string;
}

const send = (response: ServerResponse, status: number, body?: unknown) => {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
};

function hibobView(record: VendorRecord, fields: string[]): Record<string, unknown> {
  const nested: Record<string, Record<string, unknown>> = { work: {}, internal: {} };
  const out: Record<string, unknown> = {};
  const values: Record<string, unknown> = {
    'root.id': record.id,
    'root.email': record.email,
    'root.displayName': record.displayName,
    'work.startDate': record.hireDate,
    'work.site': record.location,
    'work.employeeIdInCompany': record.employeeNumber,
    'internal.status': record.status,
    'internal.terminationDate': record.terminationDate ?? null,
  };
  for (const field of fields) {
    const [group, name] = field.split('.');
    if (!group || !name || !(field in values)) continue;
    if (group === 'root') out[name] = values[field];
    else (nested[group] ??= {})[name] = values[field];
  }
  return { ...out, ...Object.fromEntries(Object.entries(nested).filter(([, value]) => Object.keys(value).length > 0)) };
}

function bambooView(record: VendorRecord, fields: string[]): Record<string, unknown> {
  const values: Record<string, unknown> = {
    employeeNumber: record.employeeNumber ?? '',
    workEmail: record.email ?? '',
    displayName: record.displayName ?? '',
    hireDate: record.hireDate ?? '0000-00-00',
    terminationDate: record.terminationDate ?? '0000-00-00',
    status: record.status,
    location: record.location ?? '',
  };
  return { id: record.id, ...Object.fromEntries(fields.filter((field) => field in values).map((field) => [field, values[field]])) };
}

export async function startHrVendorEmulator(options: HrVendorEmulatorOptions): Promise<HrVendorEmulator> {
  const employees = new Map<string, VendorRecord>();
  const requests: string[] = [];
  const expected = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`;
  const issued = new Set<string>();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'https://vendor.invalid');
    const body = await readBodyText(request, 1024 * 1024, () => new Error('too large'));
    const control = /^\/_emulator\/employees\/([^/]+)$/.exec(url.pathname);
    if (control && request.method === 'PUT') {
      const record = { ...(JSON.parse(body) as VendorRecord), id: decodeURIComponent(control[1] ?? '') };
      employees.set(record.id, record);
      return send(response, 204);
    }
    if (options.kind === 'personio') {
      if (request.method === 'POST' && url.pathname === '/v2/auth/token') {
        const form = new URLSearchParams(body);
        if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== options.user || form.get('client_secret') !== options.password) {
          return send(response, 401, { error: 'invalid_client' });
        }
        const token = randomBytes(24).toString('base64url');
        issued.add(token);
        return send(response, 200, { access_token: token, token_type: 'Bearer', expires_in: 86400, scope: 'personio:persons:read' });
      }
      if (!issued.has((request.headers.authorization ?? '').replace(/^Bearer /, ''))) return send(response, 401, { errors: [{ title: 'Unauthorized' }] });
      const person = /^\/v2\/persons\/([^/]+)(\/employments)?$/.exec(url.pathname);
      const record = person ? employees.get(decodeURIComponent(person[1] ?? '')) : undefined;
      if (request.method === 'GET' && person) {
        requests.push(person[2] ? 'employments.list' : 'persons.get');
        if (!record) return send(response, 404, { errors: [{ title: 'Not found' }] });
        if (!person[2]) {
          const [first, ...rest] = (record.displayName ?? '').split(' ');
          return send(response, 200, { id: record.id, email: record.email ?? null, first_name: first ?? '', last_name: rest.join(' '), preferred_name: null });
        }
        return send(response, 200, {
          _data: [{ id: `emp-${record.id}`, status: record.status === 'Active' ? 'ACTIVE' : 'INACTIVE', start_date: record.hireDate ?? null, termination_date: record.terminationDate ?? null }],
          _meta: { links: {} },
        });
      }
      return send(response, 404, { errors: [{ title: 'Not found' }] });
    }
    if (request.headers.authorization !== expected) return send(response, 401, { error: 'unauthorized' });
    if (options.kind === 'hibob' && request.method === 'POST' && url.pathname === '/v1/people/search') {
      requests.push('people.search');
      const query = JSON.parse(body || '{}') as { fields?: string[]; filters?: { fieldPath?: string; operator?: string; values?: string[] }[] };
      const ids = query.filters?.find((f) => f.fieldPath === 'root.id' && f.operator === 'equals')?.values ?? [];
      const found = ids.map((id) => employees.get(id)).filter((record): record is VendorRecord => record !== undefined);
      return send(response, 200, { employees: found.map((record) => hibobView(record, query.fields ?? [])) });
    }
    const bamboo = /^\/api\/v1\/employees\/([^/]+)$/.exec(url.pathname);
    if (options.kind === 'bamboohr' && request.method === 'GET' && bamboo) {
      requests.push('employees.get');
      const record = employees.get(decodeURIComponent(bamboo[1] ?? ''));
      if (!record) return send(response, 404);
      return send(response, 200, bambooView(record, (url.searchParams.get('fields') ?? '').split(',')));
    }
    return send(response, 404, { error: 'not found' });
  };

  const server = createServer(issueServerCertificate(options.ca), (request, response) => {
    handle(request, response).catch(() => send(response, 500, { error: 'emulator failure' }));
  });
  const host = options.host ?? '127.0.0.1';
  const port = await listen(server, options.port ?? 0, host);
  return {
    url: `https://${clientHost(host)}:${port}`,
    kind: options.kind,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Sets an employee in a running vendor emulator. */
export async function putVendorEmployee(emulatorUrl: string, record: VendorRecord, ca?: string): Promise<void> {
  const { status, text } = await requestText('PUT', new URL(`/_emulator/employees/${encodeURIComponent(record.id)}`, emulatorUrl), record, ca);
  if (status !== 204) throw new Error(`vendor emulator answered ${status}: ${text}`);
}

/**
 * How Bob writes `triggeredAt`: its docs name the field ("the timestamp when the event occurred") but
 * show no value, so each plausible form is a variant: ISO 8601 with `Z` (default), ISO without an
 * offset and with microseconds, and epoch milliseconds.
 */
export const BOB_TIME_FORMATS = ['iso', 'iso-no-offset', 'epoch-ms'] as const;
export type BobTimeFormat = (typeof BOB_TIME_FORMATS)[number];

/** A Bob webhooks v2 body ({companyId, type, triggeredBy, triggeredAt, version, data}) for an employee event. */
export function bobWebhookBody(type: string, employeeId: string, triggeredAt: Date, format: BobTimeFormat = 'iso'): string {
  const at = format === 'epoch-ms' ? triggeredAt.getTime() : format === 'iso-no-offset' ? `${triggeredAt.toISOString().slice(0, -1)}123` : triggeredAt.toISOString();
  return JSON.stringify({ companyId: 640812, type, triggeredBy: 'system', triggeredAt: at, version: 'v2', data: { employeeId } });
}

/** Bob-Signature as Bob computes it. */
export const signHiBob = (secret: string, body: string): string => createHmac('sha512', secret).update(body).digest('base64');

/** X-BambooHR-Signature as BambooHR computes it, over the body followed by the timestamp. */
export const signBambooHr = (secret: string, body: string, timestamp: string): string => createHmac('sha256', secret).update(body + timestamp).digest('hex');

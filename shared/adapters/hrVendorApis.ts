import type { SecretClient } from '@azure/keyvault-secrets';
import type { Config } from '../app/config';
import type { VendorEmployee } from '../domain/vendorWebhooks';
import type { HrVendorApis, VendorSecrets } from '../ports';

/**
 * HR vendors' REST APIs over HTTPS (Node's fetch), with credentials read from Key Vault, and the vendor
 * secrets themselves. A 404 means the employee is gone; any other failure throws, so the vendor's
 * delivery is answered 5xx and retried by the vendor.
 */

/** Secrets change rarely; a few minutes of caching keeps Key Vault off the path of every delivery. */
const SECRET_CACHE_MS = 5 * 60_000;

export function keyVaultVendorSecrets(client: SecretClient, now: () => number = Date.now): VendorSecrets {
  const cache = new Map<string, { value: string; until: number }>();
  return {
    async read(name) {
      const cached = cache.get(name);
      if (cached && cached.until > now()) return cached.value;
      const secret = await client.getSecret(name);
      if (!secret.value) throw new Error(`Key Vault secret ${name} has no value`);
      cache.set(name, { value: secret.value, until: now() + SECRET_CACHE_MS });
      return secret.value;
    },
  };
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);

async function getJson(url: string, init: RequestInit, what: string): Promise<unknown> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`${what} answered ${response.status}`);
  return response.json();
}

/** Bob's People search (POST /v1/people/search), by id, with the fields a hire or leave needs. */
const HIBOB_FIELDS = ['root.id', 'root.email', 'root.displayName', 'work.startDate', 'work.site', 'work.employeeIdInCompany', 'internal.status', 'internal.terminationDate'];

function fromHiBob(raw: Record<string, unknown>): VendorEmployee {
  const work = (raw.work ?? {}) as Record<string, unknown>;
  const internal = (raw.internal ?? {}) as Record<string, unknown>;
  const number = work.employeeIdInCompany;
  return {
    id: String(raw.id),
    ...(typeof number === 'string' || typeof number === 'number' ? { employeeNumber: String(number) } : {}),
    ...(text(raw.email) ? { email: text(raw.email) } : {}),
    ...(text(raw.displayName) ? { displayName: text(raw.displayName) } : {}),
    ...(text(work.startDate) ? { hireDate: text(work.startDate) } : {}),
    ...(text(internal.terminationDate) ? { terminationDate: text(internal.terminationDate) } : {}),
    active: text(internal.status)?.toLowerCase() === 'active',
    ...(text(work.site) ? { location: text(work.site) } : {}),
  };
}

/** BambooHR's Get Employee (GET /api/v1/employees/{id}?fields=...). */
const BAMBOOHR_FIELDS = ['employeeNumber', 'workEmail', 'displayName', 'hireDate', 'status', 'terminationDate', 'location'];

function fromBambooHr(id: string, raw: Record<string, unknown>): VendorEmployee {
  return {
    id,
    ...(text(raw.employeeNumber) ? { employeeNumber: text(raw.employeeNumber) } : {}),
    ...(text(raw.workEmail) ? { email: text(raw.workEmail) } : {}),
    ...(text(raw.displayName) ? { displayName: text(raw.displayName) } : {}),
    ...(text(raw.hireDate) ? { hireDate: text(raw.hireDate) } : {}),
    ...(text(raw.terminationDate) ? { terminationDate: text(raw.terminationDate) } : {}),
    active: text(raw.status)?.toLowerCase() === 'active',
    ...(text(raw.location) ? { location: text(raw.location) } : {}),
  };
}

/** Personio v2: the person (GET /v2/persons/{id}) and their employments (GET /v2/persons/{id}/employments, `_data`). */
function fromPersonio(person: Record<string, unknown>, employments: Record<string, unknown>[]): VendorEmployee {
  const current = employments[0] ?? {};
  const status = text(current.status)?.toUpperCase();
  const name = [text(person.preferred_name) ?? text(person.first_name), text(person.last_name)].filter(Boolean).join(' ');
  return {
    id: String(person.id),
    ...(text(person.email) ? { email: text(person.email) } : {}),
    ...(name ? { displayName: name } : {}),
    ...(text(current.start_date) ? { hireDate: text(current.start_date) } : {}),
    ...(text(current.termination_date) ? { terminationDate: text(current.termination_date) } : {}),
    active: status === 'ACTIVE' || status === 'ONBOARDING',
  };
}

export function httpHrVendorApis(vendors: Config['hrVendors'], secrets: VendorSecrets): HrVendorApis {
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  let personioToken: { value: string; until: number } | undefined;
  const personioBearer = async (personio: NonNullable<Config['hrVendors']['personio']>): Promise<string> => {
    if (personioToken && personioToken.until > Date.now()) return personioToken.value;
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: personio.clientId, client_secret: await secrets.read(personio.clientSecretName) });
    const response = await fetch(`${personio.apiUrl}/v2/auth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form, signal: AbortSignal.timeout(30_000) });
    if (!response.ok) throw new Error(`Personio token endpoint answered ${response.status}`);
    const answer = (await response.json()) as { access_token?: unknown; expires_in?: unknown };
    if (typeof answer.access_token !== 'string') throw new Error('Personio token endpoint answered no access_token');
    const lifetime = typeof answer.expires_in === 'number' ? answer.expires_in : 600;
    personioToken = { value: answer.access_token, until: Date.now() + Math.max(0, lifetime - 60) * 1000 };
    return answer.access_token;
  };
  return {
    async employee(vendor, id) {
      if (vendor === 'personio') {
        const personio = vendors.personio;
        if (!personio) throw new Error('Personio is not configured');
        const headers = { authorization: `Bearer ${await personioBearer(personio)}`, accept: 'application/json' };
        const person = (await getJson(`${personio.apiUrl}/v2/persons/${encodeURIComponent(id)}`, { headers }, 'Personio get person')) as Record<string, unknown> | undefined;
        if (!person) return undefined;
        const employments = (await getJson(`${personio.apiUrl}/v2/persons/${encodeURIComponent(id)}/employments`, { headers }, 'Personio list employments')) as { _data?: Record<string, unknown>[] } | undefined;
        return fromPersonio(person, employments?._data ?? []);
      }
      if (vendor === 'hibob') {
        const hibob = vendors.hibob;
        if (!hibob) throw new Error('HiBob is not configured');
        const answer = (await getJson(
          `${hibob.apiUrl}/v1/people/search`,
          {
            method: 'POST',
            headers: { authorization: basic(hibob.serviceUserId, await secrets.read(hibob.apiTokenSecretName)), 'content-type': 'application/json', accept: 'application/json' },
            body: JSON.stringify({ fields: HIBOB_FIELDS, filters: [{ fieldPath: 'root.id', operator: 'equals', values: [id] }], humanReadable: 'REPLACE' }),
          },
          'HiBob people search',
        )) as { employees?: Record<string, unknown>[] } | undefined;
        const found = answer?.employees?.[0];
        return found ? fromHiBob(found) : undefined;
      }
      const bamboohr = vendors.bamboohr;
      if (!bamboohr) throw new Error('BambooHR is not configured');
      const answer = (await getJson(
        `${bamboohr.apiUrl}/api/v1/employees/${encodeURIComponent(id)}?fields=${BAMBOOHR_FIELDS.join(',')}`,
        { headers: { authorization: basic(await secrets.read(bamboohr.apiKeySecretName), 'x'), accept: 'application/json' } },
        'BambooHR get employee',
      )) as Record<string, unknown> | undefined;
      return answer ? fromBambooHr(id, answer) : undefined;
    },
  };
}

import type { SecretClient } from '@azure/keyvault-secrets';
import type { Config } from '../config';
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

export function httpHrVendorApis(vendors: Config['hrVendors'], secrets: VendorSecrets): HrVendorApis {
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  return {
    async employee(vendor, id) {
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

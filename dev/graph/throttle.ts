/**
 * Graph's documented throttling, as microsoftgraph/microsoft-graph-docs-contrib concepts/throttling-limits.md
 * states it ("Identity and access service limits", and the global limit at the top of the page): token
 * buckets per application and tenant, each request charged its documented resource units (and a write),
 * the first limit reached answering 429 with Retry-After, `x-ms-throttle-scope` and
 * `x-ms-throttle-information`, and regular answers carrying `x-ms-resource-unit` and, above 0.8 of a
 * limit, `x-ms-throttle-limit-percentage`.
 */

export type ThrottleModel = 'identity' | 'oathGlobalOnly' | 'singleBucket';
export type TenantSize = 'fromUsers' | 'small' | 'medium' | 'large';

export interface RequestCost {
  resourceUnits: number;
  writes: number;
}

/** "Resource unit quota" of the application+tenant pair per 10 seconds: S, M, L. */
export const RESOURCE_UNITS_PER_10_SECONDS = { small: 3_500, medium: 5_000, large: 8_000 } as const;

/** "S - under 50 users, M - between 50 and 500 users, and L - above 500 users." */
export function tenantSizeOf(users: number): 'small' | 'medium' | 'large' {
  if (users < 50) return 'small';
  return users <= 500 ? 'medium' : 'large';
}

interface Limit {
  /** Capacity of the bucket, refilled evenly over windowMs. */
  quota: number;
  windowMs: number;
}

/** Write quota of the application+tenant pair: 3,000 requests per 2 minutes and 30 seconds. */
const APP_TENANT_WRITES: Limit = { quota: 3_000, windowMs: 150_000 };
/** Write quota of the tenant (all apps): 18,000 requests per 5 minutes. */
const TENANT_WRITES: Limit = { quota: 18_000, windowMs: 300_000 };
/** The global limit, per app across all tenants: 130,000 requests per 10 seconds. */
const APP_GLOBAL: Limit = { quota: 130_000, windowMs: 10_000 };

/**
 * The base cost table ("Any requests not listed have a base cost of 1"): METHOD and path, `{id}` for a
 * key segment. "Any request cost that applies to a request path starting with `me/` also applies to
 * equivalent requests starting with `users/{id | userPrincipalName}/`", so the me/ rows are written that way.
 */
const BASE_COSTS: readonly [method: string, path: string, resourceUnits: number][] = [
  ['GET', 'applications', 2],
  ['GET', 'applications/{id}/extensionProperties', 2],
  ['GET', 'contracts', 3],
  ['POST', 'directoryObjects/getByIds', 3],
  ['GET', 'domains/{id}/domainNameReferences', 4],
  ['POST', 'getObjectsById', 3],
  ['GET', 'groups/{id}/members', 3],
  ['GET', 'groups/{id}/transitiveMembers', 5],
  ['POST', 'isMemberOf', 4],
  ['POST', 'users/{id}/checkMemberGroups', 4],
  ['POST', 'users/{id}/checkMemberObjects', 4],
  ['POST', 'users/{id}/getMemberGroups', 2],
  ['POST', 'users/{id}/getMemberObjects', 2],
  ['GET', 'users/{id}/licenseDetails', 2],
  ['GET', 'users/{id}/memberOf', 2],
  ['GET', 'users/{id}/ownedObjects', 2],
  ['GET', 'users/{id}/transitiveMemberOf', 2],
  ['GET', 'oauth2PermissionGrants', 2],
  ['GET', 'oauth2PermissionGrants/{id}', 2],
  ['GET', 'servicePrincipals/{id}/appRoleAssignments', 2],
  ['GET', 'subscribedSkus', 3],
  ['GET', 'users', 2],
];

function matches(pattern: string, segments: string[]): boolean {
  const parts = pattern.split('/');
  return parts.length === segments.length && parts.every((part, i) => part === '{id}' || part.toLowerCase() === segments[i]?.toLowerCase());
}

/** A trailing OData cast (`.../transitiveMemberOf/microsoft.graph.group`) addresses the same collection. */
function withoutCast(segments: string[]): string[] {
  const last = segments[segments.length - 1];
  return last !== undefined && /^microsoft\.graph\.\w+$/i.test(last) ? segments.slice(0, -1) : segments;
}

function queryOption(query: URLSearchParams, name: string): string | null {
  for (const [key, value] of query) if (key.toLowerCase() === name) return value;
  return null;
}

/**
 * What one request costs under the identity limits. `segments` follow the version (`users/{id}/...`).
 * Reads cost their base units; "POST, PATCH, PUT, DELETE: any identity path not listed" costs 1 unit and
 * 1 write. Then "$select decreases cost by 1", "$expand increases cost by 1", "$top with a value of less
 * than 20 decreases cost by 1", and "a request cost can never be lower than 1".
 */
export function requestCost(method: string, segments: string[], query: URLSearchParams): RequestCost {
  const upper = method.toUpperCase();
  const path = withoutCast(segments);
  const listed = BASE_COSTS.find(([m, pattern]) => m === upper && matches(pattern, path));
  let resourceUnits = listed ? listed[2] : 1;
  const writes = !listed && ['POST', 'PATCH', 'PUT', 'DELETE'].includes(upper) ? 1 : 0;
  if (queryOption(query, '$select') !== null) resourceUnits -= 1;
  if (queryOption(query, '$expand') !== null) resourceUnits += 1;
  const top = queryOption(query, '$top');
  if (top !== null && /^\d+$/.test(top) && Number(top) < 20) resourceUnits -= 1;
  return { resourceUnits: Math.max(1, resourceUnits), writes };
}

/** The hardware OATH APIs: the inventory and the per-user methods (absent from the identity resource list). */
export function isHardwareOath(segments: string[]): boolean {
  const lower = segments.map((segment) => segment.toLowerCase());
  if (lower[0] === 'directory' && lower[1] === 'authenticationmethoddevices') return true;
  return lower[0] === 'users' && lower[2] === 'authentication' && lower[3] === 'hardwareoathmethods';
}

class Bucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly limit: Limit,
    now: number,
  ) {
    this.tokens = limit.quota;
    this.updatedAt = now;
  }

  private refill(now: number, quota: number): void {
    this.tokens = Math.min(quota, this.tokens + ((now - this.updatedAt) * quota) / this.limit.windowMs);
    this.updatedAt = now;
  }

  /** Milliseconds until `amount` fits, 0 when it fits now. */
  waitFor(amount: number, now: number, quota = this.limit.quota): number {
    this.refill(now, quota);
    return this.tokens >= amount ? 0 : ((amount - this.tokens) * this.limit.windowMs) / quota;
  }

  take(amount: number): void {
    this.tokens -= amount;
  }

  /** Share of the quota in use. */
  used(now: number, quota = this.limit.quota): number {
    this.refill(now, quota);
    return 1 - this.tokens / quota;
  }
}

export interface ThrottleRequest {
  method: string;
  /** Path segments after the version. */
  segments: string[];
  query: URLSearchParams;
  /** The caller's client id (appid/azp claim) and tenant (tid claim). */
  appId: string;
  tenantId: string;
  model: ThrottleModel;
  tenantSize: TenantSize;
  /** Users in the tenant, for tenantSize 'fromUsers'. */
  users: () => number;
}

export type ThrottleDecision =
  | { admitted: true; headers: Record<string, string> }
  | { admitted: false; retryAfterSeconds: number; headers: Record<string, string> };

interface Charge {
  bucket: Bucket;
  amount: number;
  quota: number;
  scope: string;
  information: string;
}

/** The documented buckets, keyed by app, tenant or both, created on first use. */
export class DocumentedThrottle {
  private buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = Date.now) {}

  reset(): void {
    this.buckets.clear();
  }

  private bucket(key: string, limit: Limit): Bucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new Bucket(limit, this.now());
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private charges(request: ThrottleRequest): { charges: Charge[]; resourceUnits?: number } {
    const { appId, tenantId } = request;
    const global: Charge = {
      bucket: this.bucket(`app/${appId}`, APP_GLOBAL),
      amount: 1,
      quota: APP_GLOBAL.quota,
      scope: `Application/ReadWrite/${appId}/${tenantId}`,
      information: 'ResourceUnitLimitExceeded',
    };
    if (request.model === 'singleBucket') return { charges: [] };
    if (request.model === 'oathGlobalOnly' && isHardwareOath(request.segments)) return { charges: [global] };
    const cost = requestCost(request.method, request.segments, request.query);
    const size = request.tenantSize === 'fromUsers' ? tenantSizeOf(request.users()) : request.tenantSize;
    const quota = RESOURCE_UNITS_PER_10_SECONDS[size];
    const charges: Charge[] = [
      global,
      {
        bucket: this.bucket(`units/${appId}/${tenantId}`, { quota, windowMs: 10_000 }),
        amount: cost.resourceUnits,
        quota,
        scope: `Tenant_Application/ReadWrite/${appId}/${tenantId}`,
        information: 'ResourceUnitLimitExceeded',
      },
    ];
    if (cost.writes > 0) {
      charges.push(
        {
          bucket: this.bucket(`writes/${appId}/${tenantId}`, APP_TENANT_WRITES),
          amount: cost.writes,
          quota: APP_TENANT_WRITES.quota,
          scope: `Tenant_Application/Write/${appId}/${tenantId}`,
          information: 'WriteLimitExceeded',
        },
        {
          bucket: this.bucket(`tenantWrites/${tenantId}`, TENANT_WRITES),
          amount: cost.writes,
          quota: TENANT_WRITES.quota,
          scope: `Tenant/Write/${appId}/${tenantId}`,
          information: 'WriteLimitExceeded',
        },
      );
    }
    return { charges, resourceUnits: cost.resourceUnits };
  }

  /**
   * Admits the request and charges every limit it counts against, or refuses it when one of them is
   * short ("only the requests exceeding the limits will be throttled": a refused request costs nothing).
   */
  admit(request: ThrottleRequest): ThrottleDecision {
    const now = this.now();
    const { charges, resourceUnits } = this.charges(request);
    let worst: { charge: Charge; waitMs: number } | undefined;
    for (const charge of charges) {
      const waitMs = charge.bucket.waitFor(charge.amount, now, charge.quota);
      if (waitMs > 0 && (!worst || waitMs > worst.waitMs)) worst = { charge, waitMs };
    }
    if (worst) {
      return {
        admitted: false,
        retryAfterSeconds: Math.max(1, Math.ceil(worst.waitMs / 1000)),
        headers: { 'x-ms-throttle-scope': worst.charge.scope, 'x-ms-throttle-information': worst.charge.information },
      };
    }
    for (const charge of charges) charge.bucket.take(charge.amount);
    const headers: Record<string, string> = resourceUnits === undefined ? {} : { 'x-ms-resource-unit': String(resourceUnits) };
    const used = Math.max(0, ...charges.map((charge) => charge.bucket.used(now, charge.quota)));
    if (used > 0.8) headers['x-ms-throttle-limit-percentage'] = used.toFixed(2);
    return { admitted: true, headers };
  }
}

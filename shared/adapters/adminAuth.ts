import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { AdminAuthenticator, AdminPrincipal, AdminRole, AuthResult } from '../ports';

/**
 * Validates the admin API's bearer JWTs itself (issuer, audience, signature from the issuer's JWKS,
 * lifetime, roles) so the API is safe without a front door. The JWKS location comes from the issuer's
 * OpenID metadata, fetched once and cached (jose caches and refreshes the keys themselves).
 */
const MAX_AUTHORIZATION_LENGTH = 16 * 1024;

/**
 * The roles that satisfy each required role. PrivilegedAdmin covers Admin, which covers Read and the
 * desk's work; Tokens.Desk covers its own work only (not Read: the desk sees the pick list, not the
 * inventory); Lifecycle.Tasks is a caller's role of its own, never implied.
 */
const ROLES_COVERING: Record<AdminRole, readonly string[]> = {
  'Tokens.PrivilegedAdmin': ['Tokens.PrivilegedAdmin'],
  'Tokens.Admin': ['Tokens.Admin', 'Tokens.PrivilegedAdmin'],
  'Tokens.Read': ['Tokens.Read', 'Tokens.Admin', 'Tokens.PrivilegedAdmin'],
  'Tokens.Desk': ['Tokens.Desk', 'Tokens.Admin', 'Tokens.PrivilegedAdmin'],
  'Lifecycle.Tasks': ['Lifecycle.Tasks'],
};

export function jwtAdminAuthenticator(options: { issuer: string; audience: string }): AdminAuthenticator {
  let keys: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;

  const keySet = (): Promise<ReturnType<typeof createRemoteJWKSet>> => {
    keys ??= (async () => {
      const response = await fetch(`${options.issuer}/.well-known/openid-configuration`);
      if (!response.ok) throw new Error(`OpenID metadata of the admin token issuer answered ${response.status}`);
      const metadata = (await response.json()) as { jwks_uri?: unknown };
      if (typeof metadata.jwks_uri !== 'string') throw new Error('OpenID metadata of the admin token issuer has no jwks_uri');
      return createRemoteJWKSet(new URL(metadata.jwks_uri));
    })().catch((error: unknown) => {
      keys = undefined;
      throw error;
    });
    return keys;
  };

  return {
    async authenticate(authorization: string | null, required: AdminRole): Promise<AuthResult> {
      // Far above any Entra token (the groups claim overflows to a link past 200 groups); capped before the pattern reads it.
      if ((authorization ?? '').length > MAX_AUTHORIZATION_LENGTH) return { ok: false, status: 401, reason: 'The bearer token is too long' };
      const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
      if (!match?.[1]) return { ok: false, status: 401, reason: 'A bearer token is required' };
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(match[1], await keySet(), {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256'],
          clockTolerance: 60,
          requiredClaims: ['exp'],
        }));
      } catch (error) {
        if (error instanceof joseErrors.JOSEError) return { ok: false, status: 401, reason: describeJoseError(error) };
        throw error;
      }
      const notAccessToken = idTokenMark(payload);
      if (notAccessToken) return { ok: false, status: 401, reason: `The bearer token is not an access token for this API (${notAccessToken})` };
      const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
      const appId = stringClaim(payload, 'azp') ?? stringClaim(payload, 'appid');
      const tenantId = stringClaim(payload, 'tid');
      const principal: AdminPrincipal = {
        id: stringClaim(payload, 'oid') ?? payload.sub ?? 'unknown',
        name: stringClaim(payload, 'preferred_username') ?? stringClaim(payload, 'name') ?? appId ?? payload.sub ?? 'unknown',
        roles,
        ...(tenantId ? { tenantId } : {}),
        ...(appId ? { appId } : {}),
      };
      const wanted: readonly AdminRole[] = typeof required === 'string' ? [required] : required;
      if (!wanted.some((role) => roles.some((held) => ROLES_COVERING[role].includes(held)))) {
        return { ok: false, status: 403, reason: roleRefusal(wanted, roles), principal };
      }
      return { ok: true, principal };
    },
  };
}

const APP_ROLES = Object.keys(ROLES_COVERING);

/** The 403 an administrator reads: the app roles this needs, the ones that include them, and the ones the caller has. */
function roleRefusal(wanted: readonly AdminRole[], roles: string[]): string {
  const covering = [...new Set(wanted.flatMap((role) => ROLES_COVERING[role]))].filter((role) => !wanted.includes(role as AdminRole));
  const held = roles.filter((role) => APP_ROLES.includes(role));
  return (
    `The ${wanted.join(' or ')} role is required${covering.length > 0 ? ` (or ${covering.join(' or ')}, which ${covering.length > 1 ? 'include' : 'includes'} it)` : ''}; ` +
    `your token has ${held.length > 0 ? held.join(', ') : 'no role of this app'}. An administrator of the app gives roles in Entra (Enterprise applications, Users and groups).`
  );
}

/**
 * Why a signed token for our audience is still not an access token, or undefined. Entra's access tokens
 * always name the client (`azp` in v2.0, `appid` in v1.0); ID tokens never do, and carry `nonce`,
 * `at_hash` or `c_hash` instead (Entra's access token and ID token claims references). An ID token's
 * audience is the app that signed in, so without this an app that signs in to itself would take them.
 */
function idTokenMark(payload: JWTPayload): string | undefined {
  for (const claim of ['nonce', 'at_hash', 'c_hash']) if (claim in payload) return `it has the ID token claim ${claim}`;
  if (stringClaim(payload, 'azp') === undefined && stringClaim(payload, 'appid') === undefined) return 'it names no client application (azp or appid)';
  return undefined;
}

function stringClaim(payload: JWTPayload, name: string): string | undefined {
  const value = payload[name];
  return typeof value === 'string' ? value : undefined;
}

function describeJoseError(error: InstanceType<typeof joseErrors.JOSEError>): string {
  if (error instanceof joseErrors.JWTExpired) return 'The bearer token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return error.reason === 'missing' ? `The bearer token has no ${error.claim} claim` : `The bearer token's ${error.claim} claim is not accepted`;
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWKSNoMatchingKey) {
    return 'The bearer token is not signed by the configured issuer';
  }
  return 'The bearer token is not valid';
}

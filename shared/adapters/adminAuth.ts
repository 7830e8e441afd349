import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { AdminAuthenticator, AdminPrincipal, AdminRole, AuthResult } from '../ports';

/**
 * Validates the admin API's bearer JWTs itself (issuer, audience, signature from the issuer's JWKS,
 * lifetime, roles) so the API is safe without a front door. The JWKS location comes from the issuer's
 * OpenID metadata, fetched once and cached (jose caches and refreshes the keys themselves).
 */
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
      const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
      if (!match?.[1]) return { ok: false, status: 401, reason: 'A bearer token is required' };
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(match[1], await keySet(), {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256'],
          clockTolerance: 60,
        }));
      } catch (error) {
        if (error instanceof joseErrors.JOSEError) return { ok: false, status: 401, reason: describeJoseError(error) };
        throw error;
      }
      const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
      const principal: AdminPrincipal = {
        id: stringClaim(payload, 'oid') ?? payload.sub ?? 'unknown',
        name: stringClaim(payload, 'preferred_username') ?? stringClaim(payload, 'name') ?? stringClaim(payload, 'appid') ?? stringClaim(payload, 'azp') ?? payload.sub ?? 'unknown',
        roles,
      };
      // Tokens.Admin covers reads too.
      const allowed = roles.includes('Tokens.Admin') || (required === 'Tokens.Read' && roles.includes('Tokens.Read'));
      if (!allowed) return { ok: false, status: 403, reason: `The ${required} role is required`, principal };
      return { ok: true, principal };
    },
  };
}

function stringClaim(payload: JWTPayload, name: string): string | undefined {
  const value = payload[name];
  return typeof value === 'string' ? value : undefined;
}

function describeJoseError(error: InstanceType<typeof joseErrors.JOSEError>): string {
  if (error instanceof joseErrors.JWTExpired) return 'The bearer token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `The bearer token's ${error.claim} claim is not accepted`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWKSNoMatchingKey) {
    return 'The bearer token is not signed by the configured issuer';
  }
  return 'The bearer token is not valid';
}

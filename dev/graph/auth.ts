import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import { type JSONWebKeySet, type JWTPayload, createLocalJWKSet, createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';

/** The audiences Graph accepts: its URI and its application id. */
export const GRAPH_AUDIENCES = ['https://graph.microsoft.com', '00000003-0000-0000-c000-000000000000'];

/**
 * What a verified token grants: app roles, or everything when an injected verifier said yes; and whose
 * it is, as Graph's throttling counts it: the client (`appid`, or `azp` in v2 tokens) and the tenant (`tid`).
 */
export type TokenGrant = { roles: string[] | 'all'; appId: string; tenantId: string };

/** Stands in for the app or tenant of a token that names none (an opaque test token). */
export const UNNAMED_ID = '00000000-0000-0000-0000-000000000000';

function claim(payload: JWTPayload, ...names: string[]): string {
  for (const name of names) {
    const value = payload[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return UNNAMED_ID;
}

function callerOf(payload: JWTPayload): { appId: string; tenantId: string } {
  return { appId: claim(payload, 'appid', 'azp'), tenantId: claim(payload, 'tid') };
}

/** The claims of a token an injected verifier accepted (already checked there); none when it is no JWT. */
function unverifiedClaims(token: string): JWTPayload {
  try {
    return decodeJwt(token);
  } catch {
    return {};
  }
}

export type TokenVerifier = (token: string) => Promise<TokenGrant | undefined>;

export interface AuthOptions {
  /** JWKS endpoint of the issuer (e.g. the dev identity server). */
  jwksUri?: string;
  /** A key set given inline, instead of fetching one. */
  jwks?: JSONWebKeySet;
  /** Expected `iss`, checked when given. */
  issuer?: string;
  /** Replaces JWT checks altogether (tests that run without an identity server). */
  verifyToken?: (token: string) => Promise<boolean>;
  /** PEM of the dev CA, trusted (besides the public roots) when fetching `jwksUri`. */
  caCertPem?: string;
}

function rolesOf(payload: JWTPayload): string[] {
  const roles = payload.roles;
  return Array.isArray(roles) ? roles.filter((role): role is string => typeof role === 'string') : [];
}

export function createTokenVerifier(options: AuthOptions): TokenVerifier {
  const { verifyToken } = options;
  if (verifyToken) {
    return async (token) => ((await verifyToken(token).catch(() => false)) ? { roles: 'all', ...callerOf(unverifiedClaims(token)) } : undefined);
  }
  let keys: ReturnType<typeof createLocalJWKSet> | ReturnType<typeof createRemoteJWKSet>;
  if (options.jwks) keys = createLocalJWKSet(options.jwks);
  else if (options.jwksUri) {
    const ca = options.caCertPem === undefined ? undefined : [...rootCertificates, options.caCertPem];
    keys = createRemoteJWKSet(new URL(options.jwksUri), ca ? { agent: new Agent({ ca }) } : {});
  } else {
    throw new Error('The Graph emulator needs one of jwks, jwksUri or verifyToken to check bearer tokens.');
  }
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        audience: GRAPH_AUDIENCES,
        ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
      });
      return { roles: rolesOf(payload), ...callerOf(payload) };
    } catch {
      return undefined;
    }
  };
}

/** The bearer token of an Authorization header, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

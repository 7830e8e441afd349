import { createServer } from 'node:https';
import type { JSONWebKeySet } from 'jose';
import { type DevCa, issueServerCertificate } from '../tls';
import { createTokenVerifier } from './auth';
import { FaultInjector, RequestStats } from './faults';
import { createGraphRequestHandler } from './http';
import { DocumentedThrottle } from './throttle';
import { parseVariants } from './variants';
import { GraphStore } from './store';
import type { GraphVariants } from './types';
import { clientHost, listen } from '../net';

export interface GraphEmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Signs the server certificate; clients trust it through NODE_EXTRA_CA_CERTS. */
  ca: DevCa;
  /** JWKS endpoint that signs bearer tokens (the dev identity server). */
  jwksUri?: string;
  /** Inline key set, instead of jwksUri. */
  jwks?: JSONWebKeySet;
  /** Expected `iss` of bearer tokens, when given. */
  issuer?: string;
  /** Replaces JWT validation (tests without an identity server). */
  verifyToken?: (token: string) => Promise<boolean>;
  /** Require the app permission of each route in the token's `roles` claim (403 otherwise). Off by default. */
  enforceRoles?: boolean;
  /** Clock for TOTP checks and the throttle; tests may pin it. */
  now?: () => number;
  /** Randomness for failRate; tests may pin it. */
  random?: () => number;
  /** Readings the docs leave open; the defaults unless given (also switchable through /_emulator/variants). */
  variants?: Partial<GraphVariants>;
}

export interface GraphEmulator {
  /** https://HOST:PORT, without a trailing slash; the API lives under /beta. */
  url: string;
  port: number;
  /** The in-memory tenant, for in-process inspection. */
  store: GraphStore;
  close(): Promise<void>;
}

/** Starts the Microsoft Graph emulator (beta hardware OATH API, /users, and the /_emulator control API). */
export async function startGraphEmulator(options: GraphEmulatorOptions): Promise<GraphEmulator> {
  const now = options.now ?? Date.now;
  const store = new GraphStore({ now });
  if (options.variants) store.setVariants(parseVariants(options.variants));
  const verifyToken = createTokenVerifier({
    ...(options.jwksUri === undefined ? {} : { jwksUri: options.jwksUri }),
    ...(options.jwks === undefined ? {} : { jwks: options.jwks }),
    ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    ...(options.verifyToken === undefined ? {} : { verifyToken: options.verifyToken }),
    caCertPem: options.ca.certPem,
  });
  const handler = createGraphRequestHandler({
    store,
    faults: new FaultInjector(now, options.random),
    throttle: new DocumentedThrottle(now),
    stats: new RequestStats(now),
    verifyToken,
    enforceRoles: options.enforceRoles ?? false,
  });
  const server = createServer(issueServerCertificate(options.ca), handler);
  const host = options.host ?? '127.0.0.1';
  const port = await listen(server, options.port ?? 0, host);
  return {
    url: `https://${clientHost(host)}:${port}`,
    port,
    store,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

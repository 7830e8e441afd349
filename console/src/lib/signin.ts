/** Why signing in cannot start, in words that say what to do. */

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The OpenID metadata MSAL reads first: if the browser cannot fetch it, no sign-in can start. */
export const metadataUrl = (authority: string): string => `${authority.replace(/\/+$/, '')}/v2.0/.well-known/openid-configuration`;

/**
 * The message for a sign-in service the browser cannot reach. Locally (npm start) that is nearly
 * always the dev identity's certificate, issued by the dev CA the browser does not trust yet.
 */
export function unreachableAuthorityMessage(authority: string): string {
  const url = new URL(authority);
  if (LOCAL_HOSTS.has(url.hostname)) {
    return (
      `This browser cannot reach the dev identity at ${url.origin}: it does not trust the dev CA that issued its certificate. ` +
      `Either open ${metadataUrl(authority)} in this browser and accept the certificate, or import .local/dev-ca/ca.pem ` +
      `(npm start prints its path) as a trusted certificate authority, then press Sign in again. docs/console.md says how.`
    );
  }
  return `This browser cannot reach the sign-in service at ${url.origin}: check the network, a proxy, or CONSOLE_AUTHORITY, then press Sign in again.`;
}

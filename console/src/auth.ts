import { InteractionRequiredAuthError, PublicClientApplication, type AccountInfo } from '@azure/msal-browser';
import { metadataUrl, unreachableAuthorityMessage } from './lib/signin';

/** Sign-in with Entra (or the dev identity): MSAL Browser, authorization code with PKCE, by redirect. */

export interface ConsoleConfig {
  clientId: string;
  authority: string;
  scope: string;
  lowStockThreshold: number;
}

export interface Session {
  account: AccountInfo | undefined;
  signIn(): Promise<void>;
  signOut(): Promise<void>;
  /** A bearer token for the admin API; signs in again when MSAL cannot renew it silently. */
  token(): Promise<string>;
}

export async function startSession(config: ConsoleConfig): Promise<Session> {
  const redirectUri = new URL('/api/console/', window.location.origin).toString();
  const msal = new PublicClientApplication({
    auth: {
      clientId: config.clientId,
      authority: config.authority,
      // The authority is trusted as given: no instance discovery call to another host.
      knownAuthorities: [new URL(config.authority).host],
      redirectUri,
      postLogoutRedirectUri: redirectUri,
      navigateToLoginRequestUrl: true,
    },
    cache: { cacheLocation: 'sessionStorage' },
  });
  await msal.initialize();
  const result = await msal.handleRedirectPromise();
  const account = result?.account ?? msal.getAllAccounts()[0];
  if (account) msal.setActiveAccount(account);
  const scopes = [config.scope];
  return {
    account,
    async signIn() {
      // MSAL's own failure here is a bare network error: look first, so the page can say what is wrong.
      try {
        await fetch(metadataUrl(config.authority), { cache: 'no-store' });
      } catch {
        throw new Error(unreachableAuthorityMessage(config.authority));
      }
      await msal.loginRedirect({ scopes });
    },
    // Clears this browser's session only; the authority's own session (Entra's) is left as it is.
    signOut: () => msal.logoutRedirect({ account, onRedirectNavigate: () => false }).then(() => window.location.reload()),
    async token() {
      if (!account) throw new Error('Not signed in');
      try {
        return (await msal.acquireTokenSilent({ scopes, account })).accessToken;
      } catch (error) {
        if (error instanceof InteractionRequiredAuthError) await msal.acquireTokenRedirect({ scopes, account });
        throw error;
      }
    },
  };
}

import { ConfigError, parseAdminAuth, parseConfig } from './config';
import { composeAdminAuth, composeServices, type AppServices } from './composition';
import { atStartup } from './hosting';
import type { AdminAuthenticator } from '../ports';

let built: { services: AppServices } | { broken: ConfigError } | undefined;

function build(): NonNullable<typeof built> {
  try {
    return { services: composeServices(parseConfig(process.env)) };
  } catch (error) {
    if (error instanceof ConfigError) return { broken: error };
    throw error;
  }
}

/**
 * The app's services, built on first use from the settings in the environment and then reused for
 * every invocation on this instance. A bad setting throws ConfigError naming it, on every call: the
 * settings only change with a restart.
 */
export function services(): AppServices {
  built ??= build();
  if ('broken' in built) throw built.broken;
  return built.services;
}

let adminAuthAlone: AdminAuthenticator | undefined;

/**
 * The admin token check: the services' own, or, while another setting is broken, one built from the
 * two admin token settings alone. Throws ConfigError when those are broken too.
 */
export function adminAuthenticator(): AdminAuthenticator {
  built ??= build();
  if ('services' in built) return built.services.adminAuth;
  adminAuthAlone ??= composeAdminAuth(parseAdminAuth(process.env));
  return adminAuthAlone;
}

// Found at start-up, not on the first request, when a setting is missing or malformed.
atStartup(() => {
  services();
});

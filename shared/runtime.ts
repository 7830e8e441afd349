import { parseConfig } from './config';
import { composeServices, type AppServices } from './composition';
import { atStartup } from './hosting';

let built: AppServices | undefined;

/**
 * The app's services, built on first use from the settings in the environment and then reused for
 * every invocation on this instance. A bad setting throws ConfigError naming it.
 */
export function services(): AppServices {
  built ??= composeServices(parseConfig(process.env));
  return built;
}

// Fail at start-up, not on the first request, when a setting is missing or malformed.
atStartup(() => {
  services();
});

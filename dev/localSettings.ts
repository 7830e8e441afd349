import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../shared/app/config';
import { REPO_ROOT } from './paths';

/**
 * local.settings.json as `func start` reads it, and how `npm start` lays it over the local stack's
 * own settings: what the file says wins, except where it only points at the stack on its default
 * ports (which --free-ports moves), so the repository's file keeps working on any port.
 */

export const DEFAULT_LOCAL_SETTINGS_FILE = path.join(REPO_ROOT, 'local.settings.json');

export interface LocalSettingsFile {
  values: Record<string, string>;
  port: number | undefined;
}

export function readLocalSettings(file: string): LocalSettingsFile {
  if (!existsSync(file)) return { values: {}, port: undefined };
  const name = path.basename(file);
  let parsed: { Values?: Record<string, unknown>; Host?: { LocalHttpPort?: unknown } };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as typeof parsed;
  } catch (error) {
    throw new ConfigError(`${name}: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`${name}: must be a JSON object with "Values"`);
  const values: Record<string, string> = {};
  for (const [setting, value] of Object.entries(parsed.Values ?? {})) {
    if (value !== null && value !== undefined) values[setting] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  const port = parsed.Host?.LocalHttpPort;
  return { values, port: typeof port === 'number' ? port : undefined };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function isLoopbackUrl(value: string): boolean {
  return URL.canParse(value) && LOOPBACK.has(new URL(value).hostname);
}

/** UseDevelopmentStorage=true, or a connection string whose endpoints are all on this machine. */
function isLocalStorage(value: string): boolean {
  if (value.trim() === 'UseDevelopmentStorage=true') return true;
  const endpoints = [...value.matchAll(/(?:Blob|Queue|Table)Endpoint=([^;]+)/gi)].map((m) => m[1] ?? '');
  return endpoints.length > 0 && endpoints.every(isLoopbackUrl);
}

/** Settings that connect the app to a part of the stack: the stack's own value stays while the file points at this machine. */
const STACK_ADDRESSES: Record<string, (value: string) => boolean> = {
  AzureWebJobsStorage: isLocalStorage,
  KEY_VAULT_URL: isLoopbackUrl,
  GRAPH_BASE_URL: isLoopbackUrl,
  ADMIN_AUTH_ISSUER: isLoopbackUrl,
};

/** The app's credential moves as one: to the file's tenant, or stays the dev identity's. */
const CREDENTIAL = ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_AUTHORITY_HOST'] as const;

/** Names whose values the banner never prints. */
export const isSecretSetting = (name: string): boolean => /SECRET|PASSWORD|KEY$|AzureWebJobsStorage$|CONNECTION_STRING/i.test(name);

export interface MergedSettings {
  /** What the local host gets. */
  settings: Record<string, string>;
  /** Names whose value came from the file, in the file's order. */
  fromFile: string[];
  /** Names the file sets to this machine's stack, served by the stack's actual address instead. */
  stackKept: string[];
  /** AZURE_CLIENT_SECRET came from the environment, for the file's tenant (so no secret need be written in the file). */
  clientSecretFromEnvironment: boolean;
}

/**
 * The file's Values over the stack's settings. `environment` is consulted for one thing only: the
 * AZURE_CLIENT_SECRET of a tenant the file names, so a real secret can stay out of the file.
 */
export function mergeLocalSettings(
  stack: Readonly<Record<string, string>>,
  file: Readonly<Record<string, string>>,
  environment: Readonly<Record<string, string | undefined>> = {},
): MergedSettings {
  const settings: Record<string, string> = { ...stack };
  const fromFile: string[] = [];
  const stackKept: string[] = [];
  const fileTenant = file.AZURE_TENANT_ID?.trim();
  const ownCredential = fileTenant !== undefined && fileTenant !== '' && fileTenant !== stack.AZURE_TENANT_ID;
  if (ownCredential) for (const name of CREDENTIAL) delete settings[name];

  for (const [name, value] of Object.entries(file)) {
    const pointsAtStack = STACK_ADDRESSES[name];
    const credential = (CREDENTIAL as readonly string[]).includes(name);
    if (stack[name] !== undefined && ((pointsAtStack && pointsAtStack(value)) || (credential && !ownCredential))) {
      stackKept.push(name);
      continue;
    }
    settings[name] = value;
    fromFile.push(name);
  }
  let clientSecretFromEnvironment = false;
  const environmentSecret = environment.AZURE_CLIENT_SECRET?.trim();
  if (ownCredential && settings.AZURE_CLIENT_SECRET === undefined && environmentSecret) {
    settings.AZURE_CLIENT_SECRET = environmentSecret;
    clientSecretFromEnvironment = true;
  }
  return { settings, fromFile, stackKept, clientSecretFromEnvironment };
}

/** `NAME=value` for the banner, or the name alone for a secret. */
export function describeSetting(name: string, value: string | undefined): string {
  return isSecretSetting(name) ? `${name} (secret, not shown)` : `${name}=${value ?? ''}`;
}

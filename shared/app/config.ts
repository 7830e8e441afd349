import { z } from 'zod';
import type { ActivationMode } from '../domain/token';
import { readableIssue } from '../domain/validation';

/**
 * Every setting the app reads, in one schema. The names are the contract with infra/ and
 * local.settings.json (DESIGN section 6). Parsed once at start-up; the result is frozen.
 */

const WEBHOOK_SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;
/** Standard Webhooks secrets are 24 to 64 random bytes; a shorter key makes the HMAC guessable. */
export const MIN_WEBHOOK_SECRET_BYTES = 24;
/** Far above any real secret: the pattern is only tried on entries this short. */
const MAX_WEBHOOK_SECRET_LENGTH = 1024;
/** NCRONTAB as the Functions host takes it: six fields (seconds first), or a %SETTING% reference is not allowed here. */
const NCRONTAB = /^\S+( \S+){5}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const httpsUrl = (what: string) =>
  z
    .string()
    .trim()
    .refine((v) => URL.canParse(v) && new URL(v).protocol === 'https:', `must be an https URL (${what})`)
    .transform((v) => v.replace(/\/+$/, ''));

const MAIL_ADDRESS = /^[^@\s"<>,;]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,}$/;

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** Whitespace-separated GUIDs; empty when unset. */
const idList = (what: string) =>
  z
    .string()
    .trim()
    .default('')
    .transform((v) => (v === '' ? [] : v.split(/\s+/)))
    .refine((list) => list.every((id) => GUID.test(id)), `must list GUIDs separated by spaces (${what})`);

/** A Key Vault secret name, optional. */
const secretName = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v))
  .refine((v) => v === undefined || /^[0-9A-Za-z-]{1,127}$/.test(v), 'must be a Key Vault secret name (1-127 letters, digits and dashes)');

const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v));

const MAX_SERVICE_LIFE_MONTHS = 600;

/** TOKEN_SERVICE_LIFE_MONTHS_BY_MODEL: the map, or what is wrong with it. Models compare without case. */
export function serviceLivesOf(value: string | undefined): Record<string, number> | string {
  if (value === undefined) return {};
  let entries: [string, unknown][];
  if (value.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      return 'must be JSON, e.g. {"c200":48}, or model=months pairs, e.g. c200=48,OTP c300=60';
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return 'must map models to months, e.g. {"c200":48}';
    entries = Object.entries(parsed);
  } else {
    entries = value.split(',').map((pair) => {
      const at = pair.lastIndexOf('=');
      return at < 0 ? [pair.trim(), undefined] : [pair.slice(0, at).trim(), pair.slice(at + 1).trim() === '' ? undefined : Number(pair.slice(at + 1).trim())];
    });
  }
  const lives: Record<string, number> = {};
  for (const [model, months] of entries) {
    if (model === '' || model.length > 128) return 'every model must be named (1-128 characters)';
    if (typeof months !== 'number' || !Number.isInteger(months) || months < 1 || months > MAX_SERVICE_LIFE_MONTHS) return `the months of model ${model} must be a whole number from 1 to ${MAX_SERVICE_LIFE_MONTHS}`;
    lives[model.toLowerCase()] = months;
  }
  return lives;
}

export const settingsSchema = z.object({
  AzureWebJobsStorage: optionalText,
  AzureWebJobsStorage__accountName: optionalText,
  AzureWebJobsStorage__blobServiceUri: optionalText,
  AzureWebJobsStorage__queueServiceUri: optionalText,
  AzureWebJobsStorage__tableServiceUri: optionalText,
  AzureWebJobsStorage__clientId: optionalText,
  KEY_VAULT_URL: httpsUrl('the vault, e.g. https://my-vault.vault.azure.net'),
  GRAPH_BASE_URL: httpsUrl('Microsoft Graph root').default('https://graph.microsoft.com'),
  GRAPH_API_VERSION: z.enum(['beta']).default('beta'),
  GRAPH_REQUESTS_PER_SECOND: wholeNumber(1, 10_000).default(200),
  HR_WEBHOOK_SECRETS: z
    .string()
    .trim()
    .min(1, 'must list at least one whsec_ secret')
    .transform((v) => v.split(/\s+/))
    .superRefine((list, context) => {
      list.forEach((secret, index) => {
        if (secret.length > MAX_WEBHOOK_SECRET_LENGTH || !WEBHOOK_SECRET.test(secret)) {
          context.addIssue({ code: 'custom', message: 'every entry must look like whsec_<base64>' });
        } else if (Buffer.from(secret.slice('whsec_'.length), 'base64').length < MIN_WEBHOOK_SECRET_BYTES) {
          context.addIssue({ code: 'custom', message: `entry ${index + 1} decodes to fewer than ${MIN_WEBHOOK_SECRET_BYTES} bytes; make each secret from at least ${MIN_WEBHOOK_SECRET_BYTES} random bytes (whsec_ followed by the output of openssl rand -base64 32)` });
        }
      });
    }),
  ADMIN_AUTH_ISSUER: httpsUrl('the token issuer, e.g. https://login.microsoftonline.com/<tenant>/v2.0'),
  ADMIN_AUTH_AUDIENCE: z.string().trim().min(1, 'must name the admin API audience (api://... or the app id)'),
  ACTIVATION_MODE: z.enum(['auto', 'user', 'handover']).default('auto'),
  /** Hand-over: how many time steps either side of now a code shown on the token may be. */
  HANDOVER_DRIFT_STEPS: wholeNumber(1, 1000).default(10),
  /** Hand-over: a token whose clock is off by more steps than this is reported (TokenDrift). */
  DRIFT_ALERT_STEPS: wholeNumber(0, 1000).default(2),
  /** Hand-over: a token waiting longer than this is the reconcile drift handover_overdue. */
  HANDOVER_MAX_DAYS: wholeNumber(1, 365).default(14),
  /** The mailbox notifications are sent as (Graph sendMail); no mail without it. */
  NOTIFY_MAIL_FROM: optionalText.pipe(z.string().regex(MAIL_ADDRESS, 'must be a mail address, e.g. it-notify@contoso.com').optional()),
  /** JSON: site code -> that site's IT desk address, e.g. {"GVA":"it-gva@contoso.com"}. */
  NOTIFY_SITES: optionalText.transform((v, context) => {
    if (v === undefined) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      context.addIssue({ code: 'custom', message: 'must be JSON, e.g. {"GVA":"it-gva@contoso.com"}' });
      return z.NEVER;
    }
    const sites = z.record(z.string().regex(/^[A-Za-z0-9_-]{1,16}$/, 'site codes are 1-16 letters, digits, "_" or "-"'), z.string().regex(MAIL_ADDRESS, 'must be a mail address')).safeParse(parsed, { error: readableIssue });
    if (!sites.success) {
      context.addIssue({ code: 'custom', message: `must map site codes to mail addresses (${sites.error.issues[0]?.message ?? 'invalid'})` });
      return z.NEVER;
    }
    return Object.fromEntries(Object.entries(sites.data).map(([site, address]) => [site.toUpperCase(), address]));
  }),
  /** A Teams channel's incoming webhook (Workflows "post to a channel when a webhook request is received"). */
  NOTIFY_TEAMS_WEBHOOK_URL: optionalText.pipe(z.string().refine((v) => URL.canParse(v) && new URL(v).protocol === 'https:', 'must be an https URL').optional()),
  /**
   * Temporary Access Passes with a replacement: off unless the app was granted UserAuthenticationMethod.ReadWrite.All
   * for them (infra's enableTemporaryAccessPass sets both).
   */
  TEMPORARY_ACCESS_PASS: z.enum(['on', 'off'], { message: 'must be on or off' }).default('off'),
  /** Lifetime of a Temporary Access Pass issued with a replacement; Graph takes 10 to 43200 minutes. */
  TAP_LIFETIME_MINUTES: wholeNumber(10, 43_200).default(60),
  PROVISION_LEAD_DAYS: wholeNumber(0, 365).default(7),
  /** How long a hire waits for its Entra account to appear before it fails visibly. */
  USER_WAIT_HOURS: wholeNumber(1, 24 * 30).default(72),
  LOW_STOCK_THRESHOLD: wholeNumber(0, 100_000).default(5),
  /** An active token nobody signed in with for this many days (or ever, this long after activation) is the drift `unused`. */
  UNUSED_TOKEN_DAYS: wholeNumber(1, 3650).default(90),
  /** Whether each unused token is also told to its holder's manager and its pool's desk (reported only by default). */
  UNUSED_TOKEN_NOTIFY: z.enum(['true', 'false'], { message: 'must be true or false' }).default('false').transform((v) => v === 'true'),
  /** Months a token serves from its arrival (the battery of a classic token cannot be changed). */
  TOKEN_SERVICE_LIFE_MONTHS: wholeNumber(1, 600).default(60),
  /** Per model: JSON {"model":months} or model=months,model=months. */
  TOKEN_SERVICE_LIFE_MONTHS_BY_MODEL: optionalText.transform((v, context) => {
    const lives = serviceLivesOf(v);
    if (typeof lives === 'string') {
      context.addIssue({ code: 'custom', message: lives });
      return z.NEVER;
    }
    return lives;
  }),
  RECONCILE_SCHEDULE: z.string().trim().regex(NCRONTAB, 'must be a six-field NCRONTAB expression, e.g. "0 0 2 * * *"').default('0 0 2 * * *'),
  /** What reconciliation may repair: nothing (report), what never destroys anything (safe), or all. */
  RECONCILE_REPAIR_MODE: z.enum(['report', 'safe', 'all']).default('safe'),
  /** A joiner or leaver that has not moved for this long is re-driven by reconciliation. */
  STUCK_SAGA_MINUTES: wholeNumber(1, 7 * 24 * 60).default(60),
  /** More repairs than this in one reconciliation run are held until an admin applies them. */
  RECONCILE_MAX_CHANGES: wholeNumber(0, 1_000_000).default(50),
  /** Directory sync (users delta): off unless a schedule is set. */
  DIRECTORY_SYNC_SCHEDULE: optionalText.pipe(z.string().regex(NCRONTAB, 'must be a six-field NCRONTAB expression, e.g. "0 */15 * * * *"').optional()),
  DIRECTORY_SYNC_GROUP_ID: optionalText.pipe(z.string().regex(GUID, 'must be a group object id (a GUID)').optional()),
  DIRECTORY_SYNC_DISABLE_GRACE_HOURS: wholeNumber(0, 24 * 90).default(24),
  DIRECTORY_SYNC_LOCATION_ATTRIBUTE: z
    .string()
    .trim()
    .regex(/^[A-Za-z][A-Za-z0-9_]{0,119}$/, 'must name one user property, e.g. officeLocation, city or extension_<appid>_site')
    .default('officeLocation'),
  /** Key Vault secret names of PSKC keys: this prefix, then the ?keyName= of the request. */
  PSKC_KEY_SECRET_PREFIX: z.string().trim().regex(/^[0-9A-Za-z-]{1,63}$/, 'must be 1-63 letters, digits and dashes (the start of a Key Vault secret name)').default('pskc-key-'),
  /** The Key Vault secret holding the OpenPGP intake private key; its passphrase is in "<name>-passphrase". */
  SEED_FILE_PGP_KEY_SECRET: z.string().trim().regex(/^[0-9A-Za-z-]{1,100}$/, 'must be a Key Vault secret name (1-100 letters, digits and dashes)').default('seed-file-pgp-key'),
  /** Vendors' armoured OpenPGP public keys; when set, every OpenPGP seed file must be signed by one of them. */
  SEED_FILE_PGP_SIGNER_KEYS: optionalText
    .transform((v) => v?.replace(/\\n/g, '\n'))
    .refine((v) => v === undefined || v.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----'), 'must hold ASCII-armoured OpenPGP public keys (-----BEGIN PGP PUBLIC KEY BLOCK-----)'),
  /** HR vendors' webhooks (POST /api/hr/events/{vendor}): a vendor is on when its webhook secret is named. */
  HIBOB_WEBHOOK_SECRET_NAME: secretName,
  HIBOB_API_URL: httpsUrl('the HiBob API root').default('https://api.hibob.com'),
  HIBOB_SERVICE_USER_ID: optionalText,
  HIBOB_API_TOKEN_SECRET_NAME: secretName,
  BAMBOOHR_WEBHOOK_SECRET_NAME: secretName,
  BAMBOOHR_API_URL: optionalText.pipe(httpsUrl('the BambooHR API root, https://<company>.bamboohr.com').optional()),
  BAMBOOHR_API_KEY_SECRET_NAME: secretName,
  PERSONIO_WEBHOOK_TOKEN_SECRET_NAME: secretName,
  PERSONIO_API_URL: httpsUrl('the Personio API root').default('https://api.personio.de'),
  PERSONIO_CLIENT_ID: optionalText,
  PERSONIO_CLIENT_SECRET_NAME: secretName,
  /** Lifecycle Workflows custom tasks: who may call POST /api/lifecycle/tasks, and which workflows are joiners or leavers. */
  LIFECYCLE_ALLOWED_CALLERS: idList('object or client ids of the Logic App identities allowed to forward tasks'),
  LIFECYCLE_JOINER_WORKFLOWS: idList('Lifecycle Workflows workflow ids whose custom task provisions a token'),
  LIFECYCLE_LEAVER_WORKFLOWS: idList('Lifecycle Workflows workflow ids whose custom task revokes it'),
  /** The admin console signs in with this app registration (SPA); the admin API's own when its audience is a client id. */
  CONSOLE_CLIENT_ID: optionalText.pipe(z.string().max(256, 'must be an application (client) id').optional()),
  /** Where the console signs in; ADMIN_AUTH_ISSUER without /v2.0 unless set. */
  CONSOLE_AUTHORITY: optionalText.pipe(httpsUrl('the sign-in authority, e.g. https://login.microsoftonline.com/<tenant>').optional()),
  /** Groups whose transitive members are refused tokens like role holders (break-glass, admins). */
  PROTECTED_GROUP_IDS: z
    .string()
    .trim()
    .default('')
    .transform((v) => (v === '' ? [] : v.split(/[\s,]+/)))
    .refine((list) => list.every((id) => GUID.test(id)), 'must list group object ids (GUIDs), separated by spaces or commas'),
  /** When set, only transitive members of this group may receive tokens. */
  ALLOWED_GROUP_ID: optionalText.pipe(z.string().regex(GUID, 'must be a group object id (a GUID)').optional()),
  /** Seconds the target check may judge an account by the privileged set read in bulk (0: read it for every check). */
  PRIVILEGED_SET_MAX_AGE: wholeNumber(0, 3600).default(60),
  AZURE_CLIENT_ID: optionalText,
  AZURE_TENANT_ID: optionalText,
  AZURE_CLIENT_SECRET: optionalText,
  AZURE_AUTHORITY_HOST: optionalText.pipe(z.string().url('must be a URL').optional()),
});

export type Settings = z.infer<typeof settingsSchema>;

export type StorageConnection =
  | { kind: 'connectionString'; connectionString: string }
  | { kind: 'identity'; blobUrl: string; queueUrl: string; tableUrl: string; clientId?: string };

/** How the app proves who it is to Graph and Key Vault. */
export type AppCredential =
  | { kind: 'managedIdentity'; clientId?: string }
  | { kind: 'clientSecret'; tenantId: string; clientId: string; clientSecret: string; authorityHost?: string };

export interface Config {
  storage: StorageConnection;
  keyVaultUrl: string;
  /** requestsPerSecond: the most the app's Graph budget climbs to, all instances together (it finds Graph's limit below that). */
  graph: { baseUrl: string; apiVersion: 'beta'; requestsPerSecond: number };
  hrWebhookSecrets: readonly string[];
  adminAuth: { issuer: string; audience: string };
  activationMode: ActivationMode;
  handover: { driftSteps: number; alertSteps: number; maxDays: number };
  /** TEMPORARY_ACCESS_PASS=on: a replacement may issue a pass. */
  tapEnabled: boolean;
  tapLifetimeMinutes: number;
  notify: { mailFrom?: string; sites: Readonly<Record<string, string>>; teamsWebhookUrl?: string };
  provisionLeadDays: number;
  userWaitHours: number;
  lowStockThreshold: number;
  unused: { days: number; notify: boolean };
  /** Service life in months: the default, and per model (lower-cased). */
  serviceLife: { months: number; byModel: Readonly<Record<string, number>> };
  reconcileSchedule: string;
  reconcileRepairMode: 'report' | 'safe' | 'all';
  stuckSagaMinutes: number;
  reconcileMaxChanges: number;
  /** Hires and leavers read from Entra by users delta; `schedule` undefined when off. */
  directorySync: { schedule?: string; groupId?: string; disableGraceHours: number; locationAttribute: string };
  /** Seed files from vendors: where their keys are kept in Key Vault. */
  intake: {
    pskcKeySecretPrefix: string;
    pgpKeySecret: string;
    pgpPassphraseSecret: string;
    /** Armoured public keys whose signature every OpenPGP seed file must carry; absent: none required. */
    pgpSignerKeys?: string;
  };
  /** HR vendors whose webhooks are accepted, with where their secrets are in Key Vault. */
  hrVendors: {
    hibob?: { webhookSecretName: string; apiUrl: string; serviceUserId: string; apiTokenSecretName: string };
    bamboohr?: { webhookSecretName: string; apiUrl: string; apiKeySecretName: string };
    personio?: { webhookTokenSecretName: string; apiUrl: string; clientId: string; clientSecretName: string };
  };
  /** Lifecycle Workflows custom tasks; no caller allowed means the endpoint refuses every call. */
  lifecycle: { allowedCallers: readonly string[]; joinerWorkflows: readonly string[]; leaverWorkflows: readonly string[] };
  /** Who may receive a token (the target check). */
  /** privilegedSetMaxAgeSeconds: PRIVILEGED_SET_MAX_AGE. */
  targets: { protectedGroupIds: readonly string[]; allowedGroupId?: string; privilegedSetMaxAgeSeconds: number };
  credential: AppCredential;
  /** What the admin console's page needs to sign in; clientId undefined when it cannot be derived. */
  console: ConsoleSettings;
}

export interface ConsoleSettings {
  clientId?: string;
  authority: string;
  /** The admin API's scope the console asks a token for. */
  scope: string;
}

/** One readable line naming the setting and what is wrong with it. */
export class ConfigError extends Error {
  /** The setting a `Setting NAME: ...` message names. */
  readonly setting: string | undefined;
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
    this.setting = /^Setting (\S+):/.exec(message)?.[1];
  }
}

function storageFrom(s: Settings): StorageConnection {
  if (s.AzureWebJobsStorage) {
    if (s.AzureWebJobsStorage === 'UseDevelopmentStorage=true') {
      return {
        kind: 'connectionString',
        connectionString:
          'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;',
      };
    }
    if (!/AccountName=|BlobEndpoint=/.test(s.AzureWebJobsStorage)) {
      throw new ConfigError('Setting AzureWebJobsStorage: must be a storage connection string (or use the AzureWebJobsStorage__* identity settings)');
    }
    return { kind: 'connectionString', connectionString: s.AzureWebJobsStorage };
  }
  const account = s.AzureWebJobsStorage__accountName;
  const service = (given: string | undefined, kind: 'blob' | 'queue' | 'table', setting: string): string => {
    if (given) {
      if (!URL.canParse(given)) throw new ConfigError(`Setting ${setting}: must be a URL`);
      return given.replace(/\/+$/, '');
    }
    if (account) return `https://${account}.${kind}.core.windows.net`;
    throw new ConfigError(
      'Setting AzureWebJobsStorage: missing; set it, or AzureWebJobsStorage__accountName (or the __blobServiceUri/__queueServiceUri/__tableServiceUri trio) for a managed identity',
    );
  };
  const clientId = s.AzureWebJobsStorage__clientId ?? s.AZURE_CLIENT_ID;
  return {
    kind: 'identity',
    blobUrl: service(s.AzureWebJobsStorage__blobServiceUri, 'blob', 'AzureWebJobsStorage__blobServiceUri'),
    queueUrl: service(s.AzureWebJobsStorage__queueServiceUri, 'queue', 'AzureWebJobsStorage__queueServiceUri'),
    tableUrl: service(s.AzureWebJobsStorage__tableServiceUri, 'table', 'AzureWebJobsStorage__tableServiceUri'),
    ...(clientId ? { clientId } : {}),
  };
}

function credentialFrom(s: Settings): AppCredential {
  if (s.AZURE_CLIENT_SECRET) {
    if (!s.AZURE_TENANT_ID) throw new ConfigError('Setting AZURE_TENANT_ID: missing; it is required with AZURE_CLIENT_SECRET');
    if (!s.AZURE_CLIENT_ID) throw new ConfigError('Setting AZURE_CLIENT_ID: missing; it is required with AZURE_CLIENT_SECRET');
    return {
      kind: 'clientSecret',
      tenantId: s.AZURE_TENANT_ID,
      clientId: s.AZURE_CLIENT_ID,
      clientSecret: s.AZURE_CLIENT_SECRET,
      ...(s.AZURE_AUTHORITY_HOST ? { authorityHost: s.AZURE_AUTHORITY_HOST } : {}),
    };
  }
  return { kind: 'managedIdentity', ...(s.AZURE_CLIENT_ID ? { clientId: s.AZURE_CLIENT_ID } : {}) };
}

/** A vendor is on once its webhook secret is named; then what it needs to fetch employees is required too. */
function hrVendorsFrom(s: Settings): Config['hrVendors'] {
  const required = (value: string | undefined, name: string, because: string): string => {
    if (!value) throw new ConfigError(`Setting ${name}: missing; it is required with ${because}`);
    return value;
  };
  return {
    ...(s.HIBOB_WEBHOOK_SECRET_NAME
      ? {
          hibob: {
            webhookSecretName: s.HIBOB_WEBHOOK_SECRET_NAME,
            apiUrl: s.HIBOB_API_URL,
            serviceUserId: required(s.HIBOB_SERVICE_USER_ID, 'HIBOB_SERVICE_USER_ID', 'HIBOB_WEBHOOK_SECRET_NAME'),
            apiTokenSecretName: required(s.HIBOB_API_TOKEN_SECRET_NAME, 'HIBOB_API_TOKEN_SECRET_NAME', 'HIBOB_WEBHOOK_SECRET_NAME'),
          },
        }
      : {}),
    ...(s.BAMBOOHR_WEBHOOK_SECRET_NAME
      ? {
          bamboohr: {
            webhookSecretName: s.BAMBOOHR_WEBHOOK_SECRET_NAME,
            apiUrl: required(s.BAMBOOHR_API_URL, 'BAMBOOHR_API_URL', 'BAMBOOHR_WEBHOOK_SECRET_NAME'),
            apiKeySecretName: required(s.BAMBOOHR_API_KEY_SECRET_NAME, 'BAMBOOHR_API_KEY_SECRET_NAME', 'BAMBOOHR_WEBHOOK_SECRET_NAME'),
          },
        }
      : {}),
    ...(s.PERSONIO_WEBHOOK_TOKEN_SECRET_NAME
      ? {
          personio: {
            webhookTokenSecretName: s.PERSONIO_WEBHOOK_TOKEN_SECRET_NAME,
            apiUrl: s.PERSONIO_API_URL,
            clientId: required(s.PERSONIO_CLIENT_ID, 'PERSONIO_CLIENT_ID', 'PERSONIO_WEBHOOK_TOKEN_SECRET_NAME'),
            clientSecretName: required(s.PERSONIO_CLIENT_SECRET_NAME, 'PERSONIO_CLIENT_SECRET_NAME', 'PERSONIO_WEBHOOK_TOKEN_SECRET_NAME'),
          },
        }
      : {}),
  };
}

/** Entra's v2.0 issuer is the authority plus /v2.0; a v1.0 issuer (sts.windows.net) names the tenant. */
function consoleFrom(s: Settings): ConsoleSettings {
  const v1 = /^https:\/\/sts\.windows\.net\/([^/]+)\/?$/.exec(s.ADMIN_AUTH_ISSUER);
  const authority = s.CONSOLE_AUTHORITY ?? (v1?.[1] ? `https://login.microsoftonline.com/${v1[1]}` : s.ADMIN_AUTH_ISSUER.replace(/\/v2\.0$/, ''));
  const clientId = s.CONSOLE_CLIENT_ID ?? (GUID.test(s.ADMIN_AUTH_AUDIENCE) ? s.ADMIN_AUTH_AUDIENCE : undefined);
  return { ...(clientId ? { clientId } : {}), authority, scope: `${s.ADMIN_AUTH_AUDIENCE}/.default` };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Parses the settings in `env`. Throws ConfigError with one line naming the first bad setting. */
function parseWith<S extends z.ZodType>(schema: S, env: Readonly<Record<string, string | undefined>>): z.infer<S> {
  const parsed = schema.safeParse(env, { error: readableIssue });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'settings');
    const missing = env[name] === undefined || env[name]?.trim() === '';
    throw new ConfigError(`Setting ${name}: ${missing ? 'missing' : (issue?.message ?? 'invalid')}`);
  }
  return parsed.data;
}

/**
 * Only the admin token settings, so health can still tell a Tokens.Read caller which other setting is
 * broken. Throws ConfigError when these two are.
 */
export function parseAdminAuth(env: Readonly<Record<string, string | undefined>>): Config['adminAuth'] {
  const s = parseWith(settingsSchema.pick({ ADMIN_AUTH_ISSUER: true, ADMIN_AUTH_AUDIENCE: true }), env);
  return Object.freeze({ issuer: s.ADMIN_AUTH_ISSUER, audience: s.ADMIN_AUTH_AUDIENCE });
}

export function parseConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const s = parseWith(settingsSchema, env);
  return deepFreeze<Config>({
    storage: storageFrom(s),
    keyVaultUrl: s.KEY_VAULT_URL,
    graph: { baseUrl: s.GRAPH_BASE_URL, apiVersion: s.GRAPH_API_VERSION, requestsPerSecond: s.GRAPH_REQUESTS_PER_SECOND },
    hrWebhookSecrets: s.HR_WEBHOOK_SECRETS,
    adminAuth: { issuer: s.ADMIN_AUTH_ISSUER, audience: s.ADMIN_AUTH_AUDIENCE },
    activationMode: s.ACTIVATION_MODE,
    handover: { driftSteps: s.HANDOVER_DRIFT_STEPS, alertSteps: s.DRIFT_ALERT_STEPS, maxDays: s.HANDOVER_MAX_DAYS },
    tapEnabled: s.TEMPORARY_ACCESS_PASS === 'on',
    tapLifetimeMinutes: s.TAP_LIFETIME_MINUTES,
    notify: {
      ...(s.NOTIFY_MAIL_FROM ? { mailFrom: s.NOTIFY_MAIL_FROM } : {}),
      sites: s.NOTIFY_SITES,
      ...(s.NOTIFY_TEAMS_WEBHOOK_URL ? { teamsWebhookUrl: s.NOTIFY_TEAMS_WEBHOOK_URL } : {}),
    },
    provisionLeadDays: s.PROVISION_LEAD_DAYS,
    userWaitHours: s.USER_WAIT_HOURS,
    lowStockThreshold: s.LOW_STOCK_THRESHOLD,
    unused: { days: s.UNUSED_TOKEN_DAYS, notify: s.UNUSED_TOKEN_NOTIFY },
    serviceLife: { months: s.TOKEN_SERVICE_LIFE_MONTHS, byModel: s.TOKEN_SERVICE_LIFE_MONTHS_BY_MODEL },
    reconcileSchedule: s.RECONCILE_SCHEDULE,
    reconcileRepairMode: s.RECONCILE_REPAIR_MODE,
    stuckSagaMinutes: s.STUCK_SAGA_MINUTES,
    reconcileMaxChanges: s.RECONCILE_MAX_CHANGES,
    directorySync: {
      ...(s.DIRECTORY_SYNC_SCHEDULE ? { schedule: s.DIRECTORY_SYNC_SCHEDULE } : {}),
      ...(s.DIRECTORY_SYNC_GROUP_ID ? { groupId: s.DIRECTORY_SYNC_GROUP_ID } : {}),
      disableGraceHours: s.DIRECTORY_SYNC_DISABLE_GRACE_HOURS,
      locationAttribute: s.DIRECTORY_SYNC_LOCATION_ATTRIBUTE,
    },
    intake: {
      pskcKeySecretPrefix: s.PSKC_KEY_SECRET_PREFIX,
      pgpKeySecret: s.SEED_FILE_PGP_KEY_SECRET,
      pgpPassphraseSecret: `${s.SEED_FILE_PGP_KEY_SECRET}-passphrase`,
      ...(s.SEED_FILE_PGP_SIGNER_KEYS ? { pgpSignerKeys: s.SEED_FILE_PGP_SIGNER_KEYS } : {}),
    },
    hrVendors: hrVendorsFrom(s),
    lifecycle: { allowedCallers: s.LIFECYCLE_ALLOWED_CALLERS, joinerWorkflows: s.LIFECYCLE_JOINER_WORKFLOWS, leaverWorkflows: s.LIFECYCLE_LEAVER_WORKFLOWS },
    targets: { protectedGroupIds: s.PROTECTED_GROUP_IDS, ...(s.ALLOWED_GROUP_ID ? { allowedGroupId: s.ALLOWED_GROUP_ID } : {}), privilegedSetMaxAgeSeconds: s.PRIVILEGED_SET_MAX_AGE },
    credential: credentialFrom(s),
    console: consoleFrom(s),
  });
}

/**
 * Whether a timer whose schedule is an optional setting is on, read once when functions/ registers its
 * triggers: the host resolves `%SETTING%` itself and refuses to start on one that is not set. The
 * value is checked with the rest of the settings at start-up.
 */
export function scheduleIsSet(env: Readonly<Record<string, string | undefined>>, name: 'DIRECTORY_SYNC_SCHEDULE'): boolean {
  return (env[name] ?? '').trim() !== '';
}

/** Every setting name the app reads; infra/ must set the required ones. */
export const SETTING_NAMES = Object.keys(settingsSchema.shape) as (keyof Settings)[];

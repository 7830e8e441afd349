import { randomUUID } from 'node:crypto';

/**
 * The Key Vault emulator's secrets: versions, soft delete and purge, with Key Vault's rules and
 * its wire shapes (attributes in epoch seconds, ids as `<vault>/secrets/<name>/<version>`).
 * In memory only; values are never logged or put in error messages.
 */

export const SECRET_NAME_PATTERN = /^[0-9a-zA-Z-]{1,127}$/;
export const MAX_SECRET_VALUE_BYTES = 25 * 1024;
export const MAX_TAGS = 15;
const MAX_TAG_NAME_LENGTH = 512;
const MAX_TAG_VALUE_LENGTH = 256;
const SECONDS_PER_DAY = 86_400;

/** A failure answered in Key Vault's error shape: `{"error":{"code","message","innererror"?}}`. */
export class KeyVaultError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly innerCode?: string,
  ) {
    super(message);
    this.name = 'KeyVaultError';
  }
}

export interface SecretAttributesInput {
  enabled?: boolean | null;
  nbf?: number | null;
  exp?: number | null;
}

export interface SetSecretInput {
  value: string;
  contentType?: string | null;
  tags?: Record<string, string> | null;
  attributes?: SecretAttributesInput | null;
}

export interface UpdateSecretInput {
  contentType?: string | null;
  tags?: Record<string, string> | null;
  attributes?: SecretAttributesInput | null;
}

interface SecretVersion {
  version: string;
  /** Orders versions by creation, for listing and paging. */
  sequence: number;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
}

interface Secret {
  /** As first created: Key Vault names are case-insensitive but keep their spelling. */
  name: string;
  versions: SecretVersion[];
}

interface DeletedSecret {
  secret: Secret;
  deletedDate: number;
  scheduledPurgeDate: number;
}

export interface SecretStoreOptions {
  /** Base URL of the vault, used in ids (known once the server listens). */
  vaultUrl: () => string;
  softDeleteRetentionDays: number;
  purgeProtection: boolean;
  now?: () => number;
}

export interface Page<T> {
  value: T[];
  /** Opaque cursor for the next page, when there is one. */
  next?: string;
}

export function checkSecretName(name: string): void {
  if (!SECRET_NAME_PATTERN.test(name)) {
    throw new KeyVaultError(
      400,
      'BadParameter',
      `The secret name '${name.slice(0, 140)}' is invalid: use 1-127 characters of 0-9, a-z, A-Z and '-'.`,
    );
  }
}

function checkTags(tags: Record<string, string> | null | undefined): void {
  if (tags === null || tags === undefined) return;
  if (typeof tags !== 'object' || Array.isArray(tags)) throw new KeyVaultError(400, 'BadParameter', 'Tags must be an object of strings.');
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) throw new KeyVaultError(400, 'BadParameter', `A secret can have at most ${MAX_TAGS} tags; got ${entries.length}.`);
  for (const [key, value] of entries) {
    if (typeof value !== 'string') throw new KeyVaultError(400, 'BadParameter', `Tag '${key.slice(0, 64)}' must be a string.`);
    if (key.length > MAX_TAG_NAME_LENGTH || value.length > MAX_TAG_VALUE_LENGTH) {
      throw new KeyVaultError(400, 'BadParameter', `Tag names are limited to ${MAX_TAG_NAME_LENGTH} characters and values to ${MAX_TAG_VALUE_LENGTH}.`);
    }
  }
}

function checkAttributes(attributes: SecretAttributesInput | null | undefined): void {
  if (attributes === null || attributes === undefined) return;
  if (typeof attributes !== 'object') throw new KeyVaultError(400, 'BadParameter', 'Attributes must be an object.');
  if (attributes.enabled !== undefined && attributes.enabled !== null && typeof attributes.enabled !== 'boolean') {
    throw new KeyVaultError(400, 'BadParameter', 'attributes.enabled must be a boolean.');
  }
  for (const field of ['nbf', 'exp'] as const) {
    const value = attributes[field];
    if (value !== undefined && value !== null && !Number.isInteger(value)) {
      throw new KeyVaultError(400, 'BadParameter', `attributes.${field} must be a time in epoch seconds.`);
    }
  }
}

/**
 * How Key Vault may answer around deletes (docs/local-stack.md, "Key Vault emulator variants"): a delete or purge still
 * in progress for `deletionMs` (meanwhile a set or a purge of that name answers 409 ObjectIsBeingDeleted),
 * and a purge refused by RBAC (403 ForbiddenByRbac) rather than by purge protection.
 */
export interface DeletionBehaviour {
  deletionMs: number;
  purgeForbiddenByRbac: boolean;
}

/** A map that keeps its keys in order between writes, so each list page costs a search, not a sort of the vault. */
class KeyOrderedMap<V> extends Map<string, V> {
  private ordered: string[] | undefined;

  override set(key: string, value: V): this {
    if (!this.has(key)) this.ordered = undefined;
    return super.set(key, value);
  }

  override delete(key: string): boolean {
    this.ordered = undefined;
    return super.delete(key);
  }

  override clear(): void {
    this.ordered = undefined;
    super.clear();
  }

  sortedKeys(): readonly string[] {
    this.ordered ??= [...this.keys()].sort();
    return this.ordered;
  }
}

export class SecretStore {
  private readonly live = new KeyOrderedMap<Secret>();
  private readonly deleted = new KeyOrderedMap<DeletedSecret>();
  /** Names whose delete or purge is still in progress, until when (ms). */
  private readonly beingDeleted = new Map<string, number>();
  private sequence = 0;
  private readonly now: () => number;
  behaviour: DeletionBehaviour = { deletionMs: 0, purgeForbiddenByRbac: false };

  constructor(private readonly options: SecretStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Every secret, live and soft-deleted, as JSON: `npm start -- --keep-data` keeps it on disk between runs. */
  snapshot(): string {
    return JSON.stringify({ sequence: this.sequence, live: [...this.live.entries()], deleted: [...this.deleted.entries()] });
  }

  /** Puts back what `snapshot` wrote (into an empty store, at start). */
  restore(snapshot: string): void {
    const saved = JSON.parse(snapshot) as { sequence: number; live: [string, Secret][]; deleted: [string, DeletedSecret][] };
    for (const [key, secret] of saved.live) this.live.set(key, secret);
    for (const [key, entry] of saved.deleted) this.deleted.set(key, entry);
    this.sequence = saved.sequence;
  }

  private seconds(): number {
    return Math.floor(this.now() / 1000);
  }

  /** Soft-deleted secrets past their scheduled purge date are gone, as the service purges them. */
  private purgeExpired(): void {
    const now = this.seconds();
    for (const [key, entry] of this.deleted) {
      if (entry.scheduledPurgeDate <= now) this.deleted.delete(key);
    }
  }

  private recoveryLevel(): string {
    const customized = this.options.softDeleteRetentionDays < 90 ? 'CustomizedRecoverable' : 'Recoverable';
    return this.options.purgeProtection ? customized : `${customized}+Purgeable`;
  }

  private liveSecret(name: string): Secret {
    checkSecretName(name);
    const secret = this.live.get(name.toLowerCase());
    if (!secret) {
      throw new KeyVaultError(
        404,
        'SecretNotFound',
        `A secret with (name/id) ${name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command.`,
      );
    }
    return secret;
  }

  private version(secret: Secret, version: string | undefined): SecretVersion {
    const found = version ? secret.versions.find((v) => v.version === version) : secret.versions.at(-1);
    if (!found) {
      throw new KeyVaultError(404, 'SecretNotFound', `A secret with (name/id) ${secret.name}/${version ?? ''} was not found in this key vault.`);
    }
    return found;
  }

  private deletedSecret(name: string): DeletedSecret {
    checkSecretName(name);
    this.purgeExpired();
    const entry = this.deleted.get(name.toLowerCase());
    if (!entry) throw new KeyVaultError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
    return entry;
  }

  private attributes(version: SecretVersion): Record<string, unknown> {
    return {
      enabled: version.enabled,
      ...(version.nbf !== undefined ? { nbf: version.nbf } : {}),
      ...(version.exp !== undefined ? { exp: version.exp } : {}),
      created: version.created,
      updated: version.updated,
      recoveryLevel: this.recoveryLevel(),
      recoverableDays: this.options.softDeleteRetentionDays,
    };
  }

  private secretId(name: string, version?: string): string {
    return `${this.options.vaultUrl()}/secrets/${name}${version ? `/${version}` : ''}`;
  }

  private describe(version: SecretVersion): Record<string, unknown> {
    return {
      ...(version.contentType !== undefined ? { contentType: version.contentType } : {}),
      ...(version.tags !== undefined ? { tags: version.tags } : {}),
    };
  }

  /** SecretBundle. The value only where Key Vault returns it (get and set). */
  private bundle(secret: Secret, version: SecretVersion, withValue: boolean): Record<string, unknown> {
    return {
      ...(withValue ? { value: version.value } : {}),
      id: this.secretId(secret.name, version.version),
      ...this.describe(version),
      attributes: this.attributes(version),
    };
  }

  private deletedFields(secret: Secret, entry: DeletedSecret): Record<string, unknown> {
    return {
      recoveryId: `${this.options.vaultUrl()}/deletedsecrets/${secret.name}`,
      deletedDate: entry.deletedDate,
      scheduledPurgeDate: entry.scheduledPurgeDate,
    };
  }

  private checkNotBeingDeleted(name: string): void {
    const until = this.beingDeleted.get(name.toLowerCase());
    if (until === undefined) return;
    if (until <= this.now()) {
      this.beingDeleted.delete(name.toLowerCase());
      return;
    }
    throw new KeyVaultError(409, 'Conflict', `Secret ${name} is currently being deleted.`, 'ObjectIsBeingDeleted');
  }

  private startDeletion(name: string): void {
    if (this.behaviour.deletionMs > 0) this.beingDeleted.set(name.toLowerCase(), this.now() + this.behaviour.deletionMs);
  }

  set(name: string, input: SetSecretInput): Record<string, unknown> {
    checkSecretName(name);
    this.checkNotBeingDeleted(name);
    if (typeof input.value !== 'string') throw new KeyVaultError(400, 'BadParameter', 'Property value is required and must be a string.');
    if (Buffer.byteLength(input.value, 'utf8') > MAX_SECRET_VALUE_BYTES) {
      throw new KeyVaultError(400, 'BadParameter', `The secret value is larger than ${MAX_SECRET_VALUE_BYTES} bytes.`);
    }
    if (input.contentType !== undefined && input.contentType !== null && typeof input.contentType !== 'string') {
      throw new KeyVaultError(400, 'BadParameter', 'contentType must be a string.');
    }
    checkTags(input.tags);
    checkAttributes(input.attributes);
    this.purgeExpired();
    const key = name.toLowerCase();
    if (this.deleted.has(key)) {
      throw new KeyVaultError(
        409,
        'Conflict',
        `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
        'ObjectIsDeletedButRecoverable',
      );
    }
    const now = this.seconds();
    const version: SecretVersion = {
      version: randomUUID().replace(/-/g, ''),
      sequence: ++this.sequence,
      value: input.value,
      enabled: input.attributes?.enabled ?? true,
      created: now,
      updated: now,
    };
    if (typeof input.contentType === 'string') version.contentType = input.contentType;
    if (input.tags) version.tags = { ...input.tags };
    if (typeof input.attributes?.nbf === 'number') version.nbf = input.attributes.nbf;
    if (typeof input.attributes?.exp === 'number') version.exp = input.attributes.exp;
    const secret = this.live.get(key) ?? { name, versions: [] };
    secret.versions.push(version);
    this.live.set(key, secret);
    return this.bundle(secret, version, true);
  }

  /**
   * Reads a version (the latest without one). Key Vault hands out expired and not-yet-valid secrets
   * (nbf/exp are informational for secrets) but refuses disabled ones.
   */
  get(name: string, version?: string): Record<string, unknown> {
    const secret = this.liveSecret(name);
    const found = this.version(secret, version);
    if (!found.enabled) throw new KeyVaultError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled');
    return this.bundle(secret, found, true);
  }

  update(name: string, version: string | undefined, input: UpdateSecretInput): Record<string, unknown> {
    if (input.contentType !== undefined && input.contentType !== null && typeof input.contentType !== 'string') {
      throw new KeyVaultError(400, 'BadParameter', 'contentType must be a string.');
    }
    checkTags(input.tags);
    checkAttributes(input.attributes);
    const secret = this.liveSecret(name);
    const found = this.version(secret, version);
    if (typeof input.contentType === 'string') found.contentType = input.contentType;
    if (input.tags) found.tags = { ...input.tags };
    const attributes = input.attributes;
    if (typeof attributes?.enabled === 'boolean') found.enabled = attributes.enabled;
    if (typeof attributes?.nbf === 'number') found.nbf = attributes.nbf;
    if (typeof attributes?.exp === 'number') found.exp = attributes.exp;
    found.updated = this.seconds();
    return this.bundle(secret, found, false);
  }

  /** SecretItems of the latest version of every live secret, ordered by name. */
  list(maxResults: number, after?: string): Page<Record<string, unknown>> {
    return pageOf(this.live, maxResults, after, (secret) => {
      const latest = this.version(secret, undefined);
      return { id: this.secretId(secret.name), ...this.describe(latest), attributes: this.attributes(latest) };
    });
  }

  /** SecretItems of every version of a secret, oldest first. An unknown name lists nothing. */
  listVersions(name: string, maxResults: number, after?: string): Page<Record<string, unknown>> {
    checkSecretName(name);
    const secret = this.live.get(name.toLowerCase());
    const versions = secret?.versions ?? [];
    return page(versions, (v) => String(v.sequence).padStart(12, '0'), maxResults, after, (v) => ({
      id: this.secretId(secret?.name ?? name, v.version),
      ...this.describe(v),
      attributes: this.attributes(v),
    }));
  }

  /** Moves every version into soft delete; answers the DeletedSecretBundle of the latest. */
  delete(name: string): Record<string, unknown> {
    const secret = this.liveSecret(name);
    const now = this.seconds();
    const entry: DeletedSecret = { secret, deletedDate: now, scheduledPurgeDate: now + this.options.softDeleteRetentionDays * SECONDS_PER_DAY };
    this.live.delete(name.toLowerCase());
    this.deleted.set(name.toLowerCase(), entry);
    this.startDeletion(name);
    return { ...this.deletedFields(secret, entry), ...this.bundle(secret, this.version(secret, undefined), false) };
  }

  getDeleted(name: string): Record<string, unknown> {
    const entry = this.deletedSecret(name);
    return { ...this.deletedFields(entry.secret, entry), ...this.bundle(entry.secret, this.version(entry.secret, undefined), false) };
  }

  listDeleted(maxResults: number, after?: string): Page<Record<string, unknown>> {
    this.purgeExpired();
    return pageOf(this.deleted, maxResults, after, (entry) => {
      const latest = this.version(entry.secret, undefined);
      return {
        ...this.deletedFields(entry.secret, entry),
        id: this.secretId(entry.secret.name),
        ...this.describe(latest),
        attributes: this.attributes(latest),
      };
    });
  }

  recover(name: string): Record<string, unknown> {
    const entry = this.deletedSecret(name);
    this.deleted.delete(name.toLowerCase());
    this.live.set(name.toLowerCase(), entry.secret);
    return this.bundle(entry.secret, this.version(entry.secret, undefined), false);
  }

  purge(name: string): void {
    this.deletedSecret(name);
    this.checkNotBeingDeleted(name);
    if (this.behaviour.purgeForbiddenByRbac) {
      throw new KeyVaultError(
        403,
        'Forbidden',
        `Caller is not authorized to perform action on resource. Action: 'Microsoft.KeyVault/vaults/secrets/purge/action'.`,
        'ForbiddenByRbac',
      );
    }
    if (this.options.purgeProtection) {
      throw new KeyVaultError(
        403,
        'Forbidden',
        'Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.',
      );
    }
    this.deleted.delete(name.toLowerCase());
    this.startDeletion(name);
  }

  /** Whether a name exists, without its value: for tests and the control API. */
  exists(name: string): { name: string; exists: boolean; deleted: boolean; versions: number } {
    checkSecretName(name);
    this.purgeExpired();
    const key = name.toLowerCase();
    const secret = this.live.get(key) ?? this.deleted.get(key)?.secret;
    return { name, exists: this.live.has(key), deleted: this.deleted.has(key), versions: secret?.versions.length ?? 0 };
  }

  clear(): void {
    this.live.clear();
    this.deleted.clear();
    this.beingDeleted.clear();
    this.behaviour = { deletionMs: 0, purgeForbiddenByRbac: false };
  }
}

/** Keyset paging over a key-ordered map: the first page at or past the cursor is found by binary search. */
function pageOf<V>(map: KeyOrderedMap<V>, maxResults: number, after: string | undefined, render: (value: V) => Record<string, unknown>): Page<Record<string, unknown>> {
  const keys = map.sortedKeys();
  let start = 0;
  if (after !== undefined) {
    let end = keys.length;
    while (start < end) {
      const middle = (start + end) >>> 1;
      if ((keys[middle] ?? '') > after) end = middle;
      else start = middle + 1;
    }
  }
  const slice = keys.slice(start, start + maxResults);
  const last = slice.at(-1);
  return {
    value: slice.map((key) => render(map.get(key) as V)),
    ...(start + maxResults < keys.length && last !== undefined ? { next: last } : {}),
  };
}

/** Keyset paging: the cursor is the key of the last item handed out, so concurrent writes shift nothing. */
function page<T>(items: T[], keyOf: (item: T) => string, maxResults: number, after: string | undefined, render: (item: T) => Record<string, unknown>): Page<Record<string, unknown>> {
  const remaining = after === undefined ? items : items.filter((item) => keyOf(item) > after);
  const slice = remaining.slice(0, maxResults);
  const last = slice.at(-1);
  return {
    value: slice.map(render),
    ...(remaining.length > maxResults && last !== undefined ? { next: keyOf(last) } : {}),
  };
}

import type { HashFunction, TimeInterval } from './domain/seed';
import type { SeedOrigin, TokenRecord, TokenStatus } from './domain/token';

/**
 * The interfaces workflows are written against. Adapters in shared/adapters implement them for
 * Azure; unit tests implement them with plain objects.
 */

/** One outside dependency that the health check asks to answer. */
export interface DependencyProbe {
  /** Shown to admins: "storage", "keyVault", "graph". */
  name: string;
  /** Resolves when the dependency answers; rejects with a reason otherwise. */
  check(): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * Tokens.Desk: the IT desk's hand-over, shipping and pick list, nothing else. Lifecycle.Tasks: the Logic App
 * that forwards Lifecycle Workflows custom tasks (not an admin role).
 */
export type AdminRole = 'Tokens.PrivilegedAdmin' | 'Tokens.Admin' | 'Tokens.Read' | 'Tokens.Desk' | 'Lifecycle.Tasks';

/** Who called the admin API, from their token: recorded in the audit trail. */
export interface AdminPrincipal {
  /** `oid` (else `sub`): the immutable id of the user or service principal. */
  id: string;
  /** For display only: a name is chosen by its holder and proves nothing. */
  name: string;
  roles: string[];
  /** `tid`. */
  tenantId?: string;
  /** `azp` (v2.0) or `appid` (v1.0): the client application that got the token. */
  appId?: string;
}

export type AuthResult = { ok: true; principal: AdminPrincipal } | { ok: false; status: 401 | 403; reason: string; principal?: AdminPrincipal };

export interface AdminAuthenticator {
  /** `authorization` is the raw Authorization header; any one of several `required` roles is enough. */
  authenticate(authorization: string | null, required: AdminRole | readonly AdminRole[]): Promise<AuthResult>;
}

export interface TokenFilter {
  status?: TokenStatus;
  pool?: string;
  /** Employee id, user principal name or Entra user id of the holder. */
  user?: string;
  /** Only rows that have their Entra device (an import cut short leaves rows without one). */
  registered?: boolean;
}

export interface InventoryPage {
  tokens: TokenRecord[];
  /** Opaque; pass back to get the next page. Absent on the last page. */
  continuationToken?: string;
}

/** A continuation token that this API did not give out (or that was altered): bad input, never a 500. */
export class InvalidContinuationToken extends Error {
  constructor() {
    super('The continuation token is not one this API gave out');
    this.name = 'InvalidContinuationToken';
  }
}

/** The token inventory. Every write is conditional: a stale record answers 'conflict', never overwrites. */
export interface Inventory {
  get(serialNumber: string): Promise<TokenRecord | undefined>;
  /** Adds a new token; 'exists' when its serial is already in the inventory. */
  add(record: TokenRecord): Promise<TokenRecord | 'exists'>;
  /** Writes `record` if the row still has `record.etag`. */
  replace(record: TokenRecord): Promise<TokenRecord | 'conflict'>;
  /** Removes the row if it still has `record.etag`. */
  remove(record: TokenRecord): Promise<'removed' | 'conflict'>;
  /** Throws InvalidContinuationToken for a token it did not give out. */
  list(filter: TokenFilter, page: { continuationToken?: string; pageSize: number }): Promise<InventoryPage>;
}

export interface SeedTags {
  serialNumber: string;
  manufacturer: string;
  model: string;
  timeIntervalInSeconds: TimeInterval;
  hashFunction: HashFunction;
  seedOrigin: SeedOrigin;
}

/** Key Vault, the only place a seed is kept. */
export interface SeedVault {
  /** Stores the seed; 'name-deleted' when that name is soft-deleted and cannot be used yet. */
  put(name: string, seed: string, tags: SeedTags): Promise<'stored' | 'name-deleted'>;
  /** The seed, or undefined when there is none under that name. */
  get(name: string): Promise<string | undefined>;
  /** Deletes the seed, and purges it where the vault allows. Harmless when already gone. */
  destroy(name: string): Promise<void>;
}

export interface EntraDevice {
  id: string;
  serialNumber: string;
  manufacturer: string;
  model: string;
  status: 'available' | 'assigned' | 'activated' | 'failedActivation';
  timeIntervalInSeconds: number;
  hashFunction: string;
  assignedTo?: { id: string; displayName?: string };
  /** When a code from it last signed in: null when never, absent when the tenant's answer does not carry it. */
  lastUsedDateTime?: string | null;
}

export interface NewEntraDevice {
  serialNumber: string;
  manufacturer: string;
  model: string;
  secretKey: string;
  timeIntervalInSeconds: TimeInterval;
  hashFunction: HashFunction;
  displayName?: string;
}

export interface EntraUser {
  id: string;
  userPrincipalName: string;
  displayName?: string;
  employeeId?: string;
  userType?: string;
}

/** The whole seconds of an SDK error's Retry-After (on the error or its response), when it says at least 1. */
function retryAfterSecondsOf(error: object): number | undefined {
  const headers = (error as { headers?: unknown }).headers ?? (error as { response?: { headers?: unknown } }).response?.headers;
  const raw = headers && typeof (headers as { get?: unknown }).get === 'function' ? (headers as { get(name: string): string | null | undefined }).get('retry-after') : undefined;
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds >= 1 ? Math.ceil(seconds) : undefined;
}

/**
 * Graph still throttling (429) or unavailable (503) after the client's retries and the instance's
 * pacing: the seconds to wait (its Retry-After, at least 1), or undefined for any other error. Read
 * from the shape the Graph client's errors have (statusCode, headers), so callers need no SDK.
 */
export function directoryBusyFor(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { statusCode } = error as { statusCode?: unknown };
  if (statusCode !== 429 && statusCode !== 503) return undefined;
  return retryAfterSecondsOf(error) ?? 1;
}

/**
 * A service the app depends on (Graph, Key Vault, Storage) failed in a way that retrying fixes: a 429
 * or a 5xx that outlasted the SDK's own retries. The seconds to wait (its Retry-After, at most 300,
 * else 5), or undefined for any other error. Read by shape (statusCode, headers), as every SDK here sets them.
 */
export function dependencyFailureFor(error: unknown): { status: number; retryAfterSeconds: number } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { statusCode } = error as { statusCode?: unknown };
  if (typeof statusCode !== 'number' || (statusCode !== 429 && (statusCode < 500 || statusCode > 599))) return undefined;
  return { status: statusCode, retryAfterSeconds: Math.min(300, retryAfterSecondsOf(error) ?? 5) };
}

/** A Graph refusal that retrying cannot fix (4xx other than 429), in words safe to show. */
export class DirectoryRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DirectoryRefusal';
  }
}

/**
 * The device is still assigned to an account that is deleted (restorable for 30 days): Graph answers 404
 * for anything under a deleted user, so the method cannot be taken off until the account is restored or
 * purged. Not a refusal: the same call succeeds once the account is back, so work retries it.
 */
export class HeldByDeletedAccount extends Error {
  constructor(
    readonly userId: string,
    readonly deviceId: string,
  ) {
    super(`device ${deviceId} is still assigned to user ${userId}, which is deleted in Entra; Graph cannot take a method off a deleted account: it is taken off once the account is restored`);
    this.name = 'HeldByDeletedAccount';
  }
}

/** A Temporary Access Pass as Graph answers its creation: the only time the pass itself is readable. */
export interface TemporaryAccessPass {
  id: string;
  /** The secret: handed to the admin once, never logged, queued or stored. */
  temporaryAccessPass: string;
  startDateTime: string;
  lifetimeInMinutes: number;
  isUsableOnce: boolean;
}

/** Microsoft Entra ID through Graph (beta hardware OATH endpoints). */
export interface Directory {
  /**
   * The device with that serial. With `expectExisting` (a device this system created or saw), a miss is
   * asked again with backoff first: Entra's `$filter` may not show a new device for some seconds.
   */
  findDeviceBySerial(serialNumber: string, lookup?: { expectExisting?: boolean }): Promise<EntraDevice | undefined>;
  /** Registers devices as available; one result per input, in order. */
  createDevices(devices: NewEntraDevice[]): Promise<({ ok: true; device: EntraDevice } | { ok: false; error: DirectoryRefusal })[]>;
  deleteDevice(deviceId: string): Promise<void>;
  findUserByUpn(userPrincipalName: string): Promise<EntraUser | undefined>;
  /** 'ambiguous' when more than one account carries that employeeId: never pick one of them. */
  findUserByEmployeeId(employeeId: string): Promise<EntraUser | 'ambiguous' | undefined>;
  assign(userId: string, deviceId: string): Promise<void>;
  assignAndActivate(userId: string, deviceId: string, verificationCode: string): Promise<void>;
  activate(userId: string, deviceId: string, verificationCode: string): Promise<void>;
  deactivate(userId: string, deviceId: string): Promise<void>;
  /** Throws HeldByDeletedAccount when the user is deleted and Entra still shows the device on it. */
  unassign(userId: string, deviceId: string): Promise<void>;
  /**
   * The hardware OATH devices Entra shows on the account (its hardwareOathMethods, each with its device),
   * whatever the inventory says; 'no_account' when Entra has no such user (deleted).
   */
  methodDevicesOf(userId: string): Promise<EntraDevice[] | 'no_account'>;
  /** The account by object id, with whether it is enabled; undefined when Entra has no such user (deleted). */
  findUserById(userId: string): Promise<EntraAccount | undefined>;
}

/** An account as a leaver check reads it. */
export interface EntraAccount extends EntraUser {
  accountEnabled?: boolean;
  /** employeeHireDate (ISO): a disabled account before it is a pre-hire, not a leaver. */
  employeeHireDate?: string;
}

/** Why an account counts as gone: deleted (in the deleted items), or disabled past its hire date. */
export interface DepartedAccount {
  id: string;
  why: 'deleted' | 'disabled';
}

/** The accounts that may still hold a token but must not (reconciliation reads them once per run). */
export interface DepartedAccounts {
  /** Deleted users (directory/deletedItems), then disabled ones (accountEnabled eq false) whose hire date is not after `now`, a Graph page at a time. */
  departedPages(now: Date): AsyncIterable<DepartedAccount[]>;
}

/** Many accounts by UPN in few requests (an import naming users). */
export interface UserLookup {
  /** The accounts found, by UPN in lower case; a UPN Entra does not know is absent. */
  findUsersByUpn(userPrincipalNames: readonly string[]): Promise<Map<string, EntraUser>>;
}

/** A Temporary Access Pass as Graph lists it: never the pass itself. */
export interface TemporaryAccessPassInfo {
  id: string;
  startDateTime: string;
  lifetimeInMinutes: number;
  /** methodUsabilityReason: EnabledByPolicy, NotYetValid, Expired, OneTimeUsed, ... */
  usabilityReason?: string;
}

/** Temporary Access Passes through Graph (temporaryAccessPassMethods). */
export interface AccessPasses {
  /** A one-time pass for the user; it replaces one the user already has. */
  issueTemporaryAccessPass(userId: string, lifetimeInMinutes: number): Promise<TemporaryAccessPass>;
  /** The user's passes as Entra lists them (at most one). */
  temporaryAccessPassesOf(userId: string): Promise<TemporaryAccessPassInfo[]>;
}

/** A directory role a principal holds (active) or may activate through PIM (eligible). */
export interface RoleHolding {
  principalId: string;
  roleDefinitionId: string;
  directoryScopeId: string | null;
  kind: 'active' | 'eligible';
}

export interface GroupMembership {
  id: string;
  displayName?: string;
  isAssignableToRole: boolean;
}

/** Who an account is in the tenant beyond the account itself (Graph v1.0 role management and memberships). */
export interface PrincipalDirectory {
  /** Every directory role assignment and eligibility whose principal is this user or group, at any scope. */
  rolesOf(principalId: string): Promise<RoleHolding[]>;
  /** The groups the user is in, directly or through nested groups. */
  groupsOf(userId: string): Promise<GroupMembership[]>;
}

/**
 * Claims in storage that hold across instances: at most a fixed number at once per key, each taken
 * until a time and lapsing by itself then, so a holder that crashed never blocks its key for good.
 */
export interface SlotClaims {
  claim(key: string): Promise<{ ok: true; slot: ClaimedSlot } | { ok: false; retryAfterSeconds: number }>;
}

export interface ClaimedSlot {
  /** Takes the slot again for its whole time from now; false when it lapsed meanwhile and is another's (or free). */
  holdAgain(): Promise<boolean>;
  /** Free again now. */
  release(): Promise<void>;
}

/**
 * The failed-intake budget: each caller may have at most `limit` seed files refused per hour. An intake
 * takes a slot before it reads the file; a refused file keeps it for the hour, anything else gives it back.
 */
export interface IntakeFailureLimit {
  claim(callerId: string): Promise<{ ok: true; slot: IntakeSlot } | { ok: false; retryAfterSeconds: number }>;
}

export interface IntakeSlot {
  /** The file was refused: the slot stays taken for an hour from now. */
  failed(): Promise<void>;
  /** Anything else: the slot is free again. */
  release(): Promise<void>;
}

/**
 * Who is outside the allowed targets, read from Entra in bulk rather than per account. Object ids in
 * lower case; an id of a group or service principal may be among them, and never matches a user.
 */
export interface PrivilegedSet {
  /** Holders of a directory role (active or eligible, directly or through a role-assignable group), and transitive members of the protected groups. */
  privileged: ReadonlySet<string>;
  /** Transitive members of the allowed group; undefined when no allowed group is set. */
  allowed?: ReadonlySet<string>;
}

export interface PrivilegedDirectory {
  readPrivilegedSet(policy: { protectedGroupIds: readonly string[]; allowedGroupId?: string }): Promise<PrivilegedSet>;
}

export interface AuditEntry {
  /** Who: an admin's name and id, "hr" for HR events, "system" for schedules. */
  actor: string;
  action: string;
  serialNumber?: string;
  employeeId?: string;
  /** Our id of the request (the invocation id) or the event id it came from. */
  correlationId?: string;
  /** The correlation id the caller sent, kept beside ours, never instead of it. */
  callerCorrelationId?: string;
  /** An admin caller's claims, each in its own field (never one string a display name could imitate). */
  caller?: { oid: string; tenantId?: string; appId?: string; name?: string };
  outcome: 'succeeded' | 'failed' | 'rejected';
  detail?: string;
}

/** Append-only trail of who did what to which token. Never holds a seed. */
export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
}

export interface AuditRecord extends AuditEntry {
  /** When it was recorded (ISO). */
  at: string;
}

export interface AuditQuery {
  serialNumber?: string;
  employeeId?: string;
  /** ISO date-time: entries recorded at or after it. */
  since?: string;
  /** ISO date-time: entries recorded before it. */
  until?: string;
  /** An action (`token.revoked.lost`) or a family of them (`token.revoked`: every `token.revoked.*`). */
  action?: string;
}

/** The audit trail read back, oldest first, a page at a time. */
export interface AuditTrail {
  /** Throws InvalidContinuationToken for a token it did not give out. */
  find(query: AuditQuery, page: { continuationToken?: string; pageSize: number }): Promise<{ entries: AuditRecord[]; continuationToken?: string }>;
}

/** A Storage queue of work items (JSON); `delaySeconds` keeps a message invisible that long (at most 7 days). */
export interface WorkQueue<Message> {
  send(message: Message, options?: { delaySeconds?: number }): Promise<void>;
}

/** Where a webhook delivery stands: remembered, then handed to the queue. */
export type DeliveryState = 'received' | 'queued';

export interface DeliveryClaim {
  /** True when this call remembered the webhook-id for the first time. */
  first: boolean;
  state: DeliveryState;
  /** When the webhook-id was first received (ISO). */
  receivedAt: string;
  etag: string;
}

/** Webhook deliveries by webhook-id, so a redelivered event is queued once. */
export interface WebhookDeliveries {
  /** Remembers the delivery as 'received', or answers the state of the earlier one with that id. */
  claim(eventId: string, facts: { type: string; employeeId: string; receivedAt: string }): Promise<DeliveryClaim>;
  /** Marks it queued; harmless when another request already did. */
  markQueued(eventId: string, etag: string): Promise<void>;
  /** The state of an earlier delivery with that id, without remembering this one; undefined when there was none. */
  stateOf(eventId: string): Promise<DeliveryState | undefined>;
}

export type ProvisioningKind = 'joiner' | 'leaver';

export type ProvisioningStatus =
  | 'queued'
  | 'deferred'
  | 'waiting_for_user'
  | 'in_progress'
  | 'completed'
  | 'failed'
  | 'cancelled'
  /** A leaver recorded, waiting for its revocation. */
  | 'pending_revocation'
  /** A leaver whose revocation failed: tried again with growing delays until Entra confirms the method is gone. */
  | 'retrying';

/** Where one employee's joiner or leaver work stands. Admin-readable; never holds a seed. */
export interface ProvisioningRecord {
  employeeId: string;
  kind: ProvisioningKind;
  status: ProvisioningStatus;
  /** The last saga step that finished. */
  step?: string;
  serialNumber?: string;
  entraUserId?: string;
  userPrincipalName?: string;
  /** The person's name for admins to read (Entra's once the hire found the account, else HR's): never a key. */
  displayName?: string;
  /** Why it failed, was cancelled or is being retried, in words an admin can act on. */
  reason?: string;
  /** Tries that failed on a transient error. */
  attempts: number;
  /** The last few HR events (webhook-ids) that touched this record. */
  eventIds: string[];
  hireDate?: string;
  terminationDate?: string;
  location?: string;
  /** The latest HR change (employee.updated) noted on the record. */
  note?: string;
  /** The target check's refusal that failed the hire (privileged_account, employee_id_mismatch, ...). */
  refusal?: string;
  /** Entra user id a Tokens.PrivilegedAdmin approved this hire for, and who did. */
  approvedFor?: string;
  approvedBy?: string;
  createdAt: string;
  updatedAt: string;
  etag?: string;
}

/** A Tokens.PrivilegedAdmin's approval is for one hire: it ends when that hire completes, fails or is cancelled. */
export function withoutApproval<T extends ProvisioningRecord>(record: T): T {
  const { approvedFor: _approvedFor, approvedBy: _approvedBy, ...rest } = record;
  return rest as T;
}

/** The joiner statuses of a hire still running, the only ones an approval counts in. */
export const UNSETTLED_HIRE: readonly ProvisioningStatus[] = ['queued', 'deferred', 'waiting_for_user', 'in_progress'];

/** Provisioning records, one per employee and kind. Writes are conditional, like the inventory's. */
export interface ProvisioningStore {
  get(employeeId: string, kind: ProvisioningKind): Promise<ProvisioningRecord | undefined>;
  /** Both kinds of one employee (one partition read). */
  list(employeeId: string): Promise<ProvisioningRecord[]>;
  /**
   * The leaver records, of any employee, that name this Entra object id: a person is their account,
   * whatever employeeId they were filed under. Not a partition read: asked right before an activation only.
   */
  leaversNaming(entraUserId: string): Promise<ProvisioningRecord[]>;
  add(record: ProvisioningRecord): Promise<ProvisioningRecord | 'exists'>;
  /** Writes `record` if the row still has `record.etag`. */
  replace(record: ProvisioningRecord): Promise<ProvisioningRecord | 'conflict'>;
}

/** Entra's whole hardware OATH inventory, one Graph page at a time (reconciliation: never the whole tenant at once). */
export interface DeviceCatalog {
  /** Each item is one Graph page (`$top` = pageSize, then @odata.nextLink). */
  devicePages(pageSize?: number): AsyncIterable<EntraDevice[]>;
}

/** One page of Entra's hardware OATH devices, and where the next one is: an import reads only as many as pay for themselves. */
export interface DeviceListing {
  /** The first page without `nextLink`; the answer's `nextLink` is absent on the last page. */
  devicePage(nextLink?: string): Promise<{ devices: EntraDevice[]; nextLink?: string }>;
}

/** A Key Vault secret as reconciliation lists it: its name and metadata, never its value. */
export interface SeedSecretInfo {
  name: string;
  /** Tagged managedBy entra-oath-tokens, i.e. written by this app. */
  managedByUs: boolean;
  updatedOn?: Date;
}

export interface SeedCatalog {
  /** Every enabled secret in the vault, one Key Vault page at a time; names and tags only. */
  secretPages(): AsyncIterable<SeedSecretInfo[]>;
  /** One secret's metadata, or undefined when there is none under that name. */
  describe(name: string): Promise<SeedSecretInfo | undefined>;
}

/** Every provisioning record, one page at a time. */
export interface ProvisioningScan {
  pages(pageSize?: number): AsyncIterable<ProvisioningRecord[]>;
}

export interface ProvisioningFilter {
  status?: ProvisioningStatus;
  kind?: ProvisioningKind;
}

/** Provisioning records for the admin API, filtered, a page at a time. */
export interface ProvisioningListing {
  /** Throws InvalidContinuationToken for a token it did not give out. */
  find(filter: ProvisioningFilter, page: { continuationToken?: string; pageSize: number }): Promise<{ records: ProvisioningRecord[]; continuationToken?: string }>;
}

/** Webhook deliveries are kept only as long as a redelivery can come. */
export interface WebhookRetention {
  /** Deletes deliveries first received before `cutoff` (ISO); answers how many went. */
  purgeReceivedBefore(cutoff: string): Promise<number>;
}

/** Reconciliation reports (JSON documents), by run id, and the latest one. */
export interface ReportStore {
  save(runId: string, report: object): Promise<void>;
  get(runId: string): Promise<unknown>;
  latest(): Promise<unknown>;
  /** The report with a version tag, for a conditional replace. */
  getVersioned(runId: string): Promise<{ report: unknown; etag: string } | undefined>;
  /** Writes the report if it is still at `etag`; 'conflict' when someone changed it meanwhile. */
  replace(runId: string, report: object, etag: string): Promise<'replaced' | 'conflict'>;
  /** A held run's repairs, kept beside its report until an admin applies them: forgets earlier ones of the run. */
  clearHeldRepairs(runId: string): Promise<void>;
  appendHeldRepairs(runId: string, repairs: readonly object[]): Promise<void>;
  /** The held repairs, a batch at a time, in the order they were found. */
  heldRepairs(runId: string): AsyncIterable<unknown[]>;
}

/** One user as Graph's users/delta reports it: its current selected properties, or its removal. */
export type DirectoryUserChange =
  | { id: string; removed: true }
  | {
      id: string;
      removed?: false;
      userPrincipalName?: string;
      employeeId?: string;
      userType?: string;
      accountEnabled?: boolean;
      /** employeeHireDate / employeeLeaveDateTime, ISO date-times. */
      hireDate?: string;
      leaveDateTime?: string;
      /** The value of the configured location attribute (officeLocation unless set otherwise). */
      location?: string;
    };

export interface DirectoryChangePage {
  users: DirectoryUserChange[];
  /** More pages follow in this round. */
  nextLink?: string;
  /** The round is complete: start the next one here. */
  deltaLink?: string;
}

/** Entra users by delta query (v1.0 users/delta), and the group check of directory sync. */
export interface DirectoryChanges {
  /** One page: the first page of a full round when `link` is undefined; 'resync' when Graph no longer honours the link. */
  page(link: string | undefined): Promise<DirectoryChangePage | 'resync'>;
  /** Whether the user is a member (transitively) of the group. */
  isMemberOf(userId: string, groupId: string): Promise<boolean>;
}

/** A user whose hire, leave or disabled grace is still ahead, kept between directory-sync runs. */
export interface WatchedUser {
  userId: string;
  employeeId?: string;
  userPrincipalName?: string;
  userType?: string;
  accountEnabled?: boolean;
  hireDate?: string;
  leaveDateTime?: string;
  location?: string;
  /** When a run first saw the account disabled. */
  disabledSince?: string;
  /** The disabled account's termination was queued. */
  disabledNotified?: boolean;
  etag?: string;
}

export interface DirectorySyncStore {
  /** Where the next run starts: a nextLink mid-round or the last deltaLink; none before the first run. */
  cursor(): Promise<{ link?: string; etag?: string }>;
  /** Moves the cursor if it still has `etag` (none: it must not exist yet); 'conflict' when another run moved it. */
  saveCursor(link: string, etag: string | undefined): Promise<{ etag: string } | 'conflict'>;
  watched(): Promise<WatchedUser[]>;
  /** Writes the row if it still has `user.etag` (none: it must not exist yet); a concurrent run's write wins. */
  watch(user: WatchedUser): Promise<void>;
  /** Removes the row if it still has `user.etag`. */
  unwatch(user: WatchedUser): Promise<void>;
}

/** A Key Vault secret that unlocks vendors' seed files, as listed: its name and when it last changed, never its value. */
export interface IntakeKeyInfo {
  name: string;
  updatedOn?: Date;
}

/**
 * The Key Vault secrets that open vendors' seed files: PSKC pre-shared keys and passphrases, and the
 * OpenPGP intake key with its passphrase. Values are read only to decrypt a file in memory.
 */
export interface IntakeKeyVault {
  /** The secret's value, or undefined when there is none under that name. */
  read(name: string): Promise<string | undefined>;
  /** Stores a new version under `name`. */
  write(name: string, value: string, contentType: string): Promise<void>;
  /** Enabled secrets whose name starts with `prefix`; names only. */
  list(prefix: string): Promise<IntakeKeyInfo[]>;
}

/** The task processing result a Lifecycle Workflows custom task extension waits on. */
export interface LifecycleTaskRef {
  workflowId: string;
  taskId: string;
  taskProcessingResultId: string;
  /** Echoed in the resume call, as the callout sent them. */
  source?: string;
  type?: string;
}

/** A task processing result as Graph shows it in a run of its workflow. */
export interface LifecycleTaskResult {
  id: string;
  /** queued, inProgress, completed, completedWithErrors, canceled, failed... */
  processingStatus: string;
  subjectId?: string;
  taskId?: string;
}

/** Lifecycle Workflows: the read of a workflow's runs, and the resume action (POST .../taskProcessingResults/{id}/resume). */
export interface LifecycleCallbacks {
  /** The result with this id in one of the workflow's runs in progress; undefined when none holds it (or the workflow does not exist). */
  taskProcessingResult(workflowId: string, resultId: string): Promise<LifecycleTaskResult | undefined>;
  /** 'refused' when Graph will not take it (the result is no longer in progress, or unknown): retrying cannot help. */
  resume(task: LifecycleTaskRef, status: 'completed' | 'failed'): Promise<'resumed' | { refused: string }>;
}

/** HR vendors' APIs: the employee an event names, fetched because vendors' webhooks carry ids, not facts. */
export interface HrVendorApis {
  /** undefined when the vendor has no such employee (deleted since). */
  employee(vendor: 'hibob' | 'bamboohr' | 'personio', id: string): Promise<import('./domain/vendorWebhooks').VendorEmployee | undefined>;
}

/** Secrets the vendor integrations use (webhook signing secrets, API tokens), read from Key Vault by name. */
export interface VendorSecrets {
  /** The secret's current value; throws when it is missing (a setting names a secret that is not there). */
  read(name: string): Promise<string>;
}

/** Mail through Graph (POST /users/{from}/sendMail). */
export interface Mailer {
  send(from: string, to: string[], subject: string, text: string): Promise<void>;
}

/** Who a person reports to (Graph /users/{id}/manager): their mail address, or undefined when none is set. */
export interface Managers {
  managerAddressOf(user: string): Promise<string | undefined>;
}

/** A Teams channel's incoming webhook (an Adaptive Card per message). */
export interface TeamsChannel {
  post(card: object): Promise<void>;
}

export type NotificationChannel = 'mail' | 'teams';

/** One event's notification: who claimed the sending and what is sent. Keyed by the event key. */
export interface NotificationRecord {
  key: string;
  kind: string;
  /** The delivery that is sending (or last sent) it, and since when: a claim older than the lease may be taken over. */
  claimId: string;
  claimedAt: string;
  sent: NotificationChannel[];
  createdAt: string;
  etag?: string;
}

/** The ledger that makes each event notify once across retries and instances. Writes are conditional. */
export interface NotificationLedger {
  get(key: string): Promise<NotificationRecord | undefined>;
  add(record: NotificationRecord): Promise<NotificationRecord | 'exists'>;
  replace(record: NotificationRecord): Promise<NotificationRecord | 'conflict'>;
}

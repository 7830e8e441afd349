import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { badRequest, conflict, notFound, unsupportedQuery } from './errors';
import type { DeviceChanges, NewDevice, NewUser, UserChanges } from './inputs';
import { type EqualityClause, clauseMatches } from './odata';
import { SeqIndex } from './seq-index';
import { ACTIVATION_WINDOW_STEPS, SIGN_IN_WINDOW_STEPS, matchingTimeStep } from './totp';
import { LifecycleTasks } from './lifecycleTasks';
import { UserChangeTracker } from './usersDelta';
import { DEFAULT_VARIANTS } from './types';
import type {
  DeviceStatus,
  GraphVariants,
  EmulatorState,
  GraphUser,
  HardwareOathDevice,
  HardwareOathMethod,
  HashFunction,
  SignInRequest,
  SentMail,
  SignInResult,
  TemporaryAccessPassView,
} from './types';

/** Entra allows "up to five OATH hardware tokens or authenticator applications" per user (how-to-mfa-manage-oath-tokens.md). */
export const MAX_METHODS_PER_USER = 5;

const STATUSES: readonly DeviceStatus[] = ['available', 'assigned', 'activated', 'failedActivation'];

interface UserRecord extends GraphUser {
  /** Position in insertion order: the paging key. */
  position: number;
  /** Authenticator apps and software OATH tokens, which count towards the limit of five. */
  otherMethods: number;
}

/** What `npm start -- --keep-data` keeps of the store between runs. */
export interface GraphStoreSnapshot {
  users: UserRecord[];
  /** Deleted users, which a kept method may still name (absent from snapshots taken before they were kept). */
  deletedUsers?: { user: UserRecord; deletedDateTime: string }[];
  devices: DeviceRecord[];
  nextSeq: number;
  managers: [string, string][];
  deltaSequence: number;
}

interface DeviceRecord {
  seq: number;
  id: string;
  displayName: string | null;
  serialNumber: string;
  manufacturer: string;
  model: string;
  secretKey: string;
  timeIntervalInSeconds: 30 | 60;
  hashFunction: HashFunction;
  status: DeviceStatus;
  assignedUserId: string | null;
  assignedDateTime: string | null;
  lastUsedDateTime: string | null;
  /** Highest TOTP time step ever accepted; codes at or before it are replays. */
  lastAcceptedStep: number;
  /** How far the token's clock ran off (in steps) at its activation: sign-ins are checked around it. */
  learnedDriftSteps: number;
  /** The per-user method id while assigned (the device id, or another under the `distinct` variant). */
  methodId: string | null;
  /** When the device starts to show in `$filter` results (the filterLagSeconds variant). */
  filterVisibleAt: number;
}

/** A Temporary Access Pass as Graph keeps it; the pass itself is answered only by its creation. */
interface AccessPassRecord {
  id: string;
  pass: string;
  createdDateTime: string;
  startDateTime: string;
  lifetimeInMinutes: number;
  isUsableOnce: boolean;
  used: boolean;
}

/** Graph's defaults when a request leaves them out (the policy's defaultLifetimeInMinutes is 60; one-time use is the policy default). */
const DEFAULT_TAP_LIFETIME_MINUTES = 60;
/** Characters of a generated pass: letters, digits and a few symbols, as Entra's passes look ("+drkzqAD"). */
const TAP_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789+%#&@';

export interface Page<T> {
  items: T[];
  /** Paging key of the last item when more items follow. */
  continueAfter?: number;
}

export interface ListQuery {
  filter: EqualityClause[];
  top: number;
  /** Paging key from the previous page's `continueAfter`. */
  after?: number;
}

export interface GraphStoreOptions {
  /** Milliseconds since the epoch; injectable so tests control TOTP time. */
  now?: () => number;
}

const lower = (value: string): string => value.toLowerCase();
const deviceKey = (serialNumber: string, manufacturer: string): string => `${lower(serialNumber)}\u0000${lower(manufacturer)}`;

type Scalar = string | number | boolean | null;

const USER_PROPERTIES: Record<string, (user: UserRecord) => Scalar> = {
  id: (user) => user.id,
  displayname: (user) => user.displayName,
  userprincipalname: (user) => user.userPrincipalName,
  mailnickname: (user) => user.mailNickname,
  mail: (user) => user.mail,
  employeeid: (user) => user.employeeId,
  usertype: (user) => user.userType,
  accountenabled: (user) => user.accountEnabled,
};

const DEVICE_PROPERTIES: Record<string, (device: DeviceRecord) => Scalar> = {
  id: (device) => device.id,
  displayname: (device) => device.displayName,
  serialnumber: (device) => device.serialNumber,
  manufacturer: (device) => device.manufacturer,
  model: (device) => device.model,
  status: (device) => device.status,
  hashfunction: (device) => device.hashFunction,
  timeintervalinseconds: (device) => device.timeIntervalInSeconds,
  'assignedto/id': (device) => device.assignedUserId,
  assignedto: (device) => device.assignedUserId,
};

function predicateFor<R>(clauses: EqualityClause[], properties: Record<string, (record: R) => Scalar>): (record: R) => boolean {
  const tests = clauses.map((clause) => {
    const read = properties[clause.property];
    if (!read) throw unsupportedQuery(`Filtering on '${clause.property}' is not supported.`);
    if (clause.property === 'assignedto' && clause.value !== null) {
      throw unsupportedQuery("Only 'assignedTo eq null' is supported; use 'assignedTo/id eq ...'.");
    }
    return (record: R) => clauseMatches(read(record), clause);
  });
  return (record) => tests.every((test) => test(record));
}

function takePage<R>(candidates: Iterable<R>, matches: (record: R) => boolean, top: number, key: (record: R) => number): Page<R> {
  const items: R[] = [];
  for (const record of candidates) {
    if (!matches(record)) continue;
    if (items.length === top) {
      const last = items[items.length - 1];
      return { items, continueAfter: last === undefined ? undefined : key(last) };
    }
    items.push(record);
  }
  return { items };
}

/**
 * The emulated tenant: users and the hardware OATH inventory, with Entra's rules. Pure in-memory state;
 * every operation is synchronous, so each one is atomic with respect to concurrent HTTP requests.
 */
export class GraphStore {
  private readonly now: () => number;
  private users: UserRecord[] = [];
  private readonly usersById = new Map<string, UserRecord>();
  private readonly usersByUpn = new Map<string, UserRecord>();
  private readonly usersByEmployeeId = new Map<string, Set<UserRecord>>();
  /** Deleted users (directory/deletedItems), by id: the account and when it was deleted. */
  private readonly deletedUsers = new Map<string, { user: UserRecord; deletedDateTime: string }>();
  private readonly devicesById = new Map<string, DeviceRecord>();
  private readonly devicesBySeq = new Map<number, DeviceRecord>();
  private readonly devicesByKey = new Map<string, DeviceRecord>();
  private readonly devicesBySerial = new Map<string, Set<DeviceRecord>>();
  private readonly devicesByUser = new Map<string, Set<DeviceRecord>>();
  private readonly allDevices = new SeqIndex();
  /** user id -> manager's user id. */
  private readonly managers = new Map<string, string>();
  private readonly sentMail: SentMail[] = [];
  /** Per user id: every pass issued, the current one last. */
  private readonly accessPasses = new Map<string, AccessPassRecord[]>();
  private readonly devicesByStatus = new Map<DeviceStatus, SeqIndex>(STATUSES.map((status) => [status, new SeqIndex()]));
  private nextSeq = 1;
  /** The change log users/delta answers from. */
  readonly userChanges = new UserChangeTracker();
  /** Lifecycle Workflows task processing results and the resume calls they got. */
  readonly lifecycle = new LifecycleTasks();
  private current: GraphVariants = structuredClone(DEFAULT_VARIANTS);

  constructor(options: GraphStoreOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  get variants(): GraphVariants {
    return structuredClone(this.current);
  }

  setVariants(variants: GraphVariants): void {
    this.current = structuredClone(variants);
  }

  /** Counts one write against the savedThen5xx variant: true when this saved write must answer 5xx. */
  takeSavedThen5xx(method: 'post' | 'patch'): boolean {
    if (this.current.savedThen5xx[method] <= 0) return false;
    this.current.savedThen5xx[method]--;
    return true;
  }

  reset(): void {
    this.users = [];
    for (const map of [this.usersById, this.usersByUpn, this.usersByEmployeeId, this.devicesById, this.devicesBySeq]) map.clear();
    this.deletedUsers.clear();
    for (const map of [this.devicesByKey, this.devicesBySerial, this.devicesByUser]) map.clear();
    this.allDevices.clear();
    for (const index of this.devicesByStatus.values()) index.clear();
    this.userChanges.reset();
    this.lifecycle.reset();
    this.accessPasses.clear();
    this.current = structuredClone(DEFAULT_VARIANTS);
    this.managers.clear();
    this.sentMail.length = 0;
  }

  /**
   * Users, devices (with their seeds and the codes already used) and managers as JSON, for
   * `npm start -- --keep-data`. Passes, mail and the users/delta log are not kept.
   */
  snapshot(): GraphStoreSnapshot {
    const users = this.users.filter((user) => this.usersById.get(lower(user.id)) === user);
    return {
      users: structuredClone(users),
      deletedUsers: structuredClone([...this.deletedUsers.values()]),
      devices: structuredClone([...this.devicesById.values()]),
      nextSeq: this.nextSeq,
      managers: [...this.managers.entries()],
      deltaSequence: this.userChanges.current,
    };
  }

  /** Puts back what `snapshot` took, into an empty store at start. */
  restore(saved: GraphStoreSnapshot): void {
    // A users/delta link of the last run must not read this run's changes as its own: it answers 410 and the reader starts over.
    this.userChanges.continueAfter(saved.deltaSequence);
    for (const user of saved.users) {
      const record: UserRecord = { ...user, position: this.users.length };
      this.users.push(record);
      this.userChanges.created(record.id);
      this.usersById.set(lower(record.id), record);
      this.usersByUpn.set(lower(record.userPrincipalName), record);
      this.indexEmployeeId(record);
    }
    for (const { user, deletedDateTime } of saved.deletedUsers ?? []) {
      const record: UserRecord = { ...user, position: this.users.length };
      this.users.push(record);
      this.deletedUsers.set(lower(record.id), { user: record, deletedDateTime });
    }
    for (const device of saved.devices) {
      this.indexDevice(device);
      if (device.assignedUserId !== null) {
        const held = this.devicesByUser.get(device.assignedUserId) ?? new Set<DeviceRecord>();
        held.add(device);
        this.devicesByUser.set(device.assignedUserId, held);
      }
    }
    this.nextSeq = Math.max(this.nextSeq, saved.nextSeq);
    for (const [userId, managerId] of saved.managers) this.managers.set(userId, managerId);
    this.userChanges.expireTokens();
  }

  /** The store's clock (tests may pin it). */
  time(): Date {
    return new Date(this.now());
  }

  // ---- users ----

  /** Adds users all-or-nothing: a duplicate id or userPrincipalName adds none of them. */
  addUsers(newUsers: NewUser[], otherMethods: number[] = []): GraphUser[] {
    const ids = new Set<string>();
    const upns = new Set<string>();
    const prepared = newUsers.map((user) => ({ ...user, id: user.id ?? randomUUID() }));
    for (const user of prepared) {
      const id = lower(user.id);
      const upn = lower(user.userPrincipalName);
      if (this.usersById.has(id) || ids.has(id)) {
        throw badRequest(`Another object with the same value for property id already exists: '${user.id}'.`, 'Request_BadRequest');
      }
      if (this.usersByUpn.has(upn) || upns.has(upn)) {
        throw badRequest(
          `Another object with the same value for property userPrincipalName already exists: '${user.userPrincipalName}'.`,
          'Request_BadRequest',
        );
      }
      ids.add(id);
      upns.add(upn);
    }
    const createdDateTime = new Date(this.now()).toISOString();
    return prepared.map((user, index) => {
      const record: UserRecord = {
        id: user.id,
        accountEnabled: user.accountEnabled,
        displayName: user.displayName,
        mailNickname: user.mailNickname,
        userPrincipalName: user.userPrincipalName,
        mail: null,
        employeeId: user.employeeId,
        userType: user.userType,
        createdDateTime,
        employeeHireDate: user.employeeHireDate ?? null,
        employeeLeaveDateTime: user.employeeLeaveDateTime ?? null,
        officeLocation: user.officeLocation ?? null,
        position: this.users.length,
        otherMethods: otherMethods[index] ?? 0,
      };
      this.users.push(record);
      this.userChanges.created(record.id);
      this.usersById.set(lower(record.id), record);
      this.usersByUpn.set(lower(record.userPrincipalName), record);
      this.indexEmployeeId(record);
      return this.userView(record);
    });
  }

  getUser(idOrUpn: string): GraphUser {
    return this.userView(this.requireUser(idOrUpn));
  }

  updateUser(idOrUpn: string, changes: UserChanges): void {
    const user = this.requireUser(idOrUpn);
    if (changes.employeeId !== undefined) {
      this.unindexEmployeeId(user);
      user.employeeId = changes.employeeId;
      this.indexEmployeeId(user);
    }
    if (changes.accountEnabled !== undefined) user.accountEnabled = changes.accountEnabled;
    if (changes.displayName !== undefined) user.displayName = changes.displayName;
    if (changes.employeeHireDate !== undefined) user.employeeHireDate = changes.employeeHireDate;
    if (changes.employeeLeaveDateTime !== undefined) user.employeeLeaveDateTime = changes.employeeLeaveDateTime;
    if (changes.officeLocation !== undefined) user.officeLocation = changes.officeLocation;
    this.userChanges.changed(user.id, Object.keys(changes));
  }

  /**
   * Deletes a user (to the deleted items, as Graph's DELETE does). Its hardware OATH methods stay on it
   * (kept) or go with it (dropped), as the deletedUserMethods variant reads the docs.
   */
  deleteUser(idOrUpn: string): void {
    const user = this.requireUser(idOrUpn);
    if (this.current.deletedUserMethods === 'dropped') {
      for (const device of [...(this.devicesByUser.get(user.id) ?? [])]) this.detach(user, device);
    }
    this.unindexEmployeeId(user);
    this.usersById.delete(lower(user.id));
    this.usersByUpn.delete(lower(user.userPrincipalName));
    this.deletedUsers.set(lower(user.id), { user, deletedDateTime: new Date(this.now()).toISOString() });
    this.userChanges.deleted(user.id);
  }

  /**
   * POST directory/deletedItems/{id}/restore (directory-deleteditems-restore.md): the user comes back with
   * its properties, and with the methods it kept. Its userPrincipalName, when another user took it meanwhile,
   * is refused unless `newUserPrincipalName` names a free one.
   */
  restoreUser(id: string, options: { newUserPrincipalName?: string } = {}): GraphUser {
    const deleted = this.deletedUsers.get(lower(id));
    if (!deleted) throw notFound(id);
    const { user } = deleted;
    const upn = options.newUserPrincipalName ?? user.userPrincipalName;
    if (this.usersByUpn.has(lower(upn))) {
      throw badRequest(`Another object with the same value for property userPrincipalName already exists: '${upn}'.`, 'Request_BadRequest');
    }
    user.userPrincipalName = upn;
    this.deletedUsers.delete(lower(user.id));
    this.usersById.set(lower(user.id), user);
    this.usersByUpn.set(lower(upn), user);
    this.indexEmployeeId(user);
    // users/delta shows it again, whole, as for a user it has not seen.
    this.userChanges.created(user.id);
    return this.userView(user);
  }

  /** GET directory/deletedItems/microsoft.graph.user: deleted users with their deletedDateTime, in the order they were created. */
  listDeletedUsers(query: ListQuery): Page<GraphUser & { deletedDateTime: string }> {
    const matches = predicateFor(query.filter, USER_PROPERTIES);
    const after = query.after ?? -1;
    const deleted = this.users.filter((user) => user.position > after && this.deletedUsers.get(lower(user.id))?.user === user);
    const page = takePage(deleted, matches, query.top, (user) => user.position);
    return { items: page.items.map((user) => ({ ...this.userView(user), deletedDateTime: this.deletedUsers.get(lower(user.id))?.deletedDateTime ?? '' })), continueAfter: page.continueAfter };
  }

  /** Current users in insertion order (deleted ones skipped), for users/delta. */
  *usersInOrder(): Generator<{ position: number; user: GraphUser }> {
    for (const record of this.users) {
      if (this.usersById.get(lower(record.id)) === record) yield { position: record.position, user: this.userView(record) };
    }
  }

  userById(id: string): GraphUser | undefined {
    const record = this.usersById.get(lower(id));
    return record && this.userView(record);
  }

  listUsers(query: ListQuery): Page<GraphUser> {
    const matches = predicateFor(query.filter, USER_PROPERTIES);
    const after = query.after ?? -1;
    const page = takePage(this.userCandidates(query.filter, after), matches, query.top, (user) => user.position);
    return { items: page.items.map((user) => this.userView(user)), continueAfter: page.continueAfter };
  }

  private userCandidates(filter: EqualityClause[], after: number): Iterable<UserRecord> {
    const byKey = (records: Iterable<UserRecord>): UserRecord[] =>
      [...records].filter((user) => user.position > after).sort((a, b) => a.position - b.position);
    for (const clause of filter) {
      const values = (clause.anyOf ?? [clause.value]).filter((value): value is string => typeof value === 'string').map(lower);
      if (values.length === 0) continue;
      if (clause.property === 'id') return byKey(values.flatMap((value) => this.optional(this.usersById.get(value))));
      if (clause.property === 'userprincipalname') return byKey(values.flatMap((value) => this.optional(this.usersByUpn.get(value))));
      if (clause.property === 'employeeid') return byKey(values.flatMap((value) => [...(this.usersByEmployeeId.get(value) ?? [])]));
    }
    return this.usersAfter(after);
  }

  private *usersAfter(after: number): Generator<UserRecord> {
    for (let position = after + 1; position < this.users.length; position++) {
      const record = this.users[position] as UserRecord;
      // A deleted user keeps its slot (positions are paging keys) but is no longer listed.
      if (this.usersById.get(lower(record.id)) === record) yield record;
    }
  }

  private optional<T>(value: T | undefined): T[] {
    return value === undefined ? [] : [value];
  }

  private indexEmployeeId(user: UserRecord): void {
    if (user.employeeId === null) return;
    const key = lower(user.employeeId);
    const set = this.usersByEmployeeId.get(key) ?? new Set<UserRecord>();
    set.add(user);
    this.usersByEmployeeId.set(key, set);
  }

  private unindexEmployeeId(user: UserRecord): void {
    if (user.employeeId === null) return;
    this.usersByEmployeeId.get(lower(user.employeeId))?.delete(user);
  }

  private requireUser(idOrUpn: string): UserRecord {
    const key = lower(idOrUpn);
    const user = this.usersById.get(key) ?? this.usersByUpn.get(key);
    if (!user) throw notFound(idOrUpn);
    return user;
  }

  private userView(user: UserRecord): GraphUser {
    const { position: _position, otherMethods: _otherMethods, ...view } = user;
    return view;
  }

  // ---- inventory ----

  /**
   * Creates devices all-or-nothing (the `#$delta` bulk create and the control API use the same path):
   * a duplicate serial+manufacturer, an unknown or guest assignee, or a full user fails the whole batch.
   */
  createDevices(newDevices: NewDevice[]): HardwareOathDevice[] {
    const batchKeys = new Set<string>();
    const batchMethodsPerUser = new Map<string, number>();
    const assignees: Array<UserRecord | null> = newDevices.map((device) => {
      const key = deviceKey(device.serialNumber, device.manufacturer);
      if (this.devicesByKey.has(key) || batchKeys.has(key)) {
        throw conflict(`A hardware OATH token with serial number '${device.serialNumber}' from '${device.manufacturer}' already exists.`);
      }
      batchKeys.add(key);
      if (device.assignTo === null) return null;
      const user = this.requireUser(device.assignTo);
      const inBatch = (batchMethodsPerUser.get(user.id) ?? 0) + 1;
      this.checkCanReceiveToken(user, inBatch);
      batchMethodsPerUser.set(user.id, inBatch);
      return user;
    });
    const assignedDateTime = new Date(this.now()).toISOString();
    return newDevices.map((device, index) => {
      const record: DeviceRecord = {
        seq: this.nextSeq++,
        id: randomUUID(),
        displayName: device.displayName,
        serialNumber: device.serialNumber,
        manufacturer: device.manufacturer,
        model: device.model,
        secretKey: device.secretKey,
        timeIntervalInSeconds: device.timeIntervalInSeconds,
        hashFunction: device.hashFunction,
        status: 'available',
        assignedUserId: null,
        assignedDateTime: null,
        lastUsedDateTime: null,
        lastAcceptedStep: -1,
        learnedDriftSteps: 0,
        methodId: null,
        filterVisibleAt: this.now() + this.current.filterLagSeconds * 1000,
      };
      this.indexDevice(record);
      const assignee = assignees[index];
      if (assignee) this.attach(record, assignee, assignedDateTime);
      return this.deviceView(record);
    });
  }

  getDevice(id: string): HardwareOathDevice {
    return this.deviceView(this.requireDevice(id));
  }

  listDevices(query: ListQuery): Page<HardwareOathDevice> {
    const filtered = predicateFor(query.filter, DEVICE_PROPERTIES);
    const now = this.now();
    // Entra's filtered reads lag behind its writes: a new device may not show for a few seconds.
    const matches = query.filter.length === 0 ? filtered : (device: DeviceRecord) => device.filterVisibleAt <= now && filtered(device);
    const page = takePage(this.deviceCandidates(query.filter, query.after ?? 0), matches, query.top, (device) => device.seq);
    return { items: page.items.map((device) => this.deviceView(device)), continueAfter: page.continueAfter };
  }

  /** Only while unassigned, and only the properties Graph lets change. */
  updateDevice(id: string, changes: DeviceChanges): void {
    const device = this.requireDevice(id);
    if (device.assignedUserId !== null) throw badRequest('The hardware OATH token is assigned; unassign it before updating it.');
    if (changes.manufacturer !== undefined) {
      const key = deviceKey(device.serialNumber, changes.manufacturer);
      const existing = this.devicesByKey.get(key);
      if (existing && existing !== device) {
        throw conflict(`A hardware OATH token with serial number '${device.serialNumber}' from '${changes.manufacturer}' already exists.`);
      }
      this.devicesByKey.delete(deviceKey(device.serialNumber, device.manufacturer));
      device.manufacturer = changes.manufacturer;
      this.devicesByKey.set(key, device);
    }
    if (changes.displayName !== undefined) device.displayName = changes.displayName;
    if (changes.model !== undefined) device.model = changes.model;
    if (changes.timeIntervalInSeconds !== undefined) device.timeIntervalInSeconds = changes.timeIntervalInSeconds;
    if (changes.hashFunction !== undefined) device.hashFunction = changes.hashFunction;
  }

  deleteDevice(id: string): void {
    const device = this.requireDevice(id);
    if (device.assignedUserId !== null) throw badRequest('The hardware OATH token is assigned; unassign it before deleting it.');
    this.devicesById.delete(lower(device.id));
    this.devicesBySeq.delete(device.seq);
    this.devicesByKey.delete(deviceKey(device.serialNumber, device.manufacturer));
    const sameSerial = this.devicesBySerial.get(lower(device.serialNumber));
    sameSerial?.delete(device);
    if (sameSerial?.size === 0) this.devicesBySerial.delete(lower(device.serialNumber));
    this.allDevices.delete(device.seq);
    this.devicesByStatus.get(device.status)?.delete(device.seq);
  }

  private deviceCandidates(filter: EqualityClause[], after: number): Iterable<DeviceRecord> {
    const bySeq = (records: Iterable<DeviceRecord>): DeviceRecord[] =>
      [...records].filter((device) => device.seq > after).sort((a, b) => a.seq - b.seq);
    let statusIndex: SeqIndex | undefined;
    for (const clause of filter) {
      // An `in` term is matched by the predicate over the whole listing, not looked up by index.
      if (typeof clause.value !== 'string' || clause.anyOf) continue;
      const value = lower(clause.value);
      if (clause.property === 'id') return bySeq(this.optional(this.devicesById.get(value)));
      if (clause.property === 'serialnumber') return bySeq(this.devicesBySerial.get(value) ?? []);
      if (clause.property === 'assignedto/id') {
        // A deleted user's kept methods still name it.
        const user = this.usersById.get(value) ?? this.deletedUsers.get(value)?.user;
        return bySeq(user ? (this.devicesByUser.get(user.id) ?? []) : []);
      }
      if (clause.property === 'status') {
        const status = STATUSES.find((candidate) => lower(candidate) === value);
        statusIndex = (status && this.devicesByStatus.get(status)) ?? new SeqIndex();
      }
    }
    return this.recordsOf(statusIndex ?? this.allDevices, after);
  }

  private *recordsOf(index: SeqIndex, after: number): Generator<DeviceRecord> {
    for (const seq of index.after(after)) {
      const device = this.devicesBySeq.get(seq);
      if (device) yield device;
    }
  }

  private indexDevice(device: DeviceRecord): void {
    this.devicesById.set(lower(device.id), device);
    this.devicesBySeq.set(device.seq, device);
    this.devicesByKey.set(deviceKey(device.serialNumber, device.manufacturer), device);
    const serial = lower(device.serialNumber);
    const sameSerial = this.devicesBySerial.get(serial) ?? new Set<DeviceRecord>();
    sameSerial.add(device);
    this.devicesBySerial.set(serial, sameSerial);
    this.allDevices.add(device.seq);
    this.devicesByStatus.get(device.status)?.add(device.seq);
  }

  private setStatus(device: DeviceRecord, status: DeviceStatus): void {
    if (device.status === status) return;
    this.devicesByStatus.get(device.status)?.delete(device.seq);
    device.status = status;
    this.devicesByStatus.get(status)?.add(device.seq);
  }

  private requireDevice(id: string): DeviceRecord {
    const device = this.devicesById.get(lower(id));
    if (!device) throw notFound(id);
    return device;
  }

  private deviceView(device: DeviceRecord): HardwareOathDevice {
    const assignee = device.assignedUserId === null ? undefined : (this.usersById.get(lower(device.assignedUserId)) ?? this.deletedUsers.get(lower(device.assignedUserId))?.user);
    return {
      id: device.id,
      displayName: device.displayName,
      serialNumber: device.serialNumber,
      manufacturer: device.manufacturer,
      model: device.model,
      secretKey: null,
      timeIntervalInSeconds: device.timeIntervalInSeconds,
      status: device.status,
      ...(this.variants.lastUsed === 'absent' ? {} : { lastUsedDateTime: this.variants.lastUsed === 'null' ? null : device.lastUsedDateTime }),
      hashFunction: device.hashFunction,
      assignedTo: assignee ? { id: assignee.id, displayName: assignee.displayName } : null,
    };
  }

  // ---- per-user methods ----

  listMethods(userIdOrUpn: string): HardwareOathMethod[] {
    const user = this.requireUser(userIdOrUpn);
    return [...(this.devicesByUser.get(user.id) ?? [])].sort((a, b) => a.seq - b.seq).map((device) => this.methodView(device));
  }

  getMethod(userIdOrUpn: string, methodId: string): HardwareOathMethod {
    return this.methodView(this.requireMethod(this.requireUser(userIdOrUpn), methodId));
  }

  assign(userIdOrUpn: string, deviceId: string): HardwareOathMethod {
    const user = this.requireUser(userIdOrUpn);
    const device = this.requireDevice(deviceId);
    this.checkAssignable(device, user);
    this.attach(device, user, new Date(this.now()).toISOString());
    return this.methodView(device);
  }

  /**
   * A wrong code leaves the device assigned but `failedActivation`, as Entra does; a token that is already
   * activated keeps working (a retried activation with a stale code must not break a good token).
   */
  activate(userIdOrUpn: string, methodId: string, code: string): void {
    const device = this.requireMethod(this.requireUser(userIdOrUpn), methodId);
    const step = matchingTimeStep(device, code, this.now(), this.activationWindow(device), device.lastAcceptedStep);
    if (step === null) {
      if (device.status !== 'activated') this.setStatus(device, 'failedActivation');
      throw badRequest('The verification code is invalid.');
    }
    this.learnDrift(device, step);
    this.setStatus(device, 'activated');
  }

  /** Entra tolerates drift at activation and remembers it, so later sign-ins from a drifted token still work. */
  private learnDrift(device: DeviceRecord, step: number): void {
    device.lastAcceptedStep = step;
    device.learnedDriftSteps = step - Math.floor(this.now() / 1000 / device.timeIntervalInSeconds);
  }

  deactivate(userIdOrUpn: string, methodId: string): void {
    const device = this.requireMethod(this.requireUser(userIdOrUpn), methodId);
    this.setStatus(device, 'assigned');
  }

  unassign(userIdOrUpn: string, methodId: string): void {
    const user = this.requireUser(userIdOrUpn);
    this.detach(user, this.requireMethod(user, methodId));
  }

  private detach(user: UserRecord, device: DeviceRecord): void {
    this.devicesByUser.get(user.id)?.delete(device);
    device.assignedUserId = null;
    device.assignedDateTime = null;
    device.methodId = null;
    this.setStatus(device, 'available');
  }

  /**
   * Both steps or neither: a wrong code leaves the device unassigned and untouched; under the
   * leavesFailedActivation variant it stays assigned, failedActivation, as after assign + activate.
   */
  assignAndActivate(userIdOrUpn: string, deviceId: string, code: string): void {
    const user = this.requireUser(userIdOrUpn);
    this.assignAndActivateDevice(user, this.requireDevice(deviceId), code);
  }

  assignAndActivateBySerialNumber(userIdOrUpn: string, serialNumber: string, code: string): void {
    const user = this.requireUser(userIdOrUpn);
    const devices = [...(this.devicesBySerial.get(lower(serialNumber)) ?? [])];
    const device = devices[0];
    if (!device) throw notFound(serialNumber);
    if (devices.length > 1) throw badRequest(`Several hardware OATH tokens have serial number '${serialNumber}'; assign by device id.`);
    this.assignAndActivateDevice(user, device, code);
  }

  private assignAndActivateDevice(user: UserRecord, device: DeviceRecord, code: string): void {
    this.checkAssignable(device, user);
    const step = matchingTimeStep(device, code, this.now(), this.activationWindow(device), device.lastAcceptedStep);
    if (step === null) {
      if (this.current.assignAndActivate === 'leavesFailedActivation') {
        this.attach(device, user, new Date(this.now()).toISOString());
        this.setStatus(device, 'failedActivation');
      }
      throw badRequest('The verification code is invalid.');
    }
    this.attach(device, user, new Date(this.now()).toISOString());
    this.learnDrift(device, step);
    this.setStatus(device, 'activated');
  }

  private checkAssignable(device: DeviceRecord, user: UserRecord): void {
    if (device.assignedUserId !== null) throw badRequest('The hardware OATH token is already assigned to a user.');
    this.checkCanReceiveToken(user, 1);
  }

  private checkCanReceiveToken(user: UserRecord, adding: number): void {
    if (user.userType === 'Guest') throw badRequest('Hardware OATH tokens cannot be assigned to guest users.');
    const held = (this.devicesByUser.get(user.id)?.size ?? 0) + user.otherMethods;
    if (held + adding > MAX_METHODS_PER_USER) {
      throw badRequest(`The user already has the maximum of ${MAX_METHODS_PER_USER} OATH hardware tokens or authenticator applications.`);
    }
  }

  private attach(device: DeviceRecord, user: UserRecord, when: string): void {
    device.assignedUserId = user.id;
    device.methodId = this.current.methodId === 'distinct' ? randomUUID() : device.id;
    device.assignedDateTime = when;
    const held = this.devicesByUser.get(user.id) ?? new Set<DeviceRecord>();
    held.add(device);
    this.devicesByUser.set(user.id, held);
    this.setStatus(device, 'assigned');
  }

  private requireMethod(user: UserRecord, methodId: string): DeviceRecord {
    const wanted = lower(methodId);
    for (const device of this.devicesByUser.get(user.id) ?? []) {
      if (device.methodId !== null && lower(device.methodId) === wanted) return device;
    }
    throw notFound(methodId);
  }

  private methodView(device: DeviceRecord): HardwareOathMethod {
    return { id: device.methodId ?? device.id, createdDateTime: device.assignedDateTime, device: this.deviceView(device) };
  }

  /** Steps either side of now that activation accepts: wide, or about 2 minutes (narrow). */
  private activationWindow(device: DeviceRecord): number {
    return this.current.activationAllowance === 'narrow' ? Math.ceil(120 / device.timeIntervalInSeconds) : ACTIVATION_WINDOW_STEPS;
  }

  // ---- manager and mail ----

  /** Control API: sets (or with null clears) a user's manager. */
  setManager(userIdOrUpn: string, managerIdOrUpn: string | null): void {
    const user = this.requireUser(userIdOrUpn);
    if (managerIdOrUpn === null) this.managers.delete(user.id);
    else this.managers.set(user.id, this.requireUser(managerIdOrUpn).id);
  }

  /** GET /users/{id}/manager: 404 when none is set, as Graph answers. */
  managerOf(userIdOrUpn: string): GraphUser {
    const user = this.requireUser(userIdOrUpn);
    const managerId = this.managers.get(user.id);
    if (managerId === undefined) throw notFound('manager');
    return this.getUser(managerId);
  }

  /** POST /users/{from}/sendMail: the sender must be a user (a mailbox); the message is kept for the control API. */
  sendMail(fromIdOrUpn: string, mail: Omit<SentMail, 'from' | 'sentDateTime'>): void {
    const from = this.requireUser(fromIdOrUpn);
    if (mail.to.length === 0) throw badRequest('At least one recipient is required.', 'ErrorInvalidRecipients');
    this.sentMail.push({ ...mail, from: from.userPrincipalName, sentDateTime: new Date(this.now()).toISOString() });
  }

  mail(): SentMail[] {
    return [...this.sentMail];
  }

  // ---- Temporary Access Passes ----

  /**
   * POST .../temporaryAccessPassMethods: "a user can only have one Temporary Access Pass"; a new one
   * replaces the current one. Lifetime 10 to 43200 minutes; start now unless given.
   */
  createAccessPass(userIdOrUpn: string, request: { lifetimeInMinutes?: number; isUsableOnce?: boolean; startDateTime?: string }): TemporaryAccessPassView {
    const user = this.requireUser(userIdOrUpn);
    if (user.userType === 'Guest') throw badRequest('Temporary Access Pass cannot be added to an external guest user.');
    const lifetime = request.lifetimeInMinutes ?? DEFAULT_TAP_LIFETIME_MINUTES;
    if (!Number.isInteger(lifetime) || lifetime < 10 || lifetime > 43_200) throw badRequest('lifetimeInMinutes must be between 10 and 43200.');
    const now = new Date(this.now()).toISOString();
    let start = now;
    if (request.startDateTime !== undefined) {
      if (Number.isNaN(Date.parse(request.startDateTime))) throw badRequest('startDateTime is not a valid date and time.');
      start = new Date(request.startDateTime).toISOString();
    }
    const bytes = randomBytes(8);
    const record: AccessPassRecord = {
      id: randomUUID(),
      pass: [...bytes].map((byte) => TAP_ALPHABET[byte % TAP_ALPHABET.length]).join(''),
      createdDateTime: now,
      startDateTime: start,
      lifetimeInMinutes: lifetime,
      isUsableOnce: request.isUsableOnce ?? true,
      used: false,
    };
    const issued = this.accessPasses.get(user.id) ?? [];
    issued.push(record);
    this.accessPasses.set(user.id, issued);
    return { ...this.accessPassView(record), temporaryAccessPass: record.pass };
  }

  /** GET: the current pass, without the pass itself. */
  listAccessPasses(userIdOrUpn: string): TemporaryAccessPassView[] {
    const user = this.requireUser(userIdOrUpn);
    const current = this.accessPasses.get(user.id)?.at(-1);
    return current ? [this.accessPassView(current)] : [];
  }

  /** Control API: how many passes were ever issued to the user, and whether this one signs them in (once, within its lifetime). */
  accessPassSignIn(userIdOrUpn: string, pass: string): { ok: boolean; issued: number } {
    const key = lower(userIdOrUpn);
    const user = this.usersById.get(key) ?? this.usersByUpn.get(key);
    const issued = user ? (this.accessPasses.get(user.id) ?? []) : [];
    const current = issued.at(-1);
    if (!current || !this.isUsable(current)) return { ok: false, issued: issued.length };
    const wanted = Buffer.from(pass);
    const actual = Buffer.from(current.pass);
    if (wanted.length !== actual.length || !timingSafeEqual(wanted, actual)) return { ok: false, issued: issued.length };
    if (current.isUsableOnce) current.used = true;
    return { ok: true, issued: issued.length };
  }

  private isUsable(record: AccessPassRecord): boolean {
    const now = this.now();
    const start = Date.parse(record.startDateTime);
    return !record.used && now >= start && now < start + record.lifetimeInMinutes * 60_000;
  }

  private accessPassView(record: AccessPassRecord): TemporaryAccessPassView {
    const usable = this.isUsable(record);
    const reason = record.used ? 'OneTimeUsed' : this.now() < Date.parse(record.startDateTime) ? 'NotYetValid' : usable ? 'EnabledByPolicy' : 'Expired';
    return {
      '@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethod',
      id: record.id,
      temporaryAccessPass: null,
      createdDateTime: record.createdDateTime,
      startDateTime: record.startDateTime,
      lifetimeInMinutes: record.lifetimeInMinutes,
      isUsableOnce: record.isUsableOnce,
      isUsable: usable,
      methodUsabilityReason: reason,
    };
  }

  // ---- emulator facilities ----

  /**
   * Would Entra let this user sign in with this code? Needs an activated method, an enabled account and a
   * code within the sign-in window that was never accepted before (the accepted step is then remembered).
   */
  signIn(request: SignInRequest): SignInResult {
    const key = lower(request.userId);
    const user = this.usersById.get(key) ?? this.usersByUpn.get(key);
    if (!user) return { ok: false, reason: 'userNotFound' };
    if (!user.accountEnabled) return { ok: false, reason: 'accountDisabled' };
    const candidates = [...(this.devicesByUser.get(user.id) ?? [])].filter(
      (device) =>
        device.status === 'activated' &&
        (request.serialNumber === undefined || lower(device.serialNumber) === lower(request.serialNumber)),
    );
    if (candidates.length === 0) return { ok: false, reason: 'noActiveMethod' };
    if (!/^\d{6}$/.test(request.code)) return { ok: false, reason: 'invalidCode' };
    const now = this.now();
    for (const device of candidates) {
      const step = matchingTimeStep(device, request.code, now + device.learnedDriftSteps * device.timeIntervalInSeconds * 1000, SIGN_IN_WINDOW_STEPS, device.lastAcceptedStep);
      if (step === null) continue;
      device.lastAcceptedStep = step;
      device.lastUsedDateTime = new Date(now).toISOString();
      return { ok: true, deviceId: device.id };
    }
    return { ok: false, reason: 'invalidCode' };
  }

  /** Counts in O(1); device lists only for a named serial or user. */
  state(lookup: { serial?: string; user?: string } = {}): EmulatorState {
    const devicesByStatus = Object.fromEntries(
      STATUSES.map((status) => [status, this.devicesByStatus.get(status)?.size ?? 0]),
    ) as Record<DeviceStatus, number>;
    const state: EmulatorState = { users: this.usersById.size, devices: this.allDevices.size, devicesByStatus };
    if (lookup.serial !== undefined || lookup.user !== undefined) {
      let devices = lookup.serial === undefined ? undefined : [...(this.devicesBySerial.get(lower(lookup.serial)) ?? [])];
      let user: GraphUser | undefined;
      if (lookup.user !== undefined) {
        const key = lower(lookup.user);
        const record = this.usersById.get(key) ?? this.usersByUpn.get(key);
        user = record && this.userView(record);
        const held = record ? [...(this.devicesByUser.get(record.id) ?? [])] : [];
        devices = devices === undefined ? held : devices.filter((device) => held.includes(device));
      }
      state.matches = {
        devices: (devices ?? []).sort((a, b) => a.seq - b.seq).map((device) => this.deviceView(device)),
        ...(user ? { user } : {}),
      };
    }
    return state;
  }
}

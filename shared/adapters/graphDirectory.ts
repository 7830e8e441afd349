import type { Client as GraphClient } from '@microsoft/microsoft-graph-client';
import { redactSeeds } from '../domain/seed';
import { directoryBusyFor, DirectoryRefusal, HeldByDeletedAccount, type AccessPasses, type DepartedAccount, type DepartedAccounts, type DeviceCatalog, type EntraAccount, type DeviceListing, type Directory, type Mailer, type Managers, type EntraDevice, type EntraUser, type NewEntraDevice, type TemporaryAccessPass, type UserLookup } from '../ports';

/**
 * Entra ID through Microsoft Graph's beta hardware OATH endpoints. 429 and 503/504 are retried by the
 * Graph client (honouring Retry-After); what is still failing after that throws, so a queue message
 * is retried by the host. A 4xx that retrying cannot fix becomes a DirectoryRefusal.
 *
 * The docs leave several answers open (docs/local-stack.md, "Graph emulator variants"), and each is accepted here:
 * a device flat or nested under `device`; a `#$delta` answer that names every device, some, or none;
 * a per-user method id equal to the device id or not; a write saved although its answer was a 5xx
 * (the client then sends it again and gets a refusal); a new device missing from `$filter` for a while.
 * Refusals are told apart by status and code, and a write that was refused is checked against what
 * Entra now shows before it is reported.
 */

const DEVICES = '/directory/authenticationMethodDevices/hardwareOathDevices';
const methodsOf = (userId: string) => `/users/${encodeURIComponent(userId)}/authentication/hardwareOathMethods`;
const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;
/** How many devices one `#$delta` request carries. */
const DELTA_CHUNK = 100;
/** Pauses between lookups of a device that should exist but is not in `$filter` results yet. */
export const LOOKUP_RETRY_DELAYS_MS: readonly number[] = [500, 1000, 2000, 4000];

export interface GraphDirectoryOptions {
  lookupRetryDelaysMs?: readonly number[];
  sleep?: (ms: number) => Promise<void>;
}

interface GraphErrorShape {
  statusCode?: unknown;
  code?: unknown;
  message?: unknown;
}

function refusalOf(error: unknown): DirectoryRefusal | undefined {
  const { statusCode, code, message } = (error ?? {}) as GraphErrorShape;
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500 || statusCode === 429 || statusCode === 408) return undefined;
  return new DirectoryRefusal(statusCode, typeof code === 'string' ? code : 'unknown', redactSeeds(typeof message === 'string' ? message : 'refused'));
}

/** Runs a Graph call; a permanent refusal is rethrown as DirectoryRefusal, anything else as is. */
export async function call<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw refusalOf(error) ?? error;
  }
}

const isNotFound = (error: unknown): boolean => error instanceof DirectoryRefusal && error.status === 404;

type Json = Record<string, unknown>;
const isJson = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown, fallback = ''): string => (typeof value === 'string' ? value : fallback);
const sameSerial = (a: string, b: string) => a.toUpperCase() === b.toUpperCase();

/** The device of an answer item: the item itself, or (as the docs' examples show) nested under `device`. */
function deviceJson(raw: unknown): Json | undefined {
  if (!isJson(raw)) return undefined;
  const inner = isJson(raw.device) ? raw.device : raw;
  return typeof inner.id === 'string' && typeof inner.serialNumber === 'string' ? inner : undefined;
}

function toDevice(raw: Json): EntraDevice {
  const assignedTo = raw.assignedTo as { id?: string; displayName?: string } | null | undefined;
  return {
    id: text(raw.id),
    serialNumber: text(raw.serialNumber),
    manufacturer: text(raw.manufacturer),
    model: text(raw.model),
    status: raw.status as EntraDevice['status'],
    timeIntervalInSeconds: Number(raw.timeIntervalInSeconds),
    hashFunction: text(raw.hashFunction, 'hmacsha1'),
    ...(assignedTo?.id ? { assignedTo: { id: assignedTo.id, ...(assignedTo.displayName ? { displayName: assignedTo.displayName } : {}) } } : {}),
    ...('lastUsedDateTime' in raw ? { lastUsedDateTime: typeof raw.lastUsedDateTime === 'string' && raw.lastUsedDateTime !== '' ? raw.lastUsedDateTime : null } : {}),
  };
}

const devicesIn = (answer: unknown): EntraDevice[] => {
  const value = isJson(answer) && Array.isArray(answer.value) ? (answer.value as unknown[]) : [];
  return value.map(deviceJson).filter((d): d is Json => d !== undefined).map(toDevice);
};

function toUser(raw: Json): EntraUser {
  return {
    id: text(raw.id),
    userPrincipalName: text(raw.userPrincipalName),
    ...(typeof raw.displayName === 'string' ? { displayName: raw.displayName } : {}),
    ...(typeof raw.employeeId === 'string' ? { employeeId: raw.employeeId } : {}),
    ...(typeof raw.userType === 'string' ? { userType: raw.userType } : {}),
  };
}

const USER_FIELDS = 'id,userPrincipalName,displayName,employeeId,userType';
/** What a leaver check reads of an account. */
const ACCOUNT_FIELDS = `${USER_FIELDS},accountEnabled,employeeHireDate`;
/** Deleted users, as directory/deletedItems casts them (directory-deleteditems-list.md). */
const DELETED_USERS = '/directory/deletedItems/microsoft.graph.user';
/** Graph's known issues: an `in` filter is limited to 15 expressions by default. */
export const UPNS_PER_LOOKUP = 15;
export const EMPLOYEE_IDS_PER_LOOKUP = 15;
/** How long a lookup by employeeId waits for others (concurrent hires) to share its request. */
const EMPLOYEE_ID_GATHER_MS = 5;

/** Graph's default page of hardwareOathDevices; reconciliation reads the tenant this many at a time. */
export const DEVICE_PAGE_SIZE = 100;

/** One of a user's hardwareOathMethods: its own id, and the device it stands for. */
interface UserMethod {
  methodId: string;
  deviceId: string;
  status?: EntraDevice['status'];
}

type CreateResult = { ok: true; device: EntraDevice } | { ok: false; error: DirectoryRefusal };

export function graphDirectory(graph: GraphClient, options: GraphDirectoryOptions = {}): Directory & DeviceCatalog & DeviceListing & DepartedAccounts & AccessPasses & Mailer & Managers & UserLookup {
  const delays = options.lookupRetryDelaysMs ?? LOOKUP_RETRY_DELAYS_MS;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  /** Method ids learnt from assign answers, by user and device: the docs' example returns one unlike the device id. */
  const methodIds = new Map<string, string>();
  const methodKey = (userId: string, deviceId: string) => `${userId.toLowerCase()}\n${deviceId.toLowerCase()}`;

  const lookUp = async (serialNumber: string): Promise<EntraDevice | undefined> => {
    const page = (await call(() => graph.api(DEVICES).filter(`serialNumber eq ${quote(serialNumber)}`).get())) as unknown;
    return devicesIn(page).find((d) => sameSerial(d.serialNumber, serialNumber));
  };

  /** With `expectExisting`, a miss is asked again with backoff: a device just created may not show in `$filter` yet. */
  const findDeviceBySerial = async (serialNumber: string, lookup: { expectExisting?: boolean } = {}): Promise<EntraDevice | undefined> => {
    let found = await lookUp(serialNumber);
    for (const delay of lookup.expectExisting ? delays : []) {
      if (found) break;
      await sleep(delay);
      found = await lookUp(serialNumber);
    }
    return found;
  };

  /** One device by POST. A refusal may mean it exists already (a saved write answered 5xx, then sent again): look before reporting. */
  const createOne = async (device: NewEntraDevice): Promise<CreateResult> => {
    try {
      const answer = (await call(() => graph.api(DEVICES).post(device))) as unknown;
      const created = deviceJson(answer);
      if (created && sameSerial(text(created.serialNumber), device.serialNumber)) return { ok: true, device: toDevice(created) };
      const found = await findDeviceBySerial(device.serialNumber, { expectExisting: true });
      if (found) return { ok: true, device: found };
      throw new Error(`Entra answered the creation of ${device.serialNumber} without the device, and does not list it`);
    } catch (error) {
      if (!(error instanceof DirectoryRefusal)) throw error;
      const found = await findDeviceBySerial(device.serialNumber, { expectExisting: error.status === 409 });
      return found ? { ok: true, device: found } : { ok: false, error };
    }
  };

  const createChunk = async (chunk: NewEntraDevice[]): Promise<CreateResult[]> => {
    let answer: unknown;
    let refused = false;
    try {
      answer = await call(() =>
        graph.api(DEVICES).patch({ '@context': '#$delta', value: chunk.map((device, index) => ({ '@contentId': String(index + 1), ...device })) }),
      );
    } catch (error) {
      // Graph still throttling or unavailable after the client's retries: a hundred single creates would
      // only add to it. The caller stops; the rows resume, and find what may have been saved, next time.
      if (directoryBusyFor(error) !== undefined) throw error;
      // A failed batch may still be applied in part (refused midway, or saved and then answered 5xx):
      // each device is then created, or found, on its own.
      refused = true;
    }
    const named = devicesIn(answer);
    const results: CreateResult[] = [];
    for (const device of chunk) {
      const known = named.find((d) => sameSerial(d.serialNumber, device.serialNumber));
      if (known) {
        results.push({ ok: true, device: known });
        continue;
      }
      // A success that does not name the device (204, an empty or shortened body): it should exist.
      const found = refused ? undefined : await findDeviceBySerial(device.serialNumber, { expectExisting: true });
      results.push(found ? { ok: true, device: found } : await createOne(device));
    }
    return results;
  };

  const devicePage = async (nextLink?: string, pageSize = DEVICE_PAGE_SIZE): Promise<{ devices: EntraDevice[]; nextLink?: string }> => {
    const page = (await call(() => (nextLink ? graph.api(nextLink) : graph.api(DEVICES).top(pageSize)).get())) as Json;
    const next = page['@odata.nextLink'];
    return { devices: devicesIn(page), ...(typeof next === 'string' && next !== '' ? { nextLink: next } : {}) };
  };

  /**
   * Lookups by employeeId asked at about the same time (hires worked on side by side) share one
   * `employeeId in (...)` request, up to 15 ids; each gets its own answer: the one account that carries
   * the id, 'ambiguous' when two do, undefined when none does.
   */
  type EmployeeLookup = { employeeId: string; resolve: (user: EntraUser | 'ambiguous' | undefined) => void; reject: (error: unknown) => void };
  let gathering: EmployeeLookup[] = [];
  let gatherTimer: ReturnType<typeof setTimeout> | undefined;
  const lookUpEmployees = async (batch: EmployeeLookup[]): Promise<void> => {
    try {
      const ids = [...new Set(batch.map((lookup) => lookup.employeeId.toLowerCase()))];
      const byId = new Map<string, EntraUser[]>();
      const values = ids.map((id) => encodeURIComponent(quote(id))).join(',');
      let page = (await call(() => graph.api('/users').filter(`employeeId in (${values})`).select(USER_FIELDS).top(999).get())) as Json;
      for (;;) {
        for (const raw of Array.isArray(page.value) ? (page.value as unknown[]) : []) {
          if (!isJson(raw)) continue;
          const user = toUser(raw);
          const key = user.employeeId?.toLowerCase();
          if (key !== undefined) byId.set(key, [...(byId.get(key) ?? []), user]);
        }
        const next = page['@odata.nextLink'];
        if (typeof next !== 'string' || next === '') break;
        page = (await call(() => graph.api(next).get())) as Json;
      }
      for (const lookup of batch) {
        const users = byId.get(lookup.employeeId.toLowerCase()) ?? [];
        lookup.resolve(users.length > 1 ? 'ambiguous' : users[0]);
      }
    } catch (error) {
      for (const lookup of batch) lookup.reject(error);
    }
  };
  const sendGathered = (): void => {
    if (gatherTimer) clearTimeout(gatherTimer);
    gatherTimer = undefined;
    const batch = gathering;
    gathering = [];
    if (batch.length > 0) void lookUpEmployees(batch);
  };
  const findUserByEmployeeId = (employeeId: string): Promise<EntraUser | 'ambiguous' | undefined> =>
    new Promise((resolve, reject) => {
      gathering.push({ employeeId, resolve, reject });
      if (gathering.length >= EMPLOYEE_IDS_PER_LOOKUP) sendGathered();
      else gatherTimer ??= setTimeout(sendGathered, EMPLOYEE_ID_GATHER_MS);
    });

  /** 'no_account' when the user is not found: deleted (its methods may still be kept with it) or never there. */
  const userMethods = async (userId: string): Promise<UserMethod[] | 'no_account'> => {
    let page: unknown;
    try {
      page = await call(() => graph.api(methodsOf(userId)).get() as Promise<unknown>);
    } catch (error) {
      if (isNotFound(error)) return 'no_account';
      throw error;
    }
    const value = isJson(page) && Array.isArray(page.value) ? (page.value as unknown[]) : [];
    return value.filter(isJson).map((item) => {
      const device = isJson(item.device) ? item.device : item;
      const status = device.status as EntraDevice['status'] | undefined;
      return { methodId: text(item.id), deviceId: text(device.id, text(item.id)), ...(status ? { status } : {}) };
    });
  };

  const findMethod = (userId: string, deviceId: string, methods: UserMethod[]): UserMethod | undefined => {
    const method = methods.find((m) => m.deviceId.toLowerCase() === deviceId.toLowerCase());
    if (method?.methodId) methodIds.set(methodKey(userId, deviceId), method.methodId);
    return method;
  };

  /** The user's method for the device; undefined when the user has none for it, or is not found. */
  const methodOf = async (userId: string, deviceId: string): Promise<UserMethod | undefined> => {
    const methods = await userMethods(userId);
    return methods === 'no_account' ? undefined : findMethod(userId, deviceId, methods);
  };

  /**
   * Runs a per-user call on the method of `deviceId`: with the method id learnt from assign, else the
   * device id; a 404 lists the user's methods to find the right id. 'not-assigned' when the user has no
   * method for it, 'no_account' when the user is not found (deleted).
   */
  const onMethod = async <T>(userId: string, deviceId: string, work: (methodPath: string) => Promise<T>): Promise<T | 'not-assigned' | 'no_account'> => {
    const guess = methodIds.get(methodKey(userId, deviceId)) ?? deviceId;
    const path = (methodId: string) => `${methodsOf(userId)}/${encodeURIComponent(methodId)}`;
    try {
      return await call(() => work(path(guess)));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    const methods = await userMethods(userId);
    if (methods === 'no_account') return 'no_account';
    const method = findMethod(userId, deviceId, methods);
    if (!method?.methodId || method.methodId === guess) return 'not-assigned';
    return call(() => work(path(method.methodId)));
  };

  /**
   * A deleted user may still hold the device (Entra keeps a deleted user's resources until it is purged),
   * where no per-user call reaches it: the device says whose it is.
   */
  const refuseIfHeldByDeleted = async (userId: string, deviceId: string): Promise<void> => {
    let raw: unknown;
    try {
      raw = await call(() => graph.api(`${DEVICES}/${encodeURIComponent(deviceId)}`).get() as Promise<unknown>);
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    const device = deviceJson(raw);
    const holder = device ? toDevice(device).assignedTo?.id : undefined;
    if (holder?.toLowerCase() === userId.toLowerCase()) throw new HeldByDeletedAccount(userId, deviceId);
  };

  /** Every page of a collection: `first`, then its @odata.nextLink until there is none. */
  async function* pagesOf(first: () => Promise<unknown>): AsyncGenerator<Json[]> {
    let link: string | undefined;
    do {
      const current = link;
      const page: unknown = await call<unknown>(() => (current ? (graph.api(current).get() as Promise<unknown>) : first()));
      yield isJson(page) && Array.isArray(page.value) ? (page.value as unknown[]).filter(isJson) : [];
      const next = isJson(page) ? page['@odata.nextLink'] : undefined;
      link = typeof next === 'string' && next !== '' ? next : undefined;
    } while (link);
  }

  /** A method's device: nested under `device` as the docs show; read by id when the answer left it out. */
  const deviceOfMethod = async (item: Json): Promise<EntraDevice | undefined> => {
    const nested = deviceJson(item);
    if (nested) return toDevice(nested);
    const id = isJson(item.device) ? text(item.device.id, text(item.id)) : text(item.id);
    if (!id) return undefined;
    try {
      const device = deviceJson(await call(() => graph.api(`${DEVICES}/${encodeURIComponent(id)}`).get() as Promise<unknown>));
      return device ? toDevice(device) : undefined;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };

  const notAssigned = (deviceId: string) => new DirectoryRefusal(404, 'Request_ResourceNotFound', `the user holds no method for device ${deviceId}`);

  return {
    findDeviceBySerial,

    devicePage,

    async *devicePages(pageSize = DEVICE_PAGE_SIZE) {
      let link: string | undefined;
      do {
        const page = await devicePage(link, pageSize);
        yield page.devices;
        link = page.nextLink;
      } while (link);
    },

    async createDevices(devices) {
      const results = [];
      for (let start = 0; start < devices.length; start += DELTA_CHUNK) {
        results.push(...(await createChunk(devices.slice(start, start + DELTA_CHUNK))));
      }
      return results;
    },

    async deleteDevice(deviceId) {
      try {
        await call(() => graph.api(`${DEVICES}/${encodeURIComponent(deviceId)}`).delete());
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },

    async findUserByUpn(userPrincipalName) {
      try {
        return toUser((await call(() => graph.api(`/users/${encodeURIComponent(userPrincipalName)}`).select(USER_FIELDS).get())) as Json);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    findUserByEmployeeId,

    /** `userPrincipalName in (...)`, 15 at a time (user resource: userPrincipalName supports `in`). */
    async findUsersByUpn(userPrincipalNames) {
      const wanted = [...new Set(userPrincipalNames.map((upn) => upn.toLowerCase()))];
      const found = new Map<string, EntraUser>();
      for (let start = 0; start < wanted.length; start += UPNS_PER_LOOKUP) {
        const chunk = wanted.slice(start, start + UPNS_PER_LOOKUP);
        // The SDK puts $filter in the URL as it is: a UPN's '#' (a guest's #EXT#) or '+' must be escaped here.
        const values = chunk.map((upn) => encodeURIComponent(quote(upn))).join(',');
        const page = (await call(() => graph.api('/users').filter(`userPrincipalName in (${values})`).select(USER_FIELDS).top(UPNS_PER_LOOKUP).get())) as { value?: Json[] };
        for (const raw of page.value ?? []) {
          const user = toUser(raw);
          if (chunk.includes(user.userPrincipalName.toLowerCase())) found.set(user.userPrincipalName.toLowerCase(), user);
        }
      }
      return found;
    },

    async assign(userId, deviceId) {
      try {
        const answer = (await call(() => graph.api(methodsOf(userId)).post({ device: { id: deviceId } }))) as unknown;
        if (isJson(answer) && typeof answer.id === 'string') methodIds.set(methodKey(userId, deviceId), answer.id);
      } catch (error) {
        // Saved by an earlier send whose answer was lost: the user holds the method already.
        if (!(error instanceof DirectoryRefusal) || !(await methodOf(userId, deviceId))) throw error;
      }
    },

    async assignAndActivate(userId, deviceId, verificationCode) {
      try {
        await call(() => graph.api(`${methodsOf(userId)}/assignAndActivate`).post({ device: { id: deviceId }, verificationCode }) as Promise<unknown>);
      } catch (error) {
        if (!(error instanceof DirectoryRefusal) || (await methodOf(userId, deviceId))?.status !== 'activated') throw error;
      }
    },

    async activate(userId, deviceId, verificationCode) {
      try {
        const done = await onMethod(userId, deviceId, (path) => graph.api(`${path}/activate`).post({ verificationCode }) as Promise<unknown>);
        if (done === 'not-assigned' || done === 'no_account') throw notAssigned(deviceId);
      } catch (error) {
        if (!(error instanceof DirectoryRefusal) || (await methodOf(userId, deviceId))?.status !== 'activated') throw error;
      }
    },

    async deactivate(userId, deviceId) {
      try {
        // Documented without a request body.
        const done = await onMethod(userId, deviceId, (path) => graph.api(`${path}/deactivate`).post(undefined) as Promise<unknown>);
        if (done === 'not-assigned' || done === 'no_account') throw notAssigned(deviceId);
      } catch (error) {
        if (!(error instanceof DirectoryRefusal) || (await methodOf(userId, deviceId))?.status !== 'assigned') throw error;
      }
    },

    async unassign(userId, deviceId) {
      let done: unknown;
      try {
        done = await onMethod(userId, deviceId, (path) => graph.api(path).delete() as Promise<unknown>);
      } catch (error) {
        if (!(error instanceof DirectoryRefusal) || (await methodOf(userId, deviceId))) throw error;
      }
      // Only a user Graph does not find costs the look at the device.
      if (done === 'no_account') await refuseIfHeldByDeleted(userId, deviceId);
      methodIds.delete(methodKey(userId, deviceId));
    },

    async methodDevicesOf(userId) {
      const devices: EntraDevice[] = [];
      try {
        for await (const items of pagesOf(() => graph.api(methodsOf(userId)).get() as Promise<unknown>)) {
          for (const item of items) {
            const device = await deviceOfMethod(item);
            if (device) devices.push(device);
          }
        }
      } catch (error) {
        if (isNotFound(error)) return 'no_account';
        throw error;
      }
      return devices;
    },

    async findUserById(userId) {
      try {
        const raw = (await call(() => graph.api(`/users/${encodeURIComponent(userId)}`).select(ACCOUNT_FIELDS).get())) as Json;
        const account: EntraAccount = toUser(raw);
        if (typeof raw.accountEnabled === 'boolean') account.accountEnabled = raw.accountEnabled;
        if (typeof raw.employeeHireDate === 'string') account.employeeHireDate = raw.employeeHireDate;
        return account;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async *departedPages(now) {
      for await (const items of pagesOf(() => graph.api(DELETED_USERS).select('id').top(DEVICE_PAGE_SIZE).get() as Promise<unknown>)) {
        yield items.filter((item) => typeof item.id === 'string').map((item): DepartedAccount => ({ id: text(item.id), why: 'deleted' }));
      }
      const disabled = () => graph.api('/users').filter('accountEnabled eq false').select('id,employeeHireDate').top(DEVICE_PAGE_SIZE).get() as Promise<unknown>;
      for await (const items of pagesOf(disabled)) {
        // An account disabled before its hire date waits for its first day (provisioned ahead), it has not left.
        const hiredBy = (item: Json) => typeof item.employeeHireDate !== 'string' || Date.parse(item.employeeHireDate) <= now.getTime();
        yield items.filter((item) => typeof item.id === 'string' && hiredBy(item)).map((item): DepartedAccount => ({ id: text(item.id), why: 'disabled' }));
      }
    },

    async send(from, to, subject, content) {
      await call(() =>
        graph.api(`/users/${encodeURIComponent(from)}/sendMail`).post({
          message: { subject, body: { contentType: 'Text', content }, toRecipients: to.map((address) => ({ emailAddress: { address } })) },
          saveToSentItems: false,
        }),
      );
    },

    async managerAddressOf(user) {
      try {
        const manager = (await call(() => graph.api(`/users/${encodeURIComponent(user)}/manager`).select('id,mail,userPrincipalName').get())) as Record<string, unknown>;
        const address = typeof manager.mail === 'string' && manager.mail !== '' ? manager.mail : manager.userPrincipalName;
        return typeof address === 'string' && address !== '' ? address : undefined;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async temporaryAccessPassesOf(userId) {
      const page = (await call(() => graph.api(`/users/${encodeURIComponent(userId)}/authentication/temporaryAccessPassMethods`).get())) as { value?: unknown[] };
      return (page.value ?? []).filter(isJson).map((item) => ({
        id: text(item.id),
        startDateTime: text(item.startDateTime, text(item.createdDateTime)),
        lifetimeInMinutes: Number(item.lifetimeInMinutes),
        ...(typeof item.methodUsabilityReason === 'string' ? { usabilityReason: item.methodUsabilityReason } : {}),
      }));
    },

    async issueTemporaryAccessPass(userId, lifetimeInMinutes): Promise<TemporaryAccessPass> {
      const created = (await call(() =>
        graph.api(`/users/${encodeURIComponent(userId)}/authentication/temporaryAccessPassMethods`).post({ lifetimeInMinutes, isUsableOnce: true }),
      )) as Record<string, unknown>;
      if (typeof created.temporaryAccessPass !== 'string' || created.temporaryAccessPass === '') throw new Error('Graph created a Temporary Access Pass but answered none');
      return {
        id: text(created.id),
        temporaryAccessPass: created.temporaryAccessPass,
        startDateTime: text(created.startDateTime, text(created.createdDateTime)),
        lifetimeInMinutes: Number(created.lifetimeInMinutes ?? lifetimeInMinutes),
        isUsableOnce: created.isUsableOnce !== false,
      };
    },
  };
}

import type { Client as GraphClient } from '@microsoft/microsoft-graph-client';
import { redactSeeds } from '../domain/seed';
import { directoryBusyFor, DirectoryRefusal, type AccessPasses, type DeviceCatalog, type DeviceListing, type Directory, type Mailer, type Managers, type EntraDevice, type EntraUser, type NewEntraDevice, type TemporaryAccessPass } from '../ports';

/**
 * Entra ID through Microsoft Graph's beta hardware OATH endpoints. 429 and 503/504 are retried by the
 * Graph client (honouring Retry-After); what is still failing after that throws, so a queue message
 * is retried by the host. A 4xx that retrying cannot fix becomes a DirectoryRefusal.
 *
 * The docs leave several answers open (README, "Graph emulator variants"), and each is accepted here:
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

/** Graph's default page of hardwareOathDevices; reconciliation reads the tenant this many at a time. */
export const DEVICE_PAGE_SIZE = 100;

/** One of a user's hardwareOathMethods: its own id, and the device it stands for. */
interface UserMethod {
  methodId: string;
  deviceId: string;
  status?: EntraDevice['status'];
}

type CreateResult = { ok: true; device: EntraDevice } | { ok: false; error: DirectoryRefusal };

export function graphDirectory(graph: GraphClient, options: GraphDirectoryOptions = {}): Directory & DeviceCatalog & DeviceListing & AccessPasses & Mailer & Managers {
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

  /** Two results are enough to know the answer is not one account. */
  const findUser = async (filter: string): Promise<EntraUser | 'ambiguous' | undefined> => {
    const page = (await call(() => graph.api('/users').filter(filter).select(USER_FIELDS).top(2).get())) as { value?: Json[] };
    const [first, second] = page.value ?? [];
    if (second) return 'ambiguous';
    return first ? toUser(first) : undefined;
  };

  const userMethods = async (userId: string): Promise<UserMethod[]> => {
    let page: unknown;
    try {
      page = await call(() => graph.api(methodsOf(userId)).get() as Promise<unknown>);
    } catch (error) {
      // A deleted user holds no methods.
      if (isNotFound(error)) return [];
      throw error;
    }
    const value = isJson(page) && Array.isArray(page.value) ? (page.value as unknown[]) : [];
    return value.filter(isJson).map((item) => {
      const device = isJson(item.device) ? item.device : item;
      const status = device.status as EntraDevice['status'] | undefined;
      return { methodId: text(item.id), deviceId: text(device.id, text(item.id)), ...(status ? { status } : {}) };
    });
  };

  const methodOf = async (userId: string, deviceId: string): Promise<UserMethod | undefined> => {
    const method = (await userMethods(userId)).find((m) => m.deviceId.toLowerCase() === deviceId.toLowerCase());
    if (method?.methodId) methodIds.set(methodKey(userId, deviceId), method.methodId);
    return method;
  };

  /**
   * Runs a per-user call on the method of `deviceId`: with the method id learnt from assign, else the
   * device id; a 404 lists the user's methods to find the right id. 'not-assigned' when the user has no method for it.
   */
  const onMethod = async <T>(userId: string, deviceId: string, work: (methodPath: string) => Promise<T>): Promise<T | 'not-assigned'> => {
    const guess = methodIds.get(methodKey(userId, deviceId)) ?? deviceId;
    const path = (methodId: string) => `${methodsOf(userId)}/${encodeURIComponent(methodId)}`;
    try {
      return await call(() => work(path(guess)));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    const method = await methodOf(userId, deviceId);
    if (!method?.methodId || method.methodId === guess) return 'not-assigned';
    return call(() => work(path(method.methodId)));
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

    findUserByEmployeeId: (employeeId) => findUser(`employeeId eq ${quote(employeeId)}`),

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
        if (done === 'not-assigned') throw notAssigned(deviceId);
      } catch (error) {
        if (!(error instanceof DirectoryRefusal) || (await methodOf(userId, deviceId))?.status !== 'activated') throw error;
      }
    },

    async deactivate(userId, deviceId) {
      try {
        // Documented without a request body.
        const done = await onMethod(userId, deviceId, (path) => graph.api(`${path}/deactivate`).post(undefined) as Promise<unknown>);
        if (done === 'not-assigned') throw notAssigned(deviceId);
      } catch (error) {
        if (!(error instanceof DirectoryRefusal) || (await methodOf(userId, deviceId))?.status !== 'assigned') throw error;
      }
    },

    async unassign(userId, deviceId) {
      try {
        await onMethod(userId, deviceId, (path) => graph.api(path).delete() as Promise<unknown>);
      } catch (error) {
        if (!(error instanceof DirectoryRefusal) || (await methodOf(userId, deviceId))) throw error;
      }
      methodIds.delete(methodKey(userId, deviceId));
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

import type { Client as GraphClient } from '@microsoft/microsoft-graph-client';
import { redactSeeds } from '../domain/seed';
import { DirectoryRefusal, type AccessPasses, type DeviceCatalog, type Directory, type EntraDevice, type EntraUser, type NewEntraDevice, type TemporaryAccessPass } from '../ports';

/**
 * Entra ID through Microsoft Graph's beta hardware OATH endpoints. 429 and 503/504 are retried by the
 * Graph client (honouring Retry-After); what is still failing after that throws, so a queue message
 * is retried by the host. A 4xx that retrying cannot fix becomes a DirectoryRefusal.
 */

const DEVICES = '/directory/authenticationMethodDevices/hardwareOathDevices';
const methodsOf = (userId: string) => `/users/${encodeURIComponent(userId)}/authentication/hardwareOathMethods`;
const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;
/** How many devices one `#$delta` request carries. */
const DELTA_CHUNK = 100;

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
async function call<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw refusalOf(error) ?? error;
  }
}

const isNotFound = (error: unknown): boolean => error instanceof DirectoryRefusal && error.status === 404;

const text = (value: unknown, fallback = ''): string => (typeof value === 'string' ? value : fallback);

function toDevice(raw: Record<string, unknown>): EntraDevice {
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

function toUser(raw: Record<string, unknown>): EntraUser {
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

interface DevicePage {
  value?: Record<string, unknown>[];
  '@odata.nextLink'?: unknown;
}

export function graphDirectory(graph: GraphClient): Directory & DeviceCatalog & AccessPasses {
  const createOne = async (device: NewEntraDevice): Promise<EntraDevice> =>
    toDevice((await call(() => graph.api(DEVICES).post(device))) as Record<string, unknown>);

  const findDeviceBySerial = async (serialNumber: string): Promise<EntraDevice | undefined> => {
    const page = (await call(() => graph.api(DEVICES).filter(`serialNumber eq ${quote(serialNumber)}`).get())) as { value?: Record<string, unknown>[] };
    const match = (page.value ?? []).map(toDevice).find((d) => d.serialNumber.toUpperCase() === serialNumber.toUpperCase());
    return match;
  };

  const createChunk = async (chunk: NewEntraDevice[]): Promise<({ ok: true; device: EntraDevice } | { ok: false; error: DirectoryRefusal })[]> => {
    let created: EntraDevice[] = [];
    try {
      const answer = (await call(() =>
        graph.api(DEVICES).patch({ '@context': '#$delta', value: chunk.map((device, index) => ({ '@contentId': String(index + 1), ...device })) }),
      )) as { value?: Record<string, unknown>[] } | undefined;
      created = (answer?.value ?? []).filter((item) => typeof item.id === 'string').map(toDevice);
    } catch (error) {
      // One bad device fails the whole delta request: fall back to one by one to learn which.
      if (!(error instanceof DirectoryRefusal)) throw error;
    }
    const bySerial = new Map(created.map((d) => [d.serialNumber.toUpperCase(), d]));
    const results: ({ ok: true; device: EntraDevice } | { ok: false; error: DirectoryRefusal })[] = [];
    for (const device of chunk) {
      const known = bySerial.get(device.serialNumber.toUpperCase()) ?? (created.length > 0 ? await findDeviceBySerial(device.serialNumber) : undefined);
      if (known) {
        results.push({ ok: true, device: known });
        continue;
      }
      try {
        results.push({ ok: true, device: await createOne(device) });
      } catch (error) {
        if (!(error instanceof DirectoryRefusal)) throw error;
        results.push({ ok: false, error });
      }
    }
    return results;
  };

  const findUser = async (filter: string): Promise<EntraUser | undefined> => {
    const page = (await call(() => graph.api('/users').filter(filter).select(USER_FIELDS).get())) as { value?: Record<string, unknown>[] };
    const first = page.value?.[0];
    return first ? toUser(first) : undefined;
  };

  return {
    findDeviceBySerial,

    async *devicePages(pageSize = DEVICE_PAGE_SIZE) {
      let page = (await call(() => graph.api(DEVICES).top(pageSize).get())) as DevicePage;
      for (;;) {
        yield (page.value ?? []).map(toDevice);
        const next = page['@odata.nextLink'];
        if (typeof next !== 'string' || next === '') return;
        page = (await call(() => graph.api(next).get())) as DevicePage;
      }
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
        return toUser((await call(() => graph.api(`/users/${encodeURIComponent(userPrincipalName)}`).select(USER_FIELDS).get())) as Record<string, unknown>);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    findUserByEmployeeId: (employeeId) => findUser(`employeeId eq ${quote(employeeId)}`),

    async assign(userId, deviceId) {
      await call(() => graph.api(methodsOf(userId)).post({ device: { id: deviceId } }));
    },

    async assignAndActivate(userId, deviceId, verificationCode) {
      await call(() => graph.api(`${methodsOf(userId)}/assignAndActivate`).post({ device: { id: deviceId }, verificationCode }));
    },

    async activate(userId, deviceId, verificationCode) {
      await call(() => graph.api(`${methodsOf(userId)}/${encodeURIComponent(deviceId)}/activate`).post({ verificationCode }));
    },

    async deactivate(userId, deviceId) {
      await call(() => graph.api(`${methodsOf(userId)}/${encodeURIComponent(deviceId)}/deactivate`).post({}));
    },

    async unassign(userId, deviceId) {
      try {
        await call(() => graph.api(`${methodsOf(userId)}/${encodeURIComponent(deviceId)}`).delete());
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
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

import { GraphApiError, badRequest } from './errors';
import type { HashFunction, SeedUser, UserType } from './types';

/** Request bodies turned into checked values. Messages name fields, never echo secret values. */

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function requireObject(value: unknown, what: string): JsonObject {
  if (!isObject(value)) throw badRequest(`${what} must be a JSON object.`, 'BadRequest');
  return value;
}

const invalidProperty = (property: string, resource: string): GraphApiError =>
  new GraphApiError(400, 'Request_BadRequest', `Invalid value specified for property '${property}' of resource '${resource}'.`);

function requireString(body: JsonObject, property: string, resource: string): string {
  const value = body[property];
  if (typeof value !== 'string' || value.trim() === '') throw invalidProperty(property, resource);
  return value.trim();
}

function optionalString(body: JsonObject, property: string, resource: string): string | null {
  const value = body[property];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalidProperty(property, resource);
  return value;
}

function rejectUnknownProperties(body: JsonObject, allowed: ReadonlySet<string>, type: string): void {
  for (const key of Object.keys(body)) {
    // Instance annotations (@odata.type, @contentId) are allowed on any payload.
    if (!key.startsWith('@') && !allowed.has(key)) {
      throw new GraphApiError(400, 'Request_BadRequest', `Property '${key}' does not exist on type '${type}'.`);
    }
  }
}

const DEVICE_TYPE = 'microsoft.graph.hardwareOathTokenAuthenticationMethodDevice';
const DEVICE_PROPERTIES = new Set([
  'serialNumber',
  'manufacturer',
  'model',
  'secretKey',
  'timeIntervalInSeconds',
  'hashFunction',
  'displayName',
  'assignTo',
]);
const DEVICE_UPDATABLE = new Set(['displayName', 'manufacturer', 'model', 'timeIntervalInSeconds', 'hashFunction']);

export const BASE32_SEED = /^[A-Z2-7]{1,128}$/;
const EMPLOYEE_ID_MAX_LENGTH = 16;

export interface NewDevice {
  serialNumber: string;
  manufacturer: string;
  model: string;
  secretKey: string;
  timeIntervalInSeconds: 30 | 60;
  hashFunction: HashFunction;
  displayName: string | null;
  /** User id or userPrincipalName to assign the new device to. */
  assignTo: string | null;
}

export interface DeviceChanges {
  displayName?: string | null;
  manufacturer?: string;
  model?: string;
  timeIntervalInSeconds?: 30 | 60;
  hashFunction?: HashFunction;
}

function interval(value: unknown): 30 | 60 {
  // Token2's seed files carry the interval as a string ("30"); Graph accepts both.
  const seconds = typeof value === 'string' ? Number(value) : value;
  if (seconds === 30 || seconds === 60) return seconds;
  throw badRequest('timeIntervalInSeconds must be 30 or 60.');
}

function hashFunction(value: unknown): HashFunction {
  if (value === undefined || value === null) return 'hmacsha1';
  const normalised = typeof value === 'string' ? value.toLowerCase() : value;
  if (normalised === 'hmacsha1' || normalised === 'hmacsha256') return normalised;
  throw badRequest('hashFunction must be hmacsha1 or hmacsha256.');
}

export function parseNewDevice(raw: unknown): NewDevice {
  const body = requireObject(raw, 'The device');
  rejectUnknownProperties(body, DEVICE_PROPERTIES, DEVICE_TYPE);
  const resource = 'hardwareOathTokenAuthenticationMethodDevice';
  const serialNumber = requireString(body, 'serialNumber', resource);
  const secretKey = body.secretKey;
  if (typeof secretKey !== 'string' || !BASE32_SEED.test(secretKey)) {
    throw badRequest(`The secret key of device '${serialNumber}' must be Base32 (A-Z, 2-7) of at most 128 characters.`);
  }
  let assignTo: string | null = null;
  if (body.assignTo !== undefined && body.assignTo !== null) {
    const target = requireObject(body.assignTo, 'assignTo');
    assignTo = requireString(target, 'id', 'identity');
  }
  return {
    serialNumber,
    manufacturer: requireString(body, 'manufacturer', resource),
    model: requireString(body, 'model', resource),
    secretKey,
    timeIntervalInSeconds: interval(body.timeIntervalInSeconds),
    hashFunction: hashFunction(body.hashFunction),
    displayName: optionalString(body, 'displayName', resource),
    assignTo,
  };
}

export function parseDeviceChanges(raw: unknown): DeviceChanges {
  const body = requireObject(raw, 'The update');
  for (const key of Object.keys(body)) {
    if (key.startsWith('@')) continue;
    if (DEVICE_PROPERTIES.has(key) && !DEVICE_UPDATABLE.has(key)) {
      throw badRequest(`Property '${key}' cannot be updated; only ${[...DEVICE_UPDATABLE].join(', ')} can.`);
    }
  }
  rejectUnknownProperties(body, DEVICE_UPDATABLE, DEVICE_TYPE);
  const resource = 'hardwareOathTokenAuthenticationMethodDevice';
  const changes: DeviceChanges = {};
  if ('displayName' in body) changes.displayName = optionalString(body, 'displayName', resource);
  if ('manufacturer' in body) changes.manufacturer = requireString(body, 'manufacturer', resource);
  if ('model' in body) changes.model = requireString(body, 'model', resource);
  if ('timeIntervalInSeconds' in body) changes.timeIntervalInSeconds = interval(body.timeIntervalInSeconds);
  if ('hashFunction' in body) changes.hashFunction = hashFunction(body.hashFunction);
  return changes;
}

export interface NewUser {
  id: string | null;
  accountEnabled: boolean;
  displayName: string;
  mailNickname: string;
  userPrincipalName: string;
  employeeId: string | null;
  userType: UserType;
  /** Lifecycle attributes (DateTimeOffset as ISO text) and the office, when given. */
  employeeHireDate?: string | null;
  employeeLeaveDateTime?: string | null;
  officeLocation?: string | null;
}

export interface UserChanges {
  accountEnabled?: boolean;
  displayName?: string;
  employeeId?: string | null;
  employeeHireDate?: string | null;
  employeeLeaveDateTime?: string | null;
  officeLocation?: string | null;
}

const LIFECYCLE_PROPERTIES = ['employeeHireDate', 'employeeLeaveDateTime', 'officeLocation'] as const;

/** employeeHireDate and employeeLeaveDateTime are DateTimeOffset; Graph answers them normalised to UTC. */
function lifecycleFields(body: JsonObject): Pick<UserChanges, (typeof LIFECYCLE_PROPERTIES)[number]> {
  const fields: Pick<UserChanges, (typeof LIFECYCLE_PROPERTIES)[number]> = {};
  for (const property of LIFECYCLE_PROPERTIES) {
    if (!(property in body)) continue;
    const value = optionalString(body, property, 'User');
    if (property === 'officeLocation' || value === null) {
      fields[property] = value;
      continue;
    }
    const instant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(instant)) throw invalidProperty(property, 'User');
    fields[property] = new Date(instant).toISOString().replace('.000Z', 'Z');
  }
  return fields;
}

function userType(value: unknown): UserType {
  if (value === undefined || value === null) return 'Member';
  if (value === 'Member' || value === 'Guest') return value;
  throw invalidProperty('userType', 'User');
}

function employeeId(body: JsonObject): string | null {
  const value = optionalString(body, 'employeeId', 'User');
  if (value !== null && value.length > EMPLOYEE_ID_MAX_LENGTH) throw invalidProperty('employeeId', 'User');
  return value;
}

function userPrincipalName(body: JsonObject): string {
  const upn = requireString(body, 'userPrincipalName', 'User');
  if (!/^[^@\s]+@[^@\s]+$/.test(upn)) throw invalidProperty('userPrincipalName', 'User');
  return upn;
}

const USER_CREATE_PROPERTIES = new Set([
  'accountEnabled',
  'displayName',
  'mailNickname',
  'userPrincipalName',
  'passwordProfile',
  'employeeId',
  'userType',
  'givenName',
  'surname',
  'jobTitle',
  'department',
  'officeLocation',
  'usageLocation',
  'employeeHireDate',
  'employeeLeaveDateTime',
]);

/** POST /users: Graph requires accountEnabled, displayName, mailNickname, userPrincipalName and passwordProfile. */
export function parseCreateUser(raw: unknown): NewUser {
  const body = requireObject(raw, 'The user');
  rejectUnknownProperties(body, USER_CREATE_PROPERTIES, 'microsoft.graph.user');
  if (typeof body.accountEnabled !== 'boolean') throw invalidProperty('accountEnabled', 'User');
  const passwordProfile = body.passwordProfile;
  if (!isObject(passwordProfile) || typeof passwordProfile.password !== 'string' || passwordProfile.password === '') {
    throw invalidProperty('passwordProfile', 'User');
  }
  return {
    id: null,
    accountEnabled: body.accountEnabled,
    displayName: requireString(body, 'displayName', 'User'),
    mailNickname: requireString(body, 'mailNickname', 'User'),
    userPrincipalName: userPrincipalName(body),
    employeeId: employeeId(body),
    userType: userType(body.userType),
    ...lifecycleFields(body),
  };
}

/** A seeded user (control API): only displayName and userPrincipalName are needed. */
export function parseSeedUser(raw: unknown): NewUser {
  const body = requireObject(raw, 'A seeded user') as JsonObject & Partial<SeedUser>;
  const upn = userPrincipalName(body);
  const accountEnabled = body.accountEnabled ?? true;
  if (typeof accountEnabled !== 'boolean') throw invalidProperty('accountEnabled', 'User');
  return {
    id: optionalString(body, 'id', 'User'),
    accountEnabled,
    displayName: requireString(body, 'displayName', 'User'),
    mailNickname: optionalString(body, 'mailNickname', 'User') ?? upn.split('@')[0] ?? upn,
    userPrincipalName: upn,
    employeeId: employeeId(body),
    userType: userType(body.userType),
    ...lifecycleFields(body),
  };
}

export function parseUserChanges(raw: unknown): UserChanges {
  const body = requireObject(raw, 'The update');
  rejectUnknownProperties(body, new Set(['accountEnabled', 'displayName', 'employeeId', ...LIFECYCLE_PROPERTIES]), 'microsoft.graph.user');
  const changes: UserChanges = {};
  if ('accountEnabled' in body) {
    if (typeof body.accountEnabled !== 'boolean') throw invalidProperty('accountEnabled', 'User');
    changes.accountEnabled = body.accountEnabled;
  }
  if ('displayName' in body) changes.displayName = requireString(body, 'displayName', 'User');
  if ('employeeId' in body) changes.employeeId = employeeId(body);
  return { ...changes, ...lifecycleFields(body) };
}

export function parseVerificationCode(raw: unknown): string {
  if (typeof raw !== 'string' || !/^\d{6}$/.test(raw)) throw badRequest('verificationCode must be a 6-digit code.');
  return raw;
}

export function parseDeviceReference(raw: unknown): string {
  const device = requireObject(raw, 'device');
  if (typeof device.id !== 'string' || device.id === '') throw badRequest('device.id is required.');
  return device.id;
}

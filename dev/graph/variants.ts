import { badRequest } from './errors';
import { isObject, requireObject } from './inputs';
import { DEFAULT_VARIANTS, type GraphVariants, type HardwareOathDevice } from './types';

function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw badRequest(`${name} must be one of ${allowed.join(', ')}.`, 'BadRequest');
}

function count(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw badRequest(`${name} must be a non-negative integer.`, 'BadRequest');
  return value;
}

/** Checks a POST /_emulator/variants body: the fields given replace the current ones, the rest stay. */
export function parseVariants(raw: unknown, current: GraphVariants = DEFAULT_VARIANTS): GraphVariants {
  const body = requireObject(raw, 'Variants');
  const known = new Set(Object.keys(DEFAULT_VARIANTS));
  for (const key of Object.keys(body)) if (!known.has(key)) throw badRequest(`Unknown variant '${key}'.`, 'BadRequest');
  const next = structuredClone(current);
  if (body.delta !== undefined) next.delta = oneOf(body.delta, 'delta', ['flat200', 'nested201', 'empty204', 'partial']);
  if (body.list !== undefined) next.list = oneOf(body.list, 'list', ['flat', 'nested']);
  if (body.methodId !== undefined) next.methodId = oneOf(body.methodId, 'methodId', ['device', 'distinct']);
  if (body.savedThen5xx !== undefined) {
    const saved = isObject(body.savedThen5xx) ? body.savedThen5xx : {};
    next.savedThen5xx = { post: count(saved.post ?? 0, 'savedThen5xx.post'), patch: count(saved.patch ?? 0, 'savedThen5xx.patch') };
  }
  if (body.filterLagSeconds !== undefined) {
    const lag = body.filterLagSeconds;
    if (typeof lag !== 'number' || !Number.isFinite(lag) || lag < 0) throw badRequest('filterLagSeconds must be a non-negative number.', 'BadRequest');
    next.filterLagSeconds = lag;
  }
  if (body.activationAllowance !== undefined) next.activationAllowance = oneOf(body.activationAllowance, 'activationAllowance', ['wide', 'narrow']);
  if (body.assignAndActivate !== undefined) next.assignAndActivate = oneOf(body.assignAndActivate, 'assignAndActivate', ['atomic', 'leavesFailedActivation']);
  if (body.throttle !== undefined) next.throttle = oneOf(body.throttle, 'throttle', ['identity', 'oathGlobalOnly', 'singleBucket']);
  if (body.tenantSize !== undefined) next.tenantSize = oneOf(body.tenantSize, 'tenantSize', ['fromUsers', 'small', 'medium', 'large']);
  if (body.lastUsed !== undefined) next.lastUsed = oneOf(body.lastUsed, 'lastUsed', ['present', 'absent', 'null']);
  if (body.deletedUserMethods !== undefined) next.deletedUserMethods = oneOf(body.deletedUserMethods, 'deletedUserMethods', ['kept', 'dropped']);
  return next;
}

/**
 * A device as the list, get and `#$delta` answers carry it: itself, or (as the docs' examples show) a
 * hardwareOathAuthenticationMethod with the device nested under `device` and the device's id on top.
 */
export function deviceItem(device: HardwareOathDevice, shape: 'flat' | 'nested'): Record<string, unknown> {
  if (shape === 'flat') return { ...device };
  return { '@odata.type': '#microsoft.graph.hardwareOathAuthenticationMethod', id: device.id, device };
}

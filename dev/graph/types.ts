/** Wire shapes of the Graph emulator: what the API and the control API answer. */
import type { TenantSize, ThrottleModel } from './throttle';


export type DeviceStatus = 'available' | 'assigned' | 'activated' | 'failedActivation';
export type HashFunction = 'hmacsha1' | 'hmacsha256';
export type UserType = 'Member' | 'Guest';

export interface GraphUser {
  id: string;
  accountEnabled: boolean;
  displayName: string;
  mailNickname: string;
  userPrincipalName: string;
  mail: string | null;
  employeeId: string | null;
  userType: UserType;
  createdDateTime: string;
  employeeHireDate: string | null;
  employeeLeaveDateTime: string | null;
  officeLocation: string | null;
}

export interface HardwareOathDevice {
  id: string;
  displayName: string | null;
  serialNumber: string;
  manufacturer: string;
  model: string;
  /** Write-only in Graph: always null on reads. */
  secretKey: null;
  timeIntervalInSeconds: 30 | 60;
  status: DeviceStatus;
  /** Absent under the lastUsed variant 'absent' (a tenant that does not show it). */
  lastUsedDateTime?: string | null;
  hashFunction: HashFunction;
  assignedTo: { id: string; displayName: string } | null;
}

/** A message sendMail accepted, as the control API shows it. */
export interface SentMail {
  from: string;
  to: string[];
  subject: string;
  contentType: string;
  content: string;
  sentDateTime: string;
}

/** temporaryAccessPassAuthenticationMethod: the pass is present only in the answer to its creation. */
export interface TemporaryAccessPassView {
  '@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethod';
  id: string;
  temporaryAccessPass: string | null;
  createdDateTime: string;
  startDateTime: string;
  lifetimeInMinutes: number;
  isUsableOnce: boolean;
  isUsable: boolean;
  methodUsabilityReason: string;
}

export interface HardwareOathMethod {
  id: string;
  createdDateTime: string | null;
  device: HardwareOathDevice;
}

/** A user for POST /_emulator/users; everything but displayName and userPrincipalName has a default. */
export interface SeedUser {
  id?: string;
  displayName: string;
  userPrincipalName: string;
  mailNickname?: string;
  employeeId?: string | null;
  userType?: UserType;
  accountEnabled?: boolean;
  employeeHireDate?: string | null;
  employeeLeaveDateTime?: string | null;
  officeLocation?: string | null;
  /** Authenticator apps and software OATH tokens the user already has: they count towards Entra's limit of five. */
  otherMethods?: number;
}

/** A device as Graph accepts it on create (and in a `#$delta` document). */
export interface DeviceInput {
  serialNumber: string;
  manufacturer: string;
  model: string;
  secretKey: string;
  timeIntervalInSeconds: number | string;
  hashFunction?: HashFunction;
  displayName?: string | null;
  assignTo?: { id: string } | null;
}

export interface FaultSettings {
  /** Added before every /beta answer. */
  latencyMs?: number;
  /** The next `count` /beta requests fail with `status`; with `route` ("METHOD kind" as stats names it), only requests to it. */
  failNext?: { status: 429 | 500 | 503; count: number; retryAfterSeconds?: number; route?: string };
  /** Each /beta request fails with `status` with this probability. */
  failRate?: { status: 429 | 500 | 503; probability: number; retryAfterSeconds?: number };
  /** Token bucket: `requests` per `windowMs`; beyond it, 429 with Retry-After. */
  throttle?: { requests: number; windowMs: number };
}

export interface EmulatorStats {
  /** /beta (and /v1.0) requests seen, by "METHOD routeKind", e.g. "GET devices". */
  requests: Record<string, number>;
  /** Answers by status code. */
  statuses: Record<string, number>;
  /** 429 answers sent, whether injected or from the throttle. */
  throttled: number;
  /** Failures injected by failNext/failRate, by status. */
  injected: Record<string, number>;
  /** Requests that arrived while a 429's Retry-After was still running: a client that honours it sends none. */
  duringRetryAfter: number;
}

export interface EmulatorState {
  users: number;
  devices: number;
  devicesByStatus: Record<DeviceStatus, number>;
  /** Present when the query named a serial or a user. */
  matches?: { devices: HardwareOathDevice[]; user?: GraphUser };
}

export interface SignInRequest {
  /** Object id or userPrincipalName. */
  userId: string;
  serialNumber?: string;
  code: string;
}

export interface SignInResult {
  ok: boolean;
  /** Why a sign-in failed. A code already used (at activation or an earlier sign-in) is an invalidCode. */
  reason?: 'userNotFound' | 'accountDisabled' | 'noActiveMethod' | 'invalidCode';
  deviceId?: string;
}

/**
 * Readings of Graph that the docs leave open, one per alternative (docs/local-stack.md, "Graph emulator variants").
 * Each default is the likeliest reading; tests run the product against the others.
 */
export interface GraphVariants {
  /** The answer to a `#$delta` bulk create: flat devices (200), methods with the device nested (201, the docs' example), no body (204), or applied in part. */
  delta: 'flat200' | 'nested201' | 'empty204' | 'partial';
  /** Items of device lists and gets: the device itself, or a method with the device nested under `device` (the docs' examples). */
  list: 'flat' | 'nested';
  /** A per-user method id equal to the device id, or distinct from it (the assign example). */
  methodId: 'device' | 'distinct';
  /** The next `post` POSTs and `patch` PATCHes are saved, then answered 504 (the client retries them). */
  savedThen5xx: { post: number; patch: number };
  /** A device created or changed shows in `$filter` results only this many seconds later. */
  filterLagSeconds: number;
  /** Drift allowed at activation: wide (10 steps either way) or narrow (about 2 minutes). */
  activationAllowance: 'wide' | 'narrow';
  /** A wrong code in assignAndActivate changes nothing (all-or-nothing), or leaves the device assigned, failedActivation. */
  assignAndActivate: 'atomic' | 'leavesFailedActivation';
  /**
   * Which limits throttle (docs/graph-throttling.md): the documented identity limits on every request,
   * hardware OATH under the global limit only (the rest under the identity limits), or only the single
   * bucket set through /_emulator/faults. That bucket, when set, applies under every model.
   */
  throttle: ThrottleModel;
  /** The tenant size that sets the identity resource-unit quota; by default from the users in the store. */
  tenantSize: TenantSize;
  /**
   * A device's lastUsedDateTime: set by a sign-in with its code (present; the docs' examples show it, null
   * until used), always null, or left out of the answer (the resource page does not list it).
   */
  lastUsed: 'present' | 'absent' | 'null';
  /**
   * A deleted user's hardware OATH methods (docs/leavers.md), which the docs do not name. Kept, the default:
   * the device stays assigned to the deleted account, out of reach of the per-user routes (404, as for
   * anything under a deleted user) and of device deletion (it is assigned), and a restore brings the account
   * back holding it; user-delete.md says a deleted user's resources are kept with it, "if the user is
   * restored within 30 days, these objects are restored to them", and freed only when it is purged.
   * Dropped: the methods go with the account.
   */
  deletedUserMethods: 'kept' | 'dropped';
}

export const DEFAULT_VARIANTS: GraphVariants = {
  delta: 'flat200',
  list: 'flat',
  methodId: 'device',
  savedThen5xx: { post: 0, patch: 0 },
  filterLagSeconds: 0,
  activationAllowance: 'wide',
  assignAndActivate: 'atomic',
  throttle: 'identity',
  tenantSize: 'fromUsers',
  lastUsed: 'present',
  deletedUserMethods: 'kept',
};

import { rootCertificates } from 'node:tls';
import type {
  DeviceInput,
  EmulatorState,
  EmulatorStats,
  FaultSettings,
  GraphUser,
  GraphVariants,
  SeedUser,
  SentMail,
  SignInRequest,
  SignInResult,
} from './types';
import { requestText } from '../net';
import type { LifecycleCallback, LifecycleSettings } from './lifecycleTasks';
import type { UserDeltaSettings } from './usersDelta';

export type { DeviceInput, EmulatorState, EmulatorStats, FaultSettings, GraphUser, GraphVariants, SeedUser, SignInRequest, SignInResult };

/** A typed client of the emulator's /_emulator control API (no bearer token needed). */
export interface GraphEmulatorControl {
  /** Adds users at once (all or none); answers them with their ids. */
  seedUsers(users: SeedUser[]): Promise<GraphUser[]>;
  /** Adds groups (Graph's group shape; `id` may be given) at once, for settings that name a group before it exists. */
  seedGroups(groups: Record<string, unknown>[]): Promise<{ id: string; displayName: string }[]>;
  /** Adds inventory devices at once (all or none), bypassing the Graph API and its faults. */
  seedDevices(devices: DeviceInput[]): Promise<{ created: number; ids: string[] }>;
  /** Forgets all users, devices, faults and stats. */
  reset(): Promise<void>;
  setFaults(faults: FaultSettings): Promise<void>;
  clearFaults(): Promise<void>;
  faults(): Promise<FaultSettings>;
  stats(): Promise<EmulatorStats>;
  /** Switches readings the docs leave open (docs/local-stack.md, "Graph emulator variants"); fields not given stay. */
  setVariants(variants: Partial<GraphVariants>): Promise<void>;
  /** Back to the default reading of each. */
  clearVariants(): Promise<void>;
  variants(): Promise<GraphVariants>;
  /** Counts; with `serial` or `user`, also the matching devices. */
  state(lookup?: { serial?: string; user?: string }): Promise<EmulatorState>;
  /**
   * Would Entra let the user sign in with this code? Needs an activated method and an unused code within
   * +-1 min (30 s tokens) / +-2 min (60 s). The code accepted at activation counts as used, so a test signs
   * in with the code of another time step (e.g. the next one).
   */
  signIn(request: SignInRequest): Promise<SignInResult>;
  /** Changes a user as an admin would in Entra (accountEnabled, employeeHireDate, employeeLeaveDateTime, officeLocation...). */
  updateUser(idOrUpn: string, changes: Partial<Pick<SeedUser, 'accountEnabled' | 'displayName' | 'employeeId' | 'employeeHireDate' | 'employeeLeaveDateTime' | 'officeLocation'>>): Promise<void>;
  /** Deletes a user: users/delta then answers it as @removed; its hardware OATH methods as the deletedUserMethods variant says. */
  deleteUser(idOrUpn: string): Promise<void>;
  /** Restores a deleted user by object id, as POST directory/deletedItems/{id}/restore does (with the methods it kept). */
  restoreUser(id: string): Promise<GraphUser>;
  /** Sets a group's direct members (users or groups), creating the group when it is not there yet: /groups, transitiveMemberOf and checkMemberGroups all answer from it. */
  setGroupMembers(groupId: string, userIds: string[]): Promise<void>;
  /** users/delta variants; `expireTokens` makes every token issued so far answer 410 Gone. */
  usersDelta(settings: Partial<UserDeltaSettings> & { expireTokens?: boolean }): Promise<void>;
  /** A Lifecycle Workflows run (a new one unless `runId` names one) reached a custom task for `subjectId`: this task processing result waits in progress for its resume call. */
  startTaskProcessingResult(result: { workflowId: string; taskId: string; id: string; subjectId?: string; runId?: string }): Promise<void>;
  /** The result ends without a resume call (the extension timed out, or an admin cancelled the run). */
  finishTaskProcessingResult(result: { workflowId: string; taskId: string; id: string; processingStatus: 'completed' | 'failed' }): Promise<void>;
  lifecycleCallbacks(): Promise<LifecycleCallback[]>;
  lifecycleSettings(settings: LifecycleSettings): Promise<void>;
  /** Sets (or with null clears) a user's manager, for GET /users/{id}/manager. */
  setManager(userId: string, managerId: string | null): Promise<void>;
  /** Every message sendMail accepted, oldest first. */
  mail(): Promise<SentMail[]>;
  /** Would this Temporary Access Pass sign the user in (it is then spent when one-time)? `issued`: passes ever issued to the user. */
  accessPassSignIn(request: { userId: string; temporaryAccessPass: string }): Promise<{ ok: boolean; issued: number }>;
}

export class GraphEmulatorControlError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`Graph emulator control call failed with ${status}: ${body}`);
    this.name = 'GraphEmulatorControlError';
  }
}

/**
 * `baseUrl` is the emulator's url (https://127.0.0.1:PORT). `caCertPem` adds the dev CA to the trusted roots;
 * without it the process must trust the CA through NODE_EXTRA_CA_CERTS.
 */
export function graphEmulatorControl(baseUrl: string, options: { caCertPem?: string } = {}): GraphEmulatorControl {
  const ca = options.caCertPem === undefined ? undefined : [...rootCertificates, options.caCertPem];

  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const { status, text } = await requestText(method, new URL(`/_emulator/${path}`, baseUrl), body, ca);
    if (status >= 400) throw new GraphEmulatorControlError(status, text);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };

  return {
    seedUsers: async (users) => (await call<{ value: GraphUser[] }>('POST', 'users', { users })).value,
    seedDevices: (devices) => call('POST', 'devices', { devices }),
    seedGroups: async (groups) => (await call<{ value: { id: string; displayName: string }[] }>('POST', 'groups', { groups })).value,
    reset: () => call('POST', 'reset'),
    setFaults: (faults) => call('POST', 'faults', faults),
    clearFaults: () => call('DELETE', 'faults'),
    faults: () => call('GET', 'faults'),
    stats: () => call('GET', 'stats'),
    setVariants: (variants) => call('POST', 'variants', variants),
    clearVariants: () => call('DELETE', 'variants'),
    variants: () => call('GET', 'variants'),
    state: (lookup = {}) => {
      const query = new URLSearchParams();
      if (lookup.serial !== undefined) query.set('serial', lookup.serial);
      if (lookup.user !== undefined) query.set('user', lookup.user);
      const suffix = query.size > 0 ? `?${query.toString()}` : '';
      return call('GET', `state${suffix}`);
    },
    signIn: (request) => call('POST', 'signin', request),
    updateUser: (idOrUpn, changes) => call('PATCH', `users/${encodeURIComponent(idOrUpn)}`, changes),
    deleteUser: (idOrUpn) => call('DELETE', `users/${encodeURIComponent(idOrUpn)}`),
    restoreUser: (id) => call('POST', `users/${encodeURIComponent(id)}/restore`),
    setGroupMembers: (groupId, userIds) => call('PUT', `groups/${encodeURIComponent(groupId)}`, { members: userIds }),
    usersDelta: (settings) => call('POST', 'users-delta', settings),
    startTaskProcessingResult: (result) => call('POST', 'lifecycle/taskProcessingResults', result),
    finishTaskProcessingResult: (result) => call('POST', 'lifecycle/finished', result),
    lifecycleCallbacks: async () => (await call<{ value: LifecycleCallback[] }>('GET', 'lifecycle/callbacks')).value,
    lifecycleSettings: (settings) => call('POST', 'lifecycle/settings', settings),
    accessPassSignIn: (request) => call('POST', 'tapsignin', request),
    setManager: (userId, managerId) => call('POST', 'manager', { userId, managerId }),
    mail: async () => (await call<{ value: SentMail[] }>('GET', 'mail')).value,
  };
}

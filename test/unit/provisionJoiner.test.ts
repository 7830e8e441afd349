import type { HrQueueMessage } from '../../shared/domain/hrEvent';
import { handleHrEvent } from '../../shared/workflows/handleHrEvent';
import { generateSeed, totpCode } from '../../shared/domain/seed';
import { isHeld, type TokenRecord } from '../../shared/domain/token';
import {
  DirectoryRefusal,
  HeldByDeletedAccount,
  type AuditEntry,
  type Directory,
  type EntraDevice,
  type EntraUser,
  type Inventory,
  type ProvisioningRecord,
  type ProvisioningStore,
  type SeedVault,
} from '../../shared/ports';
import {
  JOINER_STEPS,
  ProvisioningGaveUp,
  provisionJoiner,
  recordTermination,
  recordUpdate,
  type Delivery,
  type JoinerDeps,
  type JoinerStep,
} from '../../shared/workflows/provisionJoiner';
import { targetCheck } from '../../shared/workflows/targetCheck';

/* ---------- plain-object fakes of the ports ---------- */

const NOW = new Date('2026-03-02T10:00:00Z');

function fakeInventory(initial: TokenRecord[]) {
  const rows = new Map<string, TokenRecord>();
  let version = 0;
  const store = (record: TokenRecord): TokenRecord => {
    const stored = { ...record, etag: `"${++version}"` };
    rows.set(record.serialNumber.toUpperCase(), stored);
    return { ...stored };
  };
  for (const token of initial) store(token);
  /** Lets a test answer 'conflict' to a replace, as a concurrent writer would cause. */
  let conflictOn: ((record: TokenRecord) => boolean) | undefined;
  const inventory: Inventory = {
    async get(serial) {
      const row = rows.get(serial.toUpperCase());
      return row ? { ...row } : undefined;
    },
    async add(record) {
      if (rows.has(record.serialNumber.toUpperCase())) return 'exists';
      return store(record);
    },
    async replace(record) {
      const row = rows.get(record.serialNumber.toUpperCase());
      if (!row || row.etag !== record.etag) return 'conflict';
      if (conflictOn?.(record)) {
        store(row);
        return 'conflict';
      }
      return store(record);
    },
    async remove(record) {
      const row = rows.get(record.serialNumber.toUpperCase());
      if (!row || row.etag !== record.etag) return 'conflict';
      rows.delete(record.serialNumber.toUpperCase());
      return 'removed';
    },
    async list(filter, page) {
      const matching = [...rows.values()]
        .filter((t) => (filter.status ? t.status === filter.status : true))
        .filter((t) => (filter.pool !== undefined ? t.pool === filter.pool : true))
        .filter((t) => (filter.user ? t.employeeId === filter.user || t.userPrincipalName === filter.user || t.entraUserId === filter.user : true))
        .sort((a, b) => a.serialNumber.localeCompare(b.serialNumber));
      const start = Number(page.continuationToken ?? '0');
      const slice = matching.slice(start, start + page.pageSize);
      const next = start + page.pageSize < matching.length ? String(start + page.pageSize) : undefined;
      return { tokens: slice.map((t) => ({ ...t })), ...(next ? { continuationToken: next } : {}) };
    },
  };
  return {
    inventory,
    all: () => [...rows.values()],
    row: (serial: string) => rows.get(serial.toUpperCase()),
    conflictWhen(test: ((record: TokenRecord) => boolean) | undefined) {
      conflictOn = test;
    },
  };
}

function fakeProvisioning() {
  const rows = new Map<string, ProvisioningRecord>();
  let version = 0;
  const key = (employeeId: string, kind: string) => `${employeeId}/${kind}`;
  const store = (record: ProvisioningRecord): ProvisioningRecord => {
    const stored = structuredClone({ ...record, etag: `"p${++version}"` });
    rows.set(key(record.employeeId, record.kind), stored);
    return structuredClone(stored);
  };
  const provisioning: ProvisioningStore = {
    async get(employeeId, kind) {
      const row = rows.get(key(employeeId, kind));
      return row ? structuredClone(row) : undefined;
    },
    async list(employeeId) {
      return [...rows.values()].filter((r) => r.employeeId === employeeId).map((r) => structuredClone(r));
    },
    async leaversNaming(entraUserId) {
      return [...rows.values()].filter((r) => r.kind === 'leaver' && r.entraUserId === entraUserId).map((r) => structuredClone(r));
    },
    async add(record) {
      if (rows.has(key(record.employeeId, record.kind))) return 'exists';
      return store(record);
    },
    async replace(record) {
      const row = rows.get(key(record.employeeId, record.kind));
      if (!row || row.etag !== record.etag) return 'conflict';
      return store(record);
    },
  };
  return { provisioning, joiner: (employeeId: string) => rows.get(key(employeeId, 'joiner')), leaver: (employeeId: string) => rows.get(key(employeeId, 'leaver')), all: () => [...rows.values()] };
}

interface FakeDevice extends EntraDevice {
  seed: string;
}

const alreadyAssigned = () => new DirectoryRefusal(400, 'invalidRequest', 'The hardware OATH token is already assigned to a user.');

function fakeDirectory(users: EntraUser[], now: () => Date) {
  const devices = new Map<string, FakeDevice>();
  const calls: string[] = [];
  /** Errors to throw, by operation, before the operation does anything. */
  const failures: Partial<Record<keyof Directory, (Error | undefined)[]>> = {};
  const fault = (op: keyof Directory) => {
    calls.push(op);
    const error = failures[op]?.shift();
    if (error) throw error;
  };
  const userOf = (id: string) => {
    const user = users.find((u) => u.id === id);
    if (!user) throw new DirectoryRefusal(404, 'Request_ResourceNotFound', 'user not found');
    return user;
  };
  const deviceOf = (id: string) => {
    const device = devices.get(id);
    if (!device) throw new DirectoryRefusal(404, 'Request_ResourceNotFound', 'device not found');
    return device;
  };
  const checkAssignable = (user: EntraUser, device: FakeDevice) => {
    if (device.assignedTo) throw alreadyAssigned();
    if (user.userType === 'Guest') throw new DirectoryRefusal(400, 'invalidRequest', 'Hardware OATH tokens cannot be assigned to guest users.');
    if ([...devices.values()].filter((d) => d.assignedTo?.id === user.id).length >= 5) {
      throw new DirectoryRefusal(400, 'invalidRequest', 'The user already has the maximum of 5 hardware OATH tokens.');
    }
  };
  const codeMatches = (device: FakeDevice, code: string) => totpCode(device.seed, 30, 'hmacsha1', now()) === code;
  const directory: Directory = {
    async findDeviceBySerial(serial) {
      fault('findDeviceBySerial');
      const found = [...devices.values()].find((d) => d.serialNumber === serial);
      if (!found) return undefined;
      const { seed: _seed, ...device } = found;
      return structuredClone(device);
    },
    async createDevices() {
      throw new Error('not used by the saga');
    },
    async deleteDevice() {
      throw new Error('not used by the saga');
    },
    async findUserByUpn(upn) {
      fault('findUserByUpn');
      return users.find((u) => u.userPrincipalName.toLowerCase() === upn.toLowerCase());
    },
    async findUserByEmployeeId(employeeId) {
      fault('findUserByEmployeeId');
      const matches = users.filter((u) => u.employeeId?.toLowerCase() === employeeId.toLowerCase());
      return matches.length > 1 ? 'ambiguous' : matches[0];
    },
    async methodDevicesOf(userId) {
      fault('methodDevicesOf');
      if (!users.some((u) => u.id === userId)) return 'no_account';
      return [...devices.values()].filter((d) => d.assignedTo?.id === userId).map(({ seed: _seed, ...device }) => structuredClone(device));
    },
    async findUserById(userId) {
      fault('findUserById');
      return users.find((u) => u.id === userId);
    },
    async assign(userId, deviceId) {
      fault('assign');
      const device = deviceOf(deviceId);
      const user = userOf(userId);
      checkAssignable(user, device);
      device.assignedTo = { id: user.id };
      device.status = 'assigned';
    },
    async assignAndActivate(userId, deviceId, code) {
      fault('assignAndActivate');
      const device = deviceOf(deviceId);
      const user = userOf(userId);
      checkAssignable(user, device);
      if (!codeMatches(device, code)) throw new DirectoryRefusal(400, 'invalidRequest', 'The verification code is invalid.');
      device.assignedTo = { id: user.id };
      device.status = 'activated';
    },
    async activate(userId, deviceId, code) {
      fault('activate');
      const device = deviceOf(deviceId);
      if (device.assignedTo?.id !== userId) throw new DirectoryRefusal(404, 'Request_ResourceNotFound', 'method not found');
      if (!codeMatches(device, code)) throw new DirectoryRefusal(400, 'invalidRequest', 'The verification code is invalid.');
      device.status = 'activated';
    },
    async deactivate() {
      throw new Error('not used by the saga');
    },
    async unassign(userId, deviceId) {
      fault('unassign');
      const device = deviceOf(deviceId);
      // As the adapter: a deleted account that Entra still shows holding the device cannot be reached.
      if (device.assignedTo?.id === userId && !users.some((u) => u.id === userId)) throw new HeldByDeletedAccount(userId, deviceId);
      if (device.assignedTo?.id === userId) {
        delete device.assignedTo;
        device.status = 'available';
      }
    },
  };
  return { directory, devices, calls, failures };
}

/* ---------- the scene ---------- */

const ADA: EntraUser = { id: 'u-ada', userPrincipalName: 'ada@contoso.com', employeeId: 'E1001', userType: 'Member' };
const GRACE: EntraUser = { id: 'u-grace', userPrincipalName: 'grace@contoso.com', employeeId: 'E1002', userType: 'Member' };
const GUEST: EntraUser = { id: 'u-guest', userPrincipalName: 'auditor_fabrikam.com#EXT#@contoso.com', employeeId: 'X9', userType: 'Guest' };

interface Scene {
  deps: JoinerDeps;
  inventory: ReturnType<typeof fakeInventory>;
  provisioning: ReturnType<typeof fakeProvisioning>;
  directory: ReturnType<typeof fakeDirectory>;
  seeds: Map<string, string>;
  seedReads: string[];
  audit: AuditEntry[];
  sent: { message: HrQueueMessage; delaySeconds?: number }[];
  clock: { now: () => Date; set(at: Date): void };
}

function scene(
  options: { tokens?: { serial: string; pool?: string; registered?: boolean; seeded?: boolean }[]; users?: EntraUser[]; mode?: 'auto' | 'user' | 'handover'; roleHolders?: string[] } = {},
): Scene {
  let at = NOW;
  const clock = { now: () => at, set: (next: Date) => (at = next) };
  const seeds = new Map<string, string>();
  const seedReads: string[] = [];
  const directory = fakeDirectory(options.users ?? [ADA, GRACE, GUEST], clock.now);
  const tokens: TokenRecord[] = (options.tokens ?? [{ serial: 'T001' }, { serial: 'T002' }, { serial: 'T003' }]).map((t) => {
    const seed = generateSeed('hmacsha1');
    const secretName = `seed-${t.serial}`;
    if (t.seeded !== false) seeds.set(secretName, seed);
    const deviceId = `dev-${t.serial}`;
    if (t.registered !== false) {
      directory.devices.set(deviceId, { id: deviceId, serialNumber: t.serial, manufacturer: 'Token2', model: 'C302', status: 'available', timeIntervalInSeconds: 30, hashFunction: 'hmacsha1', seed });
    }
    return {
      serialNumber: t.serial,
      manufacturer: 'Token2',
      model: 'C302',
      timeIntervalInSeconds: 30,
      hashFunction: 'hmacsha1',
      seedOrigin: 'vendor',
      pool: t.pool ?? '',
      status: 'in_stock',
      seedSecretName: secretName,
      ...(t.registered !== false ? { entraDeviceId: deviceId } : {}),
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
      lastChangeReason: 'imported',
    };
  });
  const inventory = fakeInventory(tokens);
  const provisioning = fakeProvisioning();
  const audit: AuditEntry[] = [];
  const sent: Scene['sent'] = [];
  const vault: SeedVault = {
    put: async () => 'stored',
    get: async (name) => {
      seedReads.push(name);
      return seeds.get(name);
    },
    destroy: async () => undefined,
  };
  const deps: JoinerDeps = {
    provisioning: provisioning.provisioning,
    inventory: inventory.inventory,
    seeds: vault,
    directory: directory.directory,
    targets: targetCheck(
      {
        rolesOf: async (id) => ((options.roleHolders ?? []).includes(id) ? [{ principalId: id, roleDefinitionId: '62e90394-69f5-4237-9190-012177145e10', directoryScopeId: '/', kind: 'active' }] : []),
        groupsOf: async () => [],
      },
      { protectedGroupIds: [] },
    ),
    audit: { record: async (entry) => void audit.push(entry) },
    queue: { send: async (message, sendOptions) => void sent.push({ message, ...(sendOptions?.delaySeconds !== undefined ? { delaySeconds: sendOptions.delaySeconds } : {}) }) },
    clock,
    settings: { activationMode: options.mode ?? 'auto', provisionLeadDays: 7, userWaitHours: 72 },
    random: () => 0.5,
  };
  return { deps, inventory, provisioning, directory, seeds, seedReads, audit, sent, clock };
}

const hire = (overrides: Partial<HrQueueMessage> = {}): HrQueueMessage => ({
  eventId: 'evt-1',
  type: 'employee.hired',
  employeeId: 'E1001',
  userPrincipalName: 'ada@contoso.com',
  firstSeenAt: NOW.toISOString(),
  ...overrides,
});

const firstTry: Delivery = { dequeueCount: 1, maxDequeueCount: 5 };

const heldTokens = (s: Scene, employeeId: string) => s.inventory.all().filter((t) => isHeld(t.status) && t.employeeId === employeeId);
const devicesOf = (s: Scene, userId: string) => [...s.directory.devices.values()].filter((d) => d.assignedTo?.id === userId);

/* ---------- tests ---------- */

describe('provisionJoiner', () => {
  it('assigns and activates one token with the current code from its seed: 2 Graph calls, 1 Key Vault read', async () => {
    const s = scene();
    const outcome = await provisionJoiner(hire(), s.deps, firstTry);

    expect(outcome).toMatchObject({ kind: 'completed', tokenStatus: 'active' });
    const [token] = heldTokens(s, 'E1001');
    expect(token).toMatchObject({ status: 'active', employeeId: 'E1001', entraUserId: 'u-ada', userPrincipalName: 'ada@contoso.com' });
    expect(devicesOf(s, 'u-ada')).toEqual([expect.objectContaining({ serialNumber: token?.serialNumber, status: 'activated' })]);
    // Entra is read (the account) before the one write that gives access, to the device id the row registered; the
    // event's UPN is the employeeId's account, so it is not asked again.
    expect(s.directory.calls).toEqual(['findUserByEmployeeId', 'assignAndActivate']);
    expect(s.seedReads).toEqual([token?.seedSecretName]);
    expect(s.provisioning.joiner('E1001')).toMatchObject({ status: 'completed', step: 'completed', serialNumber: token?.serialNumber, entraUserId: 'u-ada', eventIds: ['evt-1'] });
    expect(s.provisioning.joiner('E1001')?.reason).toBeUndefined();
    expect(s.audit).toEqual([expect.objectContaining({ actor: 'hr', action: 'token.provisioned', outcome: 'succeeded', serialNumber: token?.serialNumber, employeeId: 'E1001', correlationId: 'evt-1' })]);
  });

  it('skips any number of stock rows that never registered in Entra and takes a good one behind them', async () => {
    const unregistered = Array.from({ length: 200 }, (_, i) => ({ serial: `A${String(i).padStart(3, '0')}`, registered: false }));
    const s = scene({ tokens: [...unregistered, { serial: 'Z999' }] });
    const outcome = await provisionJoiner(hire(), s.deps, firstTry);
    expect(outcome).toMatchObject({ kind: 'completed', tokenStatus: 'active' });
    expect(heldTokens(s, 'E1001').map((t) => t.serialNumber)).toEqual(['Z999']);
  });

  it('only assigns when ACTIVATION_MODE is user, leaving the token assigned', async () => {
    const s = scene({ mode: 'user' });
    expect(await provisionJoiner(hire(), s.deps, firstTry)).toMatchObject({ kind: 'completed', tokenStatus: 'assigned' });
    expect(s.directory.calls).toEqual(['findUserByEmployeeId', 'assign']);
    expect(s.seedReads).toEqual([]);
    expect(heldTokens(s, 'E1001')).toEqual([expect.objectContaining({ status: 'assigned' })]);
    expect(devicesOf(s, 'u-ada')[0]?.status).toBe('assigned');
  });

  it('in hand-over mode only assigns, and leaves the token awaiting hand-over at the hire\'s site without reading its seed', async () => {
    const s = scene({ mode: 'handover' });
    expect(await provisionJoiner(hire({ location: 'GVA' }), s.deps, firstTry)).toMatchObject({ kind: 'completed', tokenStatus: 'awaiting_handover', location: 'GVA' });
    expect(s.directory.calls).toEqual(['findUserByEmployeeId', 'assign']);
    expect(s.seedReads).toEqual([]);
    expect(heldTokens(s, 'E1001')).toEqual([expect.objectContaining({ status: 'awaiting_handover', handover: { site: 'GVA', since: expect.any(String) } })]);
    expect(devicesOf(s, 'u-ada')[0]?.status).toBe('assigned');
  });

  it('does nothing for a second hire event once the employee holds a token', async () => {
    const s = scene();
    await provisionJoiner(hire(), s.deps, firstTry);
    s.directory.calls.length = 0;
    expect(await provisionJoiner(hire({ eventId: 'evt-2' }), s.deps, firstTry)).toEqual({ kind: 'already_done', status: 'completed' });
    expect(s.directory.calls).toEqual([]);
    expect(heldTokens(s, 'E1001')).toHaveLength(1);
  });

  it('starts over for a new hire event once the employee holds no token (a replacement after a loss), but not for a redelivery', async () => {
    const s = scene();
    const first = await provisionJoiner(hire(), s.deps, firstTry);
    expect(first).toMatchObject({ kind: 'completed' });
    const lostToken = heldTokens(s, 'E1001')[0]!;
    expect(await s.deps.inventory.replace({ ...lostToken, status: 'lost', revocationReason: 'lost' })).not.toBe('conflict');

    expect(await provisionJoiner(hire(), s.deps, firstTry)).toEqual({ kind: 'already_done', status: 'completed' });
    const replacement = await provisionJoiner(hire({ eventId: 'evt-replacement' }), s.deps, firstTry);
    expect(replacement).toMatchObject({ kind: 'completed' });
    expect(replacement.kind === 'completed' && replacement.serialNumber).not.toBe(lostToken.serialNumber);
    expect(heldTokens(s, 'E1001')).toHaveLength(1);
    expect(s.provisioning.joiner('E1001')).toMatchObject({ status: 'completed', note: expect.stringContaining('started over') });
  });

  it('finds the user by employeeId when HR sends no UPN, and when the UPN is unknown', async () => {
    const s = scene();
    expect(await provisionJoiner(hire({ userPrincipalName: undefined }), s.deps, firstTry)).toMatchObject({ kind: 'completed' });
    expect(s.directory.calls[0]).toBe('findUserByEmployeeId');

    const t = scene();
    expect(await provisionJoiner(hire({ userPrincipalName: 'ada.lovelace@contoso.com' }), t.deps, firstTry)).toMatchObject({ kind: 'completed' });
    expect(t.directory.calls.slice(0, 2)).toEqual(['findUserByEmployeeId', 'findUserByUpn']);
  });

  describe('timing', () => {
    it('defers a hire more than PROVISION_LEAD_DAYS away, re-sending it for when it is due', async () => {
      const s = scene();
      const outcome = await provisionJoiner(hire({ hireDate: '2026-03-12' }), s.deps, firstTry);
      // Due 7 days before 12 March: 5 March 00:00 UTC, 2 days and 14 hours from now.
      expect(outcome).toEqual({ kind: 'deferred', dueAt: '2026-03-05T00:00:00.000Z', delaySeconds: (2 * 24 + 14) * 3600 });
      expect(s.sent).toEqual([{ message: hire({ hireDate: '2026-03-12' }), delaySeconds: (2 * 24 + 14) * 3600 }]);
      expect(s.provisioning.joiner('E1001')).toMatchObject({ status: 'deferred', hireDate: '2026-03-12' });
      expect(heldTokens(s, 'E1001')).toEqual([]);
      expect(s.directory.calls).toEqual([]);
    });

    it('caps the deferral at the queue maximum of 7 days', async () => {
      const s = scene();
      expect(await provisionJoiner(hire({ hireDate: '2026-12-01' }), s.deps, firstTry)).toMatchObject({ kind: 'deferred', delaySeconds: 7 * 24 * 3600 });
    });

    it('provisions a hire that is due (inside the lead time)', async () => {
      const s = scene();
      expect(await provisionJoiner(hire({ hireDate: '2026-03-08' }), s.deps, firstTry)).toMatchObject({ kind: 'completed' });
    });

    it('waits for an account that does not exist yet with growing delays, then fails at the deadline', async () => {
      const s = scene({ users: [GRACE] });
      const first = await provisionJoiner(hire(), s.deps, firstTry);
      expect(first).toEqual({ kind: 'waiting_for_user', delaySeconds: 60, deadline: '2026-03-05T10:00:00.000Z' });
      expect(s.sent[0]).toEqual({ message: { ...hire(), attempt: 1, waitingSince: NOW.toISOString() }, delaySeconds: 60 });
      expect(s.provisioning.joiner('E1001')).toMatchObject({ status: 'waiting_for_user' });
      expect(s.provisioning.joiner('E1001')?.reason).toContain('no Entra account for ada@contoso.com yet');

      const second = await provisionJoiner(s.sent[0]!.message, s.deps, firstTry);
      expect(second).toMatchObject({ kind: 'waiting_for_user', delaySeconds: 120 });
      expect(s.sent[1]?.message).toMatchObject({ attempt: 2, waitingSince: NOW.toISOString() });

      expect(await provisionJoiner({ ...hire(), attempt: 12, waitingSince: NOW.toISOString() }, s.deps, firstTry)).toMatchObject({ delaySeconds: 3600 });

      s.clock.set(new Date('2026-03-05T09:59:30Z'));
      expect(await provisionJoiner({ ...hire(), attempt: 12, waitingSince: NOW.toISOString() }, s.deps, firstTry)).toMatchObject({ delaySeconds: 30 });

      s.clock.set(new Date('2026-03-05T10:00:00Z'));
      const last = await provisionJoiner({ ...hire(), attempt: 13, waitingSince: NOW.toISOString() }, s.deps, firstTry);
      expect(last).toEqual({ kind: 'failed', reason: 'no Entra account for ada@contoso.com after waiting 72 hours' });
      expect(s.provisioning.joiner('E1001')).toMatchObject({ status: 'failed', reason: last.kind === 'failed' ? last.reason : '' });
      expect(s.audit).toContainEqual(expect.objectContaining({ action: 'token.provisioned', outcome: 'failed', employeeId: 'E1001' }));
    });

    it('completes once the account appears', async () => {
      const users = [GRACE];
      const s = scene({ users });
      await provisionJoiner(hire(), s.deps, firstTry);
      users.push(ADA);
      expect(await provisionJoiner(s.sent[0]!.message, s.deps, firstTry)).toMatchObject({ kind: 'completed' });
      expect(s.provisioning.joiner('E1001')?.status).toBe('completed');
    });
  });

  describe('allocation', () => {
    it("takes a token from the employee's location pool first", async () => {
      const s = scene({ tokens: [{ serial: 'A1' }, { serial: 'G1', pool: 'GVA' }, { serial: 'Z1', pool: 'ZRH' }] });
      expect(await provisionJoiner(hire({ location: 'GVA' }), s.deps, firstTry)).toMatchObject({ kind: 'completed', serialNumber: 'G1' });
    });

    it('falls back to any pool when the location pool is empty', async () => {
      const s = scene({ tokens: [{ serial: 'Z1', pool: 'ZRH' }] });
      expect(await provisionJoiner(hire({ location: 'GVA' }), s.deps, firstTry)).toMatchObject({ kind: 'completed', serialNumber: 'Z1' });
    });

    it('skips tokens not registered in Entra yet', async () => {
      const s = scene({ tokens: [{ serial: 'A1', registered: false }, { serial: 'B1' }] });
      expect(await provisionJoiner(hire(), s.deps, firstTry)).toMatchObject({ kind: 'completed', serialNumber: 'B1' });
    });

    it('fails clearly when no token is in stock, leaving nothing reserved', async () => {
      const s = scene({ tokens: [{ serial: 'A1', registered: false }] });
      const outcome = await provisionJoiner(hire({ location: 'GVA' }), s.deps, firstTry);
      expect(outcome).toEqual({ kind: 'failed', reason: 'no token in stock (pool GVA, nor in any other pool)' });
      expect(s.provisioning.joiner('E1001')).toMatchObject({ status: 'failed', reason: 'no token in stock (pool GVA, nor in any other pool)' });
      expect(s.inventory.all().map((t) => t.status)).toEqual(['in_stock']);
      expect(s.directory.devices.size).toBe(0);
      expect(s.audit).toEqual([expect.objectContaining({ outcome: 'failed', detail: 'no token in stock (pool GVA, nor in any other pool)' })]);
    });

    it('tries another token when a concurrent hire took the one it picked', async () => {
      const s = scene();
      let conflicts = 0;
      s.inventory.conflictWhen((record) => record.status === 'reserved' && conflicts++ < 2);
      expect(await provisionJoiner(hire(), s.deps, firstTry)).toMatchObject({ kind: 'completed' });
      expect(conflicts).toBe(3);
      expect(heldTokens(s, 'E1001')).toHaveLength(1);
    });

    it('gives contention back to the host as a transient failure when every try conflicts', async () => {
      const s = scene();
      s.inventory.conflictWhen((record) => record.status === 'reserved');
      await expect(provisionJoiner(hire(), s.deps, firstTry)).rejects.toThrow('every free token tried was taken by another hire at the same time');
      expect(s.provisioning.joiner('E1001')).toMatchObject({ attempts: 1 });
      expect(s.provisioning.joiner('E1001')?.reason).toContain('try 1 failed, will retry');
    });

    it('quarantines a token whose seed is missing and provisions another', async () => {
      const s = scene({ tokens: [{ serial: 'A1', seeded: false }, { serial: 'B1' }] });
      s.deps.random = () => 0.99;
      const outcome = await provisionJoiner(hire(), s.deps, firstTry);
      expect(outcome).toMatchObject({ kind: 'completed', serialNumber: 'B1' });
      expect(s.inventory.row('A1')).toMatchObject({ status: 'quarantined' });
      expect(s.inventory.row('A1')?.employeeId).toBeUndefined();
      expect(s.inventory.row('A1')?.lastChangeReason).toContain('seed is missing from Key Vault');
      expect(s.audit).toContainEqual(expect.objectContaining({ action: 'token.quarantined', serialNumber: 'A1' }));
    });

    it('quarantines a token Entra shows assigned to someone else and provisions another', async () => {
      const s = scene({ tokens: [{ serial: 'A1' }, { serial: 'B1' }] });
      s.directory.devices.get('dev-A1')!.assignedTo = { id: 'u-grace' };
      s.deps.random = () => 0.99;
      expect(await provisionJoiner(hire(), s.deps, firstTry)).toMatchObject({ kind: 'completed', serialNumber: 'B1' });
      expect(s.inventory.row('A1')?.status).toBe('quarantined');
      expect(s.directory.devices.get('dev-A1')?.assignedTo?.id).toBe('u-grace');
    });
  });

  describe('permanent refusals', () => {
    it('fails a guest account without touching stock', async () => {
      const s = scene();
      const outcome = await provisionJoiner(hire({ userPrincipalName: GUEST.userPrincipalName, employeeId: 'X9' }), s.deps, firstTry);
      expect(outcome).toEqual({ kind: 'failed', reason: `${GUEST.userPrincipalName} is a guest account; hardware tokens are for members only` });
      expect(s.inventory.all().every((t) => t.status === 'in_stock')).toBe(true);
    });

    it('refuses an account that belongs to another employee id', async () => {
      const s = scene();
      const outcome = await provisionJoiner(hire({ employeeId: 'E9999' }), s.deps, firstTry);
      expect(outcome).toMatchObject({ kind: 'failed', reason: 'the Entra account ada@contoso.com belongs to employeeId E1001, not E9999' });
      expect(s.provisioning.joiner('E9999')).toMatchObject({ status: 'failed', refusal: 'employee_id_mismatch' });
    });

    it('refuses an account without employeeId, and an employeeId two accounts carry', async () => {
      const noId = scene({ users: [{ ...ADA, employeeId: undefined }] });
      expect(await provisionJoiner(hire(), noId.deps, firstTry)).toMatchObject({ kind: 'failed', reason: expect.stringContaining('has no employeeId') });
      expect(noId.provisioning.joiner('E1001')).toMatchObject({ refusal: 'employee_id_mismatch' });

      const twice = scene({ users: [ADA, { ...GRACE, employeeId: 'E1001' }] });
      expect(await provisionJoiner(hire(), twice.deps, firstTry)).toMatchObject({ kind: 'failed', reason: expect.stringContaining('more than one Entra account') });
      expect(twice.provisioning.joiner('E1001')).toMatchObject({ refusal: 'ambiguous_employee_id' });
      expect([...twice.directory.devices.values()].every((d) => !d.assignedTo)).toBe(true);
    });

    it('refuses a directory role holder from an HR event, and gives the token once a privileged admin approved that account', async () => {
      const s = scene({ roleHolders: ['u-ada'] });
      expect(await provisionJoiner(hire(), s.deps, firstTry)).toMatchObject({ kind: 'failed', reason: expect.stringContaining('only a Tokens.PrivilegedAdmin') });
      expect(s.provisioning.joiner('E1001')).toMatchObject({ status: 'failed', refusal: 'privileged_account', entraUserId: 'u-ada' });
      expect(s.audit).toContainEqual(expect.objectContaining({ action: 'token.provisioned', outcome: 'rejected', detail: expect.stringMatching(/^privileged_account: /) }));
      expect(heldTokens(s, 'E1001')).toEqual([]);
      expect(s.directory.calls).not.toContain('assignAndActivate');

      // A new HR event alone changes nothing.
      expect(await provisionJoiner(hire({ eventId: 'evt-again' }), s.deps, firstTry)).toMatchObject({ kind: 'failed' });

      const record = s.provisioning.joiner('E1001')!;
      await s.deps.provisioning.replace({ ...record, status: 'queued', approvedFor: 'u-ada', approvedBy: 'pam (oid-pam)' });
      expect(await provisionJoiner(hire({ eventId: 'approval-1' }), s.deps, firstTry)).toMatchObject({ kind: 'completed' });
      expect(s.audit).toContainEqual(expect.objectContaining({ action: 'token.target.privileged', actor: 'pam (oid-pam)' }));
    });

    it('puts the token back in stock when Entra refuses the user (already 5 methods)', async () => {
      const s = scene({ tokens: [{ serial: 'T1' }, { serial: 'X1' }, { serial: 'X2' }, { serial: 'X3' }, { serial: 'X4' }, { serial: 'X5' }] });
      for (const serial of ['X1', 'X2', 'X3', 'X4', 'X5']) s.directory.devices.get(`dev-${serial}`)!.assignedTo = { id: 'u-ada' };
      const outcome = await provisionJoiner(hire(), s.deps, firstTry);
      expect(outcome.kind).toBe('failed');
      expect(outcome.kind === 'failed' && outcome.reason).toContain('maximum of 5 hardware OATH tokens');
      const t1 = s.inventory.row('T1');
      expect(t1).toMatchObject({ status: 'in_stock' });
      expect(t1?.employeeId).toBeUndefined();
      expect(t1?.lastChangeReason).toContain('the hire of E1001 failed');
      expect(s.directory.devices.get('dev-T1')?.assignedTo).toBeUndefined();
      expect(s.provisioning.joiner('E1001')).toMatchObject({ status: 'failed' });
      expect(s.provisioning.joiner('E1001')?.serialNumber).toBeUndefined();
      expect(s.audit).toContainEqual(expect.objectContaining({ outcome: 'failed', serialNumber: 'T1' }));
    });
  });

  describe('transient failures', () => {
    it('records the try and rethrows, so the host retries; the retry completes with the same token', async () => {
      const s = scene();
      s.directory.failures.assignAndActivate = [Object.assign(new Error('Service unavailable'), { statusCode: 503 })];
      await expect(provisionJoiner(hire(), s.deps, firstTry)).rejects.toThrow('Service unavailable');
      const reserved = heldTokens(s, 'E1001');
      expect(reserved).toEqual([expect.objectContaining({ status: 'reserved' })]);
      expect(s.provisioning.joiner('E1001')).toMatchObject({ status: 'in_progress', attempts: 1, serialNumber: reserved[0]?.serialNumber });
      expect(s.provisioning.joiner('E1001')?.reason).toBe('try 1 failed, will retry: Error (status 503): Service unavailable');

      expect(await provisionJoiner(hire(), s.deps, { dequeueCount: 2, maxDequeueCount: 5 })).toMatchObject({ kind: 'completed', serialNumber: reserved[0]?.serialNumber });
      expect(s.provisioning.joiner('E1001')?.reason).toBeUndefined();
    });

    it("on the host's last try fails the hire visibly, undoes the assignment and releases the token, then throws for the poison queue", async () => {
      const s = scene();
      // The token got assigned and activated in Entra, but marking it in the inventory keeps failing.
      s.deps.afterStep = (step) => {
        if (step === 'activated') throw new Error('storage unavailable');
      };
      await expect(provisionJoiner(hire(), s.deps, { dequeueCount: 5, maxDequeueCount: 5 })).rejects.toBeInstanceOf(ProvisioningGaveUp);
      expect(heldTokens(s, 'E1001')).toEqual([]);
      expect(devicesOf(s, 'u-ada')).toEqual([]);
      const record = s.provisioning.joiner('E1001');
      expect(record?.status).toBe('failed');
      expect(record?.reason).toBe('gave up after 5 tries; the last failed with Error: storage unavailable');
      expect(s.audit).toContainEqual(expect.objectContaining({ outcome: 'failed', employeeId: 'E1001' }));
    });

    it('keeps a token whose Entra state cannot be checked out of stock (quarantined) when giving up', async () => {
      const s = scene();
      s.directory.failures.assignAndActivate = [new Error('socket hang up')];
      // The read when giving the token back does not answer.
      s.directory.failures.findDeviceBySerial = [new Error('socket hang up')];
      await expect(provisionJoiner(hire(), s.deps, { dequeueCount: 5, maxDequeueCount: 5 })).rejects.toBeInstanceOf(ProvisioningGaveUp);
      const token = s.inventory.all().find((t) => t.lastChangeReason.includes('E1001'));
      expect(token?.status).toBe('quarantined');
      expect(token?.lastChangeReason).toContain('Entra could not be checked');
    });
  });

  describe('resuming', () => {
    it.each(JOINER_STEPS.map((step) => [step]))('resumes after a crash after %s to one active token and one device', async (step) => {
      const s = scene();
      let crashed = false;
      s.deps.afterStep = (at: JoinerStep) => {
        if (at === step && !crashed) {
          crashed = true;
          throw new Error(`simulated crash after ${step}`);
        }
      };
      await expect(provisionJoiner(hire(), s.deps, firstTry)).rejects.toThrow(`simulated crash after ${step}`);
      // The crash is noted for admins, unless the hire had already settled.
      const noted = s.provisioning.joiner('E1001');
      if (step === 'completed') expect(noted).toMatchObject({ status: 'completed', attempts: 0 });
      else expect(noted).toMatchObject({ attempts: 1, reason: `try 1 failed, will retry: Error: simulated crash after ${step}` });
      const outcome = await provisionJoiner(hire(), s.deps, { dequeueCount: 2, maxDequeueCount: 5 });
      expect(['completed', 'already_done']).toContain(outcome.kind);

      expect(heldTokens(s, 'E1001')).toEqual([expect.objectContaining({ status: 'active', entraUserId: 'u-ada' })]);
      expect(devicesOf(s, 'u-ada')).toEqual([expect.objectContaining({ status: 'activated', serialNumber: heldTokens(s, 'E1001')[0]?.serialNumber })]);
      expect(s.inventory.all().filter((t) => t.status === 'in_stock')).toHaveLength(2);
      expect(s.provisioning.joiner('E1001')?.status).toBe('completed');
      expect(s.provisioning.joiner('E1001')?.reason).toBeUndefined();
      expect(s.audit.filter((a) => a.outcome === 'succeeded').length).toBeGreaterThanOrEqual(1);
    });

    it('converges when three deliveries of one hire run at once: one token, the others back in stock', async () => {
      const s = scene();
      s.deps.random = Math.random;
      const outcomes = await Promise.all(['evt-1', 'evt-2', 'evt-3'].map((eventId) => provisionJoiner(hire({ eventId }), s.deps, firstTry)));
      expect(outcomes.some((o) => o.kind === 'completed')).toBe(true);
      expect(heldTokens(s, 'E1001')).toEqual([expect.objectContaining({ status: 'active' })]);
      expect(devicesOf(s, 'u-ada')).toHaveLength(1);
      expect(s.inventory.all().filter((t) => t.status === 'in_stock')).toHaveLength(2);
      expect(s.provisioning.joiner('E1001')?.status).toBe('completed');
    });

    it('keeps one token when the employee somehow holds two reserved ones, releasing the other', async () => {
      const s = scene();
      for (const serial of ['T001', 'T002']) {
        const row = s.inventory.row(serial)!;
        await s.deps.inventory.replace({ ...row, status: 'reserved', employeeId: 'E1001' });
      }
      expect(await provisionJoiner(hire(), s.deps, firstTry)).toMatchObject({ kind: 'completed' });
      expect(heldTokens(s, 'E1001')).toHaveLength(1);
      expect(s.inventory.all().filter((t) => t.status === 'in_stock')).toHaveLength(2);
    });
  });

  describe('terminations and updates', () => {
    it('offboards a termination that is due (nothing to revoke here) and cancels a hire that comes after it', async () => {
      const s = scene();
      const termination = hire({ eventId: 'evt-t', type: 'employee.terminated', terminationDate: '2026-03-01' });
      expect(await handleHrEvent(termination, s.deps, firstTry)).toEqual({ kind: 'recorded', status: 'completed' });
      expect(s.provisioning.leaver('E1001')).toMatchObject({ status: 'completed', reason: 'offboarded: held no token', terminationDate: '2026-03-01', eventIds: ['evt-t'] });

      const outcome = await handleHrEvent(hire({ eventId: 'evt-h', hireDate: '2026-02-01' }), s.deps, firstTry);
      // The leaver left a cancelled joiner record, which the hire finds first.
      expect(outcome).toEqual({ kind: 'already_done', status: 'cancelled' });
      expect(s.provisioning.joiner('E1001')).toMatchObject({ status: 'cancelled', reason: 'employee terminated on 2026-03-01; the hire is not provisioned' });
      expect(heldTokens(s, 'E1001')).toEqual([]);
      // The leaver looked at the person's Entra account (whatever the rows say) and changed nothing there.
      expect(new Set(s.directory.calls)).toEqual(new Set(['findUserByEmployeeId', 'findUserByUpn', 'methodDevicesOf']));
    });

    it('a leaver whose revocation keeps failing is put back with growing delays, even on the host\'s last try, and never failed', async () => {
      const s = scene();
      expect(await provisionJoiner(hire(), s.deps, firstTry)).toMatchObject({ kind: 'completed' });
      const down = () => Object.assign(new Error('Graph is down'), { statusCode: 500 });
      s.directory.failures.unassign = [down(), down(), down()];
      let message = hire({ eventId: 'evt-t', type: 'employee.terminated', terminationDate: '2026-03-01' });
      const delays: number[] = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        const outcome = await handleHrEvent(message, s.deps, { dequeueCount: 5, maxDequeueCount: 5 });
        expect(outcome).toMatchObject({ kind: 'retrying', failedTries: attempt });
        expect(s.provisioning.leaver('E1001')).toMatchObject({ status: 'retrying', attempts: attempt });
        const put = s.sent.at(-1)!;
        expect(put.message).toMatchObject({ type: 'employee.terminated', attempt });
        delays.push(put.delaySeconds ?? 0);
        message = put.message;
      }
      expect(delays).toEqual([30, 60, 120]);
      expect(devicesOf(s, ADA.id)).toHaveLength(1);
      expect(await handleHrEvent(message, s.deps, firstTry)).toEqual({ kind: 'recorded', status: 'completed' });
      expect(devicesOf(s, ADA.id)).toEqual([]);
      expect(s.provisioning.leaver('E1001')).toMatchObject({ status: 'completed' });
    });

    it('a deleted account Entra still shows holding the token: the leaver retries without revoking the row; restored, the next try takes it', async () => {
      const users = [ADA, GRACE];
      const s = scene({ users });
      expect(await provisionJoiner(hire(), s.deps, firstTry)).toMatchObject({ kind: 'completed' });
      const [token] = heldTokens(s, 'E1001');
      users.splice(users.indexOf(ADA), 1);
      let message = hire({ eventId: 'evt-t', type: 'employee.terminated', terminationDate: '2026-03-01' });
      const outcome = await handleHrEvent(message, s.deps, firstTry);
      expect(outcome).toMatchObject({ kind: 'retrying', failedTries: 1, reason: expect.stringContaining('HeldByDeletedAccount') });
      expect(s.provisioning.leaver('E1001')).toMatchObject({ status: 'retrying', entraUserId: ADA.id });
      expect(s.inventory.row(token!.serialNumber)).toMatchObject({ status: 'active', employeeId: 'E1001' });
      expect(devicesOf(s, ADA.id)).toHaveLength(1);

      users.push(ADA);
      message = s.sent.at(-1)!.message;
      expect(await handleHrEvent(message, s.deps, firstTry)).toEqual({ kind: 'recorded', status: 'completed' });
      expect(devicesOf(s, ADA.id)).toEqual([]);
      expect(s.inventory.row(token!.serialNumber)).toMatchObject({ status: 'revoked', revocationReason: 'offboarded' });
    });

    it('a leaver is done only once Entra no longer shows the token on the person', async () => {
      const s = scene();
      expect(await provisionJoiner(hire(), s.deps, firstTry)).toMatchObject({ kind: 'completed' });
      const [token] = heldTokens(s, 'E1001');
      // An earlier try wrote the row, but Entra still has the token on Ada (a lost answer, a replica behind).
      await s.deps.inventory.replace({ ...token!, status: 'revoked', revocationReason: 'offboarded' });
      expect(await handleHrEvent(hire({ eventId: 'evt-t', type: 'employee.terminated', terminationDate: '2026-03-01' }), s.deps, firstTry)).toEqual({ kind: 'recorded', status: 'completed' });
      expect(devicesOf(s, ADA.id)).toEqual([]);
      expect(s.provisioning.leaver('E1001')?.reason).toBe(`offboarded: token ${token!.serialNumber} revoked, awaiting its return`);
    });

    it('still provisions a rehire dated after the termination, and a hire whose termination lies in the future', async () => {
      const s = scene();
      await recordTermination(hire({ eventId: 'evt-t', type: 'employee.terminated', terminationDate: '2026-01-31' }), s.deps);
      expect(await provisionJoiner(hire({ hireDate: '2026-03-02' }), s.deps, firstTry)).toMatchObject({ kind: 'completed' });

      const t = scene();
      await recordTermination(hire({ employeeId: 'E1002', userPrincipalName: 'grace@contoso.com', eventId: 'evt-t', type: 'employee.terminated', terminationDate: '2026-06-30' }), t.deps);
      expect(await provisionJoiner(hire({ employeeId: 'E1002', userPrincipalName: 'grace@contoso.com' }), t.deps, firstTry)).toMatchObject({ kind: 'completed' });
    });

    it('cancels a hire still waiting for its account when the termination arrives', async () => {
      const s = scene({ users: [] });
      await provisionJoiner(hire(), s.deps, firstTry);
      expect(s.provisioning.joiner('E1001')?.status).toBe('waiting_for_user');
      await recordTermination(hire({ eventId: 'evt-t', type: 'employee.terminated', terminationDate: '2026-03-02' }), s.deps);
      expect(s.provisioning.joiner('E1001')).toMatchObject({ status: 'cancelled' });
      expect(await provisionJoiner(s.sent[0]!.message, s.deps, firstTry)).toEqual({ kind: 'already_done', status: 'cancelled' });
    });

    it('notes an update on the joiner record without provisioning anything', async () => {
      const s = scene();
      expect(await recordUpdate(hire({ eventId: 'evt-u', type: 'employee.updated', location: 'ZRH' }), s.deps)).toEqual({ kind: 'recorded', status: 'no_joiner' });
      await provisionJoiner(hire(), s.deps, firstTry);
      expect(await recordUpdate(hire({ eventId: 'evt-u', type: 'employee.updated', location: 'ZRH' }), s.deps)).toEqual({ kind: 'recorded', status: 'completed' });
      expect(s.provisioning.joiner('E1001')?.note).toBe('HR update on 2026-03-02 (event evt-u): userPrincipalName ada@contoso.com, location ZRH');
      expect(s.provisioning.joiner('E1001')?.eventIds).toEqual(['evt-1', 'evt-u']);
    });
  });

  it('never puts a seed into a record, a message, an audit entry or a token row', async () => {
    const s = scene({ users: [GRACE] });
    await provisionJoiner(hire(), s.deps, firstTry);
    await provisionJoiner(hire({ employeeId: 'E1002', userPrincipalName: 'grace@contoso.com', eventId: 'evt-g' }), s.deps, firstTry);
    await provisionJoiner(hire({ employeeId: 'E1003', userPrincipalName: 'nobody@contoso.com', eventId: 'evt-n', hireDate: '2026-12-01' }), s.deps, firstTry);
    const everything = JSON.stringify([s.provisioning.all(), s.sent, s.audit, s.inventory.all()]);
    expect(s.seeds.size).toBeGreaterThan(0);
    for (const seed of s.seeds.values()) expect(everything).not.toContain(seed);
  });
});

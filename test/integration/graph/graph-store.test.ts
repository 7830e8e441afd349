import { Secret, TOTP } from 'otpauth';
import { GraphApiError } from '../../../dev/graph/errors';
import { type NewDevice, parseNewDevice } from '../../../dev/graph/inputs';
import { parseEqualityFilter } from '../../../dev/graph/odata';
import { GraphStore, MAX_METHODS_PER_USER } from '../../../dev/graph/store';
import type { GraphUser } from '../../../dev/graph/types';

/** The store alone: pure in-memory rules with a pinned clock, no HTTP. */

const SEED = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);

function code(atMs: number, period: 30 | 60 = 30, algorithm = 'SHA1', seed = SEED): string {
  return TOTP.generate({ secret: Secret.fromBase32(seed), period, algorithm, digits: 6, timestamp: atMs });
}

/** A code that matches no step within +-15 steps of `atMs`. */
function wrong(atMs: number): string {
  const near = new Set(Array.from({ length: 31 }, (_, i) => code(atMs + (i - 15) * 30_000)));
  return ['000000', '111111', '222222', '333333'].find((candidate) => !near.has(candidate))!;
}

function device(serialNumber: string, overrides: Partial<NewDevice> = {}): NewDevice {
  return {
    serialNumber,
    manufacturer: 'Token2',
    model: 'C202',
    secretKey: SEED,
    timeIntervalInSeconds: 30,
    hashFunction: 'hmacsha1',
    displayName: null,
    assignTo: null,
    ...overrides,
  };
}

function failure(action: () => unknown): GraphApiError {
  try {
    action();
  } catch (error) {
    if (error instanceof GraphApiError) return error;
    throw error;
  }
  throw new Error('expected a GraphApiError');
}

describe('GraphStore', () => {
  let now: number;
  let store: GraphStore;
  let user: GraphUser;

  beforeEach(() => {
    now = T0;
    store = new GraphStore({ now: () => now });
    [user] = store.addUsers([
      { id: null, accountEnabled: true, displayName: 'Ada', mailNickname: 'ada', userPrincipalName: 'ada@contoso.com', employeeId: 'E1', userType: 'Member' },
    ]) as [GraphUser];
  });

  describe('activation', () => {
    it('tolerates ten steps of drift at activation but not eleven', () => {
      const [near, far] = store.createDevices([device('A'), device('B')]);
      store.assign(user.id, near!.id);
      store.assign(user.id, far!.id);
      store.activate(user.id, near!.id, code(now - 10 * 30_000));
      expect(store.getDevice(near!.id).status).toBe('activated');
      expect(failure(() => store.activate(user.id, far!.id, code(now + 11 * 30_000))).status).toBe(400);
      expect(store.getDevice(far!.id).status).toBe('failedActivation');
    });

    it('verifies 60 s SHA-256 tokens with their own parameters', () => {
      const [created] = store.createDevices([device('C', { timeIntervalInSeconds: 60, hashFunction: 'hmacsha256' })]);
      store.assign(user.id, created!.id);
      expect(failure(() => store.activate(user.id, created!.id, code(now, 30, 'SHA1'))).status).toBe(400);
      store.activate(user.id, created!.id, code(now, 60, 'SHA256'));
      expect(store.getDevice(created!.id).status).toBe('activated');
    });

    it('never accepts a step at or before the last accepted one', () => {
      const [created] = store.createDevices([device('D')]);
      store.assign(user.id, created!.id);
      store.activate(user.id, created!.id, code(now + 60_000));
      expect(failure(() => store.activate(user.id, created!.id, code(now + 60_000))).status).toBe(400);
      expect(store.getDevice(created!.id).status).toBe('activated');
      store.deactivate(user.id, created!.id);
      expect(failure(() => store.activate(user.id, created!.id, code(now))).status).toBe(400);
      store.activate(user.id, created!.id, code(now + 90_000));
      expect(store.getDevice(created!.id).status).toBe('activated');
    });

    it('assignAndActivate changes nothing when the code is wrong', () => {
      const [created] = store.createDevices([device('E')]);
      expect(failure(() => store.assignAndActivate(user.id, created!.id, wrong(now))).code).toBe('invalidRequest');
      expect(store.getDevice(created!.id)).toMatchObject({ status: 'available', assignedTo: null });
      expect(store.listMethods(user.id)).toEqual([]);
      store.assignAndActivateBySerialNumber('ADA@contoso.com', 'e', code(now));
      expect(store.getDevice(created!.id)).toMatchObject({ status: 'activated', assignedTo: { id: user.id, displayName: 'Ada' } });
    });
  });

  describe('sign-in', () => {
    it('accepts codes within two steps, once each', () => {
      const [created] = store.createDevices([device('F')]);
      store.assignAndActivate(user.id, created!.id, code(now));
      expect(store.signIn({ userId: user.id, code: code(now + 3 * 30_000) })).toEqual({ ok: false, reason: 'invalidCode' });
      expect(store.signIn({ userId: user.id, code: code(now + 2 * 30_000) })).toEqual({ ok: true, deviceId: created!.id });
      expect(store.signIn({ userId: user.id, code: code(now + 2 * 30_000) })).toEqual({ ok: false, reason: 'invalidCode' });
      now += 10 * 30_000;
      expect(store.signIn({ userId: user.id, serialNumber: 'F', code: code(now) })).toMatchObject({ ok: true });
      expect(store.getDevice(created!.id).lastUsedDateTime).toBe(new Date(now).toISOString());
    });

    it('tolerates two minutes of drift for 60 s tokens', () => {
      const [created] = store.createDevices([device('G', { timeIntervalInSeconds: 60 })]);
      store.assignAndActivate(user.id, created!.id, code(now, 60));
      expect(store.signIn({ userId: user.id, code: code(now + 2 * 60_000, 60) })).toMatchObject({ ok: true });
    });

    it('refuses deactivated tokens, disabled accounts and unknown users', () => {
      const [created] = store.createDevices([device('H')]);
      store.assignAndActivate(user.id, created!.id, code(now));
      store.deactivate(user.id, created!.id);
      expect(store.signIn({ userId: user.id, code: code(now + 30_000) })).toEqual({ ok: false, reason: 'noActiveMethod' });
      store.activate(user.id, created!.id, code(now + 30_000));
      store.updateUser(user.id, { accountEnabled: false });
      expect(store.signIn({ userId: user.id, code: code(now + 60_000) })).toEqual({ ok: false, reason: 'accountDisabled' });
      expect(store.signIn({ userId: 'ghost@contoso.com', code: '123456' })).toEqual({ ok: false, reason: 'userNotFound' });
    });
  });

  describe("Entra's rules", () => {
    it(`allows at most ${MAX_METHODS_PER_USER} tokens per user, also within one bulk create`, () => {
      const devices = store.createDevices(Array.from({ length: MAX_METHODS_PER_USER }, (_, i) => device(`L${i}`, { assignTo: user.id })));
      expect(devices.every((created) => created.status === 'assigned')).toBe(true);
      const [extra] = store.createDevices([device('L-extra')]);
      expect(failure(() => store.assign(user.id, extra!.id)).message).toMatch(/maximum of 5/);

      const [other] = store.addUsers([
        { id: null, accountEnabled: true, displayName: 'Bob', mailNickname: 'bob', userPrincipalName: 'bob@contoso.com', employeeId: null, userType: 'Member' },
      ]);
      const batch = Array.from({ length: MAX_METHODS_PER_USER + 1 }, (_, i) => device(`M${i}`, { assignTo: other!.id }));
      expect(failure(() => store.createDevices(batch)).status).toBe(400);
      expect(store.state({ serial: 'M0' }).matches?.devices).toEqual([]);
    });

    it('rejects duplicates of serial and manufacturer, case-insensitively, but not the same serial from another maker', () => {
      store.createDevices([device('DUP')]);
      expect(failure(() => store.createDevices([device('dup', { manufacturer: 'TOKEN2' })])).status).toBe(409);
      expect(failure(() => store.createDevices([device('X1'), device('X1')])).status).toBe(409);
      store.createDevices([device('DUP', { manufacturer: 'Feitian' })]);
      expect(failure(() => store.assignAndActivateBySerialNumber(user.id, 'DUP', code(now))).message).toMatch(/Several/);
    });

    it('parses device bodies with Graph’s constraints', () => {
      const base = { serialNumber: 'P1', manufacturer: 'Token2', model: 'C202', secretKey: SEED, timeIntervalInSeconds: '60' };
      expect(parseNewDevice(base)).toMatchObject({ timeIntervalInSeconds: 60, hashFunction: 'hmacsha1', assignTo: null });
      for (const bad of [{ secretKey: SEED.toLowerCase() }, { secretKey: `${SEED}=` }, { timeIntervalInSeconds: 15 }, { hashFunction: 'md5' }, { color: 'red' }]) {
        expect(() => parseNewDevice({ ...base, ...bad })).toThrow(GraphApiError);
      }
    });
  });

  describe('listing', () => {
    it('keeps pages stable while devices are added and removed between pages', () => {
      store.createDevices(Array.from({ length: 10 }, (_, i) => device(`S${i}`)));
      const first = store.listDevices({ filter: [], top: 4 });
      expect(first.items.map((d) => d.serialNumber)).toEqual(['S0', 'S1', 'S2', 'S3']);
      store.deleteDevice(first.items[0]!.id);
      const s5 = store.listDevices({ filter: parseEqualityFilter("serialNumber eq 'S5'"), top: 1 }).items[0]!;
      store.deleteDevice(s5.id);
      store.createDevices([device('S10')]);
      const second = store.listDevices({ filter: [], top: 4, after: first.continueAfter! });
      expect(second.items.map((d) => d.serialNumber)).toEqual(['S4', 'S6', 'S7', 'S8']);
      const third = store.listDevices({ filter: [], top: 4, after: second.continueAfter! });
      expect(third.items.map((d) => d.serialNumber)).toEqual(['S9', 'S10']);
      expect(third.continueAfter).toBeUndefined();
    });

    it('follows devices between status indexes', () => {
      const created = store.createDevices(Array.from({ length: 6 }, (_, i) => device(`T${i}`)));
      store.assign(user.id, created[4]!.id);
      store.assign(user.id, created[1]!.id);
      store.activate(user.id, created[1]!.id, code(now));
      const activated = store.listDevices({ filter: parseEqualityFilter("status eq 'Activated'"), top: 10 });
      expect(activated.items.map((d) => d.serialNumber)).toEqual(['T1']);
      const assigned = store.listDevices({ filter: parseEqualityFilter(`status eq 'assigned' and assignedTo/id eq '${user.id}'`), top: 10 });
      expect(assigned.items.map((d) => d.serialNumber)).toEqual(['T4']);
      store.unassign(user.id, created[1]!.id);
      expect(store.state().devicesByStatus).toEqual({ available: 5, assigned: 1, activated: 0, failedActivation: 0 });
      const unassigned = store.listDevices({ filter: parseEqualityFilter('assignedTo eq null and timeIntervalInSeconds eq 30'), top: 10 });
      expect(unassigned.items).toHaveLength(5);
    });

    it('finds users by employeeId after it changes, and pages users', () => {
      store.addUsers(
        Array.from({ length: 5 }, (_, i) => ({
          id: null,
          accountEnabled: true,
          displayName: `U${i}`,
          mailNickname: `u${i}`,
          userPrincipalName: `u${i}@contoso.com`,
          employeeId: null,
          userType: 'Member' as const,
        })),
      );
      store.updateUser('u3@contoso.com', { employeeId: 'E99' });
      expect(store.listUsers({ filter: parseEqualityFilter("employeeId eq 'e99'"), top: 10 }).items.map((u) => u.displayName)).toEqual(['U3']);
      const first = store.listUsers({ filter: [], top: 4 });
      const rest = store.listUsers({ filter: [], top: 4, after: first.continueAfter! });
      expect([...first.items, ...rest.items].map((u) => u.displayName)).toEqual(['Ada', 'U0', 'U1', 'U2', 'U3', 'U4']);
    });

    it('rejects filters on unknown properties and other operators', () => {
      expect(failure(() => store.listDevices({ filter: parseEqualityFilter("secretKey eq 'X'"), top: 1 })).code).toBe('Request_UnsupportedQuery');
      expect(() => parseEqualityFilter("status ne 'available'")).toThrow(GraphApiError);
      expect(() => parseEqualityFilter("status eq 'a' or status eq 'b'")).toThrow(GraphApiError);
      expect(parseEqualityFilter("displayName eq 'O''Brien' and timeIntervalInSeconds eq 60")).toEqual([
        { property: 'displayname', value: "O'Brien" },
        { property: 'timeintervalinseconds', value: 60 },
      ]);
    });
  });

  it('a deleted user keeps its method across a --keep-data snapshot (kept), and a restore after it brings both back', () => {
    store.setVariants({ ...store.variants, deletedUserMethods: 'kept', methodId: 'distinct' });
    const [created] = store.createDevices([device('K', { assignTo: user.id })]);
    store.deleteUser(user.id);
    const again = new GraphStore({ now: () => now });
    again.restore(JSON.parse(JSON.stringify(store.snapshot())));
    expect(again.getDevice(created!.id).assignedTo).toEqual({ id: user.id, displayName: 'Ada' });
    expect(again.listDeletedUsers({ filter: [], top: 10 }).items.map((u) => u.id)).toEqual([user.id]);
    expect(again.restoreUser(user.id)).toMatchObject({ id: user.id, employeeId: 'E1' });
    expect(again.listMethods(user.id).map((m) => m.device.serialNumber)).toEqual(['K']);
  });

  it('dropped: a deleted user’s methods go, whatever their method ids', () => {
    store.setVariants({ ...store.variants, deletedUserMethods: 'dropped', methodId: 'distinct' });
    const [created] = store.createDevices([device('DR', { assignTo: user.id })]);
    store.deleteUser(user.id);
    expect(store.getDevice(created!.id)).toMatchObject({ status: 'available', assignedTo: null });
  });

  it('reset forgets everything', () => {
    store.createDevices([device('R')]);
    store.reset();
    expect(store.state()).toEqual({ users: 0, devices: 0, devicesByStatus: { available: 0, assigned: 0, activated: 0, failedActivation: 0 } });
    expect(failure(() => store.getUser(user.id)).status).toBe(404);
  });
});

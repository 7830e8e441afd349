import { totpCode } from '../../shared/domain/seed';
import type { TokenRecord } from '../../shared/domain/token';
import { DirectoryRefusal, type Directory, type EntraDevice } from '../../shared/ports';
import { activateForHire, activateWithCurrentCode } from '../../shared/workflows/activation';

/** A fake Entra for one device: it accepts a code of the current step only, and never the same step twice. */
function scene(options: { entraSeed: string; assignAndActivate?: 'atomic' | 'leavesFailedActivation'; usedStep?: number }) {
  let nowMs = Date.UTC(2026, 11, 1, 9, 0, 10);
  const clock = { now: () => new Date(nowMs) };
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    nowMs += ms;
  };
  const sent: { call: string; step: number }[] = [];
  let lastStep = options.usedStep ?? -1;
  const device: EntraDevice = { id: 'dev-1', serialNumber: 'S1', manufacturer: 'Token2', model: 'C202', status: 'available', timeIntervalInSeconds: 30, hashFunction: 'hmacsha1' };
  const step = () => Math.floor(nowMs / 30_000);
  const accepts = (code: string) => step() > lastStep && totpCode(options.entraSeed, 30, 'hmacsha1', clock.now()) === code;
  const refuse = () => new DirectoryRefusal(400, 'invalidRequest', 'refused');
  const unexpected = async () => {
    throw new Error('not used');
  };
  const directory: Directory = {
    findDeviceBySerial: async () => structuredClone(device),
    createDevices: unexpected,
    deleteDevice: unexpected,
    findUserByUpn: unexpected,
    findUserByEmployeeId: unexpected,
    methodDevicesOf: unexpected,
    findUserById: unexpected,
    // As Entra: one user per device; the adapter answers a write that is already done as done.
    async assign(userId) {
      sent.push({ call: 'assign', step: step() });
      if (device.assignedTo?.id === userId) return;
      if (device.assignedTo) throw new DirectoryRefusal(400, 'invalidRequest', 'assigned to another user');
      device.assignedTo = { id: userId };
      device.status = 'assigned';
    },
    async assignAndActivate(userId, _deviceId, code) {
      sent.push({ call: 'assignAndActivate', step: step() });
      if (device.assignedTo?.id === userId && device.status === 'activated') return;
      if (device.assignedTo) throw new DirectoryRefusal(400, 'invalidRequest', 'assigned already');
      if (!accepts(code)) {
        if (options.assignAndActivate === 'leavesFailedActivation') Object.assign(device, { assignedTo: { id: userId }, status: 'failedActivation' });
        throw refuse();
      }
      lastStep = step();
      Object.assign(device, { assignedTo: { id: userId }, status: 'activated' });
    },
    async activate(_userId, _deviceId, code) {
      sent.push({ call: 'activate', step: step() });
      if (!accepts(code)) {
        device.status = 'failedActivation';
        throw refuse();
      }
      lastStep = step();
      device.status = 'activated';
    },
    deactivate: unexpected,
    async unassign() {
      sent.push({ call: 'unassign', step: step() });
      delete device.assignedTo;
      device.status = 'available';
    },
  };
  return { deps: { directory, clock, sleep }, device, sent, sleeps, step, clock };
}

const SEED = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const token = { serialNumber: 'S1', entraDeviceId: 'dev-1', timeIntervalInSeconds: 30, hashFunction: 'hmacsha1', seedSecretName: 'seed-S1' } as TokenRecord;
const user = { id: 'u-1', userPrincipalName: 'ada@contoso.com' };

describe('activateWithCurrentCode', () => {
  it('sends the current step only, and when Entra has already seen it, waits for the next step instead of sending a future code', async () => {
    const s = scene({ entraSeed: SEED });
    s.device.assignedTo = { id: 'u-1' };
    s.device.status = 'assigned';
    const first = s.step();
    // The current step's code was used (a sign-in): Entra refuses it once.
    const used = scene({ entraSeed: SEED, usedStep: first });
    used.device.assignedTo = { id: 'u-1' };
    used.device.status = 'assigned';
    expect(await activateWithCurrentCode(used.deps, token, SEED, 'u-1', 'dev-1')).toBe('activated');
    expect(used.sent).toEqual([
      { call: 'activate', step: first },
      { call: 'activate', step: first + 1 },
    ]);
    expect(used.sleeps).toHaveLength(1);
    expect(await activateWithCurrentCode(s.deps, token, SEED, 'u-1', 'dev-1')).toBe('activated');
    expect(s.sent).toEqual([{ call: 'activate', step: first }]);
  });

  it('calls a seed refused only after three different steps were refused and the device still waits for a code', async () => {
    const s = scene({ entraSeed: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' });
    s.device.assignedTo = { id: 'u-1' };
    s.device.status = 'assigned';
    expect(await activateWithCurrentCode(s.deps, token, SEED, 'u-1', 'dev-1')).toBe('code_refused');
    const steps = s.sent.map((call) => call.step);
    expect(new Set(steps).size).toBe(3);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
  });

  it('a holder who signed in with the next step too: the step after that is waited for', async () => {
    const s = scene({ entraSeed: SEED });
    const first = s.step();
    const used = scene({ entraSeed: SEED, usedStep: first + 1 });
    Object.assign(used.device, { assignedTo: { id: 'u-1' }, status: 'assigned' });
    expect(await activateWithCurrentCode(used.deps, token, SEED, 'u-1', 'dev-1')).toBe('activated');
    expect(used.sent.map((call) => call.step)).toEqual([first, first + 1, first + 2]);
  });
});

describe('activateForHire (the joiner saga activate step)', () => {
  it.each(['atomic', 'leavesFailedActivation'] as const)('a seed Entra refuses (%s): unusable, and the user does not keep the method', async (variant) => {
    const s = scene({ entraSeed: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', assignAndActivate: variant });
    const outcome = await activateForHire({ ...s.deps, seedOf: async () => SEED }, token, user, 'auto');
    expect(outcome).toMatchObject({ kind: 'unusable', reason: expect.stringContaining('does not match') });
    expect(s.device).toMatchObject({ status: 'available' });
    expect(s.device.assignedTo).toBeUndefined();
    // No code of a step is sent twice.
    const steps = s.sent.filter((c) => c.call !== 'assign' && c.call !== 'unassign').map((c) => c.step);
    expect(new Set(steps).size).toBe(steps.length);
  });

  it('a retry that finds the device already activated for the user converges with its one write', async () => {
    const s = scene({ entraSeed: SEED });
    Object.assign(s.device, { assignedTo: { id: 'u-1' }, status: 'activated' });
    expect(await activateForHire({ ...s.deps, seedOf: async () => SEED }, token, user, 'auto')).toEqual({ kind: 'done' });
    expect(s.sent).toEqual([{ call: 'assignAndActivate', step: s.step() }]);
    expect(s.device).toMatchObject({ assignedTo: { id: 'u-1' }, status: 'activated' });
  });

  it('a row naming another device id than Entra’s: the device found by serial is assigned and activated with the current code, without waiting', async () => {
    const s = scene({ entraSeed: SEED });
    const directory = { ...s.deps.directory, assignAndActivate: async (userId: string, deviceId: string, code: string) => {
      if (deviceId !== s.device.id) {
        s.sent.push({ call: 'assignAndActivate', step: s.step() });
        throw new DirectoryRefusal(404, 'Request_ResourceNotFound', 'no such device');
      }
      return s.deps.directory.assignAndActivate(userId, deviceId, code);
    } };
    expect(await activateForHire({ ...s.deps, directory, seedOf: async () => SEED }, { ...token, entraDeviceId: 'stale-id' }, user, 'auto')).toEqual({ kind: 'done' });
    expect(s.sent.map((c) => c.call)).toEqual(['assignAndActivate', 'assign', 'activate']);
    expect(s.sleeps).toEqual([]);
    expect(s.device).toMatchObject({ assignedTo: { id: 'u-1' }, status: 'activated' });
  });

  it('a retry that finds the device assigned to the user but not activated activates it with the current code, without waiting', async () => {
    const s = scene({ entraSeed: SEED });
    Object.assign(s.device, { assignedTo: { id: 'u-1' }, status: 'assigned' });
    expect(await activateForHire({ ...s.deps, seedOf: async () => SEED }, token, user, 'auto')).toEqual({ kind: 'done' });
    expect(s.sent.map((c) => c.call)).toEqual(['assignAndActivate', 'activate']);
    expect(s.sleeps).toEqual([]);
    expect(s.device.status).toBe('activated');
  });

  it('a device held by someone else is unusable; a missing seed is unusable; user mode only assigns', async () => {
    const held = scene({ entraSeed: SEED });
    held.device.assignedTo = { id: 'u-2' };
    expect(await activateForHire({ ...held.deps, seedOf: async () => SEED }, token, user, 'auto')).toMatchObject({ kind: 'unusable', reason: expect.stringContaining('another user') });
    const noSeed = scene({ entraSeed: SEED });
    expect(await activateForHire({ ...noSeed.deps, seedOf: async () => undefined }, token, user, 'auto')).toMatchObject({ kind: 'unusable', reason: expect.stringContaining('seed is missing') });
    const userMode = scene({ entraSeed: SEED });
    expect(await activateForHire({ ...userMode.deps, seedOf: async () => SEED }, token, user, 'user')).toEqual({ kind: 'done' });
    expect(userMode.sent).toEqual([{ call: 'assign', step: userMode.step() }]);
  });
});

import { type GraphEmulatorControl, graphEmulatorControl } from '../../../dev/graph/control';
import type { GraphEmulator } from '../../../dev/graph/server';
import { graphDirectory } from '../../../shared/adapters/graphDirectory';
import { DirectoryRefusal, HeldByDeletedAccount, type Directory } from '../../../shared/ports';
import { currentCode, graphClient, newSeed, startTestEmulator } from './helpers';

/**
 * The directory adapter and a deleted user's hardware OATH method, under each reading of what Entra does
 * with it (the deletedUserMethods variant): taking it off never reports success while Entra still shows
 * the device on the deleted account, and costs no extra call for a user Graph finds.
 */

let emulator: GraphEmulator;
let control: GraphEmulatorControl;
let directory: Directory;
let n = 0;

beforeAll(async () => {
  emulator = await startTestEmulator();
  control = graphEmulatorControl(emulator.url);
  directory = graphDirectory(graphClient(emulator));
});
afterAll(async () => {
  await emulator.close();
});
beforeEach(async () => {
  await control.reset();
});

/** A user holding an activated token. */
async function holder(): Promise<{ userId: string; deviceId: string; serial: string }> {
  n++;
  const [user] = await control.seedUsers([{ displayName: `Holder ${n}`, userPrincipalName: `holder${n}@contoso.com` }]);
  const seed = newSeed();
  const serial = `DEL-${n}`;
  const { ids } = await control.seedDevices([{ serialNumber: serial, manufacturer: 'Token2', model: 'C202', secretKey: seed, timeIntervalInSeconds: 30 }]);
  await directory.assignAndActivate(user!.id, ids[0]!, currentCode(seed));
  return { userId: user!.id, deviceId: ids[0]!, serial };
}

const requests = async () => (await control.stats()).requests;

describe('unassign from a deleted user', () => {
  it('a user Graph finds: one DELETE, as before', async () => {
    const { userId, deviceId, serial } = await holder();
    const before = await requests();
    await directory.unassign(userId, deviceId);
    const after = await requests();
    expect((after['DELETE method'] ?? 0) - (before['DELETE method'] ?? 0)).toBe(1);
    expect(Object.values(after).reduce((a, b) => a + b, 0) - Object.values(before).reduce((a, b) => a + b, 0)).toBe(1);
    expect(await directory.findDeviceBySerial(serial)).not.toHaveProperty('assignedTo');
  });

  it('kept: refused with HeldByDeletedAccount, the device still on the account; after a restore it is taken off', async () => {
    await control.setVariants({ deletedUserMethods: 'kept' });
    const { userId, deviceId, serial } = await holder();
    await control.deleteUser(userId);
    const failure = await directory.unassign(userId, deviceId).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HeldByDeletedAccount);
    expect(failure).toMatchObject({ userId, deviceId });
    expect(await directory.findDeviceBySerial(serial)).toMatchObject({ status: 'activated', assignedTo: { id: userId } });
    expect(await directory.methodDevicesOf(userId)).toBe('no_account');
    // Device deletion is refused while it is assigned (Graph's 400).
    await expect(directory.deleteDevice(deviceId)).rejects.toBeInstanceOf(DirectoryRefusal);

    await control.restoreUser(userId);
    await directory.unassign(userId, deviceId);
    expect(await directory.findDeviceBySerial(serial)).toMatchObject({ status: 'available' });
  });

  it('dropped: nothing is left to take off, and unassign says so by succeeding', async () => {
    await control.setVariants({ deletedUserMethods: 'dropped' });
    const { userId, deviceId, serial } = await holder();
    await control.deleteUser(userId);
    await directory.unassign(userId, deviceId);
    expect(await directory.findDeviceBySerial(serial)).toMatchObject({ status: 'available' });
  });

  it('kept: a deleted user that holds another device than the one named is no reason to refuse', async () => {
    await control.setVariants({ deletedUserMethods: 'kept' });
    const first = await holder();
    const second = await holder();
    await control.deleteUser(first.userId);
    await directory.unassign(first.userId, second.deviceId);
    expect(await directory.findDeviceBySerial(second.serial)).toMatchObject({ assignedTo: { id: second.userId } });
  });
});

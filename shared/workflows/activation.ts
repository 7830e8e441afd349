import { totpCode } from '../domain/seed';
import type { TokenRecord } from '../domain/token';
import { DirectoryRefusal, type Clock, type Directory, type EntraUser } from '../ports';

/**
 * Activating a token with codes computed from its seed. Only the code of the current time step is
 * ever sent: Entra refuses a code it has accepted before (the last activation's, a sign-in's), and a
 * future step's code would burn the code the holder sees next. When the current code is refused, the
 * device is read again before anything is concluded: activated means an earlier answer was lost; still
 * waiting means the code may be one Entra already took (the holder may have signed in since), so the next
 * step is waited for and tried. After `codes` different codes refused it is "code refused": the seed does
 * not match the token.
 */

export interface ActivationDeps {
  directory: Directory;
  clock: Clock;
  /** Waits for the next time step; setTimeout unless given (tests advance a fake clock). */
  sleep?: (ms: number) => Promise<void>;
}

type TokenCode = Pick<TokenRecord, 'serialNumber' | 'timeIntervalInSeconds' | 'hashFunction'>;

/** A little past the boundary, so the next step has surely started on Entra's clock too. */
const STEP_MARGIN_MS = 1000;

const stepOf = (at: Date, seconds: number) => Math.floor(at.getTime() / 1000 / seconds);

export const untilNextStep = (at: Date, seconds: number): number => seconds * 1000 - (at.getTime() % (seconds * 1000)) + STEP_MARGIN_MS;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Activates the method of `deviceId` for `userId`. `refusedAt` is when a code of this seed was last
 * refused (e.g. by assignAndActivate): that step's code is not sent again.
 */
export async function activateWithCurrentCode(
  deps: ActivationDeps,
  token: TokenCode,
  seed: string,
  userId: string,
  deviceId: string,
  refusedAt?: Date,
  codes = 3,
): Promise<'activated' | 'code_refused'> {
  const sleep = deps.sleep ?? defaultSleep;
  const seconds = token.timeIntervalInSeconds;
  let lastRefused = refusedAt;
  // A refusal the caller already had counts as the first.
  for (let refusals = refusedAt ? 1 : 0; refusals < codes; refusals++) {
    if (lastRefused && stepOf(deps.clock.now(), seconds) <= stepOf(lastRefused, seconds)) await sleep(untilNextStep(deps.clock.now(), seconds));
    const at = deps.clock.now();
    try {
      await deps.directory.activate(userId, deviceId, totpCode(seed, seconds, token.hashFunction, at));
      return 'activated';
    } catch (error) {
      if (!(error instanceof DirectoryRefusal) || error.status !== 400) throw error;
      // An unknown 400 is "code refused" only once the device shows it is still waiting for a code.
      const device = await deps.directory.findDeviceBySerial(token.serialNumber, { expectExisting: true });
      if (device?.assignedTo?.id === userId && device.status === 'activated') return 'activated';
      if (device?.assignedTo?.id !== userId) throw error;
      lastRefused = at;
    }
  }
  return 'code_refused';
}

export type HireActivation = { kind: 'done' } | { kind: 'unusable'; reason: string } | { kind: 'refused'; reason: string };

export interface HireActivationDeps extends ActivationDeps {
  /** The token's seed, or undefined when Key Vault has none. */
  seedOf: () => Promise<string | undefined>;
}

/**
 * The joiner saga's `activate` step: the reserved token becomes the hire's method in Entra, activated
 * (auto) or only assigned (user), in one write to the device id the inventory registered. Entra keeps
 * a device to one user, so that write is refused when the device is anyone else's; a refused write is
 * followed by a read of the device, which tells a retry after a lost answer (the device is already this
 * user's: finish what the last try began) from a device that went elsewhere or away ("unusable").
 * A token whose seed Entra refuses is "unusable" too: it is taken back from the user in Entra and the
 * saga quarantines it and moves the hire to another token.
 */
export async function activateForHire(deps: HireActivationDeps, token: TokenRecord, user: EntraUser, mode: 'auto' | 'user'): Promise<HireActivation> {
  const { directory } = deps;
  const deviceId = token.entraDeviceId;
  if (!deviceId) return { kind: 'unusable', reason: 'it is not registered in Entra' };
  const read = () => directory.findDeviceBySerial(token.serialNumber, { expectExisting: true });
  const refusedBy = (error: DirectoryRefusal): HireActivation => ({
    kind: 'refused',
    reason: `Entra refused to give ${user.userPrincipalName} a token (${error.status} ${error.code}): ${error.message}`,
  });

  const seed = mode === 'auto' ? await deps.seedOf() : undefined;
  if (mode === 'auto' && seed === undefined) return { kind: 'unusable', reason: 'its seed is missing from Key Vault' };

  let refusedAt: Date | undefined;
  let device;
  try {
    if (mode === 'user' || seed === undefined) {
      await directory.assign(user.id, deviceId);
      return { kind: 'done' };
    }
    refusedAt = deps.clock.now();
    await directory.assignAndActivate(user.id, deviceId, totpCode(seed, token.timeIntervalInSeconds, token.hashFunction, refusedAt));
    return { kind: 'done' };
  } catch (error) {
    if (!(error instanceof DirectoryRefusal)) throw error;
    device = await read();
    if (!device) return { kind: 'unusable', reason: 'Entra has no device with its serial number' };
    if (device.assignedTo && device.assignedTo.id !== user.id) return { kind: 'unusable', reason: 'Entra shows it assigned to another user' };
    // Already this user's and waiting for a code (a retry after an assign), or registered under another id than the
    // row's: the write was refused for the assignment or the id, not the code, which may still be used.
    if ((device.assignedTo && device.status === 'assigned') || device.id !== deviceId) refusedAt = undefined;
    if (!device.assignedTo) {
      if (mode === 'user') {
        // A device registered again under another id since the row was written: assign that one.
        if (device.id === deviceId) return refusedBy(error);
        try {
          await directory.assign(user.id, device.id);
          return { kind: 'done' };
        } catch (assignError) {
          if (!(assignError instanceof DirectoryRefusal)) throw assignError;
          return (await read())?.assignedTo?.id === user.id ? { kind: 'done' } : refusedBy(assignError);
        }
      }
      // Nothing changed: assign alone tells a refusal of the person (a guest, five methods already) from one of the code.
      try {
        await directory.assign(user.id, device.id);
      } catch (assignError) {
        if (!(assignError instanceof DirectoryRefusal)) throw assignError;
        if ((await read())?.assignedTo?.id !== user.id) return refusedBy(assignError);
      }
    }
  }
  if (mode === 'user' || seed === undefined || device.status === 'activated') return { kind: 'done' };
  // A token from stock has shown no code since it was registered: two steps refused settle it.
  const outcome = await activateWithCurrentCode(deps, token, seed, user.id, device.id, refusedAt, 2);
  if (outcome === 'activated') return { kind: 'done' };
  // The user must not keep a method that cannot sign in; the token goes to quarantine.
  await directory.unassign(user.id, device.id);
  return { kind: 'unusable', reason: 'Entra refused the codes computed from its seed (the seed in Key Vault does not match the token)' };
}

import { isHeld, withoutHolder, type TokenRecord } from '../domain/token';
import type { AuditLog, Clock, Directory, EntraDevice, Inventory, ProvisioningRecord } from '../ports';
import { revokeToken, tokensOf, type ActionContext, type RevokeDeps } from './revokeToken';

/**
 * A person is their Entra object id. A leaver, from any source, is resolved to the Entra accounts it
 * names (the object id the source gives, the account Entra finds by employeeId and by UPN, and the
 * accounts our records and rows tie to the person), and every hardware OATH device this system manages
 * that Entra shows on those accounts is taken off, whatever the inventory's rows say; the rows follow.
 * An employeeId that moved to another account keeps no factor: both accounts are looked at.
 */

export interface LeaverIdentity {
  employeeId?: string;
  userPrincipalName?: string;
  entraUserId?: string;
}

export interface LeaverAccounts {
  /** Object ids, first the one the source gave, then Entra's by employeeId, by UPN, then what our records knew. */
  ids: string[];
  /** User principal names Entra answered, by object id. */
  upns: Map<string, string>;
  /** What an admin should know (an employeeId on several accounts). */
  notes: string[];
}

const lower = (id: string) => id.toLowerCase();

/** The accounts a leaver is. Records and rows only add accounts: Entra's answers are never overruled by them. */
export async function resolveLeaverAccounts(
  directory: Pick<Directory, 'findUserByEmployeeId' | 'findUserByUpn'>,
  who: LeaverIdentity,
  known: { records: readonly ProvisioningRecord[]; rows: readonly TokenRecord[] },
): Promise<LeaverAccounts> {
  const ids: string[] = [];
  const upns = new Map<string, string>();
  const notes: string[] = [];
  const add = (id: string | undefined, upn?: string) => {
    if (!id) return;
    if (!ids.some((known) => lower(known) === lower(id))) ids.push(id);
    if (upn) upns.set(lower(id), upn);
  };
  add(who.entraUserId);
  const byEmployeeId = who.employeeId ? await directory.findUserByEmployeeId(who.employeeId) : undefined;
  if (byEmployeeId === 'ambiguous') notes.push(`employeeId ${who.employeeId} is on several Entra accounts; only the accounts named otherwise were looked at`);
  else if (byEmployeeId) add(byEmployeeId.id, byEmployeeId.userPrincipalName);
  if (who.userPrincipalName) {
    const byUpn = await directory.findUserByUpn(who.userPrincipalName);
    if (byUpn) add(byUpn.id, byUpn.userPrincipalName);
  }
  // A hire refused for naming the wrong account never tied that account to the person.
  for (const record of known.records) if (record.refusal !== 'employee_id_mismatch' && record.refusal !== 'ambiguous_employee_id') add(record.entraUserId);
  for (const row of known.rows) add(row.entraUserId);
  return { ids, upns, notes };
}

export interface SweepDeps extends RevokeDeps {
  audit: AuditLog;
  clock: Clock;
  inventory: Inventory;
}

export interface SweepResult {
  /** Tokens revoked (held until now), awaiting their return. */
  revoked: TokenRecord[];
  /** Tokens a hire had reserved, back in stock. */
  released: string[];
  /** Devices taken off an account although the inventory did not have them held there. */
  unassigned: string[];
}

/** The inventory row of a device Entra shows, when it is one this system manages (same serial, same device). */
async function managedRow(inventory: Inventory, device: EntraDevice): Promise<TokenRecord | undefined> {
  const row = await inventory.get(device.serialNumber);
  if (!row || (row.entraDeviceId && lower(row.entraDeviceId) !== lower(device.id))) return undefined;
  return row;
}

/** A reserved token was never handed out: it goes back to stock, after undoing an assignment a crashed hire left in Entra. */
export async function releaseReserved(deps: SweepDeps, token: TokenRecord, employeeId: string): Promise<void> {
  const device = await deps.directory.findDeviceBySerial(token.serialNumber);
  if (device?.assignedTo) await deps.directory.unassign(device.assignedTo.id, device.id);
  const written = await deps.inventory.replace({ ...withoutHolder(token), status: 'in_stock', updatedAt: deps.clock.now().toISOString(), lastChangeReason: `released: ${employeeId} left before the hire finished` });
  if (written === 'conflict') throw new Error(`token ${token.serialNumber} changed while it was being released; retry`);
}

/**
 * Takes every managed device off the leaver's accounts (Entra first), then settles the rows that tie
 * a held token to the person (by employeeId or by one of the accounts) that Entra did not show.
 */
export async function sweepLeaver(deps: SweepDeps, who: { employeeId: string }, accounts: LeaverAccounts, rows: readonly TokenRecord[], note: string, context: ActionContext): Promise<SweepResult> {
  const result: SweepResult = { revoked: [], released: [], unassigned: [] };
  const done = new Set<string>();
  for (const account of accounts.ids) {
    const devices = await deps.directory.methodDevicesOf(account);
    if (devices === 'no_account') continue;
    for (const device of devices) {
      const row = await managedRow(deps.inventory, device);
      if (!row) continue;
      done.add(row.serialNumber.toUpperCase());
      if (row.status === 'reserved') {
        await releaseReserved(deps, row, who.employeeId);
        result.released.push(row.serialNumber);
      } else if (isHeld(row.status)) {
        // Entra says whose it is: the row is settled as the leaver's, whoever it named.
        const upn = accounts.upns.get(lower(account)) ?? (row.entraUserId && lower(row.entraUserId) === lower(account) ? row.userPrincipalName : undefined);
        const { userPrincipalName: _upn, ...rest } = row;
        const asHeld: TokenRecord = { ...rest, employeeId: who.employeeId, entraUserId: account, ...(upn ? { userPrincipalName: upn } : {}) };
        await revokeToken(deps, asHeld, 'offboarded', note, context);
        result.revoked.push(asHeld);
      } else {
        // Not held by anyone in the inventory, yet on the leaver's account in Entra: taken off, the row stays as it is.
        await deps.directory.unassign(account, device.id);
        result.unassigned.push(row.serialNumber);
        await deps.audit.record({
          actor: context.actor,
          action: 'token.offboarded',
          serialNumber: row.serialNumber,
          employeeId: who.employeeId,
          correlationId: context.correlationId,
          outcome: 'succeeded',
          detail: `Entra showed ${row.serialNumber} (${device.status}) on leaving account ${account} while the inventory says ${row.status}; taken off the account`,
        });
      }
    }
  }
  // Rows that tie a held token to the person, which Entra did not show on any of the accounts.
  for (const row of rows) {
    if (done.has(row.serialNumber.toUpperCase()) || !isHeld(row.status)) continue;
    done.add(row.serialNumber.toUpperCase());
    if (row.status === 'reserved') {
      await releaseReserved(deps, row, who.employeeId);
      result.released.push(row.serialNumber);
    } else {
      await revokeToken(deps, row, 'offboarded', note, context);
      result.revoked.push(row);
    }
  }
  return result;
}

/**
 * The managed tokens Entra shows on the accounts, as rows held by that account (Entra says whose
 * they are): what an admin's offboarding revokes beside the rows that name the person.
 */
export async function heldOnAccounts(deps: Pick<SweepDeps, 'directory' | 'inventory'>, accounts: LeaverAccounts): Promise<TokenRecord[]> {
  const found: TokenRecord[] = [];
  for (const account of accounts.ids) {
    const devices = await deps.directory.methodDevicesOf(account);
    if (devices === 'no_account') continue;
    for (const device of devices) {
      const row = await managedRow(deps.inventory, device);
      if (!row || !isHeld(row.status) || row.status === 'reserved') continue;
      const same = row.entraUserId !== undefined && lower(row.entraUserId) === lower(account);
      const upn = accounts.upns.get(lower(account)) ?? (same ? row.userPrincipalName : undefined);
      const { userPrincipalName: _upn, ...rest } = row;
      found.push(same ? row : { ...rest, entraUserId: account, ...(upn ? { userPrincipalName: upn } : {}) });
    }
  }
  return found;
}

/** The rows that tie a token to the person: by employeeId, and by each account's object id. */
export async function rowsOfLeaver(inventory: Inventory, employeeId: string, accountIds: readonly string[]): Promise<TokenRecord[]> {
  const rows = new Map<string, TokenRecord>();
  for (const row of await tokensOf(inventory, employeeId)) if (row.employeeId === employeeId) rows.set(row.serialNumber.toUpperCase(), row);
  for (const account of accountIds) {
    for (const row of await tokensOf(inventory, account)) if (row.entraUserId && lower(row.entraUserId) === lower(account)) rows.set(row.serialNumber.toUpperCase(), row);
  }
  return [...rows.values()];
}

/** Entra has the last word: no managed device is on any of the accounts any more, else it is taken off once more. */
export async function confirmAccountsClear(deps: Pick<SweepDeps, 'directory' | 'inventory'>, accountIds: readonly string[]): Promise<void> {
  for (const account of accountIds) {
    for (let look = 0; ; look++) {
      const devices = await deps.directory.methodDevicesOf(account);
      if (devices === 'no_account') break;
      const managed: EntraDevice[] = [];
      for (const device of devices) if (await managedRow(deps.inventory, device)) managed.push(device);
      if (managed.length === 0) break;
      if (look > 0) throw new Error(`Entra still shows ${managed.map((d) => d.serialNumber).join(', ')} on user ${account} after it was removed`);
      for (const device of managed) await deps.directory.unassign(account, device.id);
    }
  }
}

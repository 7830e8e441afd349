import type { HashFunction, TimeInterval } from './seed';

/**
 * A physical token's life in the inventory (DESIGN section 4):
 * importing -> in_stock -> reserved -> assigned -> active -> (revoked | lost | retired), active <-> suspended,
 * plus quarantined for a token whose seed or Entra record is inconsistent or awaits re-seeding.
 * In hand-over mode a hire ends reserved -> awaiting_handover (assigned in Entra, not activated) until
 * the desk shows the code on the token, which activates it. An import writes its row `importing` and
 * moves it to in_stock (or, for a row naming a user, to that user) only once Entra has its device.
 */
export type TokenStatus =
  | 'importing'
  | 'in_stock'
  | 'reserved'
  | 'assigned'
  | 'awaiting_handover'
  | 'active'
  | 'suspended'
  | 'revoked'
  | 'lost'
  | 'retired'
  | 'quarantined';

export const TOKEN_STATUSES: readonly TokenStatus[] = ['importing', 'in_stock', 'reserved', 'assigned', 'awaiting_handover', 'active', 'suspended', 'revoked', 'lost', 'retired', 'quarantined'];

/** How a hire's token is activated: from the seed (auto), by the user (user), or at the desk with the code shown on the token (handover). */
export type ActivationMode = 'auto' | 'user' | 'handover';
export const ACTIVATION_MODES: readonly ActivationMode[] = ['auto', 'user', 'handover'];

/** Where a hire (or an import naming a user) leaves its token in each mode. */
export function heldStatusFor(mode: ActivationMode): 'active' | 'assigned' | 'awaiting_handover' {
  return mode === 'auto' ? 'active' : mode === 'user' ? 'assigned' : 'awaiting_handover';
}

export type ShipmentStatus = 'shipped' | 'delivered';
export const SHIPMENT_STATUSES: readonly ShipmentStatus[] = ['shipped', 'delivered'];

/** A token waiting for its holder at a site: where, since when, and how its shipping stands. */
export interface Handover {
  /** The holder's site (their HR location; the token's pool when none). */
  site: string;
  since: string;
  shipment?: { status: ShipmentStatus; tracking?: string; updatedAt: string };
}

/** Why a token was taken from its holder (admin revoke, or offboarded by HR); unused: nobody signed in with it for UNUSED_TOKEN_DAYS. */
export type RevokeReason = 'lost' | 'stolen' | 'damaged' | 'returned' | 'offboarded' | 'unused';
export const REVOKE_REASONS: readonly RevokeReason[] = ['lost', 'stolen', 'damaged', 'returned', 'offboarded', 'unused'];

/** Where a token's seed came from: a vendor's file, or generated here for a programmable token. */
export type SeedOrigin = 'vendor' | 'generated';

export interface TokenRecord {
  serialNumber: string;
  manufacturer: string;
  model: string;
  timeIntervalInSeconds: TimeInterval;
  hashFunction: HashFunction;
  seedOrigin: SeedOrigin;
  /** Location pool the token sits in (e.g. a site code); '' for the shared pool. */
  pool: string;
  status: TokenStatus;
  /** Name of the Key Vault secret that holds the seed (never the seed). */
  seedSecretName: string;
  /** Entra's hardwareOathDevice id once registered. */
  entraDeviceId?: string;
  /** HR employee id of the holder, when held through a hire. */
  employeeId?: string;
  /** Entra user object id of the holder. */
  entraUserId?: string;
  userPrincipalName?: string;
  /** The holder's name as Entra showed it at the hire (the HR event's when Entra had none): for admins reading, never a key. */
  displayName?: string;
  /** Set when the token was revoked; the holder fields then name who had it. */
  revocationReason?: RevokeReason;
  /** Who (a Tokens.PrivilegedAdmin) allowed the holder a token although the account is privileged: reconciliation leaves it. */
  privilegedApprovedBy?: string;
  /** While awaiting_handover: the site and the shipping state. */
  handover?: Handover;
  /** Time steps the token's clock ran ahead (+) or behind (-) when it was handed over. */
  driftSteps?: number;
  /** The last TOTP time step a hand-over accepted from this token: a code at or before it is a replay. */
  lastCodeStep?: number;
  /** When the token was last activated for its holder (a hire, a hand-over, a resume): unused tokens are judged from it. */
  activatedAt?: string;
  createdAt: string;
  updatedAt: string;
  /** Why the token last changed, for admins reading the inventory. */
  lastChangeReason: string;
  /** Table ETag of the row read; every write is conditional on it. */
  etag?: string;
}

/** The holder as admins read them in a token's last change: name and UPN, else what the row has. */
export function holderLabel(token: Pick<TokenRecord, 'displayName' | 'userPrincipalName' | 'employeeId'>): string {
  const id = token.userPrincipalName ?? token.employeeId;
  if (token.displayName) return id ? `${token.displayName} (${id})` : token.displayName;
  return id ?? 'its holder';
}

/** The token as it is once nobody holds it: the holder and why it was taken back are gone. */
export function withoutHolder(token: TokenRecord): TokenRecord {
  const { employeeId: _employee, entraUserId: _user, userPrincipalName: _upn, displayName: _name, revocationReason: _reason, handover: _handover, privilegedApprovedBy: _approved, activatedAt: _activated, ...unheld } = token;
  return unheld;
}

const TRANSITIONS: Record<TokenStatus, readonly TokenStatus[]> = {
  // Out of importing only through its import (registered, or rolled back and removed) or a re-seed.
  importing: ['in_stock', 'assigned', 'awaiting_handover', 'active'],
  in_stock: ['reserved', 'assigned', 'active', 'quarantined', 'lost', 'retired'],
  reserved: ['in_stock', 'assigned', 'awaiting_handover', 'active', 'quarantined'],
  assigned: ['active', 'in_stock', 'revoked', 'lost', 'retired', 'quarantined'],
  awaiting_handover: ['active', 'in_stock', 'revoked', 'lost', 'retired', 'quarantined'],
  active: ['suspended', 'revoked', 'lost', 'retired', 'quarantined'],
  suspended: ['active', 'revoked', 'lost', 'retired', 'quarantined'],
  revoked: ['in_stock', 'lost', 'retired', 'quarantined'],
  lost: [],
  retired: [],
  quarantined: ['in_stock', 'lost', 'retired'],
};

export function canTransition(from: TokenStatus, to: TokenStatus): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

/**
 * A row an import has not finished: its device is not registered in Entra yet (or not written back).
 * Earlier versions wrote such rows `in_stock` without a device id; they are read as importing.
 */
export const isImporting = (token: Pick<TokenRecord, 'status' | 'entraDeviceId'>): boolean => token.status === 'importing' || (token.status === 'in_stock' && !token.entraDeviceId);

/** A token someone holds: it must not be handed to anyone else. */
export function isHeld(status: TokenStatus): boolean {
  return status === 'reserved' || status === 'assigned' || status === 'awaiting_handover' || status === 'active' || status === 'suspended';
}

/** Serial numbers are the inventory key and part of the Key Vault secret name, so they keep to a safe alphabet. */
export const SERIAL_PATTERN = /^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$/;
const MAX_SERIAL_LENGTH = 64;

export function checkSerial(serial: string): string | undefined {
  if (serial.length === 0) return 'serial number is empty';
  if (serial.length > MAX_SERIAL_LENGTH || !SERIAL_PATTERN.test(serial)) {
    return `serial number must be 1-${MAX_SERIAL_LENGTH} letters and digits, optionally joined by single hyphens`;
  }
  return undefined;
}

/** The inventory key of a serial: Key Vault names ignore case, so the inventory does too. */
export const serialKey = (serial: string): string => serial.toUpperCase();

/**
 * Key Vault secret name for a serial's seed. `generation` moves past a name that is still
 * soft-deleted (purge protection keeps it for days); serials never hold "--", so names cannot collide.
 */
export function seedSecretName(serial: string, generation = 0): string {
  const base = `seed-${serialKey(serial)}`;
  return generation === 0 ? base : `${base}--v${generation}`;
}

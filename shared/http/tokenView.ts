import type { TokenRecord } from '../domain/token';

/** A token as the admin API shows it: everything an admin needs, and nothing secret. */
export interface TokenView {
  serialNumber: string;
  manufacturer: string;
  model: string;
  timeIntervalInSeconds: number;
  hashFunction: string;
  seedOrigin: string;
  pool: string;
  status: string;
  /** False while an import of this token has not finished registering it in Entra. */
  registeredInEntra: boolean;
  entraDeviceId: string | null;
  employeeId: string | null;
  userPrincipalName: string | null;
  /** The holder's name as Entra showed it at the hire; null for a token nobody holds (or held before names were kept). */
  displayName: string | null;
  entraUserId: string | null;
  revocationReason: string | null;
  /** While awaiting hand-over: the site, since when, and the shipping state. */
  handover: TokenRecord['handover'] | null;
  /** Steps the token's clock was off when it was handed over (+ ahead, - behind); null until then. */
  driftSteps: number | null;
  /** When it was last activated for its holder; null when never (or before this was recorded). */
  activatedAt: string | null;
  createdAt: string;
  updatedAt: string;
  lastChangeReason: string;
}

export function tokenView(record: TokenRecord): TokenView {
  return {
    serialNumber: record.serialNumber,
    manufacturer: record.manufacturer,
    model: record.model,
    timeIntervalInSeconds: record.timeIntervalInSeconds,
    hashFunction: record.hashFunction,
    seedOrigin: record.seedOrigin,
    pool: record.pool,
    status: record.status,
    registeredInEntra: record.entraDeviceId !== undefined,
    entraDeviceId: record.entraDeviceId ?? null,
    employeeId: record.employeeId ?? null,
    userPrincipalName: record.userPrincipalName ?? null,
    displayName: record.displayName ?? null,
    entraUserId: record.entraUserId ?? null,
    revocationReason: record.revocationReason ?? null,
    handover: record.handover ?? null,
    driftSteps: record.driftSteps ?? null,
    activatedAt: record.activatedAt ?? null,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    lastChangeReason: record.lastChangeReason,
  };
}

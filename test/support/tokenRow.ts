import type { TokenRecord } from '../../shared/domain/token';

/** An inventory row for unit tests: a Token2 C202 vendor token (SHA-1, 30 s) with its seed under seed-SERIAL; `fields` say the rest. */
export function tokenRow(serialNumber: string, fields: Omit<TokenRecord, 'serialNumber' | 'manufacturer' | 'model' | 'timeIntervalInSeconds' | 'hashFunction' | 'seedOrigin' | 'pool' | 'seedSecretName'>): TokenRecord {
  return { serialNumber, manufacturer: 'Token2', model: 'C202', timeIntervalInSeconds: 30, hashFunction: 'hmacsha1', seedOrigin: 'vendor', pool: '', seedSecretName: `seed-${serialNumber}`, ...fields };
}

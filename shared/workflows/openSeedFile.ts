import { Readable } from 'node:stream';
import type { Config } from '../app/config';
import { ImportFileError, MAX_IMPORT_BYTES, parseToken2Json, parseTokenCsv, type ParsedRow } from '../domain/importFile';
import { decryptSeedFile, readSignerKeys, type PgpIntakeKey } from '../domain/pgpSeedFile';
import { parsePskc } from '../domain/pskc';
import type { SeedEncoding } from '../domain/seedEncoding';
import type { Clock, IntakeKeyVault } from '../ports';

/**
 * Turns a seed file as a vendor sends it into the rows the import takes: the portal CSV and Token2 JSON
 * as they are, PSKC with its key from Key Vault, OpenPGP decrypted with the intake key. Keys and
 * plaintext stay in memory for this request only.
 */

export type SeedFileFormat = 'csv' | 'json' | 'pskc' | 'pgp';

export interface SeedFile {
  format: SeedFileFormat;
  body: Buffer;
  seedEncoding: SeedEncoding;
  /** Names the PSKC key: the Key Vault secret is the configured prefix followed by it. */
  keyName?: string;
  /** For PSKC KeyPackages that do not say. */
  manufacturer?: string;
  model?: string;
  pool?: string;
}

export interface SeedFileDeps {
  intakeKeys: IntakeKeyVault;
  clock: Clock;
  config: Pick<Config, 'intake'>;
}

/** A PSKC key name as it may follow the prefix in a Key Vault secret name. */
export const KEY_NAME = /^[0-9A-Za-z-]{1,64}$/;

export async function readIntakeKey(deps: Pick<SeedFileDeps, 'intakeKeys' | 'config'>): Promise<PgpIntakeKey | undefined> {
  const [privateKeyArmored, passphrase] = await Promise.all([deps.intakeKeys.read(deps.config.intake.pgpKeySecret), deps.intakeKeys.read(deps.config.intake.pgpPassphraseSecret)]);
  return privateKeyArmored ? { privateKeyArmored, passphrase: passphrase ?? '' } : undefined;
}

/** Reads a PSKC key the request named, or says why it cannot. */
export async function readPskcKey(deps: SeedFileDeps, keyName: string): Promise<string> {
  if (!KEY_NAME.test(keyName)) throw new ImportFileError('keyName must be 1-64 letters, digits and dashes');
  const secret = await deps.intakeKeys.read(`${deps.config.intake.pskcKeySecretPrefix}${keyName}`);
  if (secret === undefined) throw new ImportFileError(`no PSKC key named "${keyName}" in Key Vault (secret ${deps.config.intake.pskcKeySecretPrefix}${keyName})`);
  return secret;
}

function plainRows(format: 'csv' | 'json', body: Buffer, seedEncoding: SeedEncoding): AsyncIterable<ParsedRow> | Iterable<ParsedRow> {
  return format === 'json' ? parseToken2Json(body.toString('utf8'), { seedEncoding }) : parseTokenCsv(Readable.from([body]), { seedEncoding });
}

/** The file's rows; throws ImportFileError when the file as a whole cannot be opened. */
export async function openSeedFile(file: SeedFile, deps: SeedFileDeps): Promise<AsyncIterable<ParsedRow> | Iterable<ParsedRow>> {
  switch (file.format) {
    case 'csv':
    case 'json':
      return plainRows(file.format, file.body, file.seedEncoding);
    case 'pskc': {
      const secret = file.keyName === undefined ? undefined : await readPskcKey(deps, file.keyName);
      return parsePskc(file.body.toString('utf8'), {
        ...(file.keyName !== undefined && secret !== undefined ? { key: { keyName: file.keyName, secret } } : {}),
        ...(file.manufacturer ? { manufacturer: file.manufacturer } : {}),
        ...(file.model ? { model: file.model } : {}),
        ...(file.pool ? { pool: file.pool } : {}),
        now: deps.clock.now(),
      });
    }
    case 'pgp': {
      const key = await readIntakeKey(deps);
      if (!key) throw new ImportFileError(`no OpenPGP intake key in Key Vault (secret ${deps.config.intake.pgpKeySecret}); make one with "oathctl keys generate"`);
      const signers = deps.config.intake.pgpSignerKeys ? await readSignerKeys(deps.config.intake.pgpSignerKeys) : undefined;
      const plaintext = await decryptSeedFile(file.body, key, { ...(signers ? { signers } : {}), maxPlaintextBytes: MAX_IMPORT_BYTES });
      // What was inside: Token2 JSON starts with { or [, anything else is read as the portal CSV.
      const json = /^\s*[[{]/.test(plaintext.subarray(0, 64).toString('utf8').replace(/^\uFEFF/, ''));
      return plainRows(json ? 'json' : 'csv', plaintext, file.seedEncoding);
    }
  }
}

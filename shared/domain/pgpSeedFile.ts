import { randomBytes } from 'node:crypto';
import * as openpgp from 'openpgp';
import { ImportFileError } from './importFile';

/**
 * OpenPGP-encrypted seed files, as Token2 sends them: decrypted in memory with the intake private key
 * (kept in Key Vault), optionally only when signed by a vendor key. OpenPGP.js does the cryptography;
 * nothing here shells out or writes a file, and no error carries the plaintext.
 */

export const PGP_MEDIA_TYPE = 'application/pgp-encrypted';

export interface PgpIntakeKey {
  privateKeyArmored: string;
  passphrase: string;
}

export interface PgpKeyFacts {
  fingerprint: string;
  userIds: string[];
  created: string;
  algorithm: string;
}

const ARMOUR = '-----BEGIN PGP MESSAGE-----';

async function unlocked(key: PgpIntakeKey): Promise<openpgp.PrivateKey> {
  let privateKey: openpgp.PrivateKey;
  try {
    privateKey = await openpgp.readPrivateKey({ armoredKey: key.privateKeyArmored });
  } catch {
    throw new ImportFileError('the OpenPGP intake key in Key Vault is not an armoured private key');
  }
  if (privateKey.isDecrypted()) return privateKey;
  try {
    return await openpgp.decryptKey({ privateKey, passphrase: key.passphrase });
  } catch {
    throw new ImportFileError('the OpenPGP intake key in Key Vault does not open with its passphrase');
  }
}

export async function readSignerKeys(armored: string): Promise<openpgp.Key[]> {
  try {
    return await openpgp.readKeys({ armoredKeys: armored });
  } catch {
    throw new ImportFileError('SEED_FILE_PGP_SIGNER_KEYS does not hold readable OpenPGP public keys');
  }
}

/** The file's plaintext (CSV or JSON), or an ImportFileError saying why it cannot be opened. */
export async function decryptSeedFile(body: Buffer, key: PgpIntakeKey, signers?: openpgp.Key[]): Promise<Buffer> {
  let message: openpgp.Message<Uint8Array>;
  try {
    const text = body.subarray(0, 64).toString('latin1').trimStart();
    message = text.startsWith(ARMOUR)
      ? await openpgp.readMessage({ armoredMessage: body.toString('utf8') })
      : await openpgp.readMessage({ binaryMessage: new Uint8Array(body) });
  } catch {
    throw new ImportFileError('not an OpenPGP message (binary or ASCII-armoured)');
  }
  const decryptionKey = await unlocked(key);
  const recipients = message.getEncryptionKeyIDs().map((id) => id.toHex());
  const ours = decryptionKey.getKeys().map((k) => k.getKeyID().toHex());
  if (!recipients.some((id) => ours.includes(id))) {
    throw new ImportFileError(`the file is not encrypted to the intake key (${decryptionKey.getFingerprint().toUpperCase()}); ask the vendor to encrypt to the key "oathctl keys" shows`);
  }
  const decrypt = () => openpgp.decrypt({ message, decryptionKeys: decryptionKey, format: 'binary', ...(signers ? { verificationKeys: signers } : {}) });
  let decrypted: Awaited<ReturnType<typeof decrypt>>;
  try {
    decrypted = await decrypt();
  } catch {
    throw new ImportFileError('the file cannot be decrypted with the intake key');
  }
  if (signers) {
    const verdicts = await Promise.all(decrypted.signatures.map((signature) => signature.verified.then(() => true, () => false)));
    if (!verdicts.includes(true)) {
      throw new ImportFileError('the file does not carry a valid signature from a vendor key in SEED_FILE_PGP_SIGNER_KEYS');
    }
  }
  return Buffer.from(decrypted.data);
}

export function factsOf(key: openpgp.Key): PgpKeyFacts {
  const info = key.getAlgorithmInfo();
  return {
    fingerprint: key.getFingerprint().toUpperCase(),
    userIds: key.getUserIDs(),
    created: key.getCreationTime().toISOString(),
    algorithm: 'curve' in info && info.curve ? `${info.algorithm} ${info.curve}` : `${info.algorithm}${'bits' in info && info.bits ? ` ${info.bits}` : ''}`,
  };
}

export async function publicKeyOf(privateKeyArmored: string): Promise<{ armored: string; facts: PgpKeyFacts }> {
  const key = await openpgp.readPrivateKey({ armoredKey: privateKeyArmored });
  const publicKey = key.toPublic();
  return { armored: publicKey.armor(), facts: factsOf(publicKey) };
}

/** A fresh intake key pair, its private half locked with a random passphrase. */
export async function generateIntakeKey(userId: { name: string; email?: string }, type: 'ecc' | 'rsa'): Promise<PgpIntakeKey & { publicKeyArmored: string; facts: PgpKeyFacts }> {
  const passphrase = randomBytes(32).toString('base64url');
  const generated = await openpgp.generateKey({
    ...(type === 'rsa' ? { type: 'rsa' as const, rsaBits: 4096 } : { type: 'ecc' as const, curve: 'curve25519Legacy' as const }),
    userIDs: [userId],
    passphrase,
    format: 'armored',
  });
  const publicKey = await openpgp.readKey({ armoredKey: generated.publicKey });
  return { privateKeyArmored: generated.privateKey, passphrase, publicKeyArmored: generated.publicKey, facts: factsOf(publicKey) };
}

/** True when the armoured private key opens with the passphrase (both read back after a write). */
export async function opensWith(key: PgpIntakeKey): Promise<boolean> {
  try {
    await unlocked(key);
    return true;
  } catch {
    return false;
  }
}

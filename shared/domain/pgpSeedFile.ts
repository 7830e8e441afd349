import { randomBytes } from 'node:crypto';
import * as openpgp from 'openpgp';
import { FileTooLargeError, ImportFileError, SealedFileError } from './importFile';

/**
 * OpenPGP-encrypted seed files, as Token2 sends them: decrypted in memory with the intake private key
 * (kept in Key Vault), optionally only when signed by a vendor key. OpenPGP.js does the cryptography;
 * nothing here shells out or writes a file, and no error carries the plaintext. A file that cannot be
 * decrypted, authenticated or verified gets the one SealedFileError, whatever the cause; one that
 * inflates past the limit the caller gives is a FileTooLargeError, caught while it inflates.
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

/** OpenPGP.js's words when a compressed packet inflates past maxDecompressedMessageSize (it has no error class for it). */
const TOO_LARGE = /Maximum decompressed message size exceeded/;

/** The file's plaintext (CSV or JSON), at most `maxPlaintextBytes` of it, or an ImportFileError saying why it cannot be opened. */
export async function decryptSeedFile(body: Buffer, key: PgpIntakeKey, options: { signers?: openpgp.Key[]; maxPlaintextBytes: number }): Promise<Buffer> {
  // A compressed packet is inflated wherever it is read (an unencrypted message's too), so every call carries the cap.
  // Constant-time PKCS #1 keeps an RSA intake key from answering a Bleichenbacher-style probe by its timing.
  const config = { maxDecompressedMessageSize: options.maxPlaintextBytes, constantTimePKCS1Decryption: true };
  const tooLarge = (error: unknown): boolean => error instanceof Error && TOO_LARGE.test(error.message);
  let message: openpgp.Message<Uint8Array>;
  try {
    const text = body.subarray(0, 64).toString('latin1').trimStart();
    message = text.startsWith(ARMOUR)
      ? await openpgp.readMessage({ armoredMessage: body.toString('utf8'), config })
      : await openpgp.readMessage({ binaryMessage: new Uint8Array(body), config });
  } catch (error) {
    if (tooLarge(error)) throw new FileTooLargeError(options.maxPlaintextBytes, true);
    throw new ImportFileError('not an OpenPGP message (binary or ASCII-armoured)');
  }
  const decryptionKey = await unlocked(key);
  const recipients = message.getEncryptionKeyIDs().map((id) => id.toHex());
  const ours = decryptionKey.getKeys().map((k) => k.getKeyID().toHex());
  if (!recipients.some((id) => ours.includes(id))) throw new SealedFileError();
  const { signers } = options;
  const decrypt = () => openpgp.decrypt({ message, decryptionKeys: decryptionKey, format: 'binary', config, ...(signers ? { verificationKeys: signers } : {}) });
  let decrypted: Awaited<ReturnType<typeof decrypt>>;
  try {
    decrypted = await decrypt();
  } catch (error) {
    if (tooLarge(error)) throw new FileTooLargeError(options.maxPlaintextBytes, true);
    throw new SealedFileError();
  }
  if (signers) {
    const verdicts = await Promise.all(decrypted.signatures.map((signature) => signature.verified.then(() => true, () => false)));
    if (!verdicts.includes(true)) throw new SealedFileError();
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

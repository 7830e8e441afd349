import type { Config } from '../app/config';
import { factsOf, generateIntakeKey, opensWith, publicKeyOf, readSignerKeys, type PgpKeyFacts } from '../domain/pgpSeedFile';
import type { AuditLog, IntakeKeyVault } from '../ports';
import { readIntakeKey } from './openSeedFile';

/**
 * The keys that open vendors' seed files: the OpenPGP intake key pair, whose private half the app makes
 * and keeps in Key Vault (only the public half ever leaves), the vendors' signer keys, and the PSKC keys
 * under their prefix. Listing shows names, fingerprints and public keys, never a secret value.
 */

export interface IntakeKeyDeps {
  intakeKeys: IntakeKeyVault;
  audit: AuditLog;
  config: Pick<Config, 'intake'>;
}

export interface IntakeKeysView {
  pgp: ({ configured: true; secretName: string; publicKey: string } & PgpKeyFacts) | { configured: false; secretName: string };
  /** Vendors whose signature an OpenPGP seed file must carry (SEED_FILE_PGP_SIGNER_KEYS); empty when none is required. */
  signers: PgpKeyFacts[];
  pskc: { keyName: string; secretName: string; updatedOn?: string }[];
}

export async function describeIntakeKeys(deps: IntakeKeyDeps): Promise<IntakeKeysView> {
  const { intake } = deps.config;
  const [key, signers, pskc] = await Promise.all([
    readIntakeKey(deps),
    intake.pgpSignerKeys ? readSignerKeys(intake.pgpSignerKeys).then((keys) => keys.map(factsOf)) : Promise.resolve([]),
    deps.intakeKeys.list(intake.pskcKeySecretPrefix),
  ]);
  const pgp = key ? await publicKeyOf(key.privateKeyArmored) : undefined;
  return {
    pgp: pgp ? { configured: true, secretName: intake.pgpKeySecret, publicKey: pgp.armored, ...pgp.facts } : { configured: false, secretName: intake.pgpKeySecret },
    signers,
    pskc: pskc.map((s) => ({ keyName: s.name.slice(intake.pskcKeySecretPrefix.length), secretName: s.name, ...(s.updatedOn ? { updatedOn: s.updatedOn.toISOString() } : {}) })),
  };
}

export interface NewIntakeKey {
  name: string;
  email?: string;
  type: 'ecc' | 'rsa';
  /** Replace a key that exists: files already encrypted to the old one no longer open. */
  replace: boolean;
}

export type CreatedIntakeKey =
  | { kind: 'created'; secretName: string; publicKey: string; facts: PgpKeyFacts }
  | { kind: 'exists'; facts: PgpKeyFacts }
  | { kind: 'raced' };

export async function createIntakeKey(request: NewIntakeKey, deps: IntakeKeyDeps, context: { actor: string; correlationId: string }): Promise<CreatedIntakeKey> {
  const { intake } = deps.config;
  const existing = await readIntakeKey(deps);
  if (existing && !request.replace) return { kind: 'exists', facts: (await publicKeyOf(existing.privateKeyArmored)).facts };

  const made = await generateIntakeKey({ name: request.name, ...(request.email ? { email: request.email } : {}) }, request.type);
  // The passphrase first: a crash before the key is written leaves the old key unusable, and running again repairs it.
  await deps.intakeKeys.write(intake.pgpPassphraseSecret, made.passphrase, 'text/plain');
  await deps.intakeKeys.write(intake.pgpKeySecret, made.privateKeyArmored, 'application/pgp-keys');
  // Two requests at once could leave one's key with the other's passphrase: read both back and check.
  const stored = await readIntakeKey(deps);
  const consistent = stored !== undefined && stored.privateKeyArmored === made.privateKeyArmored && (await opensWith(stored));
  await deps.audit.record({
    actor: context.actor,
    action: 'intake-key.generated',
    correlationId: context.correlationId,
    outcome: consistent ? 'succeeded' : 'failed',
    detail: consistent ? `OpenPGP intake key ${made.facts.fingerprint}${existing ? ' (replaced the previous one)' : ''}` : 'another request changed the intake key at the same time',
  });
  if (!consistent) return { kind: 'raced' };
  return { kind: 'created', secretName: intake.pgpKeySecret, publicKey: made.publicKeyArmored, facts: made.facts };
}

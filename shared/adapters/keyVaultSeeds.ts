import type { SecretClient, SecretProperties } from '@azure/keyvault-secrets';
import type { SeedCatalog, SeedSecretInfo, SeedTags, SeedVault } from '../ports';
import { errorCodesOf, statusOf } from './sdkErrors';

/**
 * Seeds as Key Vault secrets. The value is the Base32 seed; the tags describe the token (never the
 * seed) so an admin browsing the vault knows what each secret is for.
 */
export const SEED_CONTENT_TYPE = 'application/vnd.oath-totp-seed; encoding=base32';

/** The tag every seed this app writes carries. */
const MANAGED_BY = 'entra-oath-tokens';

function secretInfo(properties: SecretProperties): SeedSecretInfo {
  return {
    name: properties.name,
    managedByUs: properties.tags?.managedBy === MANAGED_BY,
    ...(properties.updatedOn ? { updatedOn: properties.updatedOn } : properties.createdOn ? { updatedOn: properties.createdOn } : {}),
  };
}

/** Pauses before asking again about a name whose delete or purge Key Vault is still carrying out. */
const BEING_DELETED_RETRY_MS: readonly number[] = [1000, 2000, 4000, 8000];

export interface KeyVaultSeedOptions {
  pollIntervalMs?: number;
  beingDeletedRetryMs?: readonly number[];
  sleep?: (ms: number) => Promise<void>;
  /** Where a purge refused for want of an RBAC role is reported (a setup fault, unlike purge protection). */
  warn?: (line: string) => void;
}

const isBeingDeleted = (error: unknown) => statusOf(error) === 409 && errorCodesOf(error).includes('ObjectIsBeingDeleted');

export function keyVaultSeedVault(secrets: SecretClient, options: KeyVaultSeedOptions = {}): SeedVault & SeedCatalog {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  /** Runs `work`, waiting out 409 ObjectIsBeingDeleted (a delete or purge still in progress); after that it throws, for a retry later. */
  const whenDeleted = async <T>(work: () => Promise<T>): Promise<T> => {
    for (const delay of options.beingDeletedRetryMs ?? BEING_DELETED_RETRY_MS) {
      try {
        return await work();
      } catch (error) {
        if (!isBeingDeleted(error)) throw error;
        await sleep(delay);
      }
    }
    return work();
  };
  return {
    async *secretPages() {
      for await (const page of secrets.listPropertiesOfSecrets().byPage()) {
        yield page.filter((properties) => properties.enabled !== false).map(secretInfo);
      }
    },

    async describe(name) {
      // The versions' properties, never a value: reconciliation has no reason to read a seed.
      let latest: SecretProperties | undefined;
      try {
        for await (const version of secrets.listPropertiesOfSecretVersions(name)) {
          if (!latest || (version.createdOn?.getTime() ?? 0) >= (latest.createdOn?.getTime() ?? 0)) latest = version;
        }
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
      return latest ? secretInfo(latest) : undefined;
    },

    async put(name, seed, tags: SeedTags) {
      try {
        await whenDeleted(() => secrets.setSecret(name, seed, {
          contentType: SEED_CONTENT_TYPE,
          tags: {
            serialNumber: tags.serialNumber,
            manufacturer: tags.manufacturer,
            model: tags.model,
            timeIntervalInSeconds: String(tags.timeIntervalInSeconds),
            hashFunction: tags.hashFunction,
            seedOrigin: tags.seedOrigin,
            managedBy: MANAGED_BY,
          },
        }));
        return 'stored';
      } catch (error) {
        if (statusOf(error) === 409 && errorCodesOf(error).includes('ObjectIsDeletedButRecoverable')) return 'name-deleted';
        throw error;
      }
    },

    async get(name) {
      try {
        const secret = await secrets.getSecret(name);
        return secret.value;
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },

    async destroy(name) {
      try {
        const poller = await secrets.beginDeleteSecret(name, { intervalInMs: options.pollIntervalMs ?? 2000 });
        await poller.pollUntilDone();
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
      try {
        // Right after a delete, Key Vault may still answer 409 "currently being deleted".
        await whenDeleted(() => secrets.purgeDeletedSecret(name));
      } catch (error) {
        // Purge protection (403) keeps the deleted seed until retention ends: deleted is the most we may do.
        // A 403 ForbiddenByRbac ends the same way, but it is a missing role, so it is said.
        if (statusOf(error) === 403 && errorCodesOf(error).includes('ForbiddenByRbac')) {
          options.warn?.(`KeyVaultPurgeForbiddenByRbac secret=${name}: deleted, not purged; the app's role lacks Microsoft.KeyVault/vaults/secrets/purge/action`);
        } else if (statusOf(error) !== 403 && statusOf(error) !== 404) {
          throw error;
        }
      }
    },
  };
}

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

export function keyVaultSeedVault(secrets: SecretClient, options: { pollIntervalMs?: number } = {}): SeedVault & SeedCatalog {
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
        await secrets.setSecret(name, seed, {
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
        });
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
        await secrets.purgeDeletedSecret(name);
      } catch (error) {
        // Purge protection (403) keeps the deleted seed until retention ends: deleted is the most we may do.
        if (statusOf(error) !== 403 && statusOf(error) !== 404) throw error;
      }
    },
  };
}

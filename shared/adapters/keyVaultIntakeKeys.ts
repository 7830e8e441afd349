import type { SecretClient } from '@azure/keyvault-secrets';
import type { IntakeKeyVault } from '../ports';
import { statusOf } from './sdkErrors';

/** The seed-file intake keys as Key Vault secrets, tagged so an admin browsing the vault knows what they are. */
export function keyVaultIntakeKeys(secrets: SecretClient): IntakeKeyVault {
  return {
    async read(name) {
      try {
        return (await secrets.getSecret(name)).value;
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },

    async write(name, value, contentType) {
      await secrets.setSecret(name, value, { contentType, tags: { managedBy: 'entra-oath-tokens', purpose: 'seed-file-intake' } });
    },

    async list(prefix) {
      const found = [];
      for await (const properties of secrets.listPropertiesOfSecrets()) {
        if (properties.enabled === false || !properties.name.startsWith(prefix)) continue;
        const updatedOn = properties.updatedOn ?? properties.createdOn;
        found.push({ name: properties.name, ...(updatedOn ? { updatedOn } : {}) });
      }
      return found.sort((a, b) => a.name.localeCompare(b.name));
    },
  };
}

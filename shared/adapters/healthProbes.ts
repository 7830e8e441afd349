import type { TableClient } from '@azure/data-tables';
import type { SecretClient } from '@azure/keyvault-secrets';
import type { Client as GraphClient } from '@microsoft/microsoft-graph-client';
import type { DependencyProbe } from '../ports';

/** Each probe is the cheapest read the app's own roles allow, so a 200 proves the permissions too. */

export function storageProbe(tokens: TableClient): DependencyProbe {
  return {
    name: 'storage',
    async check() {
      await tokens.createTable();
      await tokens.listEntities({ queryOptions: { filter: "PartitionKey eq '__health'", select: ['PartitionKey'] } }).byPage({ maxPageSize: 1 }).next();
    },
  };
}

export function keyVaultProbe(secrets: SecretClient): DependencyProbe {
  return {
    name: 'keyVault',
    async check() {
      await secrets.listPropertiesOfSecrets().byPage({ maxPageSize: 1 }).next();
    },
  };
}

export function graphProbe(graph: GraphClient): DependencyProbe {
  return {
    name: 'graph',
    async check() {
      await graph.api('/directory/authenticationMethodDevices/hardwareOathDevices').top(1).select('id').get();
    },
  };
}

import type { Config } from './config';
import { appCredential, graphClient, secretClient, tableClient } from './adapters/azureClients';
import { graphProbe, keyVaultProbe, storageProbe } from './adapters/healthProbes';
import type { DependencyProbe } from './ports';
import { TABLES } from './storageNames';

/** Everything the functions need, built from config: the one place where adapters are wired. */
export interface AppServices {
  config: Config;
  healthProbes: DependencyProbe[];
}

export function composeServices(config: Config): AppServices {
  const credential = appCredential(config.credential);
  const secrets = secretClient(config, credential);
  const graph = graphClient(config, credential);
  return {
    config,
    healthProbes: [storageProbe(tableClient(config.storage, TABLES.tokens)), keyVaultProbe(secrets), graphProbe(graph)],
  };
}

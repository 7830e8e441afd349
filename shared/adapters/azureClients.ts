import { TableClient } from '@azure/data-tables';
import { ClientSecretCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { AuthenticationHandler, Client as GraphClient, HTTPMessageHandler, RedirectHandler, RetryHandler, TelemetryHandler, type Middleware } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import { ContainerClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import type { AppCredential, Config, StorageConnection } from '../app/config';
import { GraphPacingHandler, type GraphPacer } from './graphPacing';

/** The SDK clients the adapters are built on, made from config in one place. */

export function appCredential(credential: AppCredential): TokenCredential {
  if (credential.kind === 'clientSecret') {
    return new ClientSecretCredential(credential.tenantId, credential.clientId, credential.clientSecret, {
      ...(credential.authorityHost ? { authorityHost: credential.authorityHost, disableInstanceDiscovery: true } : {}),
    });
  }
  return new ManagedIdentityCredential(credential.clientId ? { clientId: credential.clientId } : {});
}

function storageCredential(storage: Extract<StorageConnection, { kind: 'identity' }>): TokenCredential {
  return new ManagedIdentityCredential(storage.clientId ? { clientId: storage.clientId } : {});
}

const isLoopbackHttp = (connectionString: string): boolean => /Endpoint=http:\/\/(127\.0\.0\.1|localhost)/i.test(connectionString);

export function tableClient(storage: StorageConnection, table: string): TableClient {
  if (storage.kind === 'connectionString') {
    return TableClient.fromConnectionString(storage.connectionString, table, {
      allowInsecureConnection: isLoopbackHttp(storage.connectionString),
    });
  }
  return new TableClient(storage.tableUrl, table, storageCredential(storage));
}

export function queueClient(storage: StorageConnection, queue: string): QueueClient {
  if (storage.kind === 'connectionString') return new QueueClient(storage.connectionString, queue);
  return new QueueClient(`${storage.queueUrl}/${queue}`, storageCredential(storage));
}

export function containerClient(storage: StorageConnection, container: string): ContainerClient {
  if (storage.kind === 'connectionString') return new ContainerClient(storage.connectionString, container);
  return new ContainerClient(`${storage.blobUrl}/${container}`, storageCredential(storage));
}

export function secretClient(config: Pick<Config, 'keyVaultUrl'>, credential: TokenCredential): SecretClient {
  // The challenge's resource only matches *.vault.azure.net; anywhere else (the local emulator) it cannot.
  const inAzure = /\.vault\.(azure\.net|azure\.cn|usgovcloudapi\.net|microsoftazure\.de)$/i.test(new URL(config.keyVaultUrl).hostname);
  return new SecretClient(config.keyVaultUrl, credential, { disableChallengeResourceVerification: !inAzure });
}

/** With a pacer, every try of every request waits its turn in the instance's Graph budget. */
export function graphClient(config: Pick<Config, 'graph'>, credential: TokenCredential, pacer?: GraphPacer): GraphClient {
  const base = new URL(config.graph.baseUrl);
  // National clouds have their own Graph host and scope; a local emulator stands in for the global one.
  const loopback = base.hostname === '127.0.0.1' || base.hostname === 'localhost';
  const authProvider = new TokenCredentialAuthenticationProvider(credential, {
    scopes: [`${loopback ? 'https://graph.microsoft.com' : base.origin}/.default`],
  });
  const chain: Middleware[] = [new AuthenticationHandler(authProvider), new RetryHandler(), ...(pacer ? [new GraphPacingHandler(pacer)] : []), new RedirectHandler(), new TelemetryHandler(), new HTTPMessageHandler()];
  chain.reduce((previous, next) => {
    previous.setNext?.(next);
    return next;
  });
  return GraphClient.initWithMiddleware({
    middleware: chain[0],
    baseUrl: `${base.origin}/`,
    defaultVersion: config.graph.apiVersion,
    // The client only sends the bearer token to Graph's own hosts and to these.
    customHosts: new Set([base.hostname]),
  });
}

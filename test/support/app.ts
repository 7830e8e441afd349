import path from 'node:path';
import { graphEmulatorControl, type GraphEmulatorControl } from '../../dev/graph/control';
import { startLocalHost, type LocalHost } from '../../dev/host/server';
import { createKeyVaultControl, type KeyVaultControl } from '../../dev/keyvault/control';
import { startStack, type LocalStack, type StackOptions } from '../../dev/stack';

/**
 * The whole app for end-to-end tests: the local stack on free ports and the local host serving the
 * real functions/ against it, exactly as `npm start` wires them. One app per test file: the functions'
 * modules (and the services they build from settings) live once per jest module registry, i.e. per file.
 */
export interface TestApp {
  stack: LocalStack;
  host: LocalHost;
  /** http://127.0.0.1:PORT/api */
  api: string;
  graph: GraphEmulatorControl;
  keyVault: KeyVaultControl;
  /** A signed admin API token with these roles (for `subject`, default admin-oid-1). */
  adminToken(roles?: string[], subject?: string): Promise<string>;
  /** fetch against the admin API with a bearer token of these roles (and that caller oid). */
  call(method: string, route: string, options?: { roles?: string[]; subject?: string; body?: string | Buffer; contentType?: string; headers?: Record<string, string> }): Promise<Response>;
  /** Every line the functions logged, to check that no seed reached a log. */
  logs: string[];
  close(): Promise<void>;
}

export async function startTestApp(options: StackOptions & { settings?: Record<string, string>; hostJsonPath?: string } = {}): Promise<TestApp> {
  const stack = await startStack(options);
  const logs: string[] = [];
  let host: LocalHost;
  try {
    host = await startLocalHost({
      port: 0,
      functionsDir: path.resolve(__dirname, '../../functions'),
      hostJsonPath: options.hostJsonPath ?? path.resolve(__dirname, '../../host.json'),
      storageConnectionString: stack.azurite.connectionString,
      settings: { ...stack.appSettings, ...options.settings },
      log: (line) => logs.push(line),
    });
  } catch (error) {
    await stack.stop();
    throw error;
  }
  const adminToken = (roles: string[] = ['Tokens.Admin'], subject = 'admin-oid-1') =>
    stack.identity.mintToken({ audience: stack.appSettings.ADMIN_AUTH_AUDIENCE ?? '', roles, subject, name: 'admin@contoso.com' });
  return {
    stack,
    host,
    api: `${host.url}/api`,
    graph: graphEmulatorControl(stack.graph.url, { caCertPem: stack.ca.certPem }),
    keyVault: createKeyVaultControl(stack.keyVault.url, { ca: stack.ca.certPem }),
    adminToken,
    async call(method, route, callOptions = {}) {
      const token = await adminToken(callOptions.roles, callOptions.subject);
      return fetch(`${host.url}/api/${route.replace(/^\/+/, '')}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(callOptions.contentType ? { 'content-type': callOptions.contentType } : {}),
          ...callOptions.headers,
        },
        ...(callOptions.body !== undefined ? { body: callOptions.body } : {}),
      });
    },
    logs,
    async close() {
      await host.close();
      await stack.stop();
    },
  };
}

/** A response's JSON, loosely typed for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const jsonOf = async (response: Response): Promise<any> => response.json();

import {
  declaration,
  evaluate,
  objectEntries,
  parseBicep,
  property,
  type BicepFile,
  type Scope,
} from './bicep-text';

/**
 * One imagined deployment of infra/main.bicep with its default parameters, for evaluating resource
 * names and app settings. Only the values Azure would compute are made up here.
 */
export const SAMPLE = {
  environmentName: 'prod',
  location: 'swedencentral',
  // uniqueString() always yields 13 characters of lowercase base-32 (a-z, 2-7).
  resourceToken: 'q4b7xk2mzt5wa',
  tenantId: '5b1f9a7e-3c2d-4e8f-9a1b-2c3d4e5f6a7b',
  identityClientId: '0f4c2a8e-6b1d-4c3e-8f7a-9b0c1d2e3f4a',
  adminApiAppId: '8e2d4c6a-1b3f-4a5e-9c7d-0e1f2a3b4c5d',
};

/** The shape of an Application Insights connection string; it holds an instrumentation key. */
export const SAMPLE_APPINSIGHTS_CONNECTION_STRING =
  'InstrumentationKey=6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d;IngestionEndpoint=https://swedencentral-0.in.applicationinsights.azure.com/;ApplicationId=1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

export function mainFile(): BicepFile {
  return parseBicep('infra/main.bicep');
}

export function mainScope(overrides: Partial<Pick<typeof SAMPLE, 'environmentName' | 'resourceToken'>> = {}): Scope {
  const sample = { ...SAMPLE, ...overrides };
  return {
    file: mainFile(),
    known: {
      environmentName: sample.environmentName,
      location: sample.location,
      resourceToken: sample.resourceToken,
      'entra.outputs.adminApiAppId': sample.adminApiAppId,
      'tenant().tenantId': sample.tenantId,
    },
  };
}

/** Every entry of main.bicep's `names` variable, evaluated. */
export function resourceNames(overrides: Parameters<typeof mainScope>[0] = {}): Record<string, string> {
  const scope = mainScope(overrides);
  const names = declaration(scope.file, 'var', 'names').value ?? '';
  return Object.fromEntries(objectEntries(names).map(([key, expression]) => [key, evaluate(expression, scope)]));
}

/** A module's scope with its params bound to what main.bicep passes it (evaluated in main's scope). */
export function moduleScope(moduleSymbol: string, known: Record<string, string>): Scope {
  const main = mainScope();
  const call = declaration(main.file, 'module', moduleSymbol);
  const bindings = Object.fromEntries(
    objectEntries(property(call.body ?? '', 'params')).map(([name, expression]) => [name, () => evaluate(expression, main)]),
  );
  return { file: parseBicep(`infra/${call.resourceType ?? ''}`), known, bindings };
}

export function functionAppScope(): Scope {
  const names = resourceNames();
  return moduleScope('functionApp', {
    'identity.properties.clientId': SAMPLE.identityClientId,
    'storageAccount.properties.primaryEndpoints.blob': `https://${names.storage}.blob.core.windows.net/`,
    'storageAccount.properties.primaryEndpoints.queue': `https://${names.storage}.queue.core.windows.net/`,
    'storageAccount.properties.primaryEndpoints.table': `https://${names.storage}.table.core.windows.net/`,
    'appInsights.properties.ConnectionString': SAMPLE_APPINSIGHTS_CONNECTION_STRING,
    'vault.properties.vaultUri': `https://${names.keyVault}.vault.azure.net/`,
  });
}

/** The function app's settings as written in the Bicep: name -> expression. */
export function appSettingExpressions(): Record<string, string> {
  const file = parseBicep('infra/modules/function-app.bicep');
  const settings = property(declaration(file, 'resource', 'appSettings').body ?? '', 'properties');
  return Object.fromEntries(objectEntries(settings));
}

/** The function app's settings as the sample deployment would set them: name -> value. */
export function appSettingValues(): Record<string, string> {
  const scope = functionAppScope();
  return Object.fromEntries(
    Object.entries(appSettingExpressions()).map(([name, expression]) => [name, evaluate(expression, scope)]),
  );
}

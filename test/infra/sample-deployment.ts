import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GRAPH_CALL_PERMISSIONS } from '../../dev/graph/permissions';
import { readCompiledTemplate } from '../../dev/infra-build';
import { REPO_ROOT } from '../../dev/paths';
import { asString, AZURE_CLOUD, Deployment, guidStandIn, isObject, Scope, type Json, type JsonObject, type Resource, type Runtime } from './arm-template';

/**
 * One imagined deployment of the compiled infra/main.bicep (.local/infra/main.json, made by
 * `npm run build:infra`), for reading what Azure would be asked to create. Only what Azure itself
 * computes is made up here.
 */
export const SAMPLE = {
  environmentName: 'prod',
  location: 'swedencentral',
  tenantId: '5b1f9a7e-3c2d-4e8f-9a1b-2c3d4e5f6a7b',
  subscriptionId: '7d3e1c5a-9b2f-4e6d-8a1c-3f5e7d9b1a2c',
  deploymentName: 'prod-1765000000',
  deployerObjectId: '2c4e6a8b-0d1f-4a3c-9e5b-7d9f1b3d5e7a',
  adminApiAppId: '8e2d4c6a-1b3f-4a5e-9c7d-0e1f2a3b4c5d',
  adminApiPrincipalId: '4a6c8e0b-2d4f-4b6a-8c0e-2f4a6c8e0b2d',
  graphPrincipalId: '1e3a5c7e-9b1d-4f3a-8c5e-7a9c1e3b5d7f',
};

/** The shape of an Application Insights connection string; it holds an instrumentation key. */
export const SAMPLE_APPINSIGHTS_CONNECTION_STRING =
  'InstrumentationKey=6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d;IngestionEndpoint=https://swedencentral-0.in.applicationinsights.azure.com/;ApplicationId=1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** Made-up ids for Microsoft Graph's app roles: the template looks a role up by its value. */
export function graphAppRoleId(permission: string): string {
  return guidStandIn('graph app role', permission);
}

/**
 * Microsoft Graph's application permissions, as far as the sample needs: every one the emulator's call
 * table names (dev/graph/permissions.ts), and broad ones the app must never get.
 */
const GRAPH_APP_ROLE_VALUES = [
  ...new Set([...Object.values(GRAPH_CALL_PERMISSIONS).flat(), 'Directory.ReadWrite.All', 'Application.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All', 'Mail.ReadWrite']),
];

/** A user-assigned identity's ids, made up from its name. */
export function identityIds(name: string): { clientId: string; principalId: string } {
  return { clientId: guidStandIn('clientId', name), principalId: guidStandIn('principalId', name) };
}

/** What Azure (and Entra) compute for the resources the template reads back with reference(). */
export const sampleRuntime: Runtime = (type, name, properties, id): JsonObject => {
  switch (type) {
    case 'Microsoft.ManagedIdentity/userAssignedIdentities':
      return identityIds(name);
    case 'Microsoft.Storage/storageAccounts':
      return {
        primaryEndpoints: {
          blob: `https://${name}.blob.core.windows.net/`,
          queue: `https://${name}.queue.core.windows.net/`,
          table: `https://${name}.table.core.windows.net/`,
        },
      };
    case 'Microsoft.KeyVault/vaults':
      return { vaultUri: `https://${name}.vault.azure.net/` };
    case 'Microsoft.Insights/components':
      return { ConnectionString: SAMPLE_APPINSIGHTS_CONNECTION_STRING };
    case 'Microsoft.Network/virtualNetworks': {
      const subnets = properties().subnets;
      if (!Array.isArray(subnets)) throw new Error(`${name} has no subnets`);
      return { subnets: subnets.map((subnet) => (isObject(subnet) ? { ...subnet, id: `${id}/subnets/${asString(subnet.name, 'subnet name')}` } : subnet)) };
    }
    case 'Microsoft.Web/sites':
      return { defaultHostName: `${name}.azurewebsites.net` };
    case 'Microsoft.Graph/applications':
      return { ...properties(), appId: SAMPLE.adminApiAppId, id: guidStandIn('application', SAMPLE.adminApiAppId) };
    case 'Microsoft.Graph/servicePrincipals': {
      const appId = properties().appId;
      if (appId === GRAPH_APP_ID) {
        return { appId, id: SAMPLE.graphPrincipalId, appRoles: GRAPH_APP_ROLE_VALUES.map((value) => ({ value, id: graphAppRoleId(value), allowedMemberTypes: ['Application'] })) };
      }
      if (appId === SAMPLE.adminApiAppId) return { appId, id: SAMPLE.adminApiPrincipalId };
      throw new Error(`no sample service principal for app ${JSON.stringify(appId)}`);
    }
    default:
      throw new Error(`the sample deployment does not know what Azure computes for ${type} ${name}`);
  }
};

let template: JsonObject | undefined;

/** The compiled template (refused if missing or older than infra/). */
export function compiledTemplate(): JsonObject {
  if (!template) {
    const read = readCompiledTemplate();
    if (!isObject(read as Json)) throw new Error('the compiled template is not an object');
    template = read as JsonObject;
  }
  return template;
}

/** The sample deployment of infra/main.bicep: its required parameters plus `parameters`. */
export function mainDeployment(parameters: JsonObject = {}, world: { environment?: JsonObject } = {}): Deployment {
  return new Deployment(
    compiledTemplate(),
    { environmentName: SAMPLE.environmentName, location: SAMPLE.location, ...parameters },
    {
      tenantId: SAMPLE.tenantId,
      subscriptionId: SAMPLE.subscriptionId,
      deploymentName: SAMPLE.deploymentName,
      deployerObjectId: SAMPLE.deployerObjectId,
      environment: world.environment ?? AZURE_CLOUD,
    },
    sampleRuntime,
    SAMPLE.deploymentName,
  );
}

/** A variable of main.bicep as the compiled template evaluates it. */
export function mainVariable(deployment: Deployment, name: string): Json {
  return new Scope(deployment).variable(name);
}

/** Every entry of main.bicep's `names` variable, evaluated. */
export function resourceNames(deployment: Deployment = mainDeployment()): Record<string, string> {
  const names = mainVariable(deployment, 'names');
  if (!isObject(names)) throw new Error('names is not an object');
  return Object.fromEntries(Object.entries(names).map(([k, v]) => [k, asString(v, `names.${k}`)]));
}

/** Every resource the deployment creates (not `existing` ones), in the main template and every module. */
export function allResources(deployment: Deployment): { resource: Resource; deployment: Deployment }[] {
  return deployment.resources().flatMap((resource) => {
    const own = resource.existing ? [] : [{ resource, deployment }];
    return resource.type === 'Microsoft.Resources/deployments' ? [...own, ...allResources(deployment.nested(resource))] : own;
  });
}

export function resourcesOfType(deployment: Deployment, type: string): Resource[] {
  return allResources(deployment)
    .map(({ resource }) => resource)
    .filter((r) => r.type === type);
}

/** The function app's settings as the sample deployment sets them: name -> value. */
export function appSettingValues(deployment: Deployment = mainDeployment()): Record<string, string> {
  const settings = deployment.module('function-app').resource((r) => r.type === 'Microsoft.Web/sites/config' && r.name.endsWith('/appsettings'), 'the app settings').get('properties');
  if (!isObject(settings)) throw new Error('app settings are not an object');
  return Object.fromEntries(
    Object.entries(settings).map(([k, v]) => {
      if (typeof v !== 'string') throw new Error(`app setting ${k} is not a string: ${JSON.stringify(v)}`);
      return [k, v];
    }),
  );
}

/** The function app's settings as compiled: name -> the ARM expression or literal. */
export function appSettingExpressions(): Record<string, string> {
  const app = mainDeployment().module('function-app');
  const raw = app.resource((r) => r.type === 'Microsoft.Web/sites/config' && r.name.endsWith('/appsettings'), 'the app settings').raw.properties;
  if (!isObject(raw)) throw new Error('app settings are not an object');
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}

export function readRepoFile(relativePath: string): string {
  return readFileSync(path.join(REPO_ROOT, relativePath), 'utf8');
}

/** The Microsoft Graph application permissions the deployment grants the app's identity, by name. */
export function grantedGraphPermissions(deployment: Deployment = mainDeployment()): string[] {
  const byId = new Map(GRAPH_APP_ROLE_VALUES.map((value) => [graphAppRoleId(value), value]));
  return deployment
    .module('graph-permissions')
    .resources()
    .filter((r) => r.type === 'Microsoft.Graph/appRoleAssignedTo' && (r.get('properties') as JsonObject).resourceId === SAMPLE.graphPrincipalId)
    .map((r) => {
      const id = asString((r.get('properties') as JsonObject).appRoleId, 'appRoleId');
      const value = byId.get(id);
      if (!value) throw new Error(`grant of an unknown Graph app role ${id}`);
      return value;
    });
}

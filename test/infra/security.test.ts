import { asString, callArguments, isObject, type Json, type JsonObject } from './arm-template';
import {
  allResources,
  appSettingExpressions,
  appSettingValues,
  compiledTemplate,
  GRAPH_APP_ID,
  grantedGraphPermissions,
  identityIds,
  mainDeployment,
  readRepoFile,
  resourceNames,
  resourcesOfType,
  SAMPLE,
} from './sample-deployment';

/** The built-in roles the app's operations need, by role definition id, and the resource type each is scoped to. */
const EXPECTED_ROLES: Record<string, { role: string; scopeType: string }> = {
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': { role: 'Storage Blob Data Owner', scopeType: 'Microsoft.Storage/storageAccounts' },
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': { role: 'Storage Queue Data Contributor', scopeType: 'Microsoft.Storage/storageAccounts' },
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': { role: 'Storage Table Data Contributor', scopeType: 'Microsoft.Storage/storageAccounts' },
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': { role: 'Key Vault Secrets Officer', scopeType: 'Microsoft.KeyVault/vaults' },
  '3913510d-42f4-4e42-8a64-420c390055eb': { role: 'Monitoring Metrics Publisher', scopeType: 'Microsoft.Insights/components' },
};

/** Broader built-in roles that must never be handed to the app. */
const BROAD_ROLES = [
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635', // Owner
  'b24988ac-6180-42a0-ab88-20f7382dd24c', // Contributor
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9', // User Access Administrator
  'f58310d9-a9f6-439a-9e8d-f62e7b41a168', // Role Based Access Control Administrator
  '00482a5a-887f-4fb3-b363-3b7fe8e74483', // Key Vault Administrator
  '17d1049b-9a84-46fb-8f53-869881c3d3ab', // Storage Account Contributor
  '81a9662b-bebf-436f-a333-f67b29880f12', // Storage Account Key Operator Service Role
];

const deployment = mainDeployment({ deployLifecycleWorkflows: true });
const names = resourceNames(deployment);
const identity = identityIds(names.identity!);

function props(resource: { get(key: string): unknown }): JsonObject {
  const p = resource.get('properties');
  if (!isObject(p as never)) throw new Error('no properties');
  return p as JsonObject;
}

describe('role assignments', () => {
  const assignments = resourcesOfType(deployment, 'Microsoft.Authorization/roleAssignments');

  it('assign exactly the roles the code needs, each once, to the app identity, on the resource it concerns', () => {
    const granted = assignments.map((assignment) => {
      const p = props(assignment);
      const roleId = /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Authorization\/roleDefinitions\/([0-9a-f-]{36})$/.exec(asString(p.roleDefinitionId))?.[1];
      return { roleId, scope: assignment.get('scope'), principalId: p.principalId, principalType: p.principalType };
    });
    expect(granted.map((g) => g.roleId).sort()).toEqual(Object.keys(EXPECTED_ROLES).sort());
    const scopeName: Record<string, string> = {
      'Microsoft.Storage/storageAccounts': names.storage!,
      'Microsoft.KeyVault/vaults': names.keyVault!,
      'Microsoft.Insights/components': names.appInsights!,
    };
    for (const g of granted) {
      const expected = EXPECTED_ROLES[g.roleId ?? '']!;
      const scope = `/subscriptions/${SAMPLE.subscriptionId}/resourceGroups/${names.resourceGroup!}/providers/${expected.scopeType}/${scopeName[expected.scopeType]!}`;
      expect(g).toEqual({ roleId: g.roleId, scope, principalId: identity.principalId, principalType: 'ServicePrincipal' });
    }
  });

  it('have deterministic guid() names over the scope resource, the principal and the role', () => {
    expect(assignments.length).toBeGreaterThan(0);
    for (const assignment of assignments) {
      const { name, values } = callArguments(asString(assignment.raw.name), assignment.scope);
      const p = props(assignment);
      const scope = asString(assignment.get('scope'));
      const roleId = asString(p.roleDefinitionId).split('/').pop();
      expect(name).toBe('guid');
      expect(values).toEqual([scope, identity.principalId, roleId]);
    }
    expect(new Set(assignments.map((a) => a.name)).size).toBe(assignments.length);
  });

  it('never name a broader role anywhere in the compiled template', () => {
    const text = JSON.stringify(compiledTemplate());
    for (const role of BROAD_ROLES) expect(text).not.toContain(role);
  });
});

describe('secrets', () => {
  const template = JSON.stringify(compiledTemplate());

  it('are never read from a resource: no listKeys, SAS or account key in the compiled template', () => {
    for (const pattern of [/listKeys\s*\(/i, /listConnectionStrings/i, /listAccountSas/i, /listServiceSas/i, /AccountKey/i, /SharedAccessSignature/i, /InstrumentationKey\s*=/i]) {
      expect({ pattern: String(pattern), match: pattern.exec(template)?.[0] }).toEqual({ pattern: String(pattern), match: undefined });
    }
  });

  it('never appear in outputs, of the template or of any module', () => {
    const templates: JsonObject[] = [compiledTemplate(), ...allResources(deployment).filter(({ resource }) => resource.type === 'Microsoft.Resources/deployments').map(({ resource }) => (resource.raw.properties as JsonObject).template as JsonObject)];
    for (const t of templates) {
      for (const [name, output] of Object.entries((t.outputs ?? {}) as JsonObject)) {
        expect(name).not.toMatch(/secret|password|connection|instrumentation|accountkey/i);
        expect((output as JsonObject).type).not.toMatch(/^secure/i);
        expect(JSON.stringify(output)).not.toMatch(/ConnectionString|InstrumentationKey|listKeys|hrWebhookSecrets/i);
      }
    }
  });

  it('never appear in plain app settings; the App Insights connection string is the one, key-less, exception', () => {
    const expressions = appSettingExpressions();
    for (const [name, expression] of Object.entries(expressions)) {
      expect({ name, listKeys: /listKeys|AccountKey|SharedAccessSignature|InstrumentationKey\s*=/i.test(expression) }).toEqual({ name, listKeys: false });
    }
    const withConnectionString = Object.entries(expressions)
      .filter(([, expression]) => /connectionstring/i.test(expression))
      .map(([name]) => name);
    expect(withConnectionString).toEqual(['APPLICATIONINSIGHTS_CONNECTION_STRING']);
    // ...because local auth is off, so its instrumentation key cannot ingest anything,
    const monitoring = deployment.module('monitoring');
    expect(props(monitoring.resource((r) => r.type === 'Microsoft.Insights/components', 'app insights')).DisableLocalAuth).toBe(true);
    expect((props(monitoring.resource((r) => r.type === 'Microsoft.OperationalInsights/workspaces', 'workspace')).features as JsonObject).disableLocalAuth).toBe(true);
    // ...and telemetry is sent with the managed identity instead.
    expect(appSettingValues(deployment).APPLICATIONINSIGHTS_AUTHENTICATION_STRING).toBe(`ClientId=${identity.clientId};Authorization=AAD`);
  });

  it('pass only through secure parameters into the Key Vault secret, which an empty value leaves alone', () => {
    const parameters = compiledTemplate().parameters as JsonObject;
    expect((parameters.hrWebhookSecrets as JsonObject).type).toBe('securestring');
    const initial = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const withSecret = mainDeployment({ hrWebhookSecrets: initial }).module('keyvault');
    expect(((withSecret.template.parameters as JsonObject).hrWebhookSecrets as JsonObject).type).toBe('securestring');
    const secret = withSecret.resource((r) => r.type === 'Microsoft.KeyVault/vaults/secrets', 'the secret');
    expect(secret.name).toBe(`${names.keyVault!}/hr-webhook-secrets`);
    expect(props(secret).value).toBe(initial);
    // An empty parameter must leave a rotated secret alone: no secret resource at all.
    expect(deployment.module('keyvault').resources().filter((r) => r.type === 'Microsoft.KeyVault/vaults/secrets')).toEqual([]);
    // The value goes nowhere else: main hands it to the vault module only, which reads it for the condition and the value.
    const uses = (value: Json, at: string): string[] =>
      typeof value === 'string'
        ? value.includes("parameters('hrWebhookSecrets')") ? [at] : []
        : Array.isArray(value)
          ? value.flatMap((v, k) => uses(v, `${at}/${k}`))
          : isObject(value)
            ? Object.entries(value).flatMap(([k, v]) => (k === 'template' ? [] : uses(v, `${at}/${k}`)))
            : [];
    const vaultModule = deployment.resources().findIndex((r) => r.name.endsWith('-keyvault'));
    expect(uses(compiledTemplate(), '')).toEqual([`/resources/${vaultModule}/properties/parameters/hrWebhookSecrets/value`]);
    const vaultResources = Object.keys(withSecret.template.resources as JsonObject[]);
    const secretAt = vaultResources.findIndex((k) => ((withSecret.template.resources as JsonObject[])[Number(k)]!.type as string) === 'Microsoft.KeyVault/vaults/secrets');
    expect(uses(withSecret.template, '')).toEqual([`/resources/${secretAt}/condition`, `/resources/${secretAt}/properties/value`]);
  });

  it('are guarded by the Bicep linter at error level', () => {
    const config = JSON.parse(readRepoFile('infra/bicepconfig.json')) as { analyzers: { core: { rules: Record<string, { level: string }> } } };
    for (const rule of ['outputs-should-not-contain-secrets', 'secure-parameter-default', 'use-secure-value-for-secure-inputs']) expect(config.analyzers.core.rules[rule]?.level).toBe('error');
  });
});

describe('storage account', () => {
  it('accepts Entra ID only: shared keys off, no public blobs, TLS 1.2, HTTPS only', () => {
    const account = props(deployment.module('storage').resource((r) => r.type === 'Microsoft.Storage/storageAccounts', 'the account'));
    expect(account).toMatchObject({
      allowSharedKeyAccess: false,
      defaultToOAuthAuthentication: true,
      allowBlobPublicAccess: false,
      minimumTlsVersion: 'TLS1_2',
      supportsHttpsTrafficOnly: true,
    });
  });
});

describe('key vault', () => {
  it('uses RBAC, soft delete and purge protection, with no access policies', () => {
    const vault = props(deployment.module('keyvault').resource((r) => r.type === 'Microsoft.KeyVault/vaults', 'the vault'));
    expect(vault).toMatchObject({ enableRbacAuthorization: true, enableSoftDelete: true, enablePurgeProtection: true, tenantId: SAMPLE.tenantId });
    expect(Number(vault.softDeleteRetentionInDays)).toBeGreaterThanOrEqual(7);
    expect(Object.keys(vault)).not.toContain('accessPolicies');
  });

  it('sends its audit log to the Log Analytics workspace', () => {
    const settings = deployment.module('keyvault').resource((r) => r.type === 'Microsoft.Insights/diagnosticSettings', 'diagnostic settings');
    expect(settings.get('scope')).toBe(`/subscriptions/${SAMPLE.subscriptionId}/resourceGroups/${names.resourceGroup!}/providers/Microsoft.KeyVault/vaults/${names.keyVault!}`);
    expect(props(settings).workspaceId).toBe(`/subscriptions/${SAMPLE.subscriptionId}/resourceGroups/${names.resourceGroup!}/providers/Microsoft.OperationalInsights/workspaces/${names.logAnalytics!}`);
    expect(props(settings).logs).toEqual([{ categoryGroup: 'audit', enabled: true }]);
  });
});

describe('Microsoft Graph', () => {
  const entra = deployment.module('entra');
  const permissions = deployment.module('graph-permissions');

  it('is deployed with the Microsoft Graph extension the registry reference names, v1.0 types', () => {
    const reference = (JSON.parse(readRepoFile('infra/bicepconfig.json')) as { extensions: Record<string, string> }).extensions.microsoftGraphV1 ?? '';
    const tag = /^br:mcr\.microsoft\.com\/bicep\/extensions\/microsoftgraph\/v1\.0:(\d+\.\d+\.\d+)$/.exec(reference)?.[1];
    expect(tag).toBeDefined();
    for (const module of [entra, permissions]) {
      expect(module.template.languageVersion).toBe('2.0');
      // The name and version of the package the compiler loaded: the registry's, whether it came from there or from the local copy.
      expect(module.template.imports).toEqual({ microsoftGraphV1: { provider: 'MicrosoftGraph', version: tag } });
      for (const resource of module.resources()) {
        expect(resource.type.startsWith('Microsoft.Graph/')).toBe(true);
        expect(resource.apiVersion).toBe('v1.0');
        expect(resource.raw.import).toBe('microsoftGraphV1');
      }
    }
  });

  it("grants the managed identity exactly the application permissions the code uses, each feature's only while it is on", () => {
    const graph = permissions.resource((r) => r.existing, 'the Graph service principal');
    expect(graph.type).toBe('Microsoft.Graph/servicePrincipals');
    expect(props(graph).appId).toBe(GRAPH_APP_ID);
    const always = [
      'GroupMember.Read.All',
      'Policy.ReadWrite.AuthenticationMethod',
      'RoleManagement.Read.Directory',
      'User.Read.All',
      'UserAuthMethod-HardwareOATH.ReadWrite.All',
    ];
    const grantsWith = (parameters: JsonObject) => grantedGraphPermissions(mainDeployment(parameters)).sort();
    expect(grantsWith({})).toEqual(always);
    // The broad per-user methods permission only for the Temporary Access Pass; Lifecycle Workflows and mail only when on.
    expect(grantsWith({ enableTemporaryAccessPass: true })).toEqual([...always, 'UserAuthenticationMethod.ReadWrite.All'].sort());
    expect(grantsWith({ deployLifecycleWorkflows: true })).toEqual([...always, 'LifecycleWorkflows.ReadWrite.All'].sort());
    expect(grantsWith({ notifyMailFrom: 'tokens@contoso.com' })).toEqual([...always, 'Mail.Send'].sort());
    // employeeLeaveDateTime is read by directory sync only.
    expect(grantsWith({ directorySyncSchedule: '0 */15 * * * *' })).toEqual([...always, 'User-LifeCycleInfo.Read.All'].sort());
    // The app issues passes only when the grant is there.
    expect(appSettingValues(mainDeployment({ enableTemporaryAccessPass: true })).TEMPORARY_ACCESS_PASS).toBe('on');
    expect(appSettingValues().TEMPORARY_ACCESS_PASS).toBe('off');
    const grants = permissions.resources().filter((r) => r.symbol === 'graphPermissionGrants');
    for (const grant of grants) {
      expect(grant.type).toBe('Microsoft.Graph/appRoleAssignedTo');
      expect(props(grant)).toMatchObject({ principalId: identity.principalId, resourceId: SAMPLE.graphPrincipalId });
    }
  });

  it('gives the Lifecycle Workflows relay the Lifecycle.Tasks role on the admin API, and nothing when the relay is off', () => {
    const relay = permissions.resource((r) => r.symbol === 'lifecycleCallerRole', 'the relay role');
    const relayIdentity = identityIds(`id-lcw-${names.identity!.slice('id-'.length)}`);
    const lifecycleTasks = (props(entra.resource((r) => r.symbol === 'adminApi', 'the admin API')).appRoles as JsonObject[]).find((role) => role.value === 'Lifecycle.Tasks');
    expect(props(relay)).toEqual({ principalId: relayIdentity.principalId, resourceId: SAMPLE.adminApiPrincipalId, appRoleId: lifecycleTasks?.id });
    // All the app role assignments there are: the Graph grants (the base ones and Lifecycle Workflows') and the relay's.
    expect(resourcesOfType(deployment, 'Microsoft.Graph/appRoleAssignedTo')).toHaveLength(7);
    const without = mainDeployment().module('graph-permissions');
    expect(without.resources().filter((r) => r.symbol === 'lifecycleCallerRole')).toEqual([]);
  });

  // msgraph-bicep-types issue 193: appRoleAssignedTo on a just-created managed identity fails until Entra replicates it.
  it('grants the permissions in a module of its own that waits for the identity module and then the function app', () => {
    const call = deployment.resource((r) => r.name.endsWith('-graph-permissions'), 'the module');
    expect(call.raw.condition).toBe("[parameters('deployEntraObjects')]");
    expect(call.raw.dependsOn).toEqual(expect.arrayContaining([expect.stringContaining("'{0}-function-app'"), expect.stringContaining("'{0}-identity'")]));
    expect(mainDeployment({ deployEntraObjects: false, adminApiAppId: SAMPLE.adminApiAppId }).resources().filter((r) => /-(graph-permissions|entra)$/.test(r.name))).toEqual([]);
    // The registration module never grants anything to the identity itself.
    expect(Object.keys(entra.template.parameters as JsonObject)).not.toContain('identityPrincipalId');
  });

  it('makes the deployer an owner of the admin API registration', () => {
    const app = props(entra.resource((r) => r.symbol === 'adminApi', 'the admin API'));
    expect(app.owners).toEqual({ relationships: [SAMPLE.deployerObjectId] });
  });

  // learn.microsoft.com/graph/api/resources/identifieruriconfiguration: nonDefaultUriAddition allows only api://{appId} and api://{tenantId}/{appId}.
  it('offers the api://<appId> identifier URI for tenants that refuse api://<tenant>/<name>, set after the app exists', () => {
    const tenantForm = props(entra.resource((r) => r.symbol === 'adminApi', 'the admin API'));
    expect(tenantForm.identifierUris).toEqual([`api://${SAMPLE.tenantId}/${names.adminApi!}`]);
    expect(deployment.outputs().ADMIN_API_IDENTIFIER_URI).toBe(`api://${SAMPLE.tenantId}/${names.adminApi!}`);
    const appIdForm = mainDeployment({ adminApiIdentifierUriForm: 'appId' });
    // null leaves identifierUris out of the request, so the value the hook set survives a redeploy.
    expect(props(appIdForm.module('entra').resource((r) => r.symbol === 'adminApi', 'the admin API')).identifierUris).toBeNull();
    expect(appIdForm.outputs().ADMIN_API_IDENTIFIER_URI).toBe(`api://${SAMPLE.adminApiAppId}`);
    expect(appIdForm.outputs().ADMIN_API_IDENTIFIER_URI_FORM).toBe('appId');
    expect(readRepoFile('infra/modules/entra.bicep')).not.toMatch(/every tenant/i);
    const hook = readRepoFile('infra/hooks/postprovision.sh');
    expect(hook).toContain('az ad app update --id "$ADMIN_API_APP_ID" --identifier-uris "api://$ADMIN_API_APP_ID"');
    expect(hook).toMatch(/if \[ "\$\{ADMIN_API_IDENTIFIER_URI_FORM:-tenant\}" = appId \]/);
  });

  it('registers the admin API with the roles Tokens.PrivilegedAdmin, Tokens.Admin, Tokens.Read, Tokens.Desk and Lifecycle.Tasks and v2.0 tokens', () => {
    const app = props(entra.resource((r) => r.symbol === 'adminApi', 'the admin API'));
    const roles = app.appRoles as JsonObject[];
    expect(roles.map((role) => role.value).sort()).toEqual(['Lifecycle.Tasks', 'Tokens.Admin', 'Tokens.Desk', 'Tokens.PrivilegedAdmin', 'Tokens.Read']);
    for (const role of roles) {
      expect(role).toMatchObject({ allowedMemberTypes: ['User', 'Application'], isEnabled: true });
      expect(role.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
    // Stable ids: guid(adminApiUniqueName, role value), so a redeploy never orphans an assignment.
    expect(JSON.stringify((entra.template.resources as JsonObject).adminApi)).toContain("guid(parameters('adminApiUniqueName'), variables('adminApiRoles')[copyIndex('appRoles')].value)");
    expect(new Set(roles.map((role) => role.id)).size).toBe(roles.length);
    expect(app).toMatchObject({ signInAudience: 'AzureADMyOrg', api: { requestedAccessTokenVersion: 2 }, uniqueName: names.adminApi });
    expect((app.spa as JsonObject).redirectUris).toEqual([`https://${names.functionApp!}.azurewebsites.net/api/console/`]);
    const principal = props(entra.resource((r) => r.symbol === 'adminApiPrincipal', 'the admin API principal'));
    expect(principal).toEqual({ appId: SAMPLE.adminApiAppId, appRoleAssignmentRequired: true });
  });

  it('feeds the admin API app id to ADMIN_AUTH_AUDIENCE, the aud of v2.0 tokens, or the one given when Entra objects are left to an admin', () => {
    expect(appSettingValues(deployment).ADMIN_AUTH_AUDIENCE).toBe(SAMPLE.adminApiAppId);
    expect(deployment.outputs().ADMIN_API_APP_ID).toBe(SAMPLE.adminApiAppId);
    const given = '0d2f4b6c-8e0a-4c2e-9f4b-6d8f0a2c4e6b';
    const pipeline = mainDeployment({ deployEntraObjects: false, adminApiAppId: given });
    expect(appSettingValues(pipeline).ADMIN_AUTH_AUDIENCE).toBe(given);
    expect(pipeline.outputs().ADMIN_API_IDENTIFIER_URI).toBe('');
  });
});

import { readdirSync } from 'node:fs';
import path from 'node:path';
import {
  INFRA_DIR,
  arrayItems,
  declaration,
  declarationsOf,
  objectEntries,
  objectEntry,
  parseBicep,
  property,
  readRepoFile,
  stringLiteral,
  type BicepFile,
  type Declaration,
} from './bicep-text';
import { appSettingExpressions, appSettingValues, SAMPLE } from './sample-deployment';
import { graphGrants } from './graph-grants';

const BICEP_FILES: BicepFile[] = [
  'main.bicep',
  ...readdirSync(path.join(INFRA_DIR, 'modules'))
    .filter((name) => name.endsWith('.bicep'))
    .map((name) => `modules/${name}`),
].map((name) => parseBicep(`infra/${name}`));

function bicepFile(relativePath: string): BicepFile {
  const found = BICEP_FILES.find((file) => file.path === relativePath);
  if (!found) throw new Error(`no ${relativePath}`);
  return found;
}

function resourcesOfType(type: string): { file: BicepFile; resource: Declaration }[] {
  return BICEP_FILES.flatMap((file) =>
    declarationsOf(file, 'resource')
      .filter((resource) => resource.resourceType === type)
      .map((resource) => ({ file, resource })),
  );
}

/** The built-in roles the app's operations need, by role definition id. */
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

/** Resolves `roles.x` in a role definition id to the GUID in the file's `roles` variable. */
function roleDefinitionGuid(file: BicepFile, roleDefinitionId: string): string {
  const match = /^subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions',\s*roles\.(\w+)\)$/.exec(roleDefinitionId);
  if (!match) throw new Error(`role definition id is not subscriptionResourceId(..., roles.x): ${roleDefinitionId}`);
  return stringLiteral(objectEntry(declaration(file, 'var', 'roles').value ?? '', match[1]!));
}

describe('role assignments', () => {
  const assignments = resourcesOfType('Microsoft.Authorization/roleAssignments');

  it('assign exactly the roles the code needs, each once, on the resource it concerns', () => {
    const granted = assignments.map(({ file, resource }) => {
      const guid = roleDefinitionGuid(file, property(resource.body ?? '', 'properties', 'roleDefinitionId'));
      const scopeSymbol = objectEntry(resource.body ?? '', 'scope');
      const scope = declaration(file, 'resource', scopeSymbol);
      return { guid, scopeType: scope.resourceType };
    });
    expect(granted.map((g) => g.guid).sort()).toEqual(Object.keys(EXPECTED_ROLES).sort());
    for (const { guid, scopeType } of granted) expect(scopeType).toBe(EXPECTED_ROLES[guid]?.scopeType);
  });

  it('have deterministic guid() names over scope, principal and role, and an explicit principalType', () => {
    expect(assignments.length).toBeGreaterThan(0);
    for (const { resource } of assignments) {
      const body = resource.body ?? '';
      expect(objectEntry(body, 'name')).toMatch(/^guid\(\w+\.id, principalId, roles\.\w+\)$/);
      expect(stringLiteral(property(body, 'properties', 'principalType'))).toBe('ServicePrincipal');
      expect(property(body, 'properties', 'principalId')).toBe('principalId');
      // Includes the role used in the role definition id, so two roles never share a name.
      const role = /roles\.(\w+)\)$/.exec(property(body, 'properties', 'roleDefinitionId'))?.[1];
      expect(objectEntry(body, 'name')).toContain(`roles.${role})`);
    }
  });

  it('go to the managed identity of the app', () => {
    const call = declaration(bicepFile('infra/main.bicep'), 'module', 'rbac');
    expect(property(call.body ?? '', 'params', 'principalId')).toBe('identity.outputs.principalId');
  });

  it('never name a broader role anywhere in infra/', () => {
    for (const file of BICEP_FILES) {
      for (const role of BROAD_ROLES) expect(file.text).not.toContain(role);
    }
  });
});

describe('secrets', () => {
  const forbidden = [/listKeys\s*\(/i, /listConnectionStrings/i, /listAccountSas/i, /listServiceSas/i, /AccountKey/i, /SharedAccessSignature/i, /InstrumentationKey\s*=/i];

  it('are never read from a resource: no listKeys, SAS or account key in any template', () => {
    for (const file of BICEP_FILES) {
      for (const pattern of forbidden) expect({ file: file.path, match: pattern.exec(file.text)?.[0] }).toEqual({ file: file.path, match: undefined });
    }
  });

  it('never appear in outputs', () => {
    for (const file of BICEP_FILES) {
      for (const output of declarationsOf(file, 'output')) {
        expect(output.name).not.toMatch(/secret|password|connection|instrumentation|accountkey/i);
        expect(output.value).not.toMatch(/ConnectionString|InstrumentationKey|listKeys|hrWebhookSecrets|secureString/i);
        expect(output.decorators.join(' ')).not.toContain('@secure');
      }
    }
  });

  it('never appear in plain app settings; the App Insights connection string is the one, key-less, exception', () => {
    const expressions = appSettingExpressions();
    for (const [name, expression] of Object.entries(expressions)) {
      expect({ name, listKeys: /listKeys|AccountKey|SharedAccessSignature|InstrumentationKey\s*=/i.test(expression) }).toEqual({ name, listKeys: false });
    }
    // The decision (docs/deploy.md): only APPLICATIONINSIGHTS_CONNECTION_STRING carries a connection string...
    const withConnectionString = Object.entries(expressions)
      .filter(([, expression]) => /connectionstring/i.test(expression))
      .map(([name]) => name);
    expect(withConnectionString).toEqual(['APPLICATIONINSIGHTS_CONNECTION_STRING']);
    // ...because local auth is off, so its instrumentation key cannot ingest anything,
    const monitoring = bicepFile('infra/modules/monitoring.bicep');
    expect(property(declaration(monitoring, 'resource', 'appInsights').body ?? '', 'properties', 'DisableLocalAuth')).toBe('true');
    expect(property(declaration(monitoring, 'resource', 'workspace').body ?? '', 'properties', 'features', 'disableLocalAuth')).toBe('true');
    // ...and telemetry is sent with the managed identity instead.
    expect(appSettingValues().APPLICATIONINSIGHTS_AUTHENTICATION_STRING).toBe(`ClientId=${SAMPLE.identityClientId};Authorization=AAD`);
  });

  it('pass only through @secure() parameters into the Key Vault secret', () => {
    const main = bicepFile('infra/main.bicep');
    const keyVault = bicepFile('infra/modules/keyvault.bicep');
    expect(declaration(main, 'param', 'hrWebhookSecrets').decorators).toContain('@secure()');
    expect(declaration(keyVault, 'param', 'hrWebhookSecrets').decorators).toContain('@secure()');
    // Used once in main (handed to the vault module) and once in the module (the secret value).
    expect(main.text.match(/\bhrWebhookSecrets\b/g)?.length).toBe(3);
    expect(property(declaration(main, 'module', 'keyVault').body ?? '', 'params', 'hrWebhookSecrets')).toBe('hrWebhookSecrets');
    const secret = declaration(keyVault, 'resource', 'hrWebhookSecret');
    expect(property(secret.body ?? '', 'properties', 'value')).toBe('hrWebhookSecrets');
    // An empty parameter must leave a rotated secret alone.
    expect(secret.prefix).toBe('if (!empty(hrWebhookSecrets))');
  });

  it('are guarded by the Bicep linter at error level', () => {
    const config = JSON.parse(readRepoFile('infra/bicepconfig.json')) as { analyzers: { core: { rules: Record<string, { level: string }> } } };
    expect(config.analyzers.core.rules['outputs-should-not-contain-secrets']?.level).toBe('error');
  });
});

describe('storage account', () => {
  const body = declaration(bicepFile('infra/modules/storage.bicep'), 'resource', 'account').body ?? '';

  it('accepts Entra ID only: shared keys off, no public blobs, TLS 1.2', () => {
    expect(property(body, 'properties', 'allowSharedKeyAccess')).toBe('false');
    expect(property(body, 'properties', 'defaultToOAuthAuthentication')).toBe('true');
    expect(property(body, 'properties', 'allowBlobPublicAccess')).toBe('false');
    expect(stringLiteral(property(body, 'properties', 'minimumTlsVersion'))).toBe('TLS1_2');
  });
});

describe('key vault', () => {
  const body = declaration(bicepFile('infra/modules/keyvault.bicep'), 'resource', 'vault').body ?? '';

  it('uses RBAC, soft delete and purge protection, with no access policies', () => {
    expect(property(body, 'properties', 'enableRbacAuthorization')).toBe('true');
    expect(property(body, 'properties', 'enableSoftDelete')).toBe('true');
    expect(property(body, 'properties', 'enablePurgeProtection')).toBe('true');
    expect(Number(property(body, 'properties', 'softDeleteRetentionInDays'))).toBeGreaterThanOrEqual(7);
    expect(objectEntries(property(body, 'properties')).map(([key]) => key)).not.toContain('accessPolicies');
  });
});

describe('Microsoft Graph', () => {
  const entra = bicepFile('infra/modules/entra.bicep');

  it('uses the Microsoft Graph Bicep extension, v1.0 types from the Microsoft registry', () => {
    expect(declarationsOf(entra, 'extension').map((d) => d.name)).toEqual(['microsoftGraphV1']);
    const config = JSON.parse(readRepoFile('infra/bicepconfig.json')) as { extensions: Record<string, string> };
    expect(config.extensions.microsoftGraphV1).toMatch(/^br:mcr\.microsoft\.com\/bicep\/extensions\/microsoftgraph\/v1\.0:\d+\.\d+\.\d+$/);
    expect(declarationsOf(bicepFile('infra/modules/graph-permissions.bicep'), 'extension').map((d) => d.name)).toEqual(['microsoftGraphV1']);
    for (const resource of [...declarationsOf(entra, 'resource'), ...declarationsOf(bicepFile('infra/modules/graph-permissions.bicep'), 'resource')]) {
      expect(resource.apiVersion).toBe('v1.0');
    }
  });

  const permissionsModule = bicepFile('infra/modules/graph-permissions.bicep');

  it('grants the managed identity exactly the application permissions the code uses, each feature\'s only while it is on', () => {
    const off = { temporaryAccessPass: false, lifecycleWorkflows: false, mail: false };
    const always = [
      'GroupMember.Read.All',
      'Policy.ReadWrite.AuthenticationMethod',
      'RoleManagement.Read.Directory',
      'User-LifeCycleInfo.Read.All',
      'User.Read.All',
      'UserAuthMethod-HardwareOATH.ReadWrite.All',
    ];
    expect(graphGrants(off).sort()).toEqual(always);
    // The broad per-user methods permission only for the Temporary Access Pass, Lifecycle Workflows and mail only when on.
    expect(graphGrants({ ...off, temporaryAccessPass: true }).sort()).toEqual([...always, 'UserAuthenticationMethod.ReadWrite.All'].sort());
    expect(graphGrants({ ...off, lifecycleWorkflows: true }).sort()).toEqual([...always, 'LifecycleWorkflows.ReadWrite.All'].sort());
    expect(graphGrants({ ...off, mail: true }).sort()).toEqual([...always, 'Mail.Send'].sort());
    expect(graphGrants({ temporaryAccessPass: true, lifecycleWorkflows: true, mail: true })).toHaveLength(always.length + 3);
    const main = bicepFile('infra/main.bicep');
    const call = declaration(main, 'module', 'graphPermissions').body ?? '';
    expect(property(call, 'params', 'temporaryAccessPass')).toBe('enableTemporaryAccessPass');
    expect(property(call, 'params', 'lifecycleWorkflows')).toBe('deployLifecycleWorkflows');
    expect(property(call, 'params', 'mail')).toBe('!empty(notifyMailFrom)');
    expect(readRepoFile('infra/main.bicep')).toMatch(/^param enableTemporaryAccessPass bool = false$/m);
    // The app issues passes only when the grant is there.
    expect(property(declaration(main, 'module', 'functionApp').body ?? '', 'params', 'enableTemporaryAccessPass')).toBe('enableTemporaryAccessPass');
    expect(readRepoFile('infra/modules/function-app.bicep')).toMatch(/^ {4}TEMPORARY_ACCESS_PASS: enableTemporaryAccessPass \? 'on' : 'off'$/m);
    const graph = declaration(permissionsModule, 'resource', 'graph');
    expect(graph.existing).toBe(true);
    expect(stringLiteral(declaration(permissionsModule, 'var', 'graphAppId').value ?? '')).toBe('00000003-0000-0000-c000-000000000000');
    expect(objectEntry(graph.body ?? '', 'appId')).toBe('graphAppId');
    const grants = declaration(permissionsModule, 'resource', 'graphPermissionGrants');
    expect(grants.resourceType).toBe('Microsoft.Graph/appRoleAssignedTo');
    expect(grants.prefix).toBe('[for permission in graphPermissions:');
    expect(objectEntry(grants.body ?? '', 'principalId')).toBe('identityPrincipalId');
    expect(objectEntry(grants.body ?? '', 'resourceId')).toBe('graph.id');
    expect(objectEntry(grants.body ?? '', 'appRoleId')).toBe('filter(graph.appRoles, role => role.value == permission)[0].id');
    // The only other app role assignment: the Lifecycle Workflows relay's role on the admin API, not on Graph.
    expect(resourcesOfType('Microsoft.Graph/appRoleAssignedTo')).toHaveLength(2);
    const relay = declaration(permissionsModule, 'resource', 'lifecycleCallerRole');
    expect(relay.prefix).toBe('if (!empty(lifecycleCallerPrincipalId))');
    expect(objectEntry(relay.body ?? '', 'resourceId')).toBe('adminApiPrincipalId');
    expect(objectEntry(relay.body ?? '', 'principalId')).toBe('lifecycleCallerPrincipalId');
    expect(objectEntry(relay.body ?? '', 'appRoleId')).toBe('lifecycleTasksRoleId');
    expect(property(call, 'params', 'identityPrincipalId')).toBe('identity.outputs.principalId');
  });

  // msgraph-bicep-types issue 193: appRoleAssignedTo on a just-created managed identity fails until Entra replicates it.
  it('grants the permissions in a module of its own that waits for the identity module and then the function app', () => {
    const main = bicepFile('infra/main.bicep');
    const call = declaration(main, 'module', 'graphPermissions');
    expect(call.prefix).toBe('if (deployEntraObjects)');
    expect(arrayItems(objectEntry(call.body ?? '', 'dependsOn'))).toEqual(['functionApp']);
    // The identity comes from its own module, which completes before anything that reads its outputs starts.
    expect(declaration(main, 'module', 'identity').resourceType).toBe('modules/identity.bicep');
    expect(declarationsOf(bicepFile('infra/modules/entra.bicep'), 'param').map((p) => p.name)).not.toContain('identityPrincipalId');
  });

  it('makes the deployer an owner of the admin API registration', () => {
    const app = declaration(entra, 'resource', 'adminApi').body ?? '';
    expect(arrayItems(property(app, 'owners', 'relationships'))).toEqual(['deployer().objectId']);
  });

  // learn.microsoft.com/graph/api/resources/identifieruriconfiguration: nonDefaultUriAddition allows only api://{appId} and api://{tenantId}/{appId}.
  it('offers the api://<appId> identifier URI for tenants that refuse api://<tenant>/<name>, set after the app exists', () => {
    const app = declaration(entra, 'resource', 'adminApi').body ?? '';
    expect(objectEntry(app, 'identifierUris').replace(/\s+/g, ' ')).toBe("identifierUriForm == 'tenant' ? [ tenantIdentifierUri ] : null");
    expect(declaration(entra, 'output', 'adminApiIdentifierUri').value).toBe("identifierUriForm == 'tenant' ? tenantIdentifierUri : 'api://${adminApi.appId}'");
    expect(readRepoFile('infra/modules/entra.bicep')).not.toMatch(/every tenant/i);
    const hook = readRepoFile('infra/hooks/postprovision.sh');
    expect(hook).toContain('az ad app update --id "$ADMIN_API_APP_ID" --identifier-uris "api://$ADMIN_API_APP_ID"');
    expect(hook).toMatch(/if \[ "\$\{ADMIN_API_IDENTIFIER_URI_FORM:-tenant\}" = appId \]/);
  });

  it('registers the admin API with the roles Tokens.PrivilegedAdmin, Tokens.Admin, Tokens.Read, Tokens.Desk and Lifecycle.Tasks and v2.0 tokens', () => {
    const roles = arrayItems(declaration(entra, 'var', 'adminApiRoles').value ?? '').map((role) => stringLiteral(objectEntry(role, 'value')));
    expect(roles.sort()).toEqual(['Lifecycle.Tasks', 'Tokens.Admin', 'Tokens.Desk', 'Tokens.PrivilegedAdmin', 'Tokens.Read']);
    const app = declaration(entra, 'resource', 'adminApi').body ?? '';
    expect(property(app, 'api', 'requestedAccessTokenVersion')).toBe('2');
    expect(stringLiteral(objectEntry(app, 'signInAudience'))).toBe('AzureADMyOrg');
    expect(objectEntry(app, 'appRoles')).toContain('id: guid(adminApiUniqueName, role.value)');
    const principal = declaration(entra, 'resource', 'adminApiPrincipal').body ?? '';
    expect(objectEntry(principal, 'appId')).toBe('adminApi.appId');
    expect(objectEntry(principal, 'appRoleAssignmentRequired')).toBe('true');
  });

  it('feeds the admin API app id to ADMIN_AUTH_AUDIENCE, the aud of v2.0 tokens', () => {
    expect(declaration(entra, 'output', 'adminApiAppId').value).toBe('adminApi.appId');
    const main = bicepFile('infra/main.bicep');
    expect(declaration(main, 'var', 'adminAuthAudience').value).toBe('deployEntraObjects ? entra.outputs.adminApiAppId : adminApiAppId');
    expect(property(declaration(main, 'module', 'functionApp').body ?? '', 'params', 'adminAuthAudience')).toBe('adminAuthAudience');
    expect(appSettingExpressions().ADMIN_AUTH_AUDIENCE).toBe('adminAuthAudience');
  });
});

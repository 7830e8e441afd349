import { arrayItems, declaration, objectEntry, parseBicep, property, stringLiteral } from './bicep-text';
import { mainFile } from './sample-deployment';

describe('Lifecycle Workflows relay (infra/modules/lifecycle-logic-app.bicep)', () => {
  const file = parseBicep('infra/modules/lifecycle-logic-app.bicep');
  const logicApp = declaration(file, 'resource', 'logicApp');
  const body = logicApp.body ?? '';

  it('is a Consumption Logic App running as a user-assigned identity', () => {
    expect(logicApp.resourceType).toBe('Microsoft.Logic/workflows');
    expect(stringLiteral(property(body, 'identity', 'type'))).toBe('UserAssigned');
    expect(property(body, 'identity', 'userAssignedIdentities')).toContain("'${identity.id}'");
  });

  it('accepts only Lifecycle Workflows\' proof-of-possession token on its trigger, as entra-docs prescribes', () => {
    const policy = property(body, 'properties', 'accessControl', 'triggers', 'openAuthenticationPolicies', 'policies', 'AzureADLifecycleWorkflowsAuthPOPAuthPolicy');
    expect(stringLiteral(objectEntry(policy, 'type'))).toBe('AADPOP');
    const claims = Object.fromEntries(arrayItems(objectEntry(policy, 'claims')).map((claim) => [stringLiteral(objectEntry(claim, 'name')), objectEntry(claim, 'value')]));
    expect(Object.keys(claims).sort()).toEqual(['appid', 'aud', 'iss', 'm', 'p', 'u']);
    expect(claims.appid).toBe('lifecycleWorkflowsAppId');
    expect(stringLiteral(declaration(file, 'var', 'lifecycleWorkflowsAppId').value ?? '')).toBe('ce79fdc4-cd1d-4ea5-8139-e74d7dbe0bb7');
    expect(stringLiteral(claims.aud ?? '')).toBe('https://management.azure.com');
    expect(stringLiteral(claims.m ?? '')).toBe('POST');
  });

  it('has its signed trigger URL (SAS) turned off, so the Entra-authenticated call is the only way in', () => {
    expect(stringLiteral(property(body, 'properties', 'accessControl', 'triggers', 'sasAuthenticationPolicy', 'state'))).toBe('Disabled');
  });

  it('forwards the callout unchanged to the task endpoint with its identity\'s token for the admin API', () => {
    const action = property(body, 'properties', 'definition', 'actions', 'Forward_to_entra_oath_tokens');
    expect(stringLiteral(property(action, 'inputs', 'method'))).toBe('POST');
    expect(property(action, 'inputs', 'uri')).toBe('taskEndpoint');
    expect(stringLiteral(property(action, 'inputs', 'body'))).toBe('@triggerBody()');
    expect(stringLiteral(property(action, 'inputs', 'authentication', 'type'))).toBe('ManagedServiceIdentity');
    expect(property(action, 'inputs', 'authentication', 'audience')).toBe('apiAudience');
    const call = declaration(mainFile(), 'module', 'lifecycleLogicApp').body ?? '';
    expect(property(call, 'params', 'taskEndpoint')).toBe("'https://${functionApp.outputs.defaultHostName}/api/lifecycle/tasks'");
    expect(property(call, 'params', 'apiAudience')).toBe('adminAuthAudience');
  });

  it('lets exactly that identity call the endpoint: LIFECYCLE_ALLOWED_CALLERS and the Lifecycle.Tasks role', () => {
    const main = mainFile();
    const functionApp = declaration(main, 'module', 'functionApp').body ?? '';
    expect(property(functionApp, 'params', 'lifecycleAllowedCallers')).toBe("deployLifecycleWorkflows ? lifecycleIdentity.outputs.principalId : ''");
    const grants = declaration(main, 'module', 'graphPermissions').body ?? '';
    expect(property(grants, 'params', 'lifecycleCallerPrincipalId')).toBe("deployLifecycleWorkflows ? lifecycleIdentity.outputs.principalId : ''");
    expect(property(grants, 'params', 'lifecycleTasksRoleId')).toBe('entra.outputs.lifecycleTasksRoleId');
  });
});

import { AZURE_CLOUD, type JsonObject } from './arm-template';
import { appSettingValues, identityIds, mainDeployment, resourceNames, SAMPLE } from './sample-deployment';

describe('Lifecycle Workflows relay (infra/modules/lifecycle-logic-app.bicep)', () => {
  const deployment = mainDeployment({ deployLifecycleWorkflows: true });
  const names = resourceNames(deployment);
  const relayIdentityName = `id-lcw-${names.identity!.slice('id-'.length)}`;
  const relayIdentityId = `/subscriptions/${SAMPLE.subscriptionId}/resourceGroups/${names.resourceGroup!}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${relayIdentityName}`;
  const logicAppOf = (d = deployment) => d.module('lifecycle-logic-app').resource((r) => r.type === 'Microsoft.Logic/workflows', 'the Logic App');
  const logicApp = logicAppOf();
  const properties = logicApp.get('properties') as JsonObject;

  it('is deployed only with deployLifecycleWorkflows, as a Consumption Logic App running as its own user-assigned identity', () => {
    expect(mainDeployment().resources().filter((r) => /-lifecycle-(identity|logic-app)$/.test(r.name))).toEqual([]);
    expect(logicApp.name).toBe(`logic-lcw-${names.identity!.slice('id-'.length)}`);
    expect(deployment.module('lifecycle-identity').resource((r) => r.type === 'Microsoft.ManagedIdentity/userAssignedIdentities', 'identity').name).toBe(relayIdentityName);
    expect(logicApp.get('identity')).toEqual({ type: 'UserAssigned', userAssignedIdentities: { [relayIdentityId]: {} } });
    expect(properties.state).toBe('Enabled');
    // The Logic App module takes its identity's name from the identity module, so it waits for it.
    const call = deployment.resource((r) => r.name.endsWith('-lifecycle-logic-app'), 'the module');
    expect(JSON.stringify((call.raw.properties as JsonObject).parameters)).toContain("'{0}-lifecycle-identity'");
  });

  it("accepts only Lifecycle Workflows' proof-of-possession token on its trigger, as entra-docs prescribes", () => {
    const policies = ((properties.accessControl as JsonObject).triggers as JsonObject).openAuthenticationPolicies as JsonObject;
    const policy = (policies.policies as JsonObject).AzureADLifecycleWorkflowsAuthPOPAuthPolicy as JsonObject;
    expect(policy.type).toBe('AADPOP');
    const claims = Object.fromEntries((policy.claims as JsonObject[]).map((claim) => [claim.name, claim.value]));
    expect(claims).toEqual({
      iss: `https://sts.windows.net/${SAMPLE.tenantId}/`,
      aud: 'https://management.azure.com',
      appid: 'ce79fdc4-cd1d-4ea5-8139-e74d7dbe0bb7',
      m: 'POST',
      u: 'management.azure.com',
      p: `/subscriptions/${SAMPLE.subscriptionId}/resourceGroups/${names.resourceGroup!}/providers/Microsoft.Logic/workflows/${logicApp.name}`,
    });
  });

  it('has its signed trigger URL (SAS) turned off, so the Entra-authenticated call is the only way in', () => {
    expect((((properties.accessControl as JsonObject).triggers as JsonObject).sasAuthenticationPolicy as JsonObject).state).toBe('Disabled');
  });

  it("names the cloud's own Resource Manager in the token's audience and host", () => {
    const otherCloud = mainDeployment({ deployLifecycleWorkflows: true }, { environment: { ...AZURE_CLOUD, resourceManager: 'https://management.example.net/' } });
    const policies = ((((logicAppOf(otherCloud).get('properties') as JsonObject).accessControl as JsonObject).triggers as JsonObject).openAuthenticationPolicies as JsonObject).policies as JsonObject;
    const claims = Object.fromEntries(((policies.AzureADLifecycleWorkflowsAuthPOPAuthPolicy as JsonObject).claims as JsonObject[]).map((claim) => [claim.name, claim.value]));
    expect(claims.aud).toBe('https://management.example.net');
    expect(claims.u).toBe('management.example.net');
  });

  it("forwards the callout unchanged to the task endpoint with its identity's token for the admin API", () => {
    const action = ((properties.definition as JsonObject).actions as JsonObject).Forward_to_entra_oath_tokens as JsonObject;
    expect(action.inputs).toEqual({
      method: 'POST',
      uri: `https://${names.functionApp!}.azurewebsites.net/api/lifecycle/tasks`,
      headers: { 'Content-Type': 'application/json' },
      body: '@triggerBody()',
      authentication: { type: 'ManagedServiceIdentity', identity: relayIdentityId, audience: SAMPLE.adminApiAppId },
    });
  });

  it('lets exactly that identity call the endpoint: LIFECYCLE_ALLOWED_CALLERS and the Lifecycle.Tasks role', () => {
    const relay = identityIds(relayIdentityName);
    expect(appSettingValues(deployment).LIFECYCLE_ALLOWED_CALLERS).toBe(relay.principalId);
    expect(appSettingValues(mainDeployment()).LIFECYCLE_ALLOWED_CALLERS).toBe('');
    const role = deployment.module('graph-permissions').resource((r) => r.symbol === 'lifecycleCallerRole', 'the relay role');
    expect((role.get('properties') as JsonObject).principalId).toBe(relay.principalId);
    expect(deployment.outputs().LIFECYCLE_LOGIC_APP_NAME).toBe(logicApp.name);
  });
});

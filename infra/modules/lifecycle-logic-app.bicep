// The Logic App (Consumption) a Lifecycle Workflows custom task extension calls. It accepts only
// Lifecycle Workflows' proof-of-possession token (the authorization policy entra-docs
// configure-logic-app-lifecycle-workflows.md prescribes) and forwards the callout, unchanged, to
// POST /api/lifecycle/tasks with an Entra token of its own user-assigned identity. The function app
// resumes the task itself once the joiner or leaver work settles, so the Logic App does not call back.
// An authorization policy alone leaves the trigger's signed (SAS) URL working, and whoever holds that URL
// would have the relay speak with its identity: SAS is turned off (Azure Logic Apps, "Disable SAS
// authentication", Consumption only), so the Entra-authenticated call is the only way in. The function
// app also refuses any callout that Graph does not show in progress for its subject.

param name string
param location string
param tags object
param identityName string
@description('https://<function app host>/api/lifecycle/tasks')
param taskEndpoint string
@description('The admin API application (client) id: the audience of the token the Logic App sends.')
param apiAudience string

// Lifecycle Workflows' own application id, the same in every tenant (entra-docs, authorization policy tables).
var lifecycleWorkflowsAppId = 'ce79fdc4-cd1d-4ea5-8139-e74d7dbe0bb7'

// Lifecycle Workflows signs its callout for Azure Resource Manager: management.azure.com in Azure's
// global cloud, taken from the cloud the template is deployed to.
var resourceManagerHost = split(environment().resourceManager, '/')[2]

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource logicApp 'Microsoft.Logic/workflows@2019-05-01' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    state: 'Enabled'
    accessControl: {
      triggers: {
        // Missing from the 2019-05-01 type (BCP037), but Logic Apps honours it for Consumption workflows: a
        // call with the trigger's SAS signature is then refused ("SAS authentication scheme while it is
        // disabled under your access control policy"), so the Entra-authenticated call is the only way in.
        #disable-next-line BCP037
        sasAuthenticationPolicy: {
          state: 'Disabled'
        }
        openAuthenticationPolicies: {
          policies: {
            AzureADLifecycleWorkflowsAuthPOPAuthPolicy: {
              type: 'AADPOP'
              claims: [
                {
                  name: 'iss'
                  value: 'https://sts.windows.net/${tenant().tenantId}/'
                }
                {
                  name: 'aud'
                  value: 'https://${resourceManagerHost}'
                }
                {
                  name: 'appid'
                  value: lifecycleWorkflowsAppId
                }
                {
                  name: 'm'
                  value: 'POST'
                }
                {
                  name: 'u'
                  value: resourceManagerHost
                }
                {
                  name: 'p'
                  value: '/subscriptions/${subscription().subscriptionId}/resourceGroups/${resourceGroup().name}/providers/Microsoft.Logic/workflows/${name}'
                }
              ]
            }
          }
        }
      }
    }
    definition: {
      '$schema': 'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#'
      contentVersion: '1.0.0.0'
      parameters: {}
      triggers: {
        manual: {
          type: 'Request'
          kind: 'Http'
          inputs: {
            schema: {
              type: 'object'
              properties: {
                type: {
                  type: 'string'
                }
                source: {
                  type: 'string'
                }
                data: {
                  type: 'object'
                  properties: {
                    callbackUriPath: {
                      type: 'string'
                    }
                    subject: {
                      type: 'object'
                    }
                    task: {
                      type: 'object'
                    }
                    taskProcessingResult: {
                      type: 'object'
                    }
                    workflow: {
                      type: 'object'
                    }
                  }
                }
              }
            }
          }
        }
      }
      actions: {
        Forward_to_entra_oath_tokens: {
          type: 'Http'
          runAfter: {}
          inputs: {
            method: 'POST'
            uri: taskEndpoint
            headers: {
              'Content-Type': 'application/json'
            }
            body: '@triggerBody()'
            authentication: {
              type: 'ManagedServiceIdentity'
              identity: identity.id
              audience: apiAudience
            }
          }
        }
      }
      outputs: {}
    }
  }
}

output name string = logicApp.name
output id string = logicApp.id

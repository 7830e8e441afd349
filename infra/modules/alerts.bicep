// Two log alerts on Application Insights. The texts they match are a contract with the code and the
// Functions host, documented in docs/deploy.md ("Alerts"):
// - low stock: a trace whose message starts with `LowStock` (the app logs it at warning level);
// - poison messages: the host's own warning "Message has reached MaxDequeueCount of N. Moving message
//   to queue '<queue>-poison'." A metric alert cannot do this: queue message count is per account, not per queue.

param location string
param tags object
param appInsightsName string
param actionGroupName string
param alertNamePrefix string

@description('Receives both alerts by email. Empty: the alerts fire in the portal only and no action group is made.')
param alertEmail string = ''

var lowStockQuery = 'traces | where message startswith "LowStock"'
var poisonMessageQuery = 'traces | where message startswith "Message has reached MaxDequeueCount" and message has "-poison"'

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'oathtokens'
    enabled: true
    emailReceivers: [
      {
        name: 'token-admins'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var actionGroups = empty(alertEmail) ? [] : [
  resourceId('Microsoft.Insights/actionGroups', actionGroupName)
]

resource lowStockAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${alertNamePrefix}-low-stock'
  location: location
  tags: tags
  kind: 'LogAlert'
  dependsOn: [
    actionGroup
  ]
  properties: {
    displayName: 'Hardware OATH tokens: stock is low'
    description: 'The app logged LowStock: a pool has fewer tokens in stock than LOW_STOCK_THRESHOLD. Order or import tokens.'
    severity: 2
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT1H'
    windowSize: 'PT1H'
    criteria: {
      allOf: [
        {
          query: lowStockQuery
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: false
    actions: {
      actionGroups: actionGroups
    }
  }
}

resource poisonMessageAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${alertNamePrefix}-poison-messages'
  location: location
  tags: tags
  kind: 'LogAlert'
  dependsOn: [
    actionGroup
  ]
  properties: {
    displayName: 'Hardware OATH tokens: work moved to a poison queue'
    description: 'A queue message failed maxDequeueCount times and was moved to hr-events-poison or reconcile-work-poison. Check GET /api/provisioning/{employeeId} and the exception in Application Insights.'
    severity: 1
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: poisonMessageQuery
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: false
    actions: {
      actionGroups: actionGroups
    }
  }
}

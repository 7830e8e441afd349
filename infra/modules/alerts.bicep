// Log alerts on Application Insights. The texts they match are a contract with the code and the
// Functions host, documented in docs/deploy.md ("Alerts"):
// - low stock: a trace whose message starts with `LowStock` (the app logs it at warning level);
// - poison messages: the host's own warning "Message has reached MaxDequeueCount of N. Moving message
//   to queue '<queue>-poison'." A metric alert cannot do this: queue message count is per account, not per queue;
// - a leaver's revocation failing again and again: `LeaverRevocationFailing` (warning, from the third failed try);
// - a token still held in Entra by someone whose termination date has passed: `ReconcileDrift kind=held_after_termination`;
// - a token still held in Entra by a deleted or disabled account: `ReconcileDrift kind=held_by_departed`;
// - a reconciliation run held for changing too much: `ReconcileHeld` (an admin must read and apply it).
// All of them read `traces`, which host.json excludes from sampling (samplingSettings.excludedTypes has
// Trace), so none of these lines is ever dropped by adaptive sampling.

param location string
param tags object
param appInsightsName string
param actionGroupName string
param alertNamePrefix string

@description('Receives every alert by email. Empty: the alerts fire in the portal only and no action group is made.')
param alertEmail string = ''

var lowStockQuery = 'traces | where message startswith "LowStock"'
var poisonMessageQuery = 'traces | where message startswith "Message has reached MaxDequeueCount" and message has "-poison"'
var leaverFailingQuery = 'traces | where message startswith "LeaverRevocationFailing"'
var heldAfterTerminationQuery = 'traces | where message startswith "ReconcileDrift kind=held_after_termination"'
var heldByDepartedQuery = 'traces | where message startswith "ReconcileDrift kind=held_by_departed"'
var reconcileHeldQuery = 'traces | where message startswith "ReconcileHeld"'

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

// The same rule shape for the leaver and reconciliation alerts.
var leaverAlerts = [
  {
    symbol: 'leaver-revocation-failing'
    displayName: 'Hardware OATH tokens: a leaver still has access'
    description: 'The app logged LeaverRevocationFailing: a terminated employee\'s token could not be removed from Entra three times or more; it keeps being retried. Check GET /api/provisioning/{employeeId} for the reason (Graph down, a missing permission).'
    severity: 1
    frequency: 'PT15M'
    query: leaverFailingQuery
  }
  {
    symbol: 'held-after-termination'
    displayName: 'Hardware OATH tokens: a token held after its holder left'
    description: 'Reconciliation found a token still assigned in Entra to someone whose termination date has passed (ReconcileDrift kind=held_after_termination). Safe mode takes it away; read the report to see why the leaver path missed it.'
    severity: 1
    frequency: 'PT1H'
    query: heldAfterTerminationQuery
  }
  {
    symbol: 'held-by-departed'
    displayName: 'Hardware OATH tokens: a token held by a deleted or disabled account'
    description: 'Reconciliation found a token still assigned in Entra to an account that is deleted or disabled (ReconcileDrift kind=held_by_departed). Safe mode takes it away from a disabled account; from a deleted one Entra may keep it until the account is restored or purged (the repair then raises a leaver and fails visibly). Read the report and docs/leavers.md.'
    severity: 1
    frequency: 'PT1H'
    query: heldByDepartedQuery
  }
  {
    symbol: 'reconcile-held'
    displayName: 'Hardware OATH tokens: a reconciliation run is held'
    description: 'A reconciliation run would change more than RECONCILE_MAX_CHANGES tokens and queued nothing (ReconcileHeld). Read its report (GET /api/reports/reconcile/{runId}); apply it with POST /api/reconcile/{runId}/apply or oathctl reconcile --apply RUNID if it is right.'
    severity: 2
    frequency: 'PT1H'
    query: reconcileHeldQuery
  }
]

resource leaverAndReconcileAlerts 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [for alert in leaverAlerts: {
  name: '${alertNamePrefix}-${alert.symbol}'
  location: location
  tags: tags
  kind: 'LogAlert'
  dependsOn: [
    actionGroup
  ]
  properties: {
    displayName: alert.displayName
    description: alert.description
    severity: alert.severity
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: alert.frequency
    windowSize: alert.frequency
    criteria: {
      allOf: [
        {
          query: alert.query
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
}]

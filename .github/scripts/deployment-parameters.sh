#!/bin/sh
# Writes ci.parameters.json for `az deployment sub what-if/create` from the job's environment, the same
# values as the azd environment of the first `azd up` (names as in infra/main.parameters.json). The
# pipeline holds no Entra admin role, so the Entra objects made by that first run are left alone
# (deployEntraObjects=false) and the admin API's app id is passed in. An empty variable keeps the default.
set -eu
jq -n \
  --arg environmentName "$AZURE_ENV_NAME" \
  --arg location "$AZURE_LOCATION" \
  --arg adminApiAppId "$ADMIN_API_APP_ID" \
  --arg activationMode "${ACTIVATION_MODE:-}" \
  --arg reconcileSchedule "${RECONCILE_SCHEDULE:-}" \
  --arg storageSku "${AZURE_STORAGE_SKU:-}" \
  --arg alertEmail "${ALERT_EMAIL:-}" \
  --arg directorySyncSchedule "${DIRECTORY_SYNC_SCHEDULE:-}" \
  --arg directorySyncGroupId "${DIRECTORY_SYNC_GROUP_ID:-}" \
  --arg protectedGroupIds "${PROTECTED_GROUP_IDS:-}" \
  --arg allowedGroupId "${ALLOWED_GROUP_ID:-}" \
  --arg privateNetworking "${PRIVATE_NETWORKING:-}" \
  '{
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
    contentVersion: "1.0.0.0",
    parameters: (
      {$environmentName, $location, $adminApiAppId, $activationMode, $reconcileSchedule, $storageSku, $alertEmail, $directorySyncSchedule, $directorySyncGroupId, $protectedGroupIds, $allowedGroupId}
      | with_entries(select(.value != "") | .value = {value: .value})
      | . + {deployEntraObjects: {value: false}}
      | . + (if $privateNetworking == "" then {} else {privateNetworking: {value: ($privateNetworking == "true")}} end)
    )
  }' > ci.parameters.json

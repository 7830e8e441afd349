#!/bin/sh
# azd postprovision hook (azure.yaml). With ADMIN_API_IDENTIFIER_URI_FORM=appId, for tenants whose app
# management policy refuses api://<tenant id>/<name> (nonDefaultUriAddition), give the admin API the
# default identifier URI api://<application id>. The app id exists only once the registration does, so
# this runs after provisioning; it changes nothing when the URI is already set. Needs the Azure CLI
# signed in as an owner of the registration (the deployer is one).
set -eu
if [ "${ADMIN_API_IDENTIFIER_URI_FORM:-tenant}" = appId ] && [ -n "${ADMIN_API_APP_ID:-}" ]; then
  az ad app update --id "$ADMIN_API_APP_ID" --identifier-uris "api://$ADMIN_API_APP_ID"
  echo "Admin API identifier URI: api://$ADMIN_API_APP_ID"
fi

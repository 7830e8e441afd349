// The one identity the app uses for storage, Key Vault, Application Insights and Microsoft Graph.
// User-assigned, so its role assignments and Graph permissions exist before the app does and survive a rebuilt app.

param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output name string = identity.name
output id string = identity.id
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId

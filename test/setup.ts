import { useLocalHost } from '../shared/app/hosting';

// Tests never run inside the Azure Functions host: keep declarations away from @azure/functions' `app`,
// which would only warn that it is in test mode.
useLocalHost();

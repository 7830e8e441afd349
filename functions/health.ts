import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { ConfigError } from '../shared/config';
import type { AppServices } from '../shared/composition';
import { functionsNotStarted, httpFunction } from '../shared/hosting';
import { json, problem } from '../shared/problem';
import { services } from '../shared/runtime';
import { checkHealth } from '../shared/workflows/checkHealth';

/** GET /api/health: 200 when config loads and storage, Key Vault and Graph answer; 503 naming what failed. */
export function healthHandler(getServices: () => Pick<AppServices, 'healthProbes'>) {
  return async (_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    let probes;
    try {
      probes = getServices().healthProbes;
    } catch (error) {
      if (error instanceof ConfigError) return problem(503, error.message, { setting: error.setting, notStarted: functionsNotStarted(), dependencies: [] });
      throw error;
    }
    const report = await checkHealth(probes);
    if (report.healthy) return json(200, { status: 'healthy', dependencies: report.dependencies });
    const failing = report.dependencies.filter((d) => !d.ok);
    context.warn(`health: ${failing.map((d) => `${d.name} (${d.reason ?? 'failed'})`).join(', ')} not answering`);
    return problem(503, `Not answering: ${failing.map((d) => d.name).join(', ')}`, { dependencies: report.dependencies });
  };
}

httpFunction('health', { route: 'health', methods: ['GET'], handler: healthHandler(services) });

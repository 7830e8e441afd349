import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { authorize } from '../shared/http/adminRequest';
import { ConfigError } from '../shared/app/config';
import type { AppServices } from '../shared/app/composition';
import { functionsNotStarted, httpFunction } from '../shared/app/hosting';
import type { AdminAuthenticator } from '../shared/ports';
import { json, problem } from '../shared/http/problem';
import { adminAuthenticator, services } from '../shared/app/runtime';
import { cachedHealthCheck, type CheckedHealth } from '../shared/workflows/checkHealth';

/**
 * GET /api/health. Anonymous callers get only `{"status": "ok" | "unavailable"}` (200 or 503); a
 * caller with a Tokens.Read token also gets each dependency. A broken setting is a 503 problem naming
 * it to anyone; a Tokens.Read caller also learns which functions it stopped. The dependencies
 * are asked at most once per 30 s whoever calls, so health cannot spend the app's Graph and Key Vault
 * budgets.
 */
export function healthHandler(getServices: () => Pick<AppServices, 'healthProbes' | 'clock'>, getAuthenticator: () => AdminAuthenticator) {
  let check: (() => Promise<CheckedHealth>) | undefined;
  let warnedFor: string | undefined;
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    let detailed = false;
    if (request.headers.get('authorization') !== null) {
      let authenticator: AdminAuthenticator | undefined;
      try {
        authenticator = getAuthenticator();
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
      }
      if (authenticator) {
        const auth = await authorize(request, authenticator, 'Tokens.Read');
        if ('response' in auth) return auth.response;
        detailed = true;
      }
    }

    let app;
    try {
      app = getServices();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // The setting's name (never its value) to anyone: the first check after a deployment is an anonymous curl.
      return problem(503, error.message, { setting: error.setting ?? null, ...(detailed ? { notStarted: functionsNotStarted(), dependencies: [] } : {}) });
    }
    check ??= cachedHealthCheck(app.healthProbes, app.clock);
    const { report, checkedAt } = await check();
    const failing = report.dependencies.filter((d) => !d.ok);
    // Once per check, not once per request.
    if (failing.length > 0 && warnedFor !== checkedAt) {
      warnedFor = checkedAt;
      context.warn(`health: ${failing.map((d) => `${d.name} (${d.reason ?? 'failed'})`).join(', ')} not answering`);
    }
    const code = report.healthy ? 200 : 503;
    const status = report.healthy ? 'ok' : 'unavailable';
    if (!detailed) return json(code, { status });
    return json(code, { status, checkedAt, ...(failing.length > 0 ? { detail: `Not answering: ${failing.map((d) => d.name).join(', ')}` } : {}), dependencies: report.dependencies });
  };
}

httpFunction('health', { route: 'health', methods: ['GET'], handler: healthHandler(services, adminAuthenticator) });

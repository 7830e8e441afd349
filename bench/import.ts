import { Secret } from 'otpauth';
import { csvParts } from '../cli/importParts';
import { graphEmulatorControl } from '../dev/graph/control';
import { createKeyVaultControl } from '../dev/keyvault/control';
import { startStack } from '../dev/stack';
import { startHostProcess } from './hostProcess';

/**
 * Import benchmark: N tokens through the admin API (in parts, as oathctl sends them) against the
 * emulators, with Key Vault's create limit scaled down so the run stays short. The local host runs in
 * its own process so its peak memory is the import's alone, not the emulators'.
 */
export interface ImportFigures {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  /** Key Vault's create limit as the emulator enforced it: `requests` per sliding `windowSeconds`. */
  keyVaultCreateLimit: { requests: number; windowSeconds: number };
  /** Imported rows over the most the limit admits in that time: requests x (whole windows + 1). */
  ratioToCreateLimit: number;
  failedRows: number;
  keyVaultThrottled: number;
  hostPeakRssMb: number;
  hostHeapCapMb: number;
}

const ROWS_PER_REQUEST = 1000;
const HOST_HEAP_CAP_MB = 96;



/** Key Vault's own limit is 300 creates per 10 s; the bench keeps the 10 s window and scales the count. */
const WINDOW_SECONDS = 10;

export async function benchImport(rows: number, createsPerWindow: number): Promise<ImportFigures> {
  const stack = await startStack({ keyVaultCreateLimit: { requests: createsPerWindow, windowMs: WINDOW_SECONDS * 1000 } });
  const host = await startHostProcess(stack, HOST_HEAP_CAP_MB).catch(async (error: unknown) => {
    await stack.stop();
    throw error;
  });
  const url = host.url;
  try {
    const token = await stack.identity.mintToken({ audience: stack.appSettings.ADMIN_AUTH_AUDIENCE ?? '', roles: ['Tokens.Admin'], name: 'bench' });
    const lines = ['upn,serial number,secret key,time interval,manufacturer,model'];
    for (let i = 0; i < rows; i++) lines.push(`,BENCH-${String(i).padStart(6, '0')},${new Secret({ size: 20 }).base32},30,Token2,C202`);
    const parts = csvParts(`${lines.join('\n')}\n`, ROWS_PER_REQUEST);

    const started = process.hrtime.bigint();
    let imported = 0;
    for (const part of parts) {
      const response = await fetch(`${url}/api/tokens/import?lineOffset=${part.lineOffset}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': part.contentType },
        body: part.body,
      });
      if (!response.ok) throw new Error(`import answered ${response.status}`);
      const summary = (await response.json()) as { imported: number };
      imported += summary.imported;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const stats = await createKeyVaultControl(stack.keyVault.url, { ca: stack.ca.certPem }).stats();
    const mostAdmitted = createsPerWindow * (Math.floor(seconds / WINDOW_SECONDS) + 1);
    return {
      rows,
      seconds: Math.round(seconds * 10) / 10,
      rowsPerSecond: Math.round((imported / seconds) * 10) / 10,
      keyVaultCreateLimit: { requests: createsPerWindow, windowSeconds: WINDOW_SECONDS },
      ratioToCreateLimit: Math.round((Math.min(imported, mostAdmitted) / mostAdmitted) * 100) / 100,
      failedRows: rows - imported,
      keyVaultThrottled: stats.throttled,
      hostPeakRssMb: host.peakRssMb(),
      hostHeapCapMb: HOST_HEAP_CAP_MB,
    };
  } finally {
    await host.stop();
    await stack.stop();
  }
}

export interface PacedImportFigures {
  rows: number;
  seconds: number;
  imported: number;
  failedRows: number;
  /** Answers 503 with Retry-After, each followed by the same part sent again. */
  answered503: number;
  graphThrottle: { requests: number; windowSeconds: number };
  graphLatencyMs: number;
  /** Graph requests Graph served over what the throttle allowed in the run's time (goal >= 0.9). */
  shareOfGraphBudget: number;
  graph429sPer1000Requests: number;
  graphRequestsPerRow: number;
  /** The app's GRAPH_REQUESTS_PER_SECOND, or the local stack's default when the run leaves it. */
  appBudget: number | 'default';
}

const MAX_RESENDS = 20;

/**
 * An import against Graph throttled to `rate` requests a second, the app's own budget set to the same
 * rate. With `namedUsers`, each row names a user, so each is checked, assigned and activated: an
 * import Graph bounds, where the share of the budget used tells how well the pacing fills it.
 */
export async function benchImportPaced(rows: number, rate: number, latencyMs: number, options: { namedUsers?: boolean; appBudget?: number | 'default' } = {}): Promise<PacedImportFigures> {
  const appBudget = options.appBudget ?? rate;
  const stack = await startStack({ keyVaultCreateLimit: { requests: 1_000_000, windowMs: 10_000 } });
  const host = await startHostProcess(stack, HOST_HEAP_CAP_MB, appBudget === 'default' ? {} : { GRAPH_REQUESTS_PER_SECOND: String(appBudget) }).catch(async (error: unknown) => {
    await stack.stop();
    throw error;
  });
  try {
    const graph = graphEmulatorControl(stack.graph.url, { caCertPem: stack.ca.certPem });
    const token = await stack.identity.mintToken({ audience: stack.appSettings.ADMIN_AUTH_AUDIENCE ?? '', roles: ['Tokens.Admin'], name: 'bench' });
    const upn = (i: number) => (options.namedUsers ? `paced${String(i).padStart(6, '0')}@contoso.com` : '');
    if (options.namedUsers) await graph.seedUsers(Array.from({ length: rows }, (_, i) => ({ displayName: `Paced ${i}`, userPrincipalName: upn(i), employeeId: `P${String(i).padStart(6, '0')}` })));
    const lines = ['upn,serial number,secret key,time interval,manufacturer,model'];
    for (let i = 0; i < rows; i++) lines.push(`${upn(i)},PACED-${String(i).padStart(6, '0')},${new Secret({ size: 20 }).base32},30,Token2,C202`);
    const parts = csvParts(`${lines.join('\n')}\n`, ROWS_PER_REQUEST);
    // Today's one bucket for every request, as the table measured it.
    await graph.setVariants({ throttle: 'singleBucket' });
    await graph.setFaults({ latencyMs, throttle: { requests: rate, windowMs: 1000 } });
    const before = await graph.stats();
    const started = process.hrtime.bigint();
    let imported = 0;
    let answered503 = 0;
    for (const part of parts) {
      for (let send = 0; ; send++) {
        const response = await fetch(`${host.url}/api/tokens/import?lineOffset=${part.lineOffset}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': part.contentType }, body: part.body });
        if (response.status === 503 && send < MAX_RESENDS) {
          answered503++;
          await new Promise((resolve) => setTimeout(resolve, Number(response.headers.get('retry-after') ?? '1') * 1000));
          continue;
        }
        if (!response.ok) throw new Error(`import answered ${response.status}`);
        const summary = (await response.json()) as { imported: number; unchanged: number };
        imported += summary.imported + summary.unchanged;
        break;
      }
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const after = await graph.stats();
    const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
    const requests = total(after.requests) - total(before.requests);
    const throttled = after.throttled - before.throttled;
    return {
      rows,
      seconds: Math.round(seconds * 10) / 10,
      imported,
      failedRows: rows - imported,
      answered503,
      graphThrottle: { requests: rate, windowSeconds: 1 },
      graphLatencyMs: latencyMs,
      shareOfGraphBudget: Math.round(((requests - throttled) / (seconds * rate)) * 100) / 100,
      graph429sPer1000Requests: Math.round((throttled / Math.max(1, requests)) * 10_000) / 10,
      graphRequestsPerRow: Math.round((requests / rows) * 100) / 100,
      appBudget,
    };
  } finally {
    await host.stop();
    await stack.stop();
  }
}

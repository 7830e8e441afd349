import { Secret } from 'otpauth';
import { csvParts } from '../cli/importParts';
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

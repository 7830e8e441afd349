import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Secret } from 'otpauth';
import { csvParts } from '../cli/importParts';
import { createKeyVaultControl } from '../dev/keyvault/control';
import { REPO_ROOT } from '../dev/paths';
import { freePort } from '../dev/ports';
import { startStack } from '../dev/stack';

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

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

async function waitForHealth(url: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    try {
      if ((await fetch(`${url}/api/health`)).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the local host did not become healthy');
}

/** Key Vault's own limit is 300 creates per 10 s; the bench keeps the 10 s window and scales the count. */
const WINDOW_SECONDS = 10;

export async function benchImport(rows: number, createsPerWindow: number): Promise<ImportFigures> {
  const stack = await startStack({ keyVaultCreateLimit: { requests: createsPerWindow, windowMs: WINDOW_SECONDS * 1000 } });
  const port = await freePort();
  // A small old-space cap makes V8 collect instead of growing lazily, so peak RSS follows what the import
  // really keeps; an import that held the whole file would run out of heap here.
  const host = spawn(process.execPath, [`--max-old-space-size=${HOST_HEAP_CAP_MB}`, path.join(REPO_ROOT, 'dist', 'dev', 'host', 'main.js'), '--port', String(port)], {
    env: { ...process.env, ...stack.appSettings, NODE_EXTRA_CA_CERTS: stack.ca.certPath },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url);
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
      hostPeakRssMb: peakRssMb(host.pid ?? 0),
      hostHeapCapMb: HOST_HEAP_CAP_MB,
    };
  } finally {
    host.kill('SIGTERM');
    await new Promise((resolve) => host.once('exit', resolve));
    await stack.stop();
  }
}

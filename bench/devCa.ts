import { spawn } from 'node:child_process';
import path from 'node:path';
import { ensureDevCa } from '../dev/tls';

/**
 * Runs `main` in a process that trusts the dev CA. The emulators' certificates come from it, and Node
 * reads NODE_EXTRA_CA_CERTS only at start-up: unless it already names the dev CA, the script runs again
 * in a child process where it does.
 */
export function runTrustingDevCa(script: string, label: string, main: () => Promise<void>): void {
  const ca = ensureDevCa();
  if (process.env.NODE_EXTRA_CA_CERTS && path.resolve(process.env.NODE_EXTRA_CA_CERTS) === path.resolve(ca.certPath)) {
    main().catch((error: unknown) => {
      console.error(`${label}: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    });
  } else {
    const child = spawn(process.execPath, [script, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, NODE_EXTRA_CA_CERTS: ca.certPath } });
    child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  }
}

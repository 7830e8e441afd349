import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './paths';
import { ensureDevCa } from './tls';

/**
 * Runs jest with the development CA trusted through NODE_EXTRA_CA_CERTS, which Node reads only at
 * process start: the emulators the tests start serve certificates signed by that CA, and the real
 * SDK clients verify them like any other.
 */
const ca = ensureDevCa();
const jest = path.join(REPO_ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
const child = spawn(process.execPath, [jest, ...process.argv.slice(2)], {
  cwd: REPO_ROOT,
  stdio: 'inherit',
  env: { ...process.env, NODE_EXTRA_CA_CERTS: ca.certPath },
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEMO_USERS } from './demoData';
import { graphEmulatorControl } from './graph/control';
import { LOCAL_DIR, REPO_ROOT } from './paths';
import { freePort } from './ports';
import { DEFAULT_PORTS, startStack } from './stack';

/**
 * `npm start`: the whole local stack on the ports local.settings.json names, the local Functions host
 * serving the real functions/ against it, demo users in the Graph emulator. Ctrl-C stops everything.
 */
export const DEV_SETTINGS_FILE = path.join(LOCAL_DIR, 'dev-settings.json');

/** Run as TypeScript (tsx, in tests) the host runs from source too; from dist/, the compiled one. */
const HOST_COMMAND =
  path.extname(__filename) === '.ts'
    ? [path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(REPO_ROOT, 'dev', 'host', 'main.ts')]
    : [path.join(REPO_ROOT, 'dist', 'dev', 'host', 'main.js')];

async function waitForHealth(hostUrl: string, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${hostUrl}/api/health`);
      if (response.status === 200) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

async function main(): Promise<void> {
  // --free-ports: everything on ports that are free now (for tests, or beside another stack).
  const freePorts = process.argv.includes('--free-ports');
  const hostPort = freePorts ? await freePort() : 7071;
  const hostUrl = `http://127.0.0.1:${hostPort}`;
  console.log('Starting Azurite, the dev identity and the Graph and Key Vault emulators...');
  const stack = await startStack(freePorts ? {} : { ports: DEFAULT_PORTS });
  await graphEmulatorControl(stack.graph.url, { caCertPem: stack.ca.certPem }).seedUsers(DEMO_USERS);

  // The generated dev secrets, for `npm run demo` and for `func start` users (git-ignored, owner-only).
  if (!freePorts) {
    mkdirSync(LOCAL_DIR, { recursive: true });
    const devSettings = { HR_WEBHOOK_SECRETS: stack.hrWebhookSecret, AZURE_CLIENT_SECRET: stack.appSettings.AZURE_CLIENT_SECRET };
    writeFileSync(DEV_SETTINGS_FILE, `${JSON.stringify(devSettings, null, 2)}\n`, { mode: 0o600 });
  }

  const host = spawn(process.execPath, [...HOST_COMMAND, '--port', String(hostPort)], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
    env: { ...process.env, ...stack.appSettings, NODE_EXTRA_CA_CERTS: stack.ca.certPath },
  });

  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    if (host.exitCode === null) {
      host.kill('SIGTERM');
      await new Promise((resolve) => host.once('exit', resolve));
    }
    await stack.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  host.once('exit', (code) => {
    if (!stopping) {
      console.error(`The local host stopped (exit code ${code ?? 'none'}); stopping the stack.`);
      void stop(code ?? 1);
    }
  });

  if (!(await waitForHealth(hostUrl, Date.now() + 30_000))) {
    console.error(`${hostUrl}/api/health did not answer 200 within 30 s; see the lines above.`);
    await stop(1);
    return;
  }
  console.log(
    [
      '',
      'The local stack is running:',
      `  Functions host     ${hostUrl}/api  (health: ${hostUrl}/api/health)`,
      `  Graph emulator     ${stack.graph.url}/beta  (control: ${stack.graph.url}/_emulator/state)`,
      `  Key Vault emulator ${stack.keyVault.url}`,
      `  Dev identity       ${stack.identity.url}  (issuer ${stack.identity.issuer})`,
      `  Azurite            blob ${stack.azurite.blobUrl}, queue ${stack.azurite.queueUrl}, table ${stack.azurite.tableUrl}`,
      `  Demo users         ${DEMO_USERS.filter((u) => u.employeeId).map((u) => u.userPrincipalName).join(', ')}`,
      `  Dev secrets        ${path.relative(REPO_ROOT, DEV_SETTINGS_FILE)} (HR webhook secret, app client secret)`,
      '',
      'Try, in another terminal:',
      '  export OATHCTL_TOKEN=$(npm run -s dev:token -- --roles Tokens.Admin)',
      '  npm run -s oathctl -- list',
      '',
      'Ctrl-C stops everything.',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  const code = (error as NodeJS.ErrnoException).code;
  console.error(code === 'EADDRINUSE' ? `A port the stack needs is in use (${(error as Error).message}); is another "npm start" running?` : error);
  process.exit(1);
});

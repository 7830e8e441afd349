import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../shared/app/config';
import { DEMO_USERS } from './demoData';
import { graphEmulatorControl } from './graph/control';
import { DEFAULT_LOCAL_SETTINGS_FILE, describeSetting, mergeLocalSettings, readLocalSettings, type MergedSettings } from './localSettings';
import { LOCAL_DIR, REPO_ROOT } from './paths';
import { freePort } from './ports';
import { KEPT_DATA_DIR, keepIdentityPort, keptDataPaths, keptIdentityPort } from './keepData';
import { DEFAULT_PORTS, startStack, type LocalStack } from './stack';

/**
 * `npm start`: the whole local stack on the ports local.settings.json names, the local Functions host
 * serving the real functions/ against it, demo users in the Graph emulator. Ctrl-C stops everything.
 * What local.settings.json's Values say replaces the stack's defaults (dev/localSettings.ts).
 */
export const DEV_SETTINGS_FILE = path.join(LOCAL_DIR, 'dev-settings.json');

/** Run as TypeScript (tsx, in tests) the host runs from source too; from dist/, the compiled one. */
const HOST_COMMAND =
  path.extname(__filename) === '.ts'
    ? [path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(REPO_ROOT, 'dev', 'host', 'main.ts')]
    : [path.join(REPO_ROOT, 'dist', 'dev', 'host', 'main.js')];

/**
 * Healthy, or the setting problem health names (which waiting does not fix), or undefined at the
 * deadline. Health names a setting only to a Tokens.Read caller, so it asks with a dev identity token;
 * when the settings point the app at another issuer, that token is refused and it asks anonymously.
 */
async function waitForHealth(hostUrl: string, deadline: number, readerToken: () => Promise<string>): Promise<'healthy' | { settingProblem: string } | undefined> {
  while (Date.now() < deadline) {
    try {
      let response = await fetch(`${hostUrl}/api/health`, { headers: { authorization: `Bearer ${await readerToken()}` } });
      if (response.status === 401 || response.status === 403) response = await fetch(`${hostUrl}/api/health`);
      if (response.status === 200) return 'healthy';
      const body = (await response.json().catch(() => ({}))) as { setting?: unknown; detail?: unknown };
      if (typeof body.setting === 'string' && typeof body.detail === 'string') return { settingProblem: body.detail };
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return undefined;
}

/** An emulator the app does not use, because the file points its setting elsewhere. */
function unusedNote(merged: MergedSettings, setting: string): string {
  return merged.fromFile.includes(setting) ? `  (not used: ${setting} from the settings file is ${merged.settings[setting] ?? ''})` : '';
}

function settingsLines(merged: MergedSettings, file: string): string[] {
  const shown = path.relative(REPO_ROOT, file) || file;
  if (merged.fromFile.length === 0) return [`  Settings           the stack's defaults (${shown} sets nothing more)`];
  return [
    `  Settings from ${shown} (they replace the stack's defaults):`,
    ...merged.fromFile.map((name) => `    ${describeSetting(name, merged.settings[name])}`),
    ...(merged.clientSecretFromEnvironment ? ['    AZURE_CLIENT_SECRET from the environment (secret, not shown)'] : []),
    ...(merged.stackKept.length > 0 ? [`  The stack's own addresses for ${merged.stackKept.join(', ')} (the file points at this machine's stack)`] : []),
  ];
}

/** The generated dev secrets, for `npm run demo` and for `func start` users (git-ignored, owner-only). */
function writeDevSettings(stack: LocalStack, merged: MergedSettings): void {
  mkdirSync(LOCAL_DIR, { recursive: true });
  const devSettings: Record<string, string> = {};
  if (merged.settings.HR_WEBHOOK_SECRETS !== undefined) devSettings.HR_WEBHOOK_SECRETS = merged.settings.HR_WEBHOOK_SECRETS;
  // Only the dev identity's own secret: a test tenant's secret is not copied anywhere.
  if (merged.settings.AZURE_CLIENT_SECRET === stack.appSettings.AZURE_CLIENT_SECRET) devSettings.AZURE_CLIENT_SECRET = merged.settings.AZURE_CLIENT_SECRET ?? '';
  writeFileSync(DEV_SETTINGS_FILE, `${JSON.stringify(devSettings, null, 2)}\n`, { mode: 0o600 });
}

async function main(): Promise<void> {
  const { values: flags } = parseArgs({
    options: {
      // Everything on ports that are free now (for tests, or beside another stack).
      'free-ports': { type: 'boolean', default: false },
      // Another local.settings.json (tests use a temporary one; the repository's file is the default).
      settings: { type: 'string' },
      // Keep the inventory, seeds, people and sign-in keys across restarts (under .local/data/).
      'keep-data': { type: 'boolean', default: false },
      // Where --keep-data keeps them (tests use a temporary folder).
      'data-dir': { type: 'string' },
    },
    strict: true,
  });
  const freePorts = flags['free-ports'];
  const settingsFile = path.resolve(flags.settings ?? DEFAULT_LOCAL_SETTINGS_FILE);
  if (flags.settings !== undefined && !existsSync(settingsFile)) throw new ConfigError(`--settings: ${settingsFile} does not exist`);
  const local = readLocalSettings(settingsFile);
  const hostPort = freePorts ? await freePort() : 7071;
  const hostUrl = `http://127.0.0.1:${hostPort}`;
  console.log('Starting Azurite, the dev identity and the Graph and Key Vault emulators...');
  const consoleUrl = `${hostUrl}/api/console/`;
  const consoleRedirectUris = [consoleUrl, `http://localhost:${hostPort}/api/console/`];
  if (flags['data-dir'] !== undefined && !flags['keep-data']) throw new ConfigError('--data-dir goes with --keep-data');
  const dataDir = flags['keep-data'] ? path.resolve(flags['data-dir'] ?? KEPT_DATA_DIR) : undefined;
  const kept = dataDir === undefined ? undefined : keptDataPaths(dataDir);
  const resumed = kept !== undefined && existsSync(kept.graphFile);
  console.log(
    kept
      ? `Data: KEPT across restarts in ${path.relative(REPO_ROOT, kept.dir) || kept.dir} (${resumed ? 'resuming the data of the last run' : 'first run: starting empty'}); delete that folder to start afresh.`
      : 'Data: FRESH. Nothing is kept: stopping wipes the inventory, seeds and people, and tokens minted now stop working. Start with "npm start -- --keep-data" to keep them.',
  );
  const identityPort = freePorts && kept ? keptIdentityPort(kept) : undefined;
  const stack = await startStack({ ...(freePorts ? {} : { ports: DEFAULT_PORTS }), consoleRedirectUris, ...(dataDir ? { dataDir } : {}), ...(identityPort ? { identityPort } : {}) });
  if (freePorts && kept) keepIdentityPort(kept, stack.identity.url);
  // Demo users once: a kept Graph emulator already has them (with the ids the inventory knows).
  const present = new Set([...stack.graph.store.usersInOrder()].map(({ user }) => user.userPrincipalName.toLowerCase()));
  const missing = DEMO_USERS.filter((u) => !present.has(u.userPrincipalName.toLowerCase()));
  if (missing.length > 0) await graphEmulatorControl(stack.graph.url, { caCertPem: stack.ca.certPem }).seedUsers(missing);

  const merged = mergeLocalSettings(stack.appSettings, local.values, process.env);
  if (!freePorts) writeDevSettings(stack, merged);

  const host = spawn(process.execPath, [...HOST_COMMAND, '--port', String(hostPort), '--settings', settingsFile], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
    env: { ...process.env, ...merged.settings, NODE_EXTRA_CA_CERTS: stack.ca.certPath },
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

  const readerToken = () =>
    stack.identity.mintToken({ audience: merged.settings.ADMIN_AUTH_AUDIENCE ?? stack.appSettings.ADMIN_AUTH_AUDIENCE ?? '', roles: ['Tokens.Read'], name: 'npm start' });
  const health = await waitForHealth(hostUrl, Date.now() + 30_000, readerToken);
  if (health !== 'healthy') {
    console.error(
      health === undefined
        ? `${hostUrl}/api/health did not answer 200 within 30 s; see the lines above.`
        : [`The app cannot start: ${health.settingProblem}`, ...settingsLines(merged, settingsFile)].join('\n'),
    );
    await stop(1);
    return;
  }
  console.log(
    [
      '',
      'The local stack is running:',
      `  Functions host     ${hostUrl}/api  (health: ${hostUrl}/api/health)`,
      `  Admin console      ${consoleUrl}  (sign in as a dev persona; your browser must trust ${path.relative(REPO_ROOT, stack.ca.certPath)})`,
      `  Graph emulator     ${stack.graph.url}/beta  (control: ${stack.graph.url}/_emulator/state)${unusedNote(merged, 'GRAPH_BASE_URL')}`,
      `  Key Vault emulator ${stack.keyVault.url}${unusedNote(merged, 'KEY_VAULT_URL')}`,
      `  Dev identity       ${stack.identity.url}  (issuer ${stack.identity.issuer})${unusedNote(merged, 'ADMIN_AUTH_ISSUER')}`,
      `  Azurite            blob ${stack.azurite.blobUrl}, queue ${stack.azurite.queueUrl}, table ${stack.azurite.tableUrl}${merged.fromFile.includes('AzureWebJobsStorage') ? '  (not used: AzureWebJobsStorage from the settings file points elsewhere)' : ''}`,
      `  Demo users         ${DEMO_USERS.filter((u) => u.employeeId).map((u) => u.userPrincipalName).join(', ')}`,
      ...(freePorts ? [] : [`  Dev secrets        ${path.relative(REPO_ROOT, DEV_SETTINGS_FILE)} (HR webhook secret, app client secret)`]),
      ...settingsLines(merged, settingsFile),
      kept
        ? `  Data               KEPT in ${path.relative(REPO_ROOT, kept.dir) || kept.dir}: Azurite, Key Vault and Graph emulator state, the dev identity's signing key, the dev secrets`
        : '  Data               FRESH: nothing is kept when this stops (npm start -- --keep-data keeps it)',
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
  if (error instanceof ConfigError || code?.startsWith('ERR_PARSE_ARGS')) console.error((error as Error).message);
  else console.error(code === 'EADDRINUSE' ? `A port the stack needs is in use (${(error as Error).message}); is another "npm start" running?` : error);
  process.exit(1);
});

import path from 'node:path';
import { ConfigError } from '../../shared/app/config';
import { DEFAULT_LOCAL_SETTINGS_FILE, readLocalSettings } from '../localSettings';
import { REPO_ROOT } from '../paths';
import { readHostOptions } from './hostJson';
import { startLocalHost, type LocalHost } from './server';

/**
 * `node dist/dev/host/main.js`: the local host on 127.0.0.1:7071, like `func start`. Settings come
 * from local.settings.json's Values (or the file `--settings FILE` names), without overriding
 * variables already in the environment; `--host-json FILE` reads the host settings from another file.
 */

/** From dist/, the compiled functions; run as TypeScript (tsx), the sources next to this repo's shared/. */
const FUNCTIONS_DIR = path.extname(__filename) === '.ts' ? path.join(REPO_ROOT, 'functions') : path.join(REPO_ROOT, 'dist', 'functions');

function describeFunctions(host: LocalHost, routePrefix: string): string[] {
  const prefix = routePrefix === '' ? '' : `/${routePrefix}`;
  return host.functions.map((f) => {
    switch (f.kind) {
      case 'http': {
        return `  ${f.name}: [${f.methods.join(',')}] ${host.url}${prefix}/${f.route.replace(/^\/+/, '')}`;
      }
      case 'queue':
        return `  ${f.name}: queueTrigger (${f.queueName})`;
      case 'timer':
        return `  ${f.name}: timerTrigger (${f.schedule})`;
    }
  });
}

async function main(): Promise<void> {
  const settingsFlag = process.argv.indexOf('--settings');
  const settingsFile = settingsFlag >= 0 ? process.argv[settingsFlag + 1] : DEFAULT_LOCAL_SETTINGS_FILE;
  if (!settingsFile) throw new ConfigError('--settings must name a local.settings.json file');
  const local = readLocalSettings(path.resolve(settingsFile));
  for (const [name, value] of Object.entries(local.values)) {
    if (process.env[name] === undefined) process.env[name] = value;
  }
  const storage = process.env.AzureWebJobsStorage?.trim();
  if (!storage) {
    throw new ConfigError('Setting AzureWebJobsStorage: missing; the local host needs a connection string (UseDevelopmentStorage=true for Azurite)');
  }
  // `--host-json FILE` for benchmarks that tune the queue settings; else the app's own host.json.
  const hostJsonFlag = process.argv.indexOf('--host-json');
  const hostJsonPath = hostJsonFlag >= 0 ? path.resolve(process.argv[hostJsonFlag + 1] ?? '') : path.join(REPO_ROOT, 'host.json');
  // `--port N` as `func start` takes it; else local.settings.json's Host.LocalHttpPort; else 7071.
  const portFlag = process.argv.indexOf('--port');
  const port = portFlag >= 0 ? Number(process.argv[portFlag + 1]) : (local.port ?? 7071);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('--port must be a port number');
  const host = await startLocalHost({
    port,
    functionsDir: FUNCTIONS_DIR,
    hostJsonPath,
    storageConnectionString: storage,
  });
  const { routePrefix } = readHostOptions(hostJsonPath);
  console.log(['', 'Functions:', '', ...describeFunctions(host, routePrefix), '', `Host started at ${host.url}; Ctrl+C stops it.`].join('\n'));

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal means "now": do not wait for invocations in flight.
      process.exit(130);
    }
    stopping = true;
    console.log(`${signal}: waiting for running invocations, then stopping`);
    host.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') console.error(`Port in use: ${(error as Error).message}`);
  else console.error(error);
  process.exit(1);
});

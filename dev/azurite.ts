import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort, waitForPort } from './ports';
import { REPO_ROOT } from './paths';

/** Azurite, the official Storage emulator, as a child process: in memory, or on disk under `location`. */
export interface Azurite {
  connectionString: string;
  blobUrl: string;
  queueUrl: string;
  tableUrl: string;
  stop(): Promise<void>;
}

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
export const DEV_STORAGE_ACCOUNT = 'devstoreaccount1';
const DEV_STORAGE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** Port checks (50 ms apart) before Azurite counts as not starting: about 2 s on a quiet machine, far more on a loaded one. */
const START_ATTEMPTS = 1200;

export interface AzuritePorts {
  blob: number;
  queue: number;
  table: number;
}

/** Free ports are only free when asked: another process may take one first, so a clash is tried again on new ones. */
const FREE_PORT_TRIES = 3;
/** How long an open port has to say it is Azurite's. */
const IDENTITY_CHECK_MS = 10_000;
/** Azurite gives up on a port it cannot bind within moments of binding the others. */
const STILL_RUNNING_MS = 250;

class PortTaken extends Error {}

export async function startAzurite(ports?: AzuritePorts, host = '127.0.0.1', location?: string): Promise<Azurite> {
  if (ports) return startAzuriteOn(ports, host, location);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startAzuriteOn({ blob: await freePort(), queue: await freePort(), table: await freePort() }, host, location);
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt >= FREE_PORT_TRIES) throw error;
    }
  }
}

async function startAzuriteOn(chosen: AzuritePorts, host: string, location: string | undefined): Promise<Azurite> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      path.join(REPO_ROOT, 'node_modules', 'azurite', 'dist', 'src', 'azurite.js'),
      '--silent',
      ...(location ? ['--location', location] : ['--inMemoryPersistence']),
      '--disableTelemetry',
      '--skipApiVersionCheck',
      '--loose',
      '--blobHost', host, '--blobPort', String(chosen.blob),
      '--queueHost', host, '--queuePort', String(chosen.queue),
      '--tableHost', host, '--tablePort', String(chosen.table),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await Promise.race([
      Promise.all([chosen.blob, chosen.queue, chosen.table].map((port) => waitForPort(port, host, START_ATTEMPTS))),
      exited.then(() => {
        const message = `Azurite exited at start: ${stderr.trim() || 'no output'}`;
        throw stderr.includes('EADDRINUSE') ? new PortTaken(message) : new Error(message);
      }),
    ]);
    // An open port may be another process's that took it after freePort (another test's Azurite even):
    // each must answer as Azurite's service, and this Azurite must still be running a moment later.
    for (const [service, port] of [['Blob', chosen.blob], ['Queue', chosen.queue], ['Table', chosen.table]] as const) {
      const server = await fetch(`http://${host}:${port}/`, { signal: AbortSignal.timeout(IDENTITY_CHECK_MS) }).then(
        (response) => response.headers.get('server') ?? '',
        () => '',
      );
      if (!server.startsWith(`Azurite-${service}`)) throw new PortTaken(`port ${port} answered as "${server || 'nothing'}", not Azurite's ${service} service`);
    }
    const settled = await Promise.race([exited.then(() => 'exited' as const), new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), STILL_RUNNING_MS))]);
    if (settled === 'exited') throw new PortTaken(`Azurite exited at start: ${stderr.trim() || 'no output'}`);
  } catch (error) {
    await stop();
    throw error;
  }
  const blobUrl = `http://${host}:${chosen.blob}/${DEV_STORAGE_ACCOUNT}`;
  const queueUrl = `http://${host}:${chosen.queue}/${DEV_STORAGE_ACCOUNT}`;
  const tableUrl = `http://${host}:${chosen.table}/${DEV_STORAGE_ACCOUNT}`;
  return {
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${DEV_STORAGE_ACCOUNT};AccountKey=${DEV_STORAGE_KEY};BlobEndpoint=${blobUrl};QueueEndpoint=${queueUrl};TableEndpoint=${tableUrl};`,
    blobUrl,
    queueUrl,
    tableUrl,
    stop,
  };
}

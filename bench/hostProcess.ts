import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../dev/paths';
import { freePort } from '../dev/ports';
import type { LocalStack } from '../dev/stack';

/**
 * The compiled local host in a process of its own, against a stack the bench started: its peak memory
 * is the app's alone (not the emulators'), and each process is one instance with its own services and
 * Graph budget, as Functions instances are. A small old-space cap makes V8 collect instead of growing
 * lazily, so peak RSS follows what the app really keeps; work that held everything would run out of heap.
 */
export interface HostProcess {
  url: string;
  /** Peak resident memory so far (VmHWM), in MB. */
  peakRssMb(): number;
  stop(): Promise<void>;
}

export interface HostProcessOptions {
  /** A host.json of the bench's own (queue tuning). */
  hostJsonPath?: string;
  /** Each line the host writes. */
  onLine?: (line: string) => void;
}

export async function startHostProcess(stack: LocalStack, heapCapMb: number, settings: Record<string, string> = {}, options: HostProcessOptions = {}): Promise<HostProcess> {
  const port = await freePort();
  const args = [path.join(REPO_ROOT, 'dist', 'dev', 'host', 'main.js'), '--port', String(port), ...(options.hostJsonPath ? ['--host-json', options.hostJsonPath] : [])];
  const host = spawn(process.execPath, [`--max-old-space-size=${heapCapMb}`, ...args], {
    env: { ...process.env, ...stack.appSettings, ...settings, NODE_EXTRA_CA_CERTS: stack.ca.certPath },
    stdio: ['ignore', options.onLine ? 'pipe' : 'ignore', options.onLine ? 'pipe' : 'ignore'],
  });
  const onLine = options.onLine;
  if (onLine) {
    for (const stream of [host.stdout, host.stderr]) if (stream) createInterface({ input: stream }).on('line', onLine);
  }
  const exited = new Promise((resolve) => host.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (host.exitCode === null) host.kill('SIGTERM');
    await exited;
  };
  for (let attempt = 0; ; attempt++) {
    try {
      if ((await fetch(`${url}/api/health`)).status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (attempt >= 300 || host.exitCode !== null) {
      await stop();
      throw new Error('the local host did not become healthy');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    peakRssMb() {
      const kb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${host.pid ?? 0}/status`, 'utf8'))?.[1] ?? NaN);
      return Math.round((kb / 1024) * 10) / 10;
    },
    stop,
  };
}

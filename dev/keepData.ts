import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { directoryRolesOf, type DirectoryRolesSnapshot } from './graph/directoryRoles';
import type { GraphStore, GraphStoreSnapshot } from './graph/store';
import { LOCAL_DIR } from './paths';

/**
 * `npm start -- --keep-data`: where the local stack keeps its data between runs (git-ignored, under
 * .local/), and the Graph emulator's state written there. Dev data only: seeds made for the emulators.
 */

export const KEPT_DATA_DIR = path.join(LOCAL_DIR, 'data');

export interface KeptDataPaths {
  dir: string;
  azuriteDir: string;
  keyVaultFile: string;
  graphFile: string;
  signingKeyFile: string;
  secretsFile: string;
  /** With --free-ports: the dev identity's port, reused so the issuer in kept tokens still matches. */
  identityPortFile: string;
}

export function keptDataPaths(dir: string = KEPT_DATA_DIR): KeptDataPaths {
  return {
    dir,
    azuriteDir: path.join(dir, 'azurite'),
    keyVaultFile: path.join(dir, 'keyvault.json'),
    graphFile: path.join(dir, 'graph.json'),
    signingKeyFile: path.join(dir, 'identity-signing-key.pem'),
    secretsFile: path.join(dir, 'dev-secrets.json'),
    identityPortFile: path.join(dir, 'identity-port'),
  };
}

/** Whole file or nothing: written beside, then renamed over the old one; owner-only, as it holds dev seeds and secrets. */
function writeAtomically(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** The dev identity port an earlier --free-ports run used, if any. */
export function keptIdentityPort(paths: KeptDataPaths): number | undefined {
  if (!existsSync(paths.identityPortFile)) return undefined;
  const port = Number(readFileSync(paths.identityPortFile, 'utf8').trim());
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
}

export function keepIdentityPort(paths: KeptDataPaths, url: string): void {
  writeAtomically(paths.identityPortFile, `${new URL(url).port}\n`);
}

/** The dev secrets of the first kept run (the HR webhook secret an HR tool was given, the app's client secret). */
export function keptSecrets<T extends { clientSecret: string; hrWebhookSecret: string }>(file: string, make: () => T): { clientSecret: string; hrWebhookSecret: string } {
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Partial<T>;
    if (typeof saved.clientSecret === 'string' && typeof saved.hrWebhookSecret === 'string') return { clientSecret: saved.clientSecret, hrWebhookSecret: saved.hrWebhookSecret };
  }
  const made = make();
  writeAtomically(file, `${JSON.stringify({ clientSecret: made.clientSecret, hrWebhookSecret: made.hrWebhookSecret }, null, 2)}\n`);
  return made;
}

interface GraphState {
  store: GraphStoreSnapshot;
  roles: DirectoryRolesSnapshot;
}

/** How often the Graph emulator's state is written while the stack runs (and once more when it stops). */
const GRAPH_SAVE_MS = 1000;

/** Restores the Graph emulator from `file`, then keeps the file up to date; its stop writes it a last time. */
export function keepGraphState(store: GraphStore, file: string): { stop(): Promise<void> } {
  const roles = directoryRolesOf(store);
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as GraphState;
    store.restore(saved.store);
    roles.restore(saved.roles);
  }
  let written = '';
  const save = (): void => {
    const text = JSON.stringify({ store: store.snapshot(), roles: roles.snapshot() } satisfies GraphState);
    if (text === written) return;
    writeAtomically(file, text);
    written = text;
  };
  save();
  const timer = setInterval(save, GRAPH_SAVE_MS);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      save();
      await Promise.resolve();
    },
  };
}

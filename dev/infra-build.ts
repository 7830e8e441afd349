import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LOCAL_DIR, REPO_ROOT } from './paths';

/** The Bicep CLI `npm run build:infra` restores from NuGet (Azure.Bicep.CommandLine.<runtime>). */
export const BICEP_CLI_VERSION = '0.49.2';

export const INFRA_BUILD_DIR = path.join(LOCAL_DIR, 'infra');
/** infra/main.bicep compiled to an ARM template (JSON) by `npm run build:infra`. */
export const COMPILED_TEMPLATE = path.join(INFRA_BUILD_DIR, 'main.json');
export const INFRA_BUILD_INFO = path.join(INFRA_BUILD_DIR, 'build.json');

export interface InfraBuildInfo {
  /** infraSourcesHash() of the sources compiled. */
  sourcesSha256: string;
  bicep: string;
  /** The registry reference or the local package the Microsoft Graph extension came from. */
  graphExtension: string;
}

const INFRA_DIR = path.join(REPO_ROOT, 'infra');

/** One hash over every file the compiler reads (infra/**: Bicep, JSON, bicepconfig), names included. */
export function infraSourcesHash(): string {
  const hash = createHash('sha256');
  const files = readdirSync(INFRA_DIR, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(bicep|json)$/.test(name))
    .sort();
  for (const name of files) {
    hash.update(`${name.split(path.sep).join('/')}\0`);
    hash.update(readFileSync(path.join(INFRA_DIR, name)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/**
 * The compiled template, refused when missing or older than infra/: the tests read what the compiler
 * made of the current Bicep, never a stale copy.
 */
export function readCompiledTemplate(): unknown {
  if (!existsSync(COMPILED_TEMPLATE) || !existsSync(INFRA_BUILD_INFO)) {
    throw new Error(`${path.relative(REPO_ROOT, COMPILED_TEMPLATE)} is missing: run \`npm run build:infra\` (it needs the .NET SDK) before these tests`);
  }
  const info = JSON.parse(readFileSync(INFRA_BUILD_INFO, 'utf8')) as InfraBuildInfo;
  if (info.sourcesSha256 !== infraSourcesHash()) {
    throw new Error(`${path.relative(REPO_ROOT, COMPILED_TEMPLATE)} was compiled from an older infra/: run \`npm run build:infra\` again`);
  }
  return JSON.parse(readFileSync(COMPILED_TEMPLATE, 'utf8'));
}

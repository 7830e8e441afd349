import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LOCAL_DIR, REPO_ROOT } from './paths';
import { BICEP_CLI_VERSION, COMPILED_TEMPLATE, INFRA_BUILD_DIR, INFRA_BUILD_INFO, infraSourcesHash, type InfraBuildInfo } from './infra-build';

/**
 * `npm run build:infra`: compiles infra/main.bicep (every module with it) with the real Bicep CLI and
 * lints it with infra/bicepconfig.json's rules. Any error or warning fails the build; a finding the
 * compiler reports wrongly is suppressed on its line with `#disable-next-line` and the reason beside it.
 *
 * The CLI is NuGet's Azure.Bicep.CommandLine.<runtime>, restored by the .NET SDK into .local/bicep.
 * The Microsoft Graph extension is the registry reference in infra/bicepconfig.json, used as it is.
 * Without the registry, the same package from a local directory (BICEP_EXTENSIONS_DIR, else
 * ../shared/bicep beside the repository when that exists) fills Bicep's restore cache for that
 * reference first, so the reference resolves with --no-restore and the template is the one the
 * registry's package gives.
 */

const BICEP_DIR = path.join(LOCAL_DIR, 'bicep');

function fail(message: string): never {
  process.stderr.write(`build:infra: ${message}\n`);
  process.exit(1);
}

function run(command: string, args: string[], what: string, env: NodeJS.ProcessEnv = process.env): { stdout: string; stderr: string; status: number } {
  const result = spawnSync(command, args, { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env });
  if (result.error) {
    if ((result.error as NodeJS.ErrnoException).code === 'ENOENT') {
      if (command === 'dotnet') {
        fail(
          'the .NET SDK (`dotnet`) is not on PATH. It restores the Bicep CLI from NuGet: install the .NET SDK 8 or later ' +
            '(https://dotnet.microsoft.com/download), then run `npm run build:infra` again.',
        );
      }
      fail(`${what}: ${command} not found`);
    }
    fail(`${what}: ${result.error.message}`);
  }
  return { stdout: result.stdout, stderr: result.stderr, status: result.status ?? 1 };
}

/** NuGet's runtime identifier for this machine: the Bicep CLI package is one per platform. */
function runtimeIdentifier(): string {
  const os = { linux: 'linux', darwin: 'osx', win32: 'win' }[process.platform as string];
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch as string];
  if (!os || !arch) fail(`no Bicep CLI package for ${process.platform}-${process.arch}`);
  return `${os}-${arch}`;
}

/** The .NET SDK's major version; fails with what to install when there is none. */
function dotnetSdkMajor(): string {
  const sdk = run('dotnet', ['--version'], 'dotnet --version');
  if (sdk.status !== 0) fail(`dotnet --version failed (is a .NET SDK installed, not only a runtime?): ${sdk.stderr.trim()}`);
  return sdk.stdout.trim().split('.')[0] ?? '';
}

/** Restores Azure.Bicep.CommandLine.<rid> with a package-download-only project; returns the CLI's path. */
function restoreBicepCli(sdkMajor: string): string {
  const rid = runtimeIdentifier();
  const packageId = `Azure.Bicep.CommandLine.${rid}`;
  const packagesDir = path.join(BICEP_DIR, 'packages');
  const cli = path.join(packagesDir, packageId.toLowerCase(), BICEP_CLI_VERSION, 'tools', rid.startsWith('win') ? 'bicep.exe' : 'bicep');
  if (!existsSync(cli)) {
    // The SDK's own target framework needs no targeting pack download; the project only downloads the CLI.
    const framework = `net${sdkMajor}.0`;
    const projectDir = path.join(BICEP_DIR, 'restore');
    mkdirSync(projectDir, { recursive: true });
    const project = path.join(projectDir, 'bicep-cli.csproj');
    writeFileSync(
      project,
      [
        '<Project Sdk="Microsoft.NET.Sdk">',
        `  <PropertyGroup><TargetFramework>${framework}</TargetFramework></PropertyGroup>`,
        `  <ItemGroup><PackageDownload Include="${packageId}" Version="[${BICEP_CLI_VERSION}]" /></ItemGroup>`,
        '</Project>',
        '',
      ].join('\n'),
    );
    const restore = run('dotnet', ['restore', project, '--packages', packagesDir, '--nologo'], 'dotnet restore');
    if (restore.status !== 0 || !existsSync(cli)) fail(`restoring ${packageId} ${BICEP_CLI_VERSION} from NuGet failed:\n${restore.stdout}${restore.stderr}`);
  }
  if (process.platform !== 'win32') chmodSync(cli, 0o755);
  return cli;
}

interface GraphExtension {
  /** HOME for the Bicep CLI: a restore cache filled from the local package, or undefined for the user's own. */
  home?: string;
  source: string;
}

/**
 * Where the Graph extension comes from. The local package fills the cache entry Bicep would write when
 * restoring the reference (br/<registry>/<repository, / as $>/<tag>$/: manifest, metadata, types.tgz).
 */
function graphExtension(): GraphExtension {
  const repoConfig = JSON.parse(readFileSync(path.join(REPO_ROOT, 'infra', 'bicepconfig.json'), 'utf8')) as { extensions: Record<string, string> };
  const reference = repoConfig.extensions.microsoftGraphV1 ?? '';
  const parts = /^br:(mcr\.microsoft\.com)\/(bicep\/extensions\/microsoftgraph\/([^:]+)):(.+)$/.exec(reference);
  if (!parts) fail(`infra/bicepconfig.json: microsoftGraphV1 is not a Microsoft Graph registry reference: ${reference}`);
  const [, registry, repository, apiVersion, tag] = parts as unknown as [string, string, string, string, string];
  const explicit = process.env.BICEP_EXTENSIONS_DIR;
  const dir = explicit ?? path.resolve(REPO_ROOT, '..', 'shared', 'bicep');
  const packageFile = path.join(dir, `microsoftgraph-${apiVersion}-${tag}.tgz`);
  if (!existsSync(dir) && explicit === undefined) return { source: reference };
  // A local directory that lacks the package is a broken setup, never a reason to build without the Graph module.
  if (!existsSync(packageFile)) fail(`the Microsoft Graph extension package ${packageFile} is missing (BICEP_EXTENSIONS_DIR or ../shared/bicep)`);

  const home = path.join(BICEP_DIR, 'home');
  const entry = path.join(home, '.bicep', 'br', registry, repository.split('/').join('$'), `${tag}$`);
  rmSync(entry, { recursive: true, force: true });
  mkdirSync(entry, { recursive: true });
  // The package (what `bicep publish-extension` makes) is a gzip tar holding types.tgz, the layer the registry serves.
  const untar = run('tar', ['-xzf', packageFile, '-C', entry, 'types.tgz'], 'tar');
  if (untar.status !== 0 || !existsSync(path.join(entry, 'types.tgz'))) fail(`${packageFile} holds no types.tgz: ${untar.stderr.trim()}`);
  const types = readFileSync(path.join(entry, 'types.tgz'));
  const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
  const config = '{}';
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: 'application/vnd.ms.bicep.extension.artifact',
    config: { mediaType: 'application/vnd.ms.bicep.extension.config.v1+json', digest: sha256(config), size: config.length },
    layers: [
      {
        mediaType: 'application/vnd.ms.bicep.extension.layer.v1.tar+gzip',
        digest: sha256(types),
        size: types.length,
        annotations: { 'org.opencontainers.image.title': 'types.tgz' },
      },
    ],
    annotations: { 'bicep.serialization.format': 'v1' },
  });
  writeFileSync(path.join(entry, 'manifest'), manifest);
  writeFileSync(path.join(entry, 'metadata'), JSON.stringify({ manifestDigest: sha256(manifest) }));
  return { home, source: packageFile };
}

interface Diagnostic {
  level: string;
  line: string;
}

function diagnostics(output: string): Diagnostic[] {
  return output
    .split('\n')
    .map((line) => ({ line: line.trim(), level: / : (Error|Warning|Info) /.exec(line)?.[1] ?? '' }))
    .filter((d) => d.level !== '');
}

function main(): void {
  // Checks that need nothing built come first: a machine without the SDK or the extension keeps its last build.
  const sdkMajor = dotnetSdkMajor();
  mkdirSync(INFRA_BUILD_DIR, { recursive: true });
  const extension = graphExtension();
  // Written again only by a build that passes, so a failed one never leaves a template the tests accept.
  rmSync(INFRA_BUILD_INFO, { force: true });
  const cli = restoreBicepCli(sdkMajor);
  const bicepEnv = extension.home ? { ...process.env, HOME: extension.home, USERPROFILE: extension.home } : process.env;
  const entry = path.join('infra', 'main.bicep');

  // Online, restore from the registry; offline, the cache filled above is what --no-restore reads.
  if (!extension.home) {
    const restore = run(cli, ['restore', entry], 'bicep restore', bicepEnv);
    if (restore.status !== 0) fail(`bicep restore failed (the Microsoft Graph extension from ${extension.source}):\n${restore.stdout}${restore.stderr}`);
  }
  const build = run(cli, ['build', entry, '--no-restore', '--outfile', COMPILED_TEMPLATE], 'bicep build', bicepEnv);
  const lint = run(cli, ['lint', entry, '--no-restore'], 'bicep lint', bicepEnv);

  const found = [...diagnostics(build.stdout + build.stderr), ...diagnostics(lint.stdout + lint.stderr)];
  const unique = [...new Map(found.map((d) => [d.line, d])).values()];
  for (const d of unique) process.stderr.write(`${d.line}\n`);
  const errorsOrWarnings = unique.filter((d) => d.level === 'Error' || d.level === 'Warning');
  if (build.status !== 0 || lint.status !== 0 || errorsOrWarnings.length > 0) {
    fail(`${errorsOrWarnings.length} error(s) or warning(s) in infra/ (bicep build exit ${build.status}, bicep lint exit ${lint.status}); fix them, none is accepted`);
  }

  // The Graph resources are in the template, so the extension's types were there to check them.
  const template = readFileSync(COMPILED_TEMPLATE, 'utf8');
  if (!template.includes('"Microsoft.Graph/applications@v1.0"')) fail(`${COMPILED_TEMPLATE} has no Microsoft Graph application: the Graph module was not compiled`);

  const version = run(cli, ['--version'], 'bicep --version').stdout.trim();
  const info: InfraBuildInfo = { sourcesSha256: infraSourcesHash(), bicep: version, graphExtension: extension.source };
  writeFileSync(INFRA_BUILD_INFO, `${JSON.stringify(info, null, 2)}\n`);
  process.stdout.write(`build:infra: ${path.relative(REPO_ROOT, COMPILED_TEMPLATE)} compiled and linted with ${version}, no error or warning (Microsoft Graph extension: ${extension.source})\n`);
}

main();

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { INFRA_BUILD_INFO } from '../../dev/infra-build';
import { REPO_ROOT } from '../../dev/paths';

/** `npm run build:infra` where it cannot build: it must say why, and leave the last good build alone. */
function buildInfra(env: Record<string, string>): { status: number | null; stderr: string } {
  const tsx = path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const result = spawnSync(process.execPath, [tsx, 'dev/build-infra.ts'], { cwd: REPO_ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr };
}

describe('npm run build:infra', () => {
  const lastBuild = readFileSync(INFRA_BUILD_INFO, 'utf8');

  it('says what to install when the .NET SDK is missing', () => {
    const result = buildInfra({ PATH: path.join(tmpdir(), 'no-such-dir') });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('build:infra: the .NET SDK (`dotnet`) is not on PATH');
    expect(readFileSync(INFRA_BUILD_INFO, 'utf8')).toBe(lastBuild);
  });

  it('fails, rather than building without the Graph module, when the local extension directory lacks the package', () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'bicep-extensions-'));
    try {
      const result = buildInfra({ BICEP_EXTENSIONS_DIR: empty });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`the Microsoft Graph extension package ${path.join(empty, 'microsoftgraph-v1.0-1.0.0.tgz')} is missing`);
      expect(readFileSync(INFRA_BUILD_INFO, 'utf8')).toBe(lastBuild);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

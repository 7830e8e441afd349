import { existsSync } from 'node:fs';
import path from 'node:path';

/** The repository root, found from this file whether it runs as TypeScript or from dist/. */
function findRepoRoot(start: string): string {
  let dir = start;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`package.json not found above ${start}`);
    dir = parent;
  }
  return dir;
}

export const REPO_ROOT = findRepoRoot(__dirname);
/** Machine-local state of the dev stack (CA, generated dev secrets); git-ignored. */
export const LOCAL_DIR = path.join(REPO_ROOT, '.local');

/**
 * Where the browser tests find their packages and put their artifacts.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const E2E_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Screenshots of the runs (gitignored). */
export const ARTIFACTS_DIR = path.join(E2E_ROOT, 'artifacts');

/**
 * The directory of an installed npm package (workspace or hoisted).
 * @param {string} name
 * @returns {string}
 */
export function packageDir(name) {
  for (const root of [E2E_ROOT, path.dirname(E2E_ROOT)]) {
    const dir = path.join(root, 'node_modules', name);
    if (existsSync(path.join(dir, 'package.json'))) {
      return dir;
    }
  }
  throw new Error(`package ${name} is not installed`);
}

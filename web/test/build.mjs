// Compiles test/*.test.ts into dist-test/ for `node --test`, as the recorder's build does.
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const testDir = dirname(fileURLToPath(import.meta.url));
const outdir = join(testDir, '..', 'dist-test');
rmSync(outdir, { recursive: true, force: true });
const entryPoints = readdirSync(testDir)
  .filter((name) => name.endsWith('.test.ts'))
  .map((name) => join(testDir, name));
await build({
  entryPoints,
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: ['node20'],
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
});

// Builds the browser bundle dist/recorder.js (IIFE, minified, with a source map).
// With --test, compiles test/*.test.ts into dist-test/ for `node --test`.
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));

async function buildBundle() {
  await build({
    entryPoints: [join(root, 'src/index.ts')],
    outfile: join(root, 'dist/recorder.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2019'],
    minify: true,
    sourcemap: true,
    legalComments: 'eof',
    logLevel: 'info',
  });
}

async function buildTests() {
  const outdir = join(root, 'dist-test');
  rmSync(outdir, { recursive: true, force: true });
  const testDir = join(root, 'test');
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
}

if (process.argv.includes('--test')) {
  await buildTests();
} else {
  await buildBundle();
}

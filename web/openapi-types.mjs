// Generates src/generated/api.ts, the TypeScript of the query API's schemas, from
// openapi.json (the document that `GET /v1/openapi.json` serves; `make openapi` rewrites both).
// `node openapi-types.mjs --check` fails instead of writing when the file is not current.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

const root = dirname(fileURLToPath(import.meta.url));
const documentPath = join(root, 'openapi.json');
const outputPath = join(root, 'src', 'generated', 'api.ts');
const check = process.argv.includes('--check');

const header = '// Generated from web/openapi.json by web/openapi-types.mjs (`make openapi`); do not edit.\n';
const document = JSON.parse(await readFile(documentPath, 'utf8'));
const nodes = await openapiTS(document);
const generated = header + astToString(nodes);

if (check) {
  const current = await readFile(outputPath, 'utf8').catch(() => '');
  if (current !== generated) {
    console.error('web/src/generated/api.ts is not generated from web/openapi.json: run `make openapi`');
    process.exit(1);
  }
} else {
  await mkdir(dirname(outputPath), { recursive: true });
  await writeFile(outputPath, generated);
}

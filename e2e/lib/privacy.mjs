/**
 * Searches a data directory for a secret: in every file as stored, inside
 * every zstd frame or gzip file found in it (recording chunks are
 * compressed), and in the rows of every SQLite database, whose values may
 * span several pages of the file.
 */
import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
const HEX_BLOB = /X'([0-9a-fA-F]+)'/g;
const MAX_FRAMES_PER_FILE = 20_000;

/**
 * @param {string} dir
 * @returns {Promise<string[]>}
 */
export async function listFiles(dir) {
  /** @type {string[]} */
  const files = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      files.push(...(await listFiles(full)));
    } else if (entry.isFile()) {
      files.push(full);
    }
  }
  return files;
}

/**
 * The readable forms of some bytes: the bytes, the whole of them gunzipped,
 * and the decompressed content of each zstd frame in them.
 * @param {Buffer} bytes
 * @returns {Buffer<ArrayBufferLike>[]}
 */
function decodedForms(bytes) {
  /** @type {Buffer<ArrayBufferLike>[]} */
  const forms = [bytes];
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      forms.push(gunzipSync(bytes));
    } catch {
      // Not a whole gzip file after all.
    }
  }
  let frames = 0;
  for (let at = bytes.indexOf(ZSTD_MAGIC); at >= 0 && frames < MAX_FRAMES_PER_FILE; at = bytes.indexOf(ZSTD_MAGIC, at + 1)) {
    frames++;
    // zstd writes what it decoded before complaining about trailing bytes.
    const result = spawnSync('zstd', ['-dcq', '--no-progress'], { input: bytes.subarray(at), maxBuffer: 256 << 20 });
    if (result.stdout && result.stdout.length > 0) {
      forms.push(result.stdout);
    }
  }
  return forms;
}

/**
 * A SQLite database as text (`.dump`), plus the readable forms of each blob
 * in it. Throws when the sqlite3 shell cannot read the file.
 * @param {string} file
 * @returns {Buffer<ArrayBufferLike>[]}
 */
function sqliteForms(file) {
  const result = spawnSync('sqlite3', ['-readonly', file, '.dump'], { maxBuffer: 1 << 30 });
  if (result.status !== 0) {
    throw new Error(`sqlite3 cannot dump ${file}: ${result.stderr}`);
  }
  const dump = result.stdout.toString('utf8');
  /** @type {Buffer<ArrayBufferLike>[]} */
  const forms = [Buffer.from(dump, 'utf8')];
  for (const match of dump.matchAll(HEX_BLOB)) {
    forms.push(...decodedForms(Buffer.from(match[1], 'hex')));
  }
  return forms;
}

/**
 * For each needle, the files under `dir` whose stored or decompressed content
 * contains it.
 * @param {string} dir
 * @param {string[]} needles
 * @returns {Promise<{files: string[], hits: Map<string, string[]>}>} every file looked at, and the hits per needle
 */
export async function findInDirectory(dir, needles) {
  const files = await listFiles(dir);
  /** @type {Map<string, string[]>} */
  const hits = new Map(needles.map((needle) => [needle, []]));
  for (const file of files) {
    const bytes = await readFile(file);
    const forms = decodedForms(bytes);
    if (bytes.subarray(0, SQLITE_HEADER.length).equals(SQLITE_HEADER)) {
      forms.push(...sqliteForms(file));
    }
    for (const needle of needles) {
      const pattern = Buffer.from(needle, 'utf8');
      if (forms.some((form) => form.includes(pattern))) {
        hits.get(needle)?.push(file);
      }
    }
  }
  return { files, hits };
}

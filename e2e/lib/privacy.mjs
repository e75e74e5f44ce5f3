/**
 * Searches a data directory for a secret, in every readable form of every
 * file:
 * - the file as stored;
 * - the whole file gunzipped, when it starts with the gzip magic;
 * - each zstd frame found by its magic (recording chunks are zstd), through
 *   the `zstd` tool;
 * - each LZ4 frame found by its magic (`04 22 4d 18`: Kafka record batches
 *   with `compression.type=lz4`), through `lz4.mjs`;
 * - the whole file decompressed, when it is exactly a sequence of ClickHouse
 *   compressed blocks (MergeTree `*.bin` column files): LZ4, ZSTD or stored
 *   blocks, concatenated so that a value split between blocks is found too;
 * - the rows of every SQLite database, whose values may span several pages of
 *   the file, and the readable forms of each blob in them.
 * What comes out of an LZ4 frame or a ClickHouse file is searched the same way
 * again (one level deep), since what Kafka or ClickHouse stores may itself be
 * a zstd recording chunk. Corrupt compressed data is skipped (what decoded
 * before the damage is still searched); files encrypted at rest (Garage with
 * SSE-C) have no readable form besides their bytes.
 */
import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { LZ4Error, decodeBlock, decodeFrame } from './lz4.mjs';

const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const LZ4_MAGIC = Buffer.from([0x04, 0x22, 0x4d, 0x18]);
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
const HEX_BLOB = /X'([0-9a-fA-F]+)'/g;
const MAX_FRAMES_PER_FILE = 20_000;
const MAX_OUTPUT = 256 << 20;
/** How many times decompressed content is searched for compressed data again. */
const MAX_NESTING = 1;

/** ClickHouse compressed block: CityHash128 (16 bytes), method, compressed size, uncompressed size. */
const CH_CHECKSUM_BYTES = 16;
const CH_HEADER_BYTES = 9;
const CH_NONE = 0x02;
const CH_LZ4 = 0x82;
const CH_ZSTD = 0x90;
/** ClickHouse refuses blocks larger than this (DBMS_MAX_COMPRESSED_SIZE). */
const CH_MAX_BLOCK = 1 << 30;
/** LZ4 turns one input byte into at most 255 output bytes. */
const LZ4_MAX_RATIO = 255;

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
 * What `zstd -d` makes of `input`: the frames at its start, decoded until the
 * end or the first bytes that are not a frame.
 * @param {Uint8Array} input
 */
function zstdDecompress(input) {
  return spawnSync('zstd', ['-dcq', '--no-progress'], { input, maxBuffer: MAX_OUTPUT });
}

/**
 * The decompressed content of each LZ4 frame in `bytes`, found by its magic.
 * @param {Buffer} bytes
 * @returns {Buffer[]}
 */
function lz4Frames(bytes) {
  /** @type {Buffer[]} */
  const contents = [];
  let frames = 0;
  for (let at = bytes.indexOf(LZ4_MAGIC); at >= 0 && frames < MAX_FRAMES_PER_FILE; frames++) {
    let next = at + 1;
    try {
      const frame = decodeFrame(bytes, at, { maxOutput: MAX_OUTPUT });
      contents.push(frame.data);
      next = frame.end;
    } catch (error) {
      if (!(error instanceof LZ4Error)) {
        throw error;
      }
      // Not a frame after all, or a damaged one: keep what decoded.
      if (error.partial.length > 0) {
        contents.push(error.partial);
      }
    }
    at = bytes.indexOf(LZ4_MAGIC, next);
  }
  return contents;
}

/**
 * The content of a ClickHouse compressed file (a sequence of compressed
 * blocks, as in MergeTree `*.bin` column files), or null when `bytes` are not
 * exactly such a sequence: every block must have a known method and sizes
 * that fit it, and the blocks must end exactly where the file ends. The
 * CityHash128 checksums are not verified. A block that fails to decompress is
 * left out (the rest is still searched).
 * @param {Buffer} bytes
 * @returns {Buffer | null}
 */
function clickhouseContent(bytes) {
  /** @type {{method: number, payload: Buffer, size: number}[]} */
  const blocks = [];
  for (let at = 0; at < bytes.length; ) {
    if (bytes.length - at < CH_CHECKSUM_BYTES + CH_HEADER_BYTES) {
      return null;
    }
    const method = bytes[at + CH_CHECKSUM_BYTES];
    const compressed = bytes.readUInt32LE(at + CH_CHECKSUM_BYTES + 1);
    const size = bytes.readUInt32LE(at + CH_CHECKSUM_BYTES + 5);
    const payloadBytes = compressed - CH_HEADER_BYTES;
    if (
      compressed <= CH_HEADER_BYTES ||
      compressed > CH_MAX_BLOCK ||
      compressed > bytes.length - at - CH_CHECKSUM_BYTES ||
      size === 0 ||
      size > CH_MAX_BLOCK
    ) {
      return null;
    }
    const payload = bytes.subarray(at + CH_CHECKSUM_BYTES + CH_HEADER_BYTES, at + CH_CHECKSUM_BYTES + compressed);
    const fits =
      (method === CH_NONE && size === payloadBytes) ||
      (method === CH_LZ4 && size <= payloadBytes * LZ4_MAX_RATIO) ||
      (method === CH_ZSTD && payload.subarray(0, 4).equals(ZSTD_MAGIC));
    if (!fits) {
      return null;
    }
    blocks.push({ method, payload, size });
    at += CH_CHECKSUM_BYTES + compressed;
  }
  if (blocks.length === 0) {
    return null;
  }
  /** @type {Buffer[]} */
  const parts = [];
  for (let i = 0; i < blocks.length; ) {
    const { method, payload, size } = blocks[i];
    if (method === CH_NONE) {
      parts.push(payload);
      i++;
    } else if (method === CH_LZ4) {
      try {
        parts.push(decodeBlock(payload, size, { maxOutput: MAX_OUTPUT }));
      } catch (error) {
        if (!(error instanceof LZ4Error)) {
          throw error;
        }
      }
      i++;
    } else {
      // One zstd run for consecutive ZSTD blocks (zstd decodes concatenated
      // frames); block by block when that run does not decode exactly.
      let j = i;
      let expected = 0;
      while (j < blocks.length && blocks[j].method === CH_ZSTD) {
        expected += blocks[j].size;
        j++;
      }
      const run = blocks.slice(i, j);
      const result = zstdDecompress(Buffer.concat(run.map((block) => block.payload)));
      if (result.status === 0 && result.stdout.length === expected) {
        parts.push(result.stdout);
      } else {
        for (const block of run) {
          const one = zstdDecompress(block.payload);
          if (one.status === 0 && one.stdout.length === block.size) {
            parts.push(one.stdout);
          }
        }
      }
      i = j;
    }
  }
  return Buffer.concat(parts);
}

/**
 * The readable forms of some bytes: the bytes, the whole of them gunzipped,
 * the decompressed content of each zstd frame and each LZ4 frame in them,
 * and the whole of them decompressed as a ClickHouse compressed file. What
 * LZ4 and ClickHouse decompression give is searched again, `MAX_NESTING`
 * levels deep.
 * @param {Buffer} bytes
 * @param {number} [depth] how many decompressions led to these bytes
 * @returns {Buffer<ArrayBufferLike>[]}
 */
function decodedForms(bytes, depth = 0) {
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
    const result = zstdDecompress(bytes.subarray(at));
    if (result.stdout && result.stdout.length > 0) {
      forms.push(result.stdout);
    }
  }
  const unpacked = lz4Frames(bytes);
  const clickhouse = clickhouseContent(bytes);
  if (clickhouse) {
    unpacked.push(clickhouse);
  }
  for (const content of unpacked) {
    if (depth < MAX_NESTING) {
      forms.push(...decodedForms(content, depth + 1));
    } else {
      forms.push(content);
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

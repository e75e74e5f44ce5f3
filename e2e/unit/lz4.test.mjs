/**
 * lib/lz4.mjs and the LZ4 / ClickHouse paths of lib/privacy.mjs, on files made
 * by the real `lz4` and `clickhouse-compressor` tools (fixtures/README.md).
 * Run with `node --test e2e/unit/`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LZ4Error, decodeBlock, decodeFrame, xxh32 } from '../lib/lz4.mjs';
import { findInDirectory } from '../lib/privacy.mjs';
import { random } from '../lib/random.mjs';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
/** In text.txt (line 300) and uncompressible.bin. */
const SECRET_A = 'pw-hunter2-correct-horse-battery-staple';
/** In text.txt at bytes 4086..4105, across the boundary of 4096-byte blocks. */
const SECRET_B = 'BOUNDARY-SECRET-q7Zx';
/** Line 400 of text.txt: LZ4 and zstd encode it with matches, so only decoding finds it. */
const LINE_400 = '0400 kafka playback clickhouse bucket snapshot playback';
const LZ4_FIXTURES = ['text.default.lz4', 'text.dependent.lz4', 'text.nocrc.lz4'];
const CH_FIXTURES = ['text.ch-lz4.bin', 'text.ch-zstd.bin', 'text.ch-none.bin'];

/** @param {string} name */
function fixture(name) {
  return readFile(path.join(FIXTURES, name));
}

const text = await fixture('text.txt');

/**
 * @param {number} length
 * @param {number} seed
 */
function randomBytes(length, seed) {
  const next = random(seed);
  return Buffer.from(Array.from({ length }, () => Math.floor(next() * 256)));
}

/**
 * A copy of the frame `frame` with its flag byte changed and the header
 * checksum recomputed. `insert` goes after the descriptor (before the header
 * checksum), e.g. a dictionary id.
 * @param {Buffer} frame
 * @param {(flags: number) => number} change
 * @param {Buffer} [insert]
 */
function withFlags(frame, change, insert = Buffer.alloc(0)) {
  const flags = frame[4];
  const descriptorLength = 2 + (flags & 0x08 ? 8 : 0) + (flags & 0x01 ? 4 : 0);
  const descriptor = Buffer.concat([frame.subarray(4, 4 + descriptorLength), insert]);
  descriptor[0] = change(flags);
  const checksum = (xxh32(descriptor) >>> 8) & 0xff;
  return Buffer.concat([frame.subarray(0, 4), descriptor, Buffer.from([checksum]), frame.subarray(5 + descriptorLength)]);
}

/**
 * An LZ4 frame of stored (uncompressed) blocks with a content checksum.
 * @param {Buffer} content
 */
function storedFrame(content) {
  const descriptor = Buffer.from([0x64, 0x40]); // version 1, independent, content checksum; 64 KiB blocks
  /** @type {Buffer[]} */
  const parts = [Buffer.from([0x04, 0x22, 0x4d, 0x18]), descriptor, Buffer.from([(xxh32(descriptor) >>> 8) & 0xff])];
  for (let at = 0; at < content.length; at += 65536) {
    const block = content.subarray(at, at + 65536);
    const size = Buffer.alloc(4);
    size.writeUInt32LE((block.length | 0x80000000) >>> 0);
    parts.push(size, block);
  }
  const end = Buffer.alloc(8);
  end.writeUInt32LE(xxh32(content), 4);
  parts.push(end);
  return Buffer.concat(parts);
}

/**
 * Runs findInDirectory on a fresh directory holding `files`.
 * @param {Record<string, Buffer>} files
 * @param {string[]} needles
 */
async function searchFiles(files, needles) {
  const dir = await mkdtemp(path.join(tmpdir(), 'playback-lz4-test-'));
  try {
    for (const [name, bytes] of Object.entries(files)) {
      await writeFile(path.join(dir, name), bytes);
    }
    const { files: seen, hits } = await findInDirectory(dir, needles);
    assert.equal(seen.length, Object.keys(files).length);
    /** @type {Map<string, string[]>} */
    const names = new Map();
    for (const [needle, paths] of hits) {
      names.set(needle, paths.map((file) => path.basename(file)).sort());
    }
    return names;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('xxh32', () => {
  test('matches the reference test vectors', () => {
    assert.equal(xxh32(Buffer.alloc(0)), 0x02cc5d05);
    assert.equal(xxh32(Buffer.from('abc')), 0x32d153ff);
    assert.equal(xxh32(Buffer.from('Nobody inspects the spammish repetition')), 0xe2293b2f);
  });
});

describe('decodeFrame on frames written by the lz4 tool', () => {
  test('the fixtures are what they claim to be', async () => {
    assert.equal(text.indexOf(SECRET_B), 4086);
    assert.ok(text.includes(SECRET_A));
    // flag byte: version 01, then block independence, block checksum, content size, content checksum, -, dict id
    assert.equal((await fixture('text.default.lz4'))[4], 0b01100100);
    assert.equal((await fixture('text.dependent.lz4'))[4], 0b01011100);
    assert.equal((await fixture('text.nocrc.lz4'))[4], 0b01100000);
    const stored = await fixture('uncompressible.bin.lz4');
    assert.ok(stored.readUInt32LE(7) & 0x80000000, 'the first block is stored uncompressed');
    assert.ok(text.includes(LINE_400));
    for (const name of [...LZ4_FIXTURES, 'text.ch-lz4.bin', 'text.ch-zstd.bin']) {
      assert.ok(!(await fixture(name)).includes(LINE_400), `${name} does not hold LINE_400 as plain bytes`);
    }
    for (const name of ['text.dependent.lz4', ...CH_FIXTURES]) {
      assert.ok(!(await fixture(name)).includes(SECRET_B), `${name} does not hold SECRET_B as plain bytes`);
    }
  });

  for (const [name, original] of [
    ...LZ4_FIXTURES.map((name) => [name, 'text.txt']),
    ['uncompressible.bin.lz4', 'uncompressible.bin'],
  ]) {
    test(`${name} decodes to ${original}`, async () => {
      const bytes = await fixture(name);
      const { data, end } = decodeFrame(bytes);
      assert.ok(data.equals(await fixture(original)));
      assert.equal(end, bytes.length);
    });
  }

  test('a frame amid other bytes, as in a Kafka segment: decoded from its offset, end returned', async () => {
    const frame = await fixture('text.dependent.lz4');
    const before = randomBytes(61, 1);
    const bytes = Buffer.concat([before, frame, randomBytes(100, 2), frame]);
    const first = decodeFrame(bytes, before.length);
    assert.equal(first.end, before.length + frame.length);
    const second = decodeFrame(bytes, first.end + 100);
    assert.equal(second.end, bytes.length);
    assert.ok(second.data.equals(first.data));
  });

  test('dependent blocks copy from earlier blocks: decoding them as independent fails', async () => {
    const frame = await fixture('text.dependent.lz4');
    const independent = withFlags(frame, (flags) => flags | 0x20);
    assert.throws(
      () => decodeFrame(independent),
      (error) =>
        error instanceof LZ4Error &&
        /reaches before the start/.test(error.message) &&
        error.partial.length >= 4096 &&
        error.partial.equals(text.subarray(0, error.partial.length)),
    );
  });

  test('a dictionary id in the descriptor is skipped', async () => {
    const frame = await fixture('text.default.lz4');
    const withDict = withFlags(frame, (flags) => flags | 0x01, Buffer.from([1, 2, 3, 4]));
    const { data, end } = decodeFrame(withDict);
    assert.ok(data.equals(text));
    assert.equal(end, withDict.length);
  });

  test('checksums are verified; a bad content checksum keeps what decoded', async () => {
    const frame = Buffer.from(await fixture('text.default.lz4'));
    const badHeader = Buffer.from(frame);
    badHeader[6] ^= 1;
    assert.throws(() => decodeFrame(badHeader), /header checksum mismatch/);
    const badContent = Buffer.from(frame);
    badContent[badContent.length - 1] ^= 1;
    assert.throws(
      () => decodeFrame(badContent),
      (error) => error instanceof LZ4Error && /content checksum/.test(error.message) && error.partial.equals(text),
    );
    const dependent = Buffer.from(await fixture('text.dependent.lz4'));
    const firstBlockSize = dependent.readUInt32LE(15) & 0x7fffffff; // magic, flags, bd, 8-byte content size, header checksum
    dependent[19 + firstBlockSize] ^= 1; // the first block's checksum
    assert.throws(() => decodeFrame(dependent), /block checksum mismatch/);
  });

  test('every truncation of every fixture throws an LZ4Error', async () => {
    for (const name of [...LZ4_FIXTURES, 'uncompressible.bin.lz4']) {
      const bytes = await fixture(name);
      // Every cut within the header and the first block, then every 7th, then the last bytes.
      const lengths = [];
      for (let length = 0; length < bytes.length; length += length < 4200 || length > bytes.length - 32 ? 1 : 7) {
        lengths.push(length);
      }
      for (const length of lengths) {
        assert.throws(() => decodeFrame(bytes.subarray(0, length)), LZ4Error, `${name} cut to ${length} bytes`);
      }
    }
  });

  test('random damage throws an LZ4Error or decodes, and never hangs', { timeout: 60_000 }, async () => {
    const next = random(42);
    for (const name of [...LZ4_FIXTURES, 'uncompressible.bin.lz4']) {
      const original = await fixture(name);
      for (let round = 0; round < 300; round++) {
        const bytes = Buffer.from(original);
        const changes = 1 + Math.floor(next() * 4);
        for (let i = 0; i < changes; i++) {
          bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
        }
        try {
          decodeFrame(bytes);
        } catch (error) {
          assert.ok(error instanceof LZ4Error, `${name} round ${round}: ${error}`);
        }
      }
    }
  });

  test('not a frame', () => {
    assert.throws(() => decodeFrame(Buffer.from('hello world')), /not an LZ4 frame/);
    assert.throws(() => decodeFrame(Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7, 0]), 1), /not an LZ4 frame/);
    assert.throws(() => decodeFrame(Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x64, 0x40]), 0), /no room/);
    assert.throws(() => decodeFrame(Buffer.from([0x04, 0x22, 0x4d, 0x18, 0xa4, 0x40, 0, 0, 0, 0, 0]), 0), /version 2/);
  });
});

describe('decodeBlock', () => {
  test('decodes every block of the clickhouse-compressor LZ4 file', async () => {
    const file = await fixture('text.ch-lz4.bin');
    /** @type {Buffer[]} */
    const parts = [];
    for (let at = 0; at < file.length; ) {
      assert.equal(file[at + 16], 0x82);
      const compressed = file.readUInt32LE(at + 17);
      const size = file.readUInt32LE(at + 21);
      const payload = file.subarray(at + 25, at + 16 + compressed);
      const block = decodeBlock(payload, size);
      assert.ok(block.equals(decodeBlock(payload)), 'the same without the size');
      assert.throws(() => decodeBlock(payload, size - 1), LZ4Error);
      assert.throws(() => decodeBlock(payload, size + 1), /decodes to/);
      assert.throws(() => decodeBlock(payload.subarray(0, payload.length - 1), size), LZ4Error);
      parts.push(block);
      at += 16 + compressed;
    }
    assert.equal(parts.length, 6);
    assert.ok(Buffer.concat(parts).equals(text));
  });

  test('overlapping matches repeat their period; limits hold', () => {
    // literal "ab", match offset 2 length 15+5+4 = 24, last literals "c"
    const block = Buffer.from([0x2f, 0x61, 0x62, 0x02, 0x00, 0x05, 0x10, 0x63]);
    assert.equal(decodeBlock(block).toString(), `${'ab'.repeat(13)}c`);
    assert.throws(() => decodeBlock(block, undefined, { maxOutput: 20 }), /more than 20 bytes/);
    assert.throws(() => decodeBlock(Buffer.from([0x1f, 0x61, 0x00, 0x00, 0x00, 0x10, 0x63])), /match offset 0/);
    assert.throws(() => decodeBlock(Buffer.from([0x1f, 0x61, 0x02, 0x00, 0x00, 0x10, 0x63])), /reaches before/);
    assert.throws(() => decodeBlock(Buffer.from([0xf0, 0xff, 0xff])), /inside a length/);
    assert.throws(() => decodeBlock(Buffer.from([0x1f, 0x61, 0x01, 0x00, 0x00])), /last sequence/);
    assert.throws(() => decodeBlock(Buffer.alloc(0)), /empty/);
    assert.equal(decodeBlock(Buffer.from([0x00]), 0).length, 0);
  });
});

describe('findInDirectory', () => {
  test('finds the secrets in LZ4 frames and ClickHouse compressed files', async () => {
    /** @type {Record<string, Buffer>} */
    const files = {};
    for (const name of [...LZ4_FIXTURES, ...CH_FIXTURES, 'uncompressible.bin.lz4']) {
      files[name] = await fixture(name);
    }
    const hits = await searchFiles(files, [SECRET_A, SECRET_B, LINE_400, 'not-anywhere-3141']);
    assert.deepEqual(hits.get(SECRET_A), Object.keys(files).sort());
    assert.deepEqual(hits.get(SECRET_B), [...LZ4_FIXTURES, ...CH_FIXTURES].sort());
    assert.deepEqual(hits.get(LINE_400), [...LZ4_FIXTURES, ...CH_FIXTURES].sort());
    assert.deepEqual(hits.get('not-anywhere-3141'), []);
  });

  test('finds a zstd chunk inside an LZ4 frame amid other bytes (a Kafka record of a recording chunk)', async () => {
    const zstd = spawnSync('zstd', ['-q', '-c'], { input: text });
    assert.equal(zstd.status, 0);
    assert.ok(!zstd.stdout.includes(SECRET_A));
    const segment = Buffer.concat([randomBytes(70, 3), storedFrame(zstd.stdout), randomBytes(30, 4)]);
    const hits = await searchFiles({ '00000000000000000000.log': segment }, [SECRET_A]);
    assert.deepEqual(hits.get(SECRET_A), ['00000000000000000000.log']);
  });

  test('damaged files are skipped, what is intact is still found, random files are not reported', { timeout: 120_000 }, async () => {
    const frame = await fixture('text.dependent.lz4');
    const chLz4 = await fixture('text.ch-lz4.bin');
    const chZstd = await fixture('text.ch-zstd.bin');
    const random = randomBytes(1 << 20, 5);
    // Magic numbers in random places: LZ4 and zstd frames that are not.
    for (let i = 0; i < 200; i++) {
      Buffer.from([0x04, 0x22, 0x4d, 0x18]).copy(random, (i * 5237) % (random.length - 4));
    }
    for (let i = 0; i < 5; i++) {
      Buffer.from([0x28, 0xb5, 0x2f, 0xfd]).copy(random, 1000 + i * 99_991);
    }
    // A ClickHouse-looking first block whose sizes do not chain to the end.
    random[16] = 0x82;
    random.writeUInt32LE(1000, 17);
    random.writeUInt32LE(4096, 21);
    // A ClickHouse file with its last LZ4 block damaged.
    const damaged = Buffer.from(chLz4);
    let lastBlock = 0;
    while (lastBlock + 16 + damaged.readUInt32LE(lastBlock + 17) < damaged.length) {
      lastBlock += 16 + damaged.readUInt32LE(lastBlock + 17);
    }
    damaged.fill(0xff, lastBlock + 25, lastBlock + 40);
    const hits = await searchFiles(
      {
        'truncated-frame.lz4': frame.subarray(0, frame.length - 100),
        'truncated.ch-lz4.bin': chLz4.subarray(0, chLz4.length - 1),
        'longer.ch-zstd.bin': Buffer.concat([chZstd, Buffer.from([0])]),
        'damaged.ch-lz4.bin': damaged,
        'random.bin': random,
      },
      [SECRET_A, SECRET_B],
    );
    // SECRET_A is plain bytes in LZ4 literals, and within one zstd block.
    assert.deepEqual(hits.get(SECRET_A), ['damaged.ch-lz4.bin', 'longer.ch-zstd.bin', 'truncated-frame.lz4', 'truncated.ch-lz4.bin']);
    // SECRET_B needs two blocks decoded in a row: the truncated frame decodes
    // up to its damage and the damaged file's intact blocks are decoded, but
    // files that do not chain exactly are not taken as ClickHouse files.
    assert.deepEqual(hits.get(SECRET_B), ['damaged.ch-lz4.bin', 'truncated-frame.lz4']);
  });
});

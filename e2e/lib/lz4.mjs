/**
 * A pure-JS LZ4 decoder, for searching stored data that servers keep
 * LZ4-compressed (Kafka's `compression.type=lz4` record batches, ClickHouse's
 * compressed column files).
 *
 * - `decodeBlock(src, uncompressedSize?)`: one raw LZ4 block (the block
 *   format, no header), as ClickHouse stores them.
 * - `decodeFrame(bytes, offset?)`: one LZ4 frame (magic `04 22 4d 18`) as
 *   the `lz4` tool, lz4-java and librdkafka write them: every frame descriptor
 *   flag (block independence, block checksum, content size, content checksum,
 *   dictionary id), uncompressed blocks and the end mark. Checksums are
 *   verified with XXH32.
 *
 * Every length and offset is checked against the input before it is used, so
 * corrupt or truncated input throws an `LZ4Error` saying what is wrong and
 * where; each step of every loop consumes input, so decoding always ends.
 * Output is capped (`maxOutput`, 256 MiB by default) so that a corrupt size
 * cannot exhaust memory.
 */

const FRAME_MAGIC = 0x184d2204;
const DEFAULT_MAX_OUTPUT = 256 << 20;
/** A frame's header announces at most this many bytes to allocate up front. */
const MAX_INITIAL_ALLOCATION = 16 << 20;
const MIN_MATCH = 4;

/** Corrupt, truncated or unsupported LZ4 data. */
export class LZ4Error extends Error {
  /**
   * @param {string} reason what is wrong
   * @param {number} offset where in the input the problem was found
   * @param {Buffer} [partial] what was decoded before the problem
   */
  constructor(reason, offset, partial = Buffer.alloc(0)) {
    super(`${reason} (at byte ${offset})`);
    this.name = 'LZ4Error';
    /** What is wrong, without the offset. */
    this.reason = reason;
    /** Where in the input the problem was found. */
    this.offset = offset;
    /** The bytes decoded before the problem (empty when none). */
    this.partial = partial;
  }
}

/**
 * @typedef {object} DecodeOptions
 * @property {number} [maxOutput] the most bytes to produce before giving up (256 MiB)
 */

/** A growable output buffer. */
class Sink {
  /**
   * @param {number} capacity initial size
   * @param {number} max the most bytes it may hold
   */
  constructor(capacity, max) {
    this.buf = Buffer.alloc(Math.max(0, Math.min(capacity, max)));
    this.length = 0;
    this.max = max;
  }

  /**
   * Makes room for `extra` more bytes.
   * @param {number} extra
   * @param {number} at input offset, for the error
   */
  reserve(extra, at) {
    const needed = this.length + extra;
    if (needed > this.max) {
      throw new LZ4Error(`output would exceed ${this.max} bytes`, at);
    }
    if (needed > this.buf.length) {
      const grown = Buffer.alloc(Math.min(this.max, Math.max(needed, this.buf.length * 2, 4096)));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
  }

  /** @returns {Buffer} the bytes written so far (a view) */
  bytes() {
    return this.buf.subarray(0, this.length);
  }
}

/**
 * Reads an LZ4 length continuation: bytes are added while they are 255.
 * @param {Uint8Array} src
 * @param {number} at
 * @param {number} end
 * @returns {[number, number]} the sum, and the offset after the last byte read
 */
function readLengthBytes(src, at, end) {
  let sum = 0;
  let byte;
  do {
    if (at >= end) {
      throw new LZ4Error('block ends inside a length', at);
    }
    byte = src[at++];
    sum += byte;
  } while (byte === 255);
  return [sum, at];
}

/**
 * Decodes the LZ4 block `src[start, end)` onto the end of `sink`.
 * @param {Uint8Array} src
 * @param {number} start
 * @param {number} end
 * @param {Sink} sink
 * @param {number} windowStart the lowest output position a match may copy from
 * @param {number} limit the most bytes this block may produce
 */
function decodeBlockInto(src, start, end, sink, windowStart, limit) {
  const outLimit = sink.length + limit;
  let at = start;
  if (at >= end) {
    throw new LZ4Error('empty LZ4 block', at);
  }
  for (;;) {
    const token = src[at++];
    let literals = token >>> 4;
    if (literals === 15) {
      let more;
      [more, at] = readLengthBytes(src, at, end);
      literals += more;
    }
    if (literals > end - at) {
      throw new LZ4Error(`${literals} literals run past the end of the block`, at);
    }
    if (sink.length + literals > outLimit) {
      throw new LZ4Error(`block decodes to more than ${limit} bytes`, at);
    }
    sink.reserve(literals, at);
    sink.buf.set(src.subarray(at, at + literals), sink.length);
    sink.length += literals;
    at += literals;
    if (at === end) {
      return; // The last sequence has literals only.
    }
    if (end - at < 2) {
      throw new LZ4Error('block ends inside a match offset', at);
    }
    const offset = src[at] | (src[at + 1] << 8);
    if (offset === 0) {
      throw new LZ4Error('match offset 0', at);
    }
    if (offset > sink.length - windowStart) {
      throw new LZ4Error(`match offset ${offset} reaches before the start of the data`, at);
    }
    at += 2;
    let length = (token & 15) + MIN_MATCH;
    if ((token & 15) === 15) {
      let more;
      [more, at] = readLengthBytes(src, at, end);
      length += more;
    }
    if (sink.length + length > outLimit) {
      throw new LZ4Error(`block decodes to more than ${limit} bytes`, at);
    }
    sink.reserve(length, at);
    // A match may overlap its own output (offset < length): copy in runs no
    // longer than the distance already written, which keeps the period.
    const buf = sink.buf;
    const from = sink.length - offset;
    let to = sink.length;
    let remaining = length;
    while (remaining > 0) {
      const run = Math.min(remaining, to - from);
      buf.copyWithin(to, from, from + run);
      to += run;
      remaining -= run;
    }
    sink.length = to;
    if (at >= end) {
      throw new LZ4Error('block ends after a match (the last sequence must be literals)', at);
    }
  }
}

/**
 * Decodes one raw LZ4 block (no frame header).
 * @param {Uint8Array} src the compressed block, exactly
 * @param {number} [uncompressedSize] when known: the block must decode to exactly this many bytes
 * @param {DecodeOptions} [options]
 * @returns {Buffer}
 */
export function decodeBlock(src, uncompressedSize, options = {}) {
  const max = options.maxOutput ?? DEFAULT_MAX_OUTPUT;
  if (uncompressedSize !== undefined) {
    if (!Number.isSafeInteger(uncompressedSize) || uncompressedSize < 0) {
      throw new LZ4Error(`invalid uncompressed size ${uncompressedSize}`, 0);
    }
    if (uncompressedSize > max) {
      throw new LZ4Error(`uncompressed size ${uncompressedSize} exceeds ${max} bytes`, 0);
    }
    const sink = new Sink(uncompressedSize, uncompressedSize);
    decodeBlockInto(src, 0, src.length, sink, 0, uncompressedSize);
    if (sink.length !== uncompressedSize) {
      throw new LZ4Error(`block decodes to ${sink.length} bytes, not ${uncompressedSize}`, src.length);
    }
    return sink.buf;
  }
  // Each input byte yields at most 255 output bytes.
  const sink = new Sink(Math.min(src.length * 4, MAX_INITIAL_ALLOCATION), max);
  decodeBlockInto(src, 0, src.length, sink, 0, max);
  return sink.bytes();
}

const PRIME1 = 0x9e3779b1;
const PRIME2 = 0x85ebca77;
const PRIME3 = 0xc2b2ae3d;
const PRIME4 = 0x27d4eb2f;
const PRIME5 = 0x165667b1;

/**
 * @param {number} value
 * @param {number} bits
 */
function rotl32(value, bits) {
  return (value << bits) | (value >>> (32 - bits));
}

/**
 * @param {Uint8Array} bytes
 * @param {number} at
 */
function read32(bytes, at) {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

/**
 * @param {number} acc
 * @param {number} input
 */
function xxhRound(acc, input) {
  return Math.imul(rotl32((acc + Math.imul(input, PRIME2)) | 0, 13), PRIME1);
}

/**
 * XXH32 of `bytes[start, end)`, the checksum of the LZ4 frame format.
 * @param {Uint8Array} bytes
 * @param {number} [start]
 * @param {number} [end]
 * @param {number} [seed]
 * @returns {number} unsigned 32-bit
 */
export function xxh32(bytes, start = 0, end = bytes.length, seed = 0) {
  let at = start;
  let hash;
  if (end - start >= 16) {
    let v1 = (seed + PRIME1 + PRIME2) | 0;
    let v2 = (seed + PRIME2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - PRIME1) | 0;
    for (; at <= end - 16; at += 16) {
      v1 = xxhRound(v1, read32(bytes, at));
      v2 = xxhRound(v2, read32(bytes, at + 4));
      v3 = xxhRound(v3, read32(bytes, at + 8));
      v4 = xxhRound(v4, read32(bytes, at + 12));
    }
    hash = (rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18)) | 0;
  } else {
    hash = (seed + PRIME5) | 0;
  }
  hash = (hash + (end - start)) | 0;
  for (; at + 4 <= end; at += 4) {
    hash = Math.imul(rotl32((hash + Math.imul(read32(bytes, at), PRIME3)) | 0, 17), PRIME4);
  }
  for (; at < end; at++) {
    hash = Math.imul(rotl32((hash + Math.imul(bytes[at], PRIME5)) | 0, 11), PRIME1);
  }
  hash ^= hash >>> 15;
  hash = Math.imul(hash, PRIME2);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, PRIME3);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/**
 * @typedef {object} Frame
 * @property {Buffer} data the decompressed content
 * @property {number} end the offset just after the frame (after its end mark and content checksum)
 */

/**
 * Decodes the LZ4 frame that starts at `bytes[offset]`. Bytes after the frame
 * are not looked at. Throws an `LZ4Error` when the frame is corrupt,
 * truncated, needs a dictionary or fails a checksum; its `partial` holds what
 * was decoded before that.
 * @param {Uint8Array} bytes
 * @param {number} [offset]
 * @param {DecodeOptions} [options]
 * @returns {Frame}
 */
export function decodeFrame(bytes, offset = 0, options = {}) {
  const max = options.maxOutput ?? DEFAULT_MAX_OUTPUT;
  let at = offset;
  if (!Number.isSafeInteger(offset) || offset < 0 || bytes.length - offset < 7) {
    throw new LZ4Error('no room for an LZ4 frame header', offset);
  }
  if (read32(bytes, at) !== FRAME_MAGIC) {
    throw new LZ4Error('not an LZ4 frame (magic 0x184D2204)', at);
  }
  at += 4;
  const flags = bytes[at];
  const descriptor = bytes[at + 1];
  if (flags >>> 6 !== 1) {
    throw new LZ4Error(`unsupported LZ4 frame version ${flags >>> 6}`, at);
  }
  if (flags & 0x02 || descriptor & 0x8f) {
    throw new LZ4Error('reserved bits set in the LZ4 frame descriptor', at);
  }
  const independent = (flags & 0x20) !== 0;
  const blockChecksum = (flags & 0x10) !== 0;
  const hasContentSize = (flags & 0x08) !== 0;
  const contentChecksum = (flags & 0x04) !== 0;
  const hasDictId = (flags & 0x01) !== 0;
  const sizeId = (descriptor >>> 4) & 7;
  if (sizeId < 4) {
    throw new LZ4Error(`invalid LZ4 block maximum size id ${sizeId}`, at + 1);
  }
  const blockMax = 1 << (8 + 2 * sizeId); // 64 KiB, 256 KiB, 1 MiB, 4 MiB
  const descriptorLength = 2 + (hasContentSize ? 8 : 0) + (hasDictId ? 4 : 0);
  if (bytes.length - at < descriptorLength + 1) {
    throw new LZ4Error('LZ4 frame descriptor is truncated', at);
  }
  /** @type {number | undefined} */
  let contentSize;
  if (hasContentSize) {
    const size = read32(bytes, at + 2) + read32(bytes, at + 6) * 2 ** 32;
    if (size > max) {
      throw new LZ4Error(`LZ4 frame content size ${size} exceeds ${max} bytes`, at + 2);
    }
    contentSize = size;
  }
  const headerChecksum = (xxh32(bytes, at, at + descriptorLength) >>> 8) & 0xff;
  if (bytes[at + descriptorLength] !== headerChecksum) {
    throw new LZ4Error('LZ4 frame header checksum mismatch', at + descriptorLength);
  }
  at += descriptorLength + 1;

  const sink = new Sink(Math.min(contentSize ?? blockMax, MAX_INITIAL_ALLOCATION), max);
  try {
    for (;;) {
      if (bytes.length - at < 4) {
        throw new LZ4Error('LZ4 frame ends before its end mark', at);
      }
      const word = read32(bytes, at);
      at += 4;
      if (word === 0) {
        break; // End mark.
      }
      const stored = (word & 0x80000000) !== 0;
      const size = word & 0x7fffffff;
      if (size > blockMax) {
        throw new LZ4Error(`LZ4 block of ${size} bytes exceeds the frame's ${blockMax}`, at - 4);
      }
      if (bytes.length - at < size + (blockChecksum ? 4 : 0)) {
        throw new LZ4Error(`LZ4 block of ${size} bytes is truncated`, at);
      }
      if (blockChecksum && xxh32(bytes, at, at + size) !== read32(bytes, at + size)) {
        throw new LZ4Error('LZ4 block checksum mismatch', at + size);
      }
      if (stored) {
        sink.reserve(size, at);
        sink.buf.set(bytes.subarray(at, at + size), sink.length);
        sink.length += size;
      } else {
        // Dependent blocks may copy from the frame's earlier blocks; matches
        // into a dictionary (dictionary id set) fail as reaching too far.
        decodeBlockInto(bytes, at, at + size, sink, independent ? sink.length : 0, blockMax);
      }
      at += size + (blockChecksum ? 4 : 0);
    }
    if (contentChecksum) {
      if (bytes.length - at < 4) {
        throw new LZ4Error('LZ4 frame ends before its content checksum', at);
      }
      if (xxh32(sink.buf, 0, sink.length) !== read32(bytes, at)) {
        throw new LZ4Error('LZ4 content checksum mismatch', at);
      }
      at += 4;
    }
    if (contentSize !== undefined && sink.length !== contentSize) {
      throw new LZ4Error(`LZ4 frame decodes to ${sink.length} bytes, its header says ${contentSize}`, at);
    }
  } catch (error) {
    if (error instanceof LZ4Error) {
      throw new LZ4Error(error.reason, error.offset, Buffer.from(sink.bytes()));
    }
    throw error;
  }
  return { data: sink.bytes(), end: at };
}

/**
 * The hostile-input corpus: requests to `POST /v1/batches` that a gateway on
 * the internet gets sooner or later, each with the answer it must get. Bad
 * input gets a 4xx whose JSON body `{"error": ...}` says why; what a real
 * recorder may send (deep DOMs, escaped NULs, broken surrogates in page text)
 * is accepted and must reach the replay and the transcript intact.
 *
 * The limits are the gateway's defaults (stages/ingest-gateway/src/batch.rs `Limits`,
 * `[gateway]` in playback/src/config.rs). Cases that need big bodies (gzip
 * bombs, oversized bodies and events) are generated here rather than stored.
 */
import { randomUUID } from 'node:crypto';
import { deflateRawSync, gzipSync } from 'node:zlib';

export const MAX_BODY_BYTES = 1 << 20;
export const MAX_DECOMPRESSED_BYTES = 16 << 20;
export const MAX_EVENT_BYTES = 8 << 20;
export const MAX_EVENTS = 10_000;
/** stages/ingest-gateway/src/batch.rs `MAX_JSON_DEPTH`. */
export const MAX_JSON_DEPTH = 512;
const MAX_TRAITS_BYTES = 16 << 10;

/**
 * @typedef {object} HostileRequest
 * @property {string} method
 * @property {string} path
 * @property {string} query the query string as sent, without `?` (may be empty)
 * @property {Record<string, string>} headers
 * @property {Buffer} body
 * @property {boolean} [chunked] sent with `Transfer-Encoding: chunked` instead of a Content-Length
 */

/**
 * A batch a case expects to be accepted, to find downstream.
 * @typedef {object} AcceptedBatch
 * @property {string} sessionId
 * @property {string} windowId
 * @property {number} seq
 * @property {any[]} events the events as sent
 * @property {string[]} customNames the names the transcript must show as custom events
 */

/**
 * @typedef {object} HostileCase
 * @property {string} name
 * @property {string} covers the kind of input, as issue 5 lists them
 * @property {HostileRequest} request
 * @property {number} status the status it must get
 * @property {string} [reason] a substring of the `error` of the answer
 * @property {AcceptedBatch} [accepted] for a case answered 200: the batch it carries
 */

/**
 * A flood: the same project sends far more batches than its rate limit.
 * @typedef {object} FloodCase
 * @property {string} name
 * @property {string} covers
 * @property {(index: number) => HostileRequest} request the index-th request of the flood
 * @property {number} status 429
 * @property {string} reason
 * @property {number} maxRequests the flood stops here even if too few were refused
 * @property {number} concurrency
 * @property {number} refusals the flood stops once this many were answered 429
 */

/** @param {unknown} value */
function json(value) {
  return Buffer.from(JSON.stringify(value));
}

/**
 * @param {Buffer} body
 * @param {{key?: string | null, headers?: Record<string, string>, query?: string, method?: string, chunked?: boolean}} [options]
 *   `key`: the X-Playback-Key header, none when null; `query`: the raw query string
 * @returns {HostileRequest}
 */
function post(body, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { 'Content-Type': 'application/json' };
  if (options.key !== null && options.key !== undefined) {
    headers['X-Playback-Key'] = options.key;
  }
  const request = { method: options.method ?? 'POST', path: '/v1/batches', query: options.query ?? '', headers: { ...headers, ...options.headers }, body };
  return options.chunked ? { ...request, chunked: true } : request;
}

/**
 * A valid batch of one session, with a marker custom event first.
 * @param {number} now
 * @param {any[]} [extra] events after the marker
 */
function validBatch(now, extra = []) {
  const sessionId = randomUUID();
  return {
    session_id: sessionId,
    window_id: 'hostile',
    seq: 0,
    sent_at: now,
    events: [{ type: 4, data: { href: 'https://hostile.example/', width: 800, height: 600 }, timestamp: now }, { type: 5, data: { tag: 'hostile-marker', payload: {} }, timestamp: now }, ...extra],
  };
}

/**
 * `body` with `bytes` inserted before the first occurrence of `before`.
 * @param {Buffer} body
 * @param {string} before
 * @param {number[]} bytes
 */
function insertBytes(body, before, bytes) {
  const at = body.indexOf(before);
  if (at < 0) {
    throw new Error(`${before} is not in the body`);
  }
  return Buffer.concat([body.subarray(0, at), Buffer.from(bytes), body.subarray(at)]);
}

/**
 * `value` nested `levels` deep in objects: {"a":{"a":...}}.
 * @param {number} levels
 * @param {unknown} value
 */
function nestedObject(levels, value) {
  let nested = value;
  for (let level = 0; level < levels; level++) {
    nested = { a: nested };
  }
  return nested;
}

/**
 * The batch text with `events` replaced by `eventsText`, for events no
 * JavaScript value serializes to.
 * @param {number} now
 * @param {string} eventsText
 */
function batchWithEventsText(now, eventsText) {
  const text = JSON.stringify({ ...validBatch(now), events: '@EVENTS@' });
  return text.replace('"@EVENTS@"', eventsText);
}

/**
 * Every case but the flood. `key` is the key of an enabled project, and
 * `disabledKey` the key of a disabled one.
 * @param {{key: string, disabledKey: string, now?: number}} options
 * @returns {HostileCase[]}
 */
export function hostileCorpus({ key, disabledKey, now = Date.now() }) {
  /** @type {HostileCase[]} */
  const cases = [];
  /**
   * @param {string} covers
   * @param {string} name
   * @param {HostileRequest} request
   * @param {number} status
   * @param {string} [reason]
   * @param {AcceptedBatch} [accepted]
   */
  const add = (covers, name, request, status, reason, accepted) => {
    /** @type {HostileCase} */
    const entry = { name, covers, request, status };
    if (reason !== undefined) {
      entry.reason = reason;
    }
    if (accepted !== undefined) {
      entry.accepted = accepted;
    }
    cases.push(entry);
  };
  /** @param {Record<string, unknown>} changes */
  const batchWith = (changes) => json({ ...validBatch(now), ...changes });
  /** @param {string} field */
  const batchWithout = (field) => {
    /** @type {Record<string, unknown>} */
    const batch = { ...validBatch(now) };
    delete batch[field];
    return json(batch);
  };
  /**
   * A batch that must be accepted, with its events.
   * @param {any[]} extra
   * @param {string[]} customNames
   */
  const accepted = (extra, customNames) => {
    const batch = validBatch(now, extra);
    /** @type {AcceptedBatch} */
    const expected = { sessionId: batch.session_id, windowId: batch.window_id, seq: batch.seq, events: batch.events, customNames: ['hostile-marker', ...customNames] };
    return { body: json(batch), expected };
  };
  const valid = json(validBatch(now));
  const keyed = { key };

  // Malformed and truncated JSON.
  add('malformed json', 'not JSON at all', post(Buffer.from('hello, gateway'), keyed), 400, 'invalid batch json');
  add('malformed json', 'truncated in the middle', post(valid.subarray(0, Math.floor(valid.length / 2)), keyed), 400, 'invalid batch json');
  add('malformed json', 'truncated before the last brace', post(valid.subarray(0, valid.length - 1), keyed), 400, 'invalid batch json');
  add('malformed json', 'trailing garbage after the batch', post(Buffer.concat([valid, Buffer.from('}{"x":1')]), keyed), 400, 'invalid batch json');
  add('malformed json', 'an array instead of an object', post(Buffer.from('[]'), keyed), 400, 'invalid batch json');
  add('malformed json', 'a bare null', post(Buffer.from('null'), keyed), 400, 'invalid batch json');
  add('malformed json', 'a field given twice', post(Buffer.from(valid.toString().replace('{', `{"session_id":"${randomUUID()}",`)), keyed), 400, 'duplicate field');
  add('malformed json', 'an empty body', post(Buffer.alloc(0), keyed), 400, 'invalid batch json');
  add('malformed json', 'whitespace only', post(Buffer.from(' \n\t '.repeat(100)), keyed), 400, 'invalid batch json');
  add('malformed json', 'single quotes', post(Buffer.from(valid.toString().replaceAll('"', "'")), keyed), 400, 'invalid batch json');
  add('malformed json', 'a comment inside', post(Buffer.from(valid.toString().replace('{', '{/* hi */')), keyed), 400, 'invalid batch json');

  // Wrong types and missing fields.
  for (const field of ['session_id', 'window_id', 'seq', 'sent_at', 'events']) {
    add('missing field', `no ${field}`, post(batchWithout(field), keyed), 400, `missing field \`${field}\``);
  }
  add('wrong type', 'session_id is a number', post(batchWith({ session_id: 12345 }), keyed), 400, 'invalid type');
  add('wrong type', 'window_id is null', post(batchWith({ window_id: null }), keyed), 400, 'invalid type');
  add('wrong type', 'seq is a string', post(batchWith({ seq: '0' }), keyed), 400, 'invalid type');
  add('wrong type', 'seq is a fraction', post(batchWith({ seq: 1.5 }), keyed), 400, 'invalid type');
  add('wrong type', 'seq is negative', post(batchWith({ seq: -1 }), keyed), 400, 'seq must be between');
  add('wrong type', 'seq is above 2^32', post(batchWith({ seq: 2 ** 40 }), keyed), 400, 'seq must be between');
  add('wrong type', 'seq is 1e30', post(Buffer.from(valid.toString().replace('"seq":0', '"seq":1e30')), keyed), 400, 'invalid type');
  add('wrong type', 'sent_at is an ISO date', post(batchWith({ sent_at: new Date(now).toISOString() }), keyed), 400, 'invalid type');
  add('wrong type', 'sent_at is a boolean', post(batchWith({ sent_at: true }), keyed), 400, 'invalid type');
  add('wrong type', 'events is an object', post(batchWith({ events: {} }), keyed), 400, 'events must be an array');
  add('wrong type', 'events is a string', post(batchWith({ events: '[{"type":4}]' }), keyed), 400, 'events must be an array');
  add('wrong type', 'events is null', post(batchWith({ events: null }), keyed), 400, 'events must be an array');
  add('wrong type', 'events is empty', post(batchWith({ events: [] }), keyed), 400, 'events is empty');
  add('wrong type', 'events are numbers', post(batchWith({ events: [1, 2, 3] }), keyed), 400, 'event 0 is not an rrweb event');
  add('missing field', 'an event without type', post(batchWith({ events: [{ data: {}, timestamp: now }] }), keyed), 400, 'event 0 is not an rrweb event');
  add('missing field', 'an event without timestamp', post(batchWith({ events: [{ type: 3, data: { source: 1 } }] }), keyed), 400, 'event 0 is not an rrweb event');
  add('missing field', 'the second event without timestamp', post(batchWith({ events: [{ type: 4, data: {}, timestamp: now }, { type: 3, data: {} }] }), keyed), 400, 'event 1 is not an rrweb event');
  add('wrong type', 'event type is a string', post(batchWith({ events: [{ type: '3', data: {}, timestamp: now }] }), keyed), 400, 'event 0 is not an rrweb event');
  add('wrong type', 'event type is 300', post(batchWith({ events: [{ type: 300, data: {}, timestamp: now }] }), keyed), 400, 'event 0 is not an rrweb event');
  add('wrong type', 'event type is negative', post(batchWith({ events: [{ type: -1, data: {}, timestamp: now }] }), keyed), 400, 'event 0 is not an rrweb event');
  add('wrong type', 'user is a string', post(batchWith({ user: 'ada' }), keyed), 400, 'invalid type');
  add('wrong type', 'user.traits is an array', post(batchWith({ user: { id: 'ada', traits: [1, 2] } }), keyed), 400, 'user.traits must be an object');
  add('wrong type', 'user.id of 10 KB', post(batchWith({ user: { id: 'u'.repeat(10_240) } }), keyed), 400, 'user.id is longer than');
  add('oversized', 'user.traits above 16 KiB', post(batchWith({ user: { id: 'ada', traits: { blob: 't'.repeat(MAX_TRAITS_BYTES) } } }), keyed), 413, 'user.traits above');
  add('wrong type', 'window_id with a space', post(batchWith({ window_id: 'tab 1' }), keyed), 400, 'window_id must be');
  add('wrong type', 'window_id of 10 KB', post(batchWith({ window_id: 'w'.repeat(10_240) }), keyed), 400, 'window_id must be');

  // Nesting. 50 levels is what deep pages and structured custom events give: accepted, and the
  // transcript and replay show it. Up to MAX_JSON_DEPTH is accepted; beyond it is refused.
  const deep50 = accepted([{ type: 5, data: { tag: 'deep-50', payload: nestedObject(50, 'bottom') }, timestamp: now + 1 }], ['deep-50']);
  add('deep nesting', '50 levels of objects in a custom event', post(deep50.body, keyed), 200, undefined, deep50.expected);
  const deepArrays = accepted([{ type: 3, data: { source: 0, texts: [], attributes: [], removes: [], adds: [], nested: JSON.parse(`${'['.repeat(50)}${']'.repeat(50)}`) }, timestamp: now + 1 }], []);
  add('deep nesting', '50 levels of arrays in a mutation', post(deepArrays.body, keyed), 200, undefined, deepArrays.expected);
  const deep300 = accepted([{ type: 5, data: { tag: 'deep-300', payload: nestedObject(300, 'bottom') }, timestamp: now + 1 }], ['deep-300']);
  add('deep nesting', '300 levels of objects in a custom event', post(deep300.body, keyed), 200, undefined, deep300.expected);
  const deep500 = accepted([{ type: 3, data: { source: 0, texts: [], attributes: [], removes: [], adds: [], nested: nestedObject(MAX_JSON_DEPTH - 12, 1) }, timestamp: now + 1 }], []);
  add('deep nesting', `${MAX_JSON_DEPTH - 12} levels, just under the limit`, post(deep500.body, keyed), 200, undefined, deep500.expected);
  add('deep nesting', `${MAX_JSON_DEPTH + 88} levels`, post(batchWith({ events: [{ type: 3, data: { nested: nestedObject(MAX_JSON_DEPTH + 88, 1) }, timestamp: now }] }), keyed), 400, 'nested deeper than');
  add('deep nesting', '100 000 open brackets', post(Buffer.from(batchWithEventsText(now, '['.repeat(100_000))), keyed), 400, 'nested deeper than');

  // Invalid UTF-8, NUL bytes and odd escapes.
  const validText = valid.toString();
  add('invalid utf-8', 'a 0xFF byte inside event text', post(insertBytes(valid, 'hostile-marker', [0xff, 0xfe]), keyed), 400, 'invalid batch json');
  add('invalid utf-8', 'an overlong encoding of "/"', post(insertBytes(valid, 'hostile-marker', [0xc0, 0xaf]), keyed), 400, 'invalid batch json');
  add('invalid utf-8', 'a truncated 3-byte sequence in window_id', post(insertBytes(valid, 'hostile', [0xe2, 0x82]), keyed), 400, 'invalid batch json');
  add('invalid utf-8', 'latin-1 text in the key header', post(valid, { key: `${key}\u00e9` }), 401, 'unknown project key');
  add('nul bytes', 'a raw NUL inside a string', post(Buffer.from(validText.replace('hostile-marker', 'hostile\u0000marker')), keyed), 400, 'invalid batch json');
  add('nul bytes', 'raw NULs between tokens', post(Buffer.from(validText.replace('{', '{\u0000\u0000')), keyed), 400, 'invalid batch json');
  add('nul bytes', 'an escaped NUL in session_id', post(batchWith({ session_id: `${randomUUID().slice(0, 35)}\u0000` }), keyed), 400, 'session_id must be a uuid');
  const escapedNul = accepted([{ type: 5, data: { tag: 'nul\u0000tag', payload: { text: 'a\u0000b' } }, timestamp: now + 1 }], ['nul\u0000tag']);
  add('nul bytes', 'escaped NULs in a custom event (valid JSON)', post(escapedNul.body, keyed), 200, undefined, escapedNul.expected);
  // JSON.stringify writes a lone surrogate of broken page text as an escape: a real recorder sends it.
  const loneSurrogate = accepted([{ type: 5, data: { tag: 'surrogate', payload: { text: 'broken \ud800 text' } }, timestamp: now + 1 }], ['surrogate']);
  add('invalid utf-8', 'a lone surrogate escape in event text', post(loneSurrogate.body, keyed), 200, undefined, loneSurrogate.expected);
  add('invalid utf-8', 'a lone surrogate escape in session_id', post(Buffer.from(validText.replace(/"session_id":"[^"]+"/, '"session_id":"\\ud800"')), keyed), 400, 'invalid batch json');

  // Gzip.
  const bombBatch = validBatch(now, [{ type: 5, data: { tag: 'bomb', payload: { text: ' '.repeat(MAX_DECOMPRESSED_BYTES + 1024) } }, timestamp: now }]);
  const bomb = gzipSync(json(bombBatch), { level: 9 });
  add('gzip bomb', `a ${Math.round(bomb.length / 1024)} KiB gzip body that inflates past 16 MiB`, post(bomb, { key, headers: { 'Content-Encoding': 'gzip' } }), 413, 'inflates to more than');
  add('gzip bomb', 'the same bomb as a beacon (?key=, no Content-Encoding)', post(bomb, { key: null, query: `key=${key}`, headers: { 'Content-Type': 'text/plain;charset=UTF-8' } }), 413, 'inflates to more than');
  const manyMembers = Buffer.concat(Array.from({ length: 40 }, () => gzipSync(Buffer.alloc(1 << 20, 0x20), { level: 9 })));
  add('gzip bomb', '40 concatenated gzip members of 1 MiB of spaces each', post(manyMembers, { key, headers: { 'Content-Encoding': 'gzip' } }), 413, 'inflates to more than');
  const tinyEvents = Buffer.from(batchWithEventsText(now, `[${'0,'.repeat(7_000_000)}0]`));
  add('gzip bomb', 'a gzip body of 7 million tiny events', post(gzipSync(tinyEvents, { level: 9 }), { key, headers: { 'Content-Encoding': 'gzip' } }), 413, `more than ${MAX_EVENTS} events`);
  add('gzip', 'valid gzip of invalid JSON', post(gzipSync(Buffer.from('{"session_id": oops')), { key, headers: { 'Content-Encoding': 'gzip' } }), 400, 'invalid batch json');
  const gzipped = gzipSync(valid);
  add('gzip', 'truncated gzip', post(gzipped.subarray(0, Math.floor(gzipped.length / 2)), { key, headers: { 'Content-Encoding': 'gzip' } }), 400, 'invalid gzip body');
  add('gzip', 'gzip without its trailer', post(gzipped.subarray(0, gzipped.length - 8), { key, headers: { 'Content-Encoding': 'gzip' } }), 400, 'invalid gzip body');
  const corrupted = Buffer.from(gzipped);
  corrupted.writeUInt32LE((corrupted.readUInt32LE(corrupted.length - 8) ^ 0xffffffff) >>> 0, corrupted.length - 8);
  add('gzip', 'gzip with a wrong CRC', post(corrupted, { key, headers: { 'Content-Encoding': 'gzip' } }), 400, 'invalid gzip body');
  add('gzip', 'gzip followed by garbage', post(Buffer.concat([gzipped, Buffer.from('garbage')]), { key, headers: { 'Content-Encoding': 'gzip' } }), 400, 'invalid gzip body');
  add('content-encoding lies', 'Content-Encoding: gzip on plain JSON', post(valid, { key, headers: { 'Content-Encoding': 'gzip' } }), 400, 'invalid gzip body');
  add('content-encoding lies', 'Content-Encoding: br on plain JSON', post(valid, { key, headers: { 'Content-Encoding': 'br' } }), 415, 'content encoding');
  add('content-encoding lies', 'Content-Encoding: deflate on a deflate body', post(deflateRawSync(valid), { key, headers: { 'Content-Encoding': 'deflate' } }), 415, 'content encoding');
  add('content-encoding lies', 'Content-Encoding: gzip, gzip', post(gzipSync(gzipped), { key, headers: { 'Content-Encoding': 'gzip, gzip' } }), 415, 'content encoding');

  // Oversized bodies and events.
  const oversized = json(validBatch(now, [{ type: 5, data: { tag: 'large', payload: { text: 'x'.repeat(MAX_BODY_BYTES) } }, timestamp: now }]));
  add('oversized', 'a plain body over 1 MiB', post(oversized, keyed), 413, `body above ${MAX_BODY_BYTES} bytes`);
  add('oversized', 'a chunked body over 1 MiB (no Content-Length)', post(oversized, { key, chunked: true }), 413, `body above ${MAX_BODY_BYTES} bytes`);
  const bigEvent = validBatch(now, [{ type: 5, data: { tag: 'big', payload: { text: 'e'.repeat(MAX_EVENT_BYTES) } }, timestamp: now }]);
  add('oversized', 'one event over 8 MiB (gzip, under 16 MiB inflated)', post(gzipSync(json(bigEvent), { level: 9 }), { key, headers: { 'Content-Encoding': 'gzip' } }), 413, 'event 2 above');
  const tooMany = validBatch(now, Array.from({ length: MAX_EVENTS }, (_, index) => ({ type: 3, data: { source: 1 }, timestamp: now + index })));
  add('oversized', `${MAX_EVENTS + 2} events in one batch`, post(gzipSync(json(tooMany)), { key, headers: { 'Content-Encoding': 'gzip' } }), 413, `more than ${MAX_EVENTS} events`);

  // Keys.
  add('wrong key', 'no key at all', post(valid, { key: null }), 401, 'missing project key');
  add('wrong key', 'an unknown key', post(valid, { key: 'pk_not_a_project' }), 401, 'unknown project key');
  add('wrong key', 'an empty key', post(valid, { key: '' }), 401, 'project key');
  add('wrong key', 'a key of 10 KB', post(valid, { key: 'k'.repeat(10_240) }), 401, 'unknown project key');
  add('wrong key', 'the key in another case', post(valid, { key: key.toUpperCase() }), 401, 'unknown project key');
  add('wrong key', 'an unknown ?key= (beacon)', post(valid, { key: null, query: 'key=pk_not_a_project' }), 401, 'unknown project key');
  add('wrong key', 'a valid key with one more character', post(valid, { key: `${key}_` }), 401, 'unknown project key');
  add('disabled key', 'the key of a disabled project', post(valid, { key: disabledKey }), 401, 'project is disabled');
  add('disabled key', 'a disabled project as a beacon (?key=)', post(valid, { key: null, query: `key=${disabledKey}` }), 401, 'project is disabled');
  add('wrong key', '?key= given twice', post(valid, { key: null, query: `key=${key}&key=${key}` }), 400, 'invalid query string');
  add('wrong key', '?key= of invalid percent-encoded UTF-8', post(valid, { key: null, query: 'key=%ff%fe' }), 401, 'unknown project key');

  // Timestamps.
  add('timestamps', 'an event at 1e20 ms', post(batchWith({ events: [{ type: 4, data: {}, timestamp: 1e20 }] }), keyed), 400, 'event 0 has an implausible timestamp');
  add('timestamps', 'an event at -5 ms', post(batchWith({ events: [{ type: 4, data: {}, timestamp: -5 }] }), keyed), 400, 'event 0 has an implausible timestamp');
  add('timestamps', 'an event at 0', post(batchWith({ events: [{ type: 4, data: {}, timestamp: 0 }] }), keyed), 400, 'event 0 has an implausible timestamp');
  add('timestamps', 'an event at 1e400 (beyond f64)', post(Buffer.from(batchWithEventsText(now, '[{"type":4,"data":{},"timestamp":1e400}]')), keyed), 400, 'event 0 is not an rrweb event');
  add('timestamps', 'an event timestamp as a string', post(batchWith({ events: [{ type: 4, data: {}, timestamp: String(now) }] }), keyed), 400, 'event 0 is not an rrweb event');
  add('timestamps', 'an event in seconds rather than milliseconds', post(batchWith({ events: [{ type: 4, data: {}, timestamp: Math.floor(now / 1000) }] }), keyed), 400, 'event 0 has an implausible timestamp');
  add('timestamps', 'sent_at of 1e20', post(Buffer.from(validText.replace(`"sent_at":${now}`, '"sent_at":1e20')), keyed), 400, 'invalid type');
  add('timestamps', 'sent_at above i64', post(Buffer.from(validText.replace(`"sent_at":${now}`, '"sent_at":99999999999999999999999')), keyed), 400, 'invalid batch json');
  add('timestamps', 'sent_at of -5', post(batchWith({ sent_at: -5 }), keyed), 400, 'sent_at is not a plausible');
  add('timestamps', 'sent_at in the year 2200', post(batchWith({ sent_at: Date.UTC(2200, 0, 1) }), keyed), 400, 'sent_at is not a plausible');

  // Session ids.
  add('session id', 'not a UUID', post(batchWith({ session_id: 'not-a-uuid' }), keyed), 400, 'session_id must be a uuid');
  add('session id', '10 KB long', post(batchWith({ session_id: 's'.repeat(10_240) }), keyed), 400, 'session_id must be a uuid');
  add('session id', 'a UUID followed by 10 KB', post(batchWith({ session_id: randomUUID() + 'f'.repeat(10_240) }), keyed), 400, 'session_id must be a uuid');
  add('session id', 'a UUID without dashes', post(batchWith({ session_id: randomUUID().replaceAll('-', '') }), keyed), 400, 'session_id must be a uuid');
  add('session id', 'a UUID in braces', post(batchWith({ session_id: `{${randomUUID()}}` }), keyed), 400, 'session_id must be a uuid');
  add('session id', 'empty', post(batchWith({ session_id: '' }), keyed), 400, 'session_id must be a uuid');
  add('session id', 'a path', post(batchWith({ session_id: '../../../../etc/passwd' }), keyed), 400, 'session_id must be a uuid');

  // Methods and content types. Any Content-Type is accepted (docs/api.md): sendBeacon and curl
  // send text/plain and form types, and the body decides.
  for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
    add('wrong method', `${method} /v1/batches`, post(method === 'GET' ? Buffer.alloc(0) : valid, { key, method }), 405, 'method not allowed');
  }
  add('wrong content type', 'a multipart form', post(Buffer.from('--b\r\nContent-Disposition: form-data; name="events"\r\n\r\n[]\r\n--b--\r\n'), { key, headers: { 'Content-Type': 'multipart/form-data; boundary=b' } }), 400, 'invalid batch json');
  add('wrong content type', 'a url-encoded form', post(Buffer.from('session_id=1&events=%5B%5D'), { key, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }), 400, 'invalid batch json');
  const asImage = accepted([], []);
  add('wrong content type', 'a valid batch labelled image/png', post(asImage.body, { key, headers: { 'Content-Type': 'image/png' } }), 200, undefined, asImage.expected);

  return cases;
}

/**
 * Valid small batches of one session, as fast as `concurrency` allows: the
 * project's rate limit answers 429 with Retry-After once its burst is spent.
 * @param {{key: string, now?: number}} options
 * @returns {FloodCase}
 */
export function floodCase({ key, now = Date.now() }) {
  const sessionId = randomUUID();
  return {
    name: 'a flood of valid batches on one project',
    covers: 'flood',
    request: (index) => post(json({ session_id: sessionId, window_id: 'flood', seq: index, sent_at: now, events: [{ type: 5, data: { tag: 'flood', payload: { index } }, timestamp: now + index }] }), { key }),
    status: 429,
    reason: 'rate limit exceeded',
    maxRequests: 5_000,
    concurrency: 32,
    refusals: 50,
  };
}

/**
 * The corpus as text, for logs: one line per case.
 * @param {HostileCase[]} cases
 */
export function describeCorpus(cases) {
  return cases.map((entry) => `${entry.status} ${entry.covers}: ${entry.name} (${entry.request.body.length} bytes)`).join('\n');
}


/**
 * Hours-long recordings made from a real one: the first page of a demo visit
 * recorded by the real recorder in Chromium (lib/demo.mjs), stretched in time
 * as the recorder would have recorded a long visit of that page.
 *
 * Every `SEGMENT_MS` (5 min, as the recorder re-snapshots) the recording opens
 * again with the page's Meta and FullSnapshot, followed by the page's own
 * incremental events; the rest of the segment repeats its mouse moves and
 * scrolls with shifted timestamps. A marker element added
 * to the page's body tells the minute apart: the FullSnapshot of segment k
 * holds the text `snapshot-k`, and at each whole minute m (+1 s) an
 * incremental text mutation sets it to `minute-m`. So the replayed DOM at any
 * moment says which minute it is, and only when the snapshot before it and
 * the mutations after that snapshot were both applied.
 *
 * The events are cut into batches of `BATCH_MS` (5 s) of client time, as the
 * recorder sends them, and posted in seq order through `POST /v1/batches`.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEMO_KEY } from './api.mjs';

export const SEGMENT_MS = 5 * 60_000;
export const BATCH_MS = 5_000;
export const MINUTE_MS = 60_000;
/** The marker element's id in the replayed page. */
export const MARKER_ID = 'playback-minute-marker';
/** The marker mutation lands this long after each whole minute. */
const MARKER_LAG_MS = 1_000;
/** Node ids of the marker element and its text, far above the page's own. */
const MARKER_NODE = 9_000_000;
const MARKER_TEXT_NODE = 9_000_001;

const TYPE_FULL_SNAPSHOT = 2;
const TYPE_INCREMENTAL = 3;
const TYPE_META = 4;
const SOURCE_MUTATION = 0;
/**
 * Incremental sources repeated to fill a segment: mouse moves and scrolls, which can be played
 * again on the same DOM. The page's clicks and inputs come once per segment, after its snapshot,
 * so the transcript has a visit's worth of actions every 5 minutes, not a burst every few seconds.
 */
const REPEATABLE_SOURCES = new Set([1, 3]);

/**
 * @typedef {object} LongRecording
 * @property {string} sessionId
 * @property {string} windowId
 * @property {number} start client timestamp of the first event
 * @property {number} durationMs
 * @property {any[]} events every event, in order
 * @property {Array<{session_id: string, window_id: string, seq: number, events: any[]}>} batches
 */

/**
 * The marker text the replay shows `offsetMs` into a long recording.
 * @param {number} offsetMs
 */
export function markerAt(offsetMs) {
  const minute = Math.floor(offsetMs / MINUTE_MS);
  if (offsetMs - minute * MINUTE_MS > MARKER_LAG_MS) return `minute-${minute}`;
  if (minute === 0) return 'snapshot-0';
  // Between a whole minute and its mutation: the previous minute, or the segment's snapshot.
  return minute % (SEGMENT_MS / MINUTE_MS) === 0 ? `snapshot-${minute / (SEGMENT_MS / MINUTE_MS)}` : `minute-${minute - 1}`;
}

/**
 * Stretches the first page of a real recording to `durationMs`, ending at `endAt` on the client clock.
 * @param {any[]} realEvents one window's events as the recorder sent them
 * @param {{durationMs: number, endAt?: number}} options
 * @returns {LongRecording}
 */
export function buildLongRecording(realEvents, { durationMs, endAt = Date.now() }) {
  const metaIndex = realEvents.findIndex((event) => event.type === TYPE_META);
  const snapshotIndex = realEvents.findIndex((event, index) => index > metaIndex && event.type === TYPE_FULL_SNAPSHOT);
  if (metaIndex < 0 || snapshotIndex < 0) throw new Error('the real recording has no Meta + FullSnapshot');
  const meta = realEvents[metaIndex];
  const snapshot = realEvents[snapshotIndex];
  /** The first page's incremental events, with their time after the snapshot. */
  const page = [];
  for (let index = snapshotIndex + 1; index < realEvents.length; index++) {
    const event = realEvents[index];
    if (event.type === TYPE_META) break;
    if (event.type !== TYPE_INCREMENTAL) continue;
    page.push({ event, after: Math.max(1, event.timestamp - snapshot.timestamp) });
  }
  const repeatable = page.filter(({ event }) => REPEATABLE_SOURCES.has(event.data?.source));
  const pageSpan = Math.max(1_000, ...page.map(({ after }) => after + 10));
  if (repeatable.length === 0) throw new Error('the real recording has no mouse moves or scrolls to repeat');

  const start = endAt - durationMs;
  /** @type {any[]} */
  const events = [];
  for (let segment = 0; segment * SEGMENT_MS < durationMs; segment++) {
    const segmentStart = start + segment * SEGMENT_MS;
    const segmentEnd = Math.min(start + durationMs, segmentStart + SEGMENT_MS);
    events.push({ ...structuredClone(meta), timestamp: segmentStart });
    events.push({ ...markedSnapshot(snapshot, `snapshot-${segment}`), timestamp: segmentStart });
    for (const { event, after } of page) {
      if (segmentStart + after >= segmentEnd) break;
      events.push({ ...structuredClone(event), timestamp: segmentStart + after });
    }
    for (let round = segmentStart + pageSpan; round < segmentEnd; round += pageSpan) {
      for (const { event, after } of repeatable) {
        if (round + after >= segmentEnd) break;
        events.push({ ...structuredClone(event), timestamp: round + after });
      }
    }
    for (let minute = segment * (SEGMENT_MS / MINUTE_MS); start + minute * MINUTE_MS < segmentEnd; minute++) {
      const timestamp = start + minute * MINUTE_MS + MARKER_LAG_MS;
      if (timestamp >= segmentEnd) break;
      events.push(markerMutation(`minute-${minute}`, timestamp));
    }
  }
  // Stable: the Meta stays before its FullSnapshot at the same timestamp.
  events.sort((a, b) => a.timestamp - b.timestamp);
  const last = events[events.length - 1];
  if (last.timestamp < start + durationMs) {
    events.push({ ...structuredClone(repeatable[0].event), timestamp: start + durationMs });
  }

  const sessionId = randomUUID();
  const windowId = randomUUID().replace(/-/g, '');
  /** @type {LongRecording['batches']} */
  const batches = [];
  let current = /** @type {any[]} */ ([]);
  let bucket = 0;
  const close = () => {
    if (current.length === 0) return;
    batches.push({ session_id: sessionId, window_id: windowId, seq: batches.length, events: current });
    current = [];
  };
  for (const event of events) {
    const eventBucket = Math.floor((event.timestamp - start) / BATCH_MS);
    if (eventBucket !== bucket) {
      close();
      bucket = eventBucket;
    }
    current.push(event);
  }
  close();
  return { sessionId, windowId, start, durationMs, events, batches };
}

/**
 * The FullSnapshot with the marker element appended to its body.
 * @param {any} snapshot
 * @param {string} text
 */
function markedSnapshot(snapshot, text) {
  const copy = structuredClone(snapshot);
  const body = findElement(copy.data.node, 'body');
  if (!body) throw new Error('the FullSnapshot has no body');
  body.childNodes.push({
    type: 2,
    tagName: 'div',
    attributes: { id: MARKER_ID, style: 'position:fixed;top:0;right:0;padding:4px;background:#ff0;font:16px monospace' },
    childNodes: [{ type: 3, textContent: text, id: MARKER_TEXT_NODE }],
    id: MARKER_NODE,
  });
  return copy;
}

/**
 * @param {any} node an rrweb serialized node
 * @param {string} tagName
 * @returns {any}
 */
function findElement(node, tagName) {
  if (node.type === 2 && node.tagName === tagName) return node;
  for (const child of node.childNodes ?? []) {
    const found = findElement(child, tagName);
    if (found) return found;
  }
  return null;
}

/**
 * @param {string} text
 * @param {number} timestamp
 */
function markerMutation(text, timestamp) {
  return {
    type: TYPE_INCREMENTAL,
    data: { source: SOURCE_MUTATION, texts: [{ id: MARKER_TEXT_NODE, value: text }], attributes: [], removes: [], adds: [] },
    timestamp,
  };
}

/**
 * Posts the batches in seq order, as fast as the gateway takes them; a 429 or
 * 503 is sent again after its Retry-After. `sent_at` is the clock at posting,
 * so the clock offset is about 0 and the session's times are the recording's.
 * @param {string} baseUrl
 * @param {LongRecording['batches']} batches
 * @param {{key?: string}} [options]
 */
export async function postBatches(baseUrl, batches, options = {}) {
  for (const batch of batches) {
    for (let attempt = 0; ; attempt++) {
      const response = await fetch(`${baseUrl}/v1/batches`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Playback-Key': options.key ?? DEMO_KEY },
        body: JSON.stringify({ ...batch, sent_at: Date.now() }),
      });
      const text = await response.text();
      if (response.status === 200) break;
      if ((response.status === 429 || response.status === 503) && attempt < 50) {
        const seconds = Number(response.headers.get('retry-after'));
        await sleep(Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, 2_000) : 200);
        continue;
      }
      throw new Error(`POST /v1/batches (seq ${batch.seq}) answered ${response.status}: ${text.slice(0, 300)}`);
    }
  }
}

/**
 * Bytes of the whole recording as `GET …/recording` sends it (the baseline for what a player downloads).
 * @param {string} baseUrl
 * @param {string} sessionId
 * @param {string} token
 */
export async function wholeRecordingBytes(baseUrl, sessionId, token) {
  const response = await fetch(`${baseUrl}/v1/sessions/${sessionId}/recording`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (response.status !== 200) throw new Error(`GET …/recording answered ${response.status}`);
  return (await response.arrayBuffer()).byteLength;
}

/**
 * The marker text in the replay frame of a Playback session page (or any page
 * whose replay iframe is in `frameSelector`), or null before the frame shows it.
 * @param {import('playwright-core').Page} page
 * @param {string} [frameSelector]
 * @returns {Promise<string | null>}
 */
export function readMarker(page, frameSelector = '#player iframe') {
  return page.evaluate(
    ({ frameSelector, id }) => {
      const frame = /** @type {HTMLIFrameElement | null} */ (document.querySelector(frameSelector));
      return frame?.contentDocument?.getElementById(id)?.textContent ?? null;
    },
    { frameSelector, id: MARKER_ID },
  );
}

/**
 * Waits for the manifest of a long recording to list every batch posted.
 * @param {import('./api.mjs').Api} api
 * @param {LongRecording} recording
 * @param {number} [timeout]
 */
export async function waitForArchive(api, recording, timeout = 120_000) {
  const deadline = Date.now() + timeout;
  let last = '';
  for (;;) {
    const response = await api.get(`/v1/sessions/${recording.sessionId}/recording/manifest`);
    if (response.status === 200 && response.json.complete && response.json.archived_events === recording.events.length) {
      return response.json;
    }
    last = `${response.status} ${response.text.slice(0, 200)}`;
    if (Date.now() > deadline) throw new Error(`recording ${recording.sessionId} not archived after ${timeout} ms; last: ${last}`);
    await sleep(500);
  }
}

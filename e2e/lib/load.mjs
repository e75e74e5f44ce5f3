/**
 * Synthetic recorder traffic: many sessions, each posting its batches in
 * order to `POST /v1/batches` as the recorder does (recorder/src/transport.ts),
 * and a record of every batch the gateway acknowledged.
 *
 * A batch answered 408, 429 or 5xx, or lost at the network level, is sent
 * again after its Retry-After (capped) or a backoff, until it is acknowledged:
 * it is never skipped. Any other answer throws. Each attempt carries a fresh
 * `sent_at`, as the recorder encodes a batch again for every attempt.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEMO_KEY, DEMO_PROJECT } from './api.mjs';

/** The longest wait honoured from a Retry-After header. */
export const RETRY_AFTER_CAP_MS = 5_000;
/** Backoff after a retryable answer without Retry-After: doubles from this... */
export const BACKOFF_BASE_MS = 250;
/** ...up to this. */
export const BACKOFF_MAX_MS = 5_000;
/** A request not answered within this is treated as lost at the network level. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** The tag of the custom event that identifies each batch. */
export const MARKER_TAG = 'marker';

/** The nodes of the FullSnapshot every session starts with. */
const NODE = { html: 2, body: 5, buyButton: 7, cartButton: 9, emailInput: 11 };

/**
 * @typedef {object} AcknowledgedBatch
 * @property {string} project_id
 * @property {string} session_id
 * @property {string} window_id
 * @property {number} seq
 * @property {number} events the number of rrweb events in the batch
 * @property {number[]} transcript the index of every event of the batch that makes a transcript row
 */

/**
 * @typedef {object} LoadStats
 * @property {number} sent requests sent, retries and duplicates included
 * @property {number} acknowledged batches answered 200 (duplicates not counted)
 * @property {number} retried requests sent again after a retryable answer or a network error
 * @property {Record<string, number>} statuses answers by status code, `network` for no answer
 */

/**
 * @typedef {object} Load
 * @property {() => Promise<void>} stop stops sending new batches and waits until the batches in flight are acknowledged (retries included)
 * @property {Promise<void>} done resolves when every session sent all its batches
 * @property {() => AcknowledgedBatch[]} acknowledged every acknowledged batch, in the order of acknowledgement
 * @property {() => LoadStats} stats
 */

/**
 * A small valid DOM: a page with two buttons and an email field.
 * @param {string} href
 */
function fullSnapshot(href) {
  const text = (/** @type {number} */ id, /** @type {string} */ content) => ({ type: 3, textContent: content, id });
  return {
    node: {
      type: 0,
      id: 1,
      childNodes: [
        {
          type: 2,
          tagName: 'html',
          attributes: {},
          id: NODE.html,
          childNodes: [
            { type: 2, tagName: 'head', attributes: {}, childNodes: [{ type: 2, tagName: 'title', attributes: {}, childNodes: [text(4, 'Load')], id: 3 }], id: 12 },
            {
              type: 2,
              tagName: 'body',
              attributes: {},
              id: NODE.body,
              childNodes: [
                { type: 2, tagName: 'button', attributes: { id: 'buy' }, childNodes: [text(6, 'Buy')], id: NODE.buyButton },
                { type: 2, tagName: 'button', attributes: { id: 'cart' }, childNodes: [text(8, 'Cart')], id: NODE.cartButton },
                { type: 2, tagName: 'label', attributes: { for: 'email' }, childNodes: [text(10, 'Email')], id: 13 },
                { type: 2, tagName: 'input', attributes: { id: 'email', type: 'email', value: '' }, childNodes: [], id: NODE.emailInput },
              ],
            },
          ],
        },
      ],
    },
    initialOffset: { left: 0, top: 0 },
  };
}

/**
 * The events of batch `seq` of a session and which of them make a transcript
 * row: batch 0 opens with Meta (a page view) and a FullSnapshot; every batch
 * has the marker, a mouse move, a scroll, a click (alternating between two
 * buttons, so never a rage click; the input right after it is its reaction,
 * so never a dead click) and an input change.
 * @param {string} sessionId
 * @param {number} seq
 * @param {number} timestamp the client's clock
 */
export function loadBatchEvents(sessionId, seq, timestamp) {
  /** @type {any[]} */
  const events = [];
  /** @type {number[]} */
  const transcript = [];
  if (seq === 0) {
    const href = `https://load.example/${sessionId}`;
    transcript.push(events.length);
    events.push({ type: 4, data: { href, width: 1280, height: 720 }, timestamp });
    events.push({ type: 2, data: fullSnapshot(href), timestamp });
  }
  transcript.push(events.length);
  events.push({ type: 5, data: { tag: MARKER_TAG, payload: { seq } }, timestamp });
  events.push({ type: 3, data: { source: 1, positions: [{ x: 10 + seq, y: 20, id: NODE.body, timeOffset: 0 }] }, timestamp: timestamp + 1 });
  events.push({ type: 3, data: { source: 3, id: NODE.html, x: 0, y: seq * 10 }, timestamp: timestamp + 2 });
  transcript.push(events.length);
  const button = seq % 2 === 0 ? NODE.buyButton : NODE.cartButton;
  events.push({ type: 3, data: { source: 2, type: 2, id: button, x: 40, y: 60, pointerType: 0 }, timestamp: timestamp + 3 });
  transcript.push(events.length);
  events.push({ type: 3, data: { source: 5, id: NODE.emailInput, text: '*'.repeat(8), isChecked: false }, timestamp: timestamp + 4 });
  return { events, transcript };
}

/**
 * The project id of `key` in the records: the demo project for DEMO_KEY,
 * else the key without its `pk_` prefix, as e2e configs name their projects.
 * @param {string} key
 */
function projectOf(key) {
  return key === DEMO_KEY ? DEMO_PROJECT : key.replace(/^pk_/, '');
}

/**
 * The wait before attempt `attempt + 1`: Retry-After when the answer has one,
 * else an exponential backoff with jitter.
 * @param {string | null} retryAfter
 * @param {number} attempt
 */
function retryDelay(retryAfter, attempt) {
  const seconds = retryAfter === null ? NaN : Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) {
    return Math.min(Math.max(seconds * 1000, 250), RETRY_AFTER_CAP_MS);
  }
  const bound = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 20));
  return bound / 2 + (bound / 2) * Math.random();
}

/**
 * Starts the sessions; each posts `batchesPerSession` batches, one every
 * `intervalMs` after the previous one was acknowledged.
 * @param {object} options
 * @param {string} options.url the server's base URL
 * @param {number} [options.sessions]
 * @param {number} [options.batchesPerSession]
 * @param {number} [options.intervalMs]
 * @param {string} [options.key] the project key
 * @param {number} [options.clockSkewMs] added to every client timestamp and `sent_at` (a client with a wrong clock)
 * @param {number} [options.duplicateEvery] every n-th acknowledged batch is posted a second time (0: never)
 * @param {string | null} [options.acknowledgedFile] each acknowledged batch is appended to it as a JSON line
 * @returns {Load}
 */
export function startLoad({
  url,
  sessions = 20,
  batchesPerSession = 30,
  intervalMs = 300,
  key = DEMO_KEY,
  clockSkewMs = 0,
  duplicateEvery = 0,
  acknowledgedFile = null,
}) {
  const endpoint = `${url.replace(/\/+$/, '')}/v1/batches`;
  const projectId = projectOf(key);
  const clientNow = () => Date.now() + clockSkewMs;
  /** @type {AcknowledgedBatch[]} */
  const records = [];
  /** @type {LoadStats} */
  const stats = { sent: 0, acknowledged: 0, retried: 0, statuses: {} };
  const stopping = new AbortController();

  /** @param {string} status */
  const count = (status) => {
    stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
  };

  /**
   * Posts one batch until an answer that is not retryable; returns true when
   * it was acknowledged (200), throws on any other final answer.
   * @param {{session_id: string, window_id: string, seq: number, events: any[]}} batch
   */
  async function deliver(batch) {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) {
        stats.retried++;
      }
      const body = JSON.stringify({ session_id: batch.session_id, window_id: batch.window_id, seq: batch.seq, sent_at: clientNow(), events: batch.events });
      stats.sent++;
      /** @type {Response | null} */
      let response = null;
      let text = '';
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-Playback-Key': key },
          body,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        text = await response.text();
      } catch {
        response = null;
      }
      if (response === null) {
        count('network');
        await sleep(retryDelay(null, attempt));
        continue;
      }
      count(String(response.status));
      if (response.status === 200) {
        return;
      }
      if (response.status === 408 || response.status === 429 || response.status >= 500) {
        await sleep(retryDelay(response.headers.get('Retry-After'), attempt));
        continue;
      }
      throw new Error(`batch ${batch.session_id}/${batch.seq} answered ${response.status}: ${text.slice(0, 500)}`);
    }
  }

  /** @param {AcknowledgedBatch} record */
  const acknowledge = (record) => {
    records.push(record);
    stats.acknowledged++;
    if (acknowledgedFile !== null) {
      appendFileSync(acknowledgedFile, `${JSON.stringify(record)}\n`);
    }
  };

  /** @param {number} index */
  async function runSession(index) {
    const sessionId = randomUUID();
    const windowId = `load-${sessionId.slice(0, 8)}`;
    // Sessions start spread over one interval rather than all at once.
    await sleep((index / sessions) * intervalMs, undefined, { signal: stopping.signal }).catch(() => {});
    for (let seq = 0; seq < batchesPerSession && !stopping.signal.aborted; seq++) {
      if (seq > 0) {
        await sleep(intervalMs, undefined, { signal: stopping.signal }).catch(() => {});
        if (stopping.signal.aborted) {
          break;
        }
      }
      const { events, transcript } = loadBatchEvents(sessionId, seq, clientNow());
      const batch = { session_id: sessionId, window_id: windowId, seq, events };
      await deliver(batch);
      acknowledge({ project_id: projectId, session_id: sessionId, window_id: windowId, seq, events: events.length, transcript });
      if (duplicateEvery > 0 && stats.acknowledged % duplicateEvery === 0) {
        await deliver(batch);
      }
    }
  }

  const running = Array.from({ length: sessions }, (_, index) => runSession(index));
  const done = Promise.all(running).then(() => undefined);
  // The caller may only ever call stop(); a failure is reported there too.
  done.catch(() => {});

  return {
    async stop() {
      stopping.abort();
      const settled = await Promise.allSettled(running);
      const failed = settled.find((result) => result.status === 'rejected');
      if (failed !== undefined) {
        throw /** @type {PromiseRejectedResult} */ (failed).reason;
      }
    },
    done,
    acknowledged: () => records.map((record) => ({ ...record, transcript: [...record.transcript] })),
    stats: () => ({ ...stats, statuses: { ...stats.statuses } }),
  };
}

/**
 * A steady synthetic load: many sessions posting rrweb batches at once, each in order, retried
 * as the recorder retries them. Every batch answered 200 is recorded as acknowledged, in the
 * format `playback verify` reads.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEMO_KEY } from './api.mjs';

/** The recorder's backoff (recorder/src/backoff.ts): about 1 s, doubling, at most 60 s, jittered. */
const BACKOFF_BASE_MS = 1000;
const BACKOFF_MAX_MS = 60_000;
/** Each request gives up after this long and is sent again, like a recorder's timed-out fetch. */
const REQUEST_TIMEOUT_MS = 20_000;

/**
 * @typedef {object} Acknowledged
 * @property {string} project_id
 * @property {string} session_id
 * @property {string} window_id
 * @property {number} seq
 * @property {number} events how many rrweb events the batch held
 * @property {number[]} transcript the index of every event that must have a transcript row
 */

/**
 * The rrweb events of batch `seq`: Meta and a FullSnapshot first, then one custom marker event
 * (which always has a transcript row) and incremental events on the snapshot's nodes.
 * @param {string} sessionId
 * @param {number} seq
 * @param {number} now client time
 * @returns {{events: any[], transcript: number[]}}
 */
function batchEvents(sessionId, seq, now) {
  /** @type {any[]} */
  const events = [];
  if (seq === 0) {
    events.push({ type: 4, data: { href: `https://load.example/${sessionId}`, width: 1280, height: 720 }, timestamp: now });
    events.push({
      type: 2,
      timestamp: now,
      data: {
        node: {
          type: 0,
          id: 1,
          childNodes: [
            { type: 2, id: 2, tagName: 'button', attributes: { id: 'buy' }, childNodes: [{ type: 3, id: 3, textContent: 'Buy' }] },
            { type: 2, id: 4, tagName: 'input', attributes: { name: 'q' }, childNodes: [] },
          ],
        },
        initialOffset: { top: 0, left: 0 },
      },
    });
  }
  const transcript = [events.length];
  events.push({ type: 5, data: { tag: 'marker', payload: { seq } }, timestamp: now + 1 });
  events.push({ type: 3, data: { source: 1, positions: [{ x: 10 + (seq % 500), y: 20, id: 2, timeOffset: 0 }] }, timestamp: now + 2 });
  events.push({ type: 3, data: { source: 3, id: 1, x: 0, y: seq * 10 }, timestamp: now + 3 });
  if (seq % 3 === 1) {
    events.push({ type: 3, data: { source: 2, type: 2, id: 2, x: 5, y: 5 }, timestamp: now + 4 });
  }
  if (seq % 3 === 2) {
    events.push({ type: 3, data: { source: 5, id: 4, text: `q${seq}`, isChecked: false }, timestamp: now + 4 });
  }
  return { events, transcript };
}

/**
 * Starts the load.
 * @param {object} options
 * @param {string} options.url the gateway's base URL
 * @param {number} [options.sessions] sessions recorded at once
 * @param {number} [options.batchesPerSession]
 * @param {number} [options.intervalMs] pause between a session's batches
 * @param {string} [options.key] project key
 * @param {number} [options.clockSkewMs] how far the clients' clocks are off
 * @param {number} [options.duplicateEvery] post every n-th acknowledged batch a second time
 * @param {string | null} [options.acknowledgedFile] JSON lines of acknowledged batches
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
  let stopping = false;
  /** @type {Record<string, number>} */
  const statuses = {};
  const stats = { sent: 0, acknowledged: 0, retried: 0, statuses };
  /** @type {Acknowledged[]} */
  const acknowledged = [];
  const clientNow = () => Date.now() + clockSkewMs;

  /**
   * Posts one batch until it is answered with something other than 408, 429, 5xx or a network
   * error; returns that status. A retried batch keeps its events and gets a fresh sent_at.
   * @param {string} sessionId
   * @param {string} windowId
   * @param {number} seq
   * @param {any[]} events
   */
  async function post(sessionId, windowId, seq, events) {
    for (let attempt = 0; ; attempt++) {
      const body = JSON.stringify({ session_id: sessionId, window_id: windowId, seq, sent_at: clientNow(), events });
      let status = 0;
      let retryAfterMs = 0;
      stats.sent++;
      try {
        const response = await fetch(`${url}/v1/batches`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-Playback-Key': key },
          body,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        status = response.status;
        const retryAfter = response.headers.get('Retry-After');
        retryAfterMs = retryAfter === null ? -1 : Number(retryAfter) * 1000;
        const text = await response.text();
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status === 200 || (status < 500 && status !== 408 && status !== 429)) {
          if (status !== 200) {
            throw new Error(`batch ${sessionId}/${seq} answered ${status}: ${text}`);
          }
          return status;
        }
      } catch (error) {
        if (status !== 0) {
          throw error;
        }
        statuses.network = (statuses.network ?? 0) + 1;
      }
      stats.retried++;
      // As the recorder does: 429 and 503 wait for their Retry-After, the rest back off.
      const bound = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 30));
      const backoff = bound / 2 + (bound / 2) * Math.random();
      const honoured = (status === 429 || status === 503) && retryAfterMs >= 0;
      await sleep(honoured ? Math.max(retryAfterMs, 250) : backoff);
    }
  }

  /** @param {string} sessionId */
  async function runSession(sessionId) {
    const windowId = `tab-${sessionId.slice(0, 8)}`;
    for (let seq = 0; seq < batchesPerSession && !stopping; seq++) {
      const { events, transcript } = batchEvents(sessionId, seq, clientNow());
      await post(sessionId, windowId, seq, events);
      /** @type {Acknowledged} */
      const batch = { project_id: 'demo', session_id: sessionId, window_id: windowId, seq, events: events.length, transcript };
      acknowledged.push(batch);
      stats.acknowledged++;
      if (acknowledgedFile !== null) {
        appendFileSync(acknowledgedFile, `${JSON.stringify(batch)}\n`);
      }
      if (duplicateEvery > 0 && stats.acknowledged % duplicateEvery === 0) {
        await post(sessionId, windowId, seq, events);
      }
      await sleep(intervalMs);
    }
  }

  const done = Promise.all(Array.from({ length: sessions }, () => runSession(randomUUID()))).then(() => {});
  return {
    done,
    /** Stops starting new batches and waits for those in flight, retries included. */
    async stop() {
      stopping = true;
      await done;
    },
    acknowledged: () => [...acknowledged],
    stats: () => ({ ...stats, statuses: { ...stats.statuses } }),
  };
}

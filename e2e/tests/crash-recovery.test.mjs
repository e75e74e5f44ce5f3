/**
 * SIGKILL in the middle of ingest loses no acknowledged batch: every batch
 * answered 200 before the crash is, after a restart on the same data
 * directory, in the transcript and in the recording exactly once.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import test from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Api, DEMO_KEY, waitFor } from '../lib/api.mjs';
import { startServer, step, withServerLog } from '../lib/server.mjs';

const SESSIONS = 20;
/** More than the senders can post before the kill, so that every sender has a request in flight. */
const BATCHES_PER_SESSION = 500;
/** The kill comes once this many batches are acknowledged, however fast the machine is. */
const ACKNOWLEDGED_BEFORE_KILL = 300;
const MARKER_TAG = 'marker';

/**
 * The events of batch `seq`: Meta first in the window, then the marker that
 * identifies the batch and some incremental events.
 * @param {string} sessionId
 * @param {number} seq
 */
function batchEvents(sessionId, seq) {
  const timestamp = Date.now();
  /** @type {any[]} */
  const events = [];
  if (seq === 0) {
    events.push({ type: 4, data: { href: `https://load.example/${sessionId}`, width: 1280, height: 720 }, timestamp });
  }
  events.push({ type: 5, data: { tag: MARKER_TAG, payload: { seq } }, timestamp });
  events.push({ type: 3, data: { source: 1, positions: [{ x: 10 + seq, y: 20, id: 1, timeOffset: 0 }] }, timestamp: timestamp + 1 });
  events.push({ type: 3, data: { source: 3, id: 1, x: 0, y: seq * 10 }, timestamp: timestamp + 2 });
  return events;
}

/** Requests sent and not answered yet, across all sessions. */
let inFlight = 0;

/**
 * Posts the batches of one session in order until they are all sent or the
 * server is gone. Like the recorder, a batch answered 408, 429 or 5xx is
 * sent again (after its Retry-After, at most a second).
 * @param {string} url
 * @param {string} sessionId
 * @param {() => boolean} stopped
 * @param {(seq: number) => void} acknowledged
 */
async function sendSession(url, sessionId, stopped, acknowledged) {
  const windowId = `load-${sessionId.slice(0, 8)}`;
  for (let seq = 0; seq < BATCHES_PER_SESSION && !stopped(); ) {
    const body = JSON.stringify({ session_id: sessionId, window_id: windowId, seq, sent_at: Date.now(), events: batchEvents(sessionId, seq) });
    let response;
    let text;
    inFlight++;
    try {
      response = await fetch(`${url}/v1/batches`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Playback-Key': DEMO_KEY },
        body,
      });
      text = await response.text();
    } catch {
      return;
    } finally {
      inFlight--;
    }
    if (response.status === 200) {
      acknowledged(seq);
      seq++;
    } else if (response.status === 408 || response.status === 429 || response.status >= 500) {
      const retryAfter = Number(response.headers.get('Retry-After') ?? '0.1');
      await sleep(Math.min(Math.max(retryAfter, 0.05), 1) * 1000);
    } else {
      throw new Error(`batch ${sessionId}/${seq} answered ${response.status}: ${text}`);
    }
  }
}

/**
 * How often each marker seq appears in a session's transcript and recording.
 * @param {Api} api
 * @param {string} sessionId
 */
async function markerCounts(api, sessionId) {
  /** @type {Map<number, number>} */
  const inEvents = new Map();
  /** @type {Map<number, number>} */
  const inRecording = new Map();
  const sessionResponse = await api.get(`/v1/sessions/${sessionId}`);
  if (sessionResponse.status === 404) {
    return { inEvents, inRecording };
  }
  for (const event of await api.events(sessionId)) {
    if (event.kind === 'custom' && event.name === MARKER_TAG) {
      const seq = Number(event.props?.seq);
      inEvents.set(seq, (inEvents.get(seq) ?? 0) + 1);
    }
  }
  for (const tab of await api.recording(sessionId)) {
    for (const event of tab.events) {
      if (event.type === 5 && event.data?.tag === MARKER_TAG) {
        const seq = Number(event.data.payload?.seq);
        inRecording.set(seq, (inRecording.get(seq) ?? 0) + 1);
      }
    }
  }
  return { inEvents, inRecording };
}

test('SIGKILL during ingest loses and duplicates no acknowledged batch', { timeout: 240_000 }, async (t) => {
  const server = await startServer(t);

  await withServerLog(server, async () => {
    const sessionIds = Array.from({ length: SESSIONS }, () => randomUUID());
    /** @type {Map<string, Set<number>>} */
    const acknowledged = new Map(sessionIds.map((id) => [id, new Set()]));
    let killed = false;
    const url = server.url;

    const load = Promise.all(
      sessionIds.map((id) => sendSession(url, id, () => killed, (seq) => acknowledged.get(id)?.add(seq))),
    );
    const acknowledgedSoFar = () => [...acknowledged.values()].reduce((sum, seqs) => sum + seqs.size, 0);
    await waitFor(async () => acknowledgedSoFar() >= ACKNOWLEDGED_BEFORE_KILL, {
      timeout: 60_000,
      interval: 5,
      message: `${ACKNOWLEDGED_BEFORE_KILL} batches acknowledged before the kill`,
    });
    killed = true;
    const inFlightAtKill = inFlight;
    await server.kill('SIGKILL');
    await load;

    const total = [...acknowledged.values()].reduce((sum, seqs) => sum + seqs.size, 0);
    console.log(`crash recovery: SIGKILL with ${inFlightAtKill} requests in flight; ${total} batches acknowledged in ${SESSIONS} sessions`);
    assert.ok(inFlightAtKill > 0, 'requests were in flight at the kill');
    assert.ok(total > 0, 'some batches were acknowledged before the kill');
    assert.ok(total < SESSIONS * BATCHES_PER_SESSION, 'the kill came while batches were still being sent');

    await server.restart();
    const api = new Api(server.url);

    await step(t, server, 'every acknowledged batch is in the transcript and the recording exactly once', async () => {
      /** @type {Map<string, Awaited<ReturnType<typeof markerCounts>>>} */
      const counts = new Map();
      await waitFor(
        async () => {
          for (const [sessionId, seqs] of acknowledged) {
            if (seqs.size === 0) {
              continue;
            }
            const found = await markerCounts(api, sessionId);
            counts.set(sessionId, found);
            for (const seq of seqs) {
              assert.ok(found.inEvents.has(seq), `batch ${sessionId}/${seq} is not in the transcript yet`);
              assert.ok(found.inRecording.has(seq), `batch ${sessionId}/${seq} is not in the recording yet`);
            }
          }
          return true;
        },
        { timeout: 90_000, interval: 1000, message: 'the restarted server has every acknowledged batch' },
      );

      let found = 0;
      let lost = 0;
      /** @type {string[]} */
      const duplicated = [];
      for (const [sessionId, seqs] of acknowledged) {
        const session = counts.get(sessionId);
        for (const seq of seqs) {
          const inEvents = session?.inEvents.get(seq) ?? 0;
          const inRecording = session?.inRecording.get(seq) ?? 0;
          if (inEvents > 0 && inRecording > 0) {
            found++;
          } else {
            lost++;
          }
          if (inEvents > 1 || inRecording > 1) {
            duplicated.push(`${sessionId}/${seq} (events ${inEvents}, recording ${inRecording})`);
          }
        }
        // Batches in flight at the kill may or may not have made it, but none may appear twice.
        for (const [seq, count] of [...(session?.inEvents ?? []), ...(session?.inRecording ?? [])]) {
          if (count > 1 && !seqs.has(seq)) {
            duplicated.push(`${sessionId}/${seq} (unacknowledged, ${count} times)`);
          }
        }
      }
      console.log(`crash recovery: acknowledged=${total} found=${found} lost=${lost} duplicated=${duplicated.length}`);
      assert.equal(lost, 0, 'lost batches');
      assert.deepEqual(duplicated, [], 'duplicated batches');
      assert.equal(found, total);
    });
  });
});

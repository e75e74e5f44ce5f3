/**
 * The load generator (lib/load.mjs) against a fake gateway that scripts its
 * answers: retries, duplicates, clock skew, failures and stop().
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { MARKER_TAG, startLoad } from '../lib/load.mjs';

/**
 * @typedef {object} Received
 * @property {any} body
 * @property {string | undefined} key
 * @property {number} at
 */

/**
 * A gateway whose answer to each request `answer` decides: a status with
 * headers, or `destroy` to drop the connection without an answer.
 * @param {(body: any, attempt: number) => {status: number, headers?: Record<string, string>} | 'destroy'} answer
 *   `attempt` counts the requests of the same (session, seq) before this one
 */
async function fakeGateway(answer) {
  /** @type {Received[]} */
  const received = [];
  /** @type {Map<string, number>} */
  const attempts = new Map();
  const server = createServer((request, response) => {
    const chunks = /** @type {Buffer[]} */ ([]);
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const id = `${body.session_id}/${body.seq}`;
      const attempt = attempts.get(id) ?? 0;
      attempts.set(id, attempt + 1);
      const key = request.headers['x-playback-key'];
      received.push({ body, key: typeof key === 'string' ? key : undefined, at: Date.now() });
      const decided = answer(body, attempt);
      if (decided === 'destroy') {
        request.socket.destroy();
        return;
      }
      response.writeHead(decided.status, { 'Content-Type': 'application/json', ...decided.headers });
      response.end(decided.status === 200 ? JSON.stringify({ accepted: body.events.length }) : JSON.stringify({ error: 'scripted' }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}`,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}

const OK = { status: 200 };

test('retryable answers and dropped connections are retried until acknowledged, in order, never skipped', async (t) => {
  // seq 1: 429 with Retry-After, then 200; seq 2: no answer, then 503 without Retry-After, then 200.
  const gateway = await fakeGateway((body, attempt) => {
    if (body.seq === 1 && attempt === 0) {
      return { status: 429, headers: { 'Retry-After': '0' } };
    }
    if (body.seq === 2 && attempt === 0) {
      return 'destroy';
    }
    if (body.seq === 2 && attempt === 1) {
      return { status: 503 };
    }
    return OK;
  });
  t.after(() => gateway.close());
  const load = startLoad({ url: gateway.url, sessions: 2, batchesPerSession: 4, intervalMs: 10 });
  await load.done;

  const acknowledged = load.acknowledged();
  assert.equal(acknowledged.length, 8);
  for (const sessionId of new Set(acknowledged.map((batch) => batch.session_id))) {
    assert.deepEqual(acknowledged.filter((batch) => batch.session_id === sessionId).map((batch) => batch.seq), [0, 1, 2, 3]);
  }
  assert.deepEqual(load.stats(), { sent: 14, acknowledged: 8, retried: 6, statuses: { 200: 8, 429: 2, 503: 2, network: 2 } });
  // A session sends its next batch only once the previous one is acknowledged.
  for (const sessionId of new Set(acknowledged.map((batch) => batch.session_id))) {
    const seqs = gateway.received.filter((request) => request.body.session_id === sessionId).map((request) => request.body.seq);
    assert.deepEqual(seqs, [0, 1, 1, 2, 2, 2, 3]);
  }
  assert.ok(gateway.received.every((request) => request.key === 'pk_demo'), 'the demo key by default');
});

test('batches look like the recorder\'s, and the record says which events make transcript rows', async (t) => {
  const gateway = await fakeGateway(() => OK);
  t.after(() => gateway.close());
  const load = startLoad({ url: gateway.url, sessions: 1, batchesPerSession: 3, intervalMs: 1 });
  await load.done;
  const acknowledged = load.acknowledged();
  assert.equal(acknowledged.length, 3);
  for (const record of acknowledged) {
    const sent = gateway.received.find((request) => request.body.seq === record.seq)?.body;
    assert.equal(record.project_id, 'demo');
    assert.equal(record.window_id, sent.window_id);
    assert.equal(record.events, sent.events.length);
    const markers = sent.events.filter((/** @type {any} */ event) => event.type === 5 && event.data.tag === MARKER_TAG);
    assert.deepEqual(markers.map((/** @type {any} */ event) => event.data.payload.seq), [record.seq], 'one marker per batch');
    const rowKinds = record.transcript.map((index) => {
      const event = sent.events[index];
      return event.type === 3 ? `source ${event.data.source}` : `type ${event.type}`;
    });
    const expected = ['type 5', 'source 2', 'source 5'];
    assert.deepEqual(rowKinds, record.seq === 0 ? ['type 4', ...expected] : expected, `transcript of batch ${record.seq}`);
    const types = sent.events.map((/** @type {any} */ event) => event.type);
    assert.deepEqual(types.slice(0, 2), record.seq === 0 ? [4, 2] : [5, 3], `batch ${record.seq} opens with Meta and FullSnapshot only at seq 0`);
  }
});

test('clockSkewMs shifts sent_at and every timestamp', async (t) => {
  const gateway = await fakeGateway(() => OK);
  t.after(() => gateway.close());
  const skew = -3 * 3_600_000;
  const load = startLoad({ url: gateway.url, sessions: 1, batchesPerSession: 2, intervalMs: 1, clockSkewMs: skew });
  await load.done;
  for (const request of gateway.received) {
    assert.ok(Math.abs(request.body.sent_at - (request.at + skew)) < 5_000, `sent_at ${request.body.sent_at}`);
    for (const event of request.body.events) {
      assert.ok(Math.abs(event.timestamp - (request.at + skew)) < 5_000, `timestamp ${event.timestamp}`);
    }
  }
});

test('duplicateEvery posts every n-th acknowledged batch again, and the file gets one line per acknowledgement', async (t) => {
  const gateway = await fakeGateway(() => OK);
  const dir = await mkdtemp(path.join(tmpdir(), 'playback-load-'));
  t.after(async () => {
    await gateway.close();
    await rm(dir, { recursive: true, force: true });
  });
  const acknowledgedFile = path.join(dir, 'acknowledged.jsonl');
  const load = startLoad({ url: gateway.url, sessions: 1, batchesPerSession: 5, intervalMs: 1, duplicateEvery: 2, key: 'pk_other', acknowledgedFile });
  await load.done;
  assert.deepEqual(gateway.received.map((request) => request.body.seq), [0, 1, 1, 2, 3, 3, 4]);
  assert.deepEqual(load.stats(), { sent: 7, acknowledged: 5, retried: 0, statuses: { 200: 7 } });
  const lines = (await readFile(acknowledgedFile, 'utf8')).trimEnd().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(lines, load.acknowledged());
  assert.deepEqual(lines.map((line) => line.seq), [0, 1, 2, 3, 4]);
  assert.ok(lines.every((line) => line.project_id === 'other'));
  assert.ok(gateway.received.every((request) => request.key === 'pk_other'));
});

test('any other 4xx fails the load', async (t) => {
  const gateway = await fakeGateway((body) => (body.seq === 1 ? { status: 400 } : OK));
  t.after(() => gateway.close());
  const load = startLoad({ url: gateway.url, sessions: 1, batchesPerSession: 3, intervalMs: 1 });
  await assert.rejects(load.done, /answered 400/);
  await assert.rejects(load.stop(), /answered 400/);
  assert.deepEqual(load.acknowledged().map((batch) => batch.seq), [0]);
});

test('stop() sends no new batch but waits until the one in flight is acknowledged', async (t) => {
  const gateway = await fakeGateway((body, attempt) => (attempt < 2 ? { status: 503, headers: { 'Retry-After': '0' } } : OK));
  t.after(() => gateway.close());
  const load = startLoad({ url: gateway.url, sessions: 1, batchesPerSession: 10, intervalMs: 1 });
  while (gateway.received.length === 0) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await load.stop();
  assert.deepEqual(load.acknowledged().map((batch) => batch.seq), [0], 'batch 0 was retried to the end');
  assert.deepEqual(gateway.received.map((request) => request.body.seq), [0, 0, 0], 'no batch after the stop');
  assert.equal(load.stats().retried, 2);
});

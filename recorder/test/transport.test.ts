import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { Batch } from '../src/batch';
import { MemoryStore } from '../src/storage';
import {
  classifyResponse,
  compressionStreamGzip,
  KEEPALIVE_BUDGET_BYTES,
  MAX_INTERNAL_ERROR_RETRIES,
  Transport,
  type TransportDeps,
} from '../src/transport';

const ENDPOINT = 'https://pb.example';
const KEY = 'pk_test';

interface SentRequest {
  url: string;
  headers: Record<string, string>;
  keepalive: boolean;
  gzipped: boolean;
  body: { session_id: string; window_id: string; seq: number; sent_at: number; user?: unknown; events: unknown[] };
}

type Reply = Response | Error | Promise<Response>;

function decodeBody(body: BodyInit | null | undefined): { text: string; gzipped: boolean } {
  if (typeof body === 'string') {
    return { text: body, gzipped: false };
  }
  if (body instanceof ArrayBuffer) {
    return { text: gunzipSync(Buffer.from(body)).toString('utf8'), gzipped: true };
  }
  throw new Error('unexpected body type');
}

function harness(reply: (request: SentRequest, index: number) => Reply, options: { beaconAccepts?: boolean; store?: MemoryStore } = {}) {
  const requests: SentRequest[] = [];
  const beacons: Array<{ url: string; body: SentRequest['body']; type: string }> = [];
  const timers: Array<{ callback: () => void; ms: number; cleared: boolean }> = [];
  const warnings: string[] = [];
  const store = options.store ?? new MemoryStore();
  const deps: TransportDeps = {
    fetch: async (input, init) => {
      const { text, gzipped } = decodeBody(init?.body);
      const request: SentRequest = {
        url: String(input),
        headers: { ...(init?.headers as Record<string, string>) },
        keepalive: init?.keepalive === true,
        gzipped,
        body: JSON.parse(text),
      };
      requests.push(request);
      const answer = reply(request, requests.length - 1);
      if (answer instanceof Error) {
        throw answer;
      }
      return answer;
    },
    sendBeacon: (url, data) => {
      void data.text().then((text) => beacons.push({ url, body: JSON.parse(text), type: data.type }));
      return options.beaconAccepts ?? true;
    },
    gzip: compressionStreamGzip(),
    now: () => 1_764_300_000_000,
    random: () => 1,
    setTimeout: (callback, ms) => {
      timers.push({ callback, ms, cleared: false });
      return timers.length - 1;
    },
    clearTimeout: (handle) => {
      timers[handle as number].cleared = true;
    },
    warn: (message) => warnings.push(message),
    store,
  };
  const transport = new Transport(ENDPOINT, KEY, deps);
  const fireTimers = (): void => {
    for (const timer of timers.splice(0)) {
      if (!timer.cleared) {
        timer.callback();
      }
    }
  };
  return { transport, requests, beacons, timers, warnings, store, fireTimers };
}

/** Lets pending requests, gzip streams included, run to completion. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function batch(seq: number, eventCount = 1, eventSize = 10): Batch {
  const events = Array.from({ length: eventCount }, (_, i) => JSON.stringify({ type: 3, timestamp: i, data: 'x'.repeat(eventSize) }));
  return { session_id: '0192d3a4-7b1c-7c2e-9f00-3a6b2c1d4e5f', window_id: 'w1', seq, events, bytes: 100 };
}

const ok = (): Response => new Response('{"accepted":1}', { status: 200 });

test('batches go out gzipped, in order, one request at a time', async () => {
  const pending: Array<(response: Response) => void> = [];
  const h = harness(() => new Promise<Response>((resolve) => pending.push(resolve)));
  h.transport.enqueue(batch(0));
  h.transport.enqueue(batch(1));
  h.transport.enqueue(batch(2));
  await settle();
  assert.equal(h.requests.length, 1);
  pending.shift()?.(ok());
  await settle();
  assert.equal(h.requests.length, 2);
  pending.shift()?.(ok());
  await settle();
  pending.shift()?.(ok());
  await settle();
  assert.deepEqual(
    h.requests.map((request) => request.body.seq),
    [0, 1, 2],
  );
  const first = h.requests[0];
  assert.equal(first.url, `${ENDPOINT}/v1/batches`);
  assert.equal(first.headers['X-Playback-Key'], KEY);
  assert.equal(first.headers['Content-Encoding'], 'gzip');
  assert.equal(first.gzipped, true);
  assert.equal(first.body.sent_at, 1_764_300_000_000);
  assert.equal(first.body.events.length, 1);
  assert.equal(h.transport.pending, 0);
});

test('a batch that failed is retried with the same seq before later batches', async () => {
  const h = harness((_, index) => (index === 0 ? new TypeError('network down') : ok()));
  h.transport.enqueue(batch(0));
  h.transport.enqueue(batch(1));
  await settle();
  assert.equal(h.requests.length, 1);
  assert.equal(h.timers.length, 1);
  assert.ok(h.timers[0].ms >= 500 && h.timers[0].ms <= 1000);
  h.fireTimers();
  await settle();
  assert.deepEqual(
    h.requests.map((request) => request.body.seq),
    [0, 0, 1],
  );
  assert.equal(h.transport.pending, 0);
});

test('429 and 503 wait for Retry-After', async () => {
  const h = harness((_, index) =>
    index === 0
      ? new Response('{"error":"rate limited"}', { status: 429, headers: { 'Retry-After': '7' } })
      : index === 1
        ? new Response('{"error":"unavailable"}', { status: 503, headers: { 'Retry-After': '2' } })
        : ok(),
  );
  h.transport.enqueue(batch(0));
  await settle();
  assert.equal(h.timers[0].ms, 7000);
  h.fireTimers();
  await settle();
  assert.equal(h.timers[0].ms, 2000);
  h.fireTimers();
  await settle();
  assert.deepEqual(
    h.requests.map((request) => request.body.seq),
    [0, 0, 0],
  );
  assert.equal(h.transport.pending, 0);
});

test('other 4xx drop the batch, warn once, and the queue moves on', async () => {
  const h = harness((request) => (request.body.seq < 2 ? new Response('{"error":"bad"}', { status: 400 }) : ok()));
  for (let seq = 0; seq < 3; seq++) {
    h.transport.enqueue(batch(seq));
  }
  await settle();
  assert.deepEqual(
    h.requests.map((request) => request.body.seq),
    [0, 1, 2],
  );
  assert.equal(h.warnings.length, 1);
  assert.equal(h.timers.length, 0);
  assert.equal(h.transport.pending, 0);
});

test('a batch answered 500 is retried a bounded number of times with backoff, then dropped', async () => {
  const h = harness((request) => (request.body.seq === 0 ? new Response('{"error":"internal error"}', { status: 500 }) : ok()));
  h.transport.enqueue(batch(0));
  h.transport.enqueue(batch(1));
  await settle();
  const delays: number[] = [];
  for (let retry = 0; retry < MAX_INTERNAL_ERROR_RETRIES; retry++) {
    assert.equal(h.timers.length, 1, `retry ${retry} waits for a timer`);
    delays.push(h.timers[0].ms);
    h.fireTimers();
    await settle();
  }
  assert.equal(h.timers.length, 0, 'no retry after the last one');
  assert.deepEqual(
    h.requests.map((request) => request.body.seq),
    [...Array<number>(MAX_INTERNAL_ERROR_RETRIES + 1).fill(0), 1],
    'seq 0 goes out once and is retried 3 times, then seq 1 is sent',
  );
  assert.deepEqual(delays, [1000, 2000, 4000], 'the retries back off');
  assert.deepEqual(h.warnings, ['batch rejected with status 500; dropped']);
  assert.equal(h.transport.pending, 0);
});

test('500 and 503 are counted apart: 503s do not use up the retries of a 500', async () => {
  const statuses = [503, 503, 503, 503, 500, 200];
  const h = harness((_, index) => new Response('{}', { status: statuses[index] ?? 200 }));
  h.transport.enqueue(batch(0));
  await settle();
  for (let index = 0; index < 5; index++) {
    h.fireTimers();
    await settle();
  }
  assert.equal(h.requests.length, 6);
  assert.deepEqual(h.warnings, [], 'the batch was delivered, not dropped');
  assert.equal(h.transport.pending, 0);
});

test('401 stops the transport', async () => {
  const h = harness(() => new Response('{"error":"unknown project key"}', { status: 401 }));
  let refused = 0;
  h.transport.onRefused = () => refused++;
  h.transport.enqueue(batch(0));
  h.transport.enqueue(batch(1));
  await settle();
  h.transport.enqueue(batch(2));
  await settle();
  assert.equal(refused, 1);
  assert.equal(h.requests.length, 1);
  assert.equal(h.transport.pending, 0);
});

test('flush resolves true once delivered and false when a retry is pending', async () => {
  let failing = true;
  const h = harness(() => (failing ? new Response('', { status: 503 }) : ok()));
  h.transport.enqueue(batch(0));
  assert.equal(await h.transport.flush(), false);
  failing = false;
  assert.equal(await h.transport.flush(), true);
  assert.equal(h.transport.pending, 0);
  assert.equal(await h.transport.flush(), true);
});

test('on unload, queued batches leave as plain JSON with keepalive, then as beacons', async () => {
  const never = new Promise<Response>(() => {});
  const h = harness(() => never);
  const perBatch = Math.floor(KEEPALIVE_BUDGET_BYTES / 3);
  for (let seq = 0; seq < 5; seq++) {
    h.transport.enqueue(batch(seq, 1, perBatch));
  }
  await settle();
  assert.equal(h.requests.length, 1);
  h.transport.flushOnUnload();
  await settle();
  const keepalive = h.requests.filter((request) => request.keepalive);
  assert.deepEqual(
    keepalive.map((request) => request.body.seq),
    [0, 1],
  );
  for (const request of keepalive) {
    assert.equal(request.url, `${ENDPOINT}/v1/batches?key=${KEY}`);
    assert.equal(request.gzipped, false);
    assert.equal(request.headers['X-Playback-Key'], undefined);
    assert.equal(request.headers['Content-Type'], 'text/plain;charset=UTF-8');
  }
  assert.deepEqual(
    h.beacons.map((beacon) => beacon.body.seq),
    [2, 3, 4],
  );
  assert.equal(h.beacons[0].url, `${ENDPOINT}/v1/batches?key=${KEY}`);
  assert.equal(h.transport.pending, 0);
});

test('batches the browser refuses on unload are stored and sent by the next page', async () => {
  const store = new MemoryStore();
  const never = new Promise<Response>(() => {});
  const dying = harness(() => never, { beaconAccepts: false, store });
  dying.transport.enqueue({ ...batch(7, 1, KEEPALIVE_BUDGET_BYTES), user: { id: 'ada@example.com', traits: {} } });
  dying.transport.enqueue(batch(8, 1, KEEPALIVE_BUDGET_BYTES));
  dying.transport.flushOnUnload();
  await settle();
  assert.ok(store.getItem(`playback.unsent.${KEY}`));

  const next = harness(() => ok(), { store });
  assert.equal(next.transport.restoreUnsent(), 2);
  await settle();
  assert.deepEqual(
    next.requests.map((request) => request.body.seq),
    [7, 8],
  );
  assert.deepEqual(next.requests[0].body.user, { id: 'ada@example.com', traits: {} });
  assert.equal(store.getItem(`playback.unsent.${KEY}`), null);
});

test('a keepalive request that fails while the page lives goes back to the queue', async () => {
  const h = harness((request, index) =>
    index === 0 ? new Response('', { status: 503 }) : request.keepalive ? new TypeError('failed') : ok(),
  );
  h.transport.enqueue(batch(0));
  await settle();
  h.transport.flushOnUnload();
  await settle();
  assert.equal(h.transport.pending, 1);
  h.fireTimers();
  await settle();
  assert.deepEqual(
    h.requests.map((request) => [request.body.seq, request.keepalive]),
    [
      [0, false],
      [0, true],
      [0, false],
    ],
  );
  assert.equal(h.transport.pending, 0);
});

test('classifyResponse', () => {
  assert.deepEqual(classifyResponse(200, null, 0, () => 1), { kind: 'ok' });
  assert.deepEqual(classifyResponse(0, null, 2, () => 1), { kind: 'retry', delayMs: 4000 });
  assert.deepEqual(classifyResponse(502, 30_000, 0, () => 1), { kind: 'retry', delayMs: 1000 });
  assert.deepEqual(classifyResponse(503, 30_000, 0, () => 1), { kind: 'retry', delayMs: 30_000 });
  assert.deepEqual(classifyResponse(413, null, 0, () => 1), { kind: 'drop', status: 413 });
  assert.deepEqual(classifyResponse(500, null, 0, () => 1, 1), { kind: 'retry', delayMs: 1000 });
  assert.deepEqual(classifyResponse(500, null, 2, () => 1, MAX_INTERNAL_ERROR_RETRIES), { kind: 'retry', delayMs: 4000 });
  assert.deepEqual(classifyResponse(500, null, 3, () => 1, MAX_INTERNAL_ERROR_RETRIES + 1), { kind: 'drop', status: 500 });
  assert.deepEqual(classifyResponse(503, null, 9, () => 1, MAX_INTERNAL_ERROR_RETRIES + 1), { kind: 'retry', delayMs: 60_000 });
  assert.deepEqual(classifyResponse(401, null, 0, () => 1), { kind: 'refused', status: 401 });
});

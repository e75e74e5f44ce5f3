/**
 * Playback as a deployment runs it: `gateway`, two `sessionizer`s in one
 * consumer group, `scorer`, `archiver`, `query-api` and `assets` as separate
 * processes on the test stack's Kafka, ClickHouse and Garage. A demo visit
 * recorded in Chromium through them gives the same session, transcript and
 * recording as the very same requests sent to `playback up`, and the asset
 * stage keeps a copy of the demo's background image. Deleting the visit's user then leaves
 * nothing of them readable through the API or in this run's Kafka topics and ClickHouse
 * database.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { Api, waitFor } from '../lib/api.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { recordDemoSession } from '../lib/demo.mjs';
import { DELETED_NEEDLES, deleteDemoUser, holdingDeletedData, prepareForDeletion } from '../lib/deletion.mjs';
import { DISTRIBUTED_PARTITIONS, startDistributed, startEmbedded, step, withServerLog } from '../lib/server.mjs';

/** Fields that depend on when the server received each batch, not on what it received. */
const RECEIVE_TIME_FIELDS = ['start_time', 'end_time', 'duration_ms', 'active_ms', 'inactive_ms', 'score', 'score_breakdown'];
/** Score factors computed from receive times (activity) or from the time of the query (recency). */
const TIME_FACTORS = ['activity', 'recency'];
/** Headers of a captured request that belong to its connection, not to the request. */
const HOP_HEADERS = ['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive'];

/**
 * What a server made of the demo visit, once it has all of it: the session
 * without receive-time fields, its score factors' raw values, the transcript
 * rows without times, and the recording.
 * @param {Api} api
 * @param {import('../lib/demo.mjs').DemoSession} demo
 */
async function outcome(api, demo) {
  const sent = demo.eventsByWindow();
  const path = `/v1/sessions/${demo.sessionId}`;
  const detail = await waitFor(
    async () => {
      const session = await api.session(demo.sessionId);
      assert.equal(session.clicks, demo.clicks, 'clicks');
      assert.equal(session.page_views, 2, 'page_views');
      assert.equal(session.errors, 1, 'errors');
      return session;
    },
    { timeout: 90_000, message: `GET ${path}` },
  );
  const recording = await waitFor(
    async () => {
      const windows = await api.recording(demo.sessionId);
      assert.equal(windows.length, sent.size, 'windows');
      for (const tab of windows) {
        assert.equal(tab.events.length, sent.get(tab.window_id)?.length, `window ${tab.window_id}: event count`);
      }
      return windows;
    },
    { timeout: 90_000, message: `GET ${path}/recording` },
  );
  const transcript = await api.events(demo.sessionId);
  const factors = detail.score_breakdown
    .filter((/** @type {any} */ factor) => !TIME_FACTORS.includes(factor.factor))
    .map((/** @type {any} */ factor) => ({ factor: factor.factor, raw: factor.raw, weight: factor.weight }));
  const session = { ...detail };
  for (const field of RECEIVE_TIME_FIELDS) {
    delete session[field];
  }
  if (session.user) {
    // The user's first visit started when the server received it.
    session.user = { ...session.user, first_seen: undefined };
  }
  return {
    session,
    factors,
    // As a set: rows are ordered by server time, which is each batch's client time corrected by
    // that batch's clock offset, and the offsets differ when the same batches arrive later.
    transcript: transcript
      .map((/** @type {any} */ row) => JSON.stringify([row.kind, row.window_id, row.url, row.name, row.target, row.props]))
      .sort(),
    recording,
  };
}

/**
 * The value of a gauge on a Prometheus text page.
 * @param {string} url
 * @param {string} metric
 */
async function gauge(url, metric) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${metric} `));
  assert.ok(line, `${url}/metrics has ${metric}`);
  return Number(line.slice(metric.length + 1));
}

test('the distributed stages give the same session, transcript and recording as playback up', { timeout: 600_000 }, async (t) => {
  const distributed = await startDistributed(t);
  if (distributed === null) {
    return;
  }
  const embedded = await startEmbedded(t);
  const browser = await launchBrowser(t);

  await withServerLog(distributed, async () => {
    await step(t, distributed, 'every stage is ready, and the two sessionizers share the partitions', async () => {
      for (const { name, url } of distributed.processes) {
        const ready = await fetch(`${url}/readyz`);
        assert.equal(ready.status, 200, `${name} /readyz: ${await ready.text()}`);
      }
      const sessionizers = distributed.processes.filter((process) => process.name.startsWith('sessionizer'));
      assert.equal(sessionizers.length, 2);
      await waitFor(
        async () => {
          const owned = await Promise.all(sessionizers.map(({ url }) => gauge(url, 'playback_partitions_assigned{stage="sessionizer",topic="playback.raw-batches"}')));
          assert.ok(owned.every((count) => count > 0), `partitions per sessionizer: ${owned}`);
          assert.equal(owned[0] + owned[1], DISTRIBUTED_PARTITIONS, `partitions per sessionizer: ${owned}`);
          return owned;
        },
        { timeout: 90_000, message: 'both sessionizers own partitions' },
      );
    });

    const demo = await recordDemoSession(browser, distributed.url);
    t.diagnostic(`session ${demo.sessionId}: ${demo.clicks} clicks, ${demo.requests.length} requests`);

    /** @type {any} */
    let fromDistributed;
    await step(t, distributed, 'the distributed stages process the visit', async () => {
      fromDistributed = await outcome(new Api(distributed.url), demo);
      const sent = demo.eventsByWindow();
      for (const tab of fromDistributed.recording) {
        assert.deepStrictEqual(tab.events, sent.get(tab.window_id), `window ${tab.window_id}: the recording is what the recorder sent`);
      }
    });

    await step(t, distributed, 'the asset stage archives the demo stylesheet\'s background image', async () => {
      // A visit of its own, straight through the ingress, whose origin the asset stage may fetch
      // from (the recorded visit above went through a capturing proxy that is gone now).
      const context = await browser.newContext();
      t.after(() => context.close());
      const page = await context.newPage();
      await page.goto(`${distributed.url}/demo/`);
      const sessionId = await waitFor(
        () => page.evaluate(() => JSON.parse(localStorage.getItem('playback.session.pk_demo') ?? 'null')?.id ?? null),
        { timeout: 30_000, message: 'the visit has a session' },
      );
      const api = new Api(distributed.url);
      const image = `${distributed.url}/demo/hero.svg`;
      const listing = await waitFor(
        async () => {
          const body = await api.getOk(`/v1/sessions/${sessionId}/assets`);
          const entry = body.assets.find((/** @type {any} */ asset) => asset.url === image);
          if (entry?.status !== 'archived') {
            throw new Error(`the listing: ${JSON.stringify(body.assets)}`);
          }
          return { base: body.base, entry };
        },
        { timeout: 60_000, message: `${image} is archived` },
      );
      assert.equal(listing.entry.content_type, 'image/svg+xml');
      const original = Buffer.from(await (await fetch(image)).arrayBuffer());
      const copy = await fetch(`${distributed.url}${listing.base}${listing.entry.hash}`);
      assert.equal(copy.status, 200, 'the listing\'s base serves the copy without a token');
      assert.equal(copy.headers.get('x-content-type-options'), 'nosniff');
      assert.deepEqual(Buffer.from(await copy.arrayBuffer()), original, 'the copy is the image the demo served');
    });

    await step(t, embedded, 'playback up gets the same requests, in the same order', async () => {
      for (const request of demo.requests) {
        /** @type {Record<string, string>} */
        const headers = {};
        for (const [name, value] of Object.entries(request.headers)) {
          if (!HOP_HEADERS.includes(name) && typeof value === 'string') {
            headers[name] = value;
          }
        }
        const response = await fetch(embedded.url + request.url, { method: 'POST', headers, body: new Uint8Array(request.body) });
        assert.equal(response.status, 200, `POST ${request.url}: ${await response.text()}`);
      }
    });

    await step(t, embedded, 'both give the same session, transcript and recording', async () => {
      const fromEmbedded = await outcome(new Api(embedded.url), demo);
      assert.deepStrictEqual(fromDistributed.session, fromEmbedded.session, 'session');
      assert.deepStrictEqual(fromDistributed.factors, fromEmbedded.factors, 'score factors');
      assert.deepStrictEqual(fromDistributed.transcript, fromEmbedded.transcript, 'transcript');
      assert.deepStrictEqual(fromDistributed.recording, fromEmbedded.recording, 'recording');
      t.diagnostic(`equal: ${fromEmbedded.transcript.length} transcript rows, ${fromEmbedded.recording.length} window(s)`);
    });

    await step(t, distributed, 'deleting the visit\'s user leaves nothing of them readable in Kafka, ClickHouse or Garage', async () => {
      const prepared = await prepareForDeletion(distributed, demo.sessionId);
      const { receipt, verified, verdict } = await deleteDemoUser(t, distributed, demo.sessionId, prepared);
      const pending = receipt.pending.map((/** @type {any} */ entry) => entry.store);
      for (const store of ['kafka_raw_batches', 'kafka_session_updates', 'kafka_changelog']) {
        assert.ok(pending.includes(store), `the receipt says ${store} is not gone yet: ${JSON.stringify(receipt.pending)}`);
      }
      assert.equal(receipt.log.changelog_tombstones, receipt.session_ids.length, 'a tombstone per session on Kafka');
      // Needs the sealed log (encryption at rest): the raw batches stay on Kafka until
      // retention.ms, and stop decoding only once the deletion has destroyed the keys they are
      // sealed under. Over the plain log they still decode, and this fails.
      assert.match(verdict, / raw_readable=0 /, 'the raw batches still on Kafka no longer decrypt');
      assert.equal(verified.code, 0, verified.output.slice(-2000));
      // ClickHouse removes the parts its mutations replaced after old_parts_lifetime (10 s on
      // the test stack); Kafka's copies hold the user id only sealed (the sealed log again).
      const { files, holding } = await holdingDeletedData(distributed, DELETED_NEEDLES, 90_000);
      t.diagnostic(`searched ${files} files of this run's topics and database`);
      assert.ok(files > 0, 'the run has files on the stack');
      for (const needle of DELETED_NEEDLES) {
        assert.deepEqual(holding[needle], [], `files holding ${JSON.stringify(needle)}`);
      }
    });
  });
});

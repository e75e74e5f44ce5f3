/**
 * A batch from another rrweb 2.x recorder (a real rrweb 2.0.0-alpha.4
 * recording, fixtures/rrweb-2.0.0-alpha.4-batch.json), posted by hand with
 * curl, and the gateway's answers to bad requests.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Api, DEMO_KEY, parseJson, waitFor } from '../lib/api.mjs';
import { startServer, step, withServerLog } from '../lib/server.mjs';
import { FIXTURE_PATH, FOREIGN_WINDOW_ID } from '../fixtures/record-foreign.mjs';

const run = promisify(execFile);
const MIB = 1024 * 1024;

/**
 * POSTs the file `bodyFile` with the curl binary.
 * @param {string} url
 * @param {string} bodyFile
 * @param {string[]} headers e.g. `X-Playback-Key: pk_demo`
 * @returns {Promise<{status: number, text: string, json: any}>}
 */
async function curlPost(url, bodyFile, headers) {
  const args = ['-sS', '-X', 'POST', '-o', '-', '-w', '\n%{http_code}'];
  for (const header of headers) {
    args.push('-H', header);
  }
  args.push('--data-binary', `@${bodyFile}`, url);
  const { stdout } = await run('curl', args, { maxBuffer: 16 * MIB });
  const split = stdout.lastIndexOf('\n');
  const text = stdout.slice(0, split);
  return { status: Number(stdout.slice(split + 1)), text, json: parseJson(text) };
}

/**
 * The fixture as a fresh batch: a new session id, sent now, its events moved
 * in time as if they had just been recorded (only `timestamp` changes).
 * @param {any} fixture
 */
function freshBatch(fixture) {
  const now = Date.now();
  const shift = now - fixture.events[fixture.events.length - 1].timestamp;
  return {
    ...fixture,
    session_id: randomUUID(),
    sent_at: now,
    events: fixture.events.map((/** @type {any} */ event) => ({ ...event, timestamp: event.timestamp + shift })),
  };
}

/**
 * @param {{status: number, json: any}} response
 * @param {number} status
 * @param {string} what
 */
function assertError(response, status, what) {
  assert.equal(response.status, status, `${what}: status`);
  assert.equal(typeof response.json?.error, 'string', `${what}: the body is {"error": ...}: ${JSON.stringify(response.json)}`);
  assert.ok(response.json.error.length > 0, `${what}: the reason is not empty`);
}

test('a batch of rrweb 2.0.0-alpha.4, posted with curl, is ingested as sent; bad requests get clear statuses', { timeout: 180_000 }, async (t) => {
  const server = await startServer(t);
  const api = new Api(server.url);
  const work = await mkdtemp(path.join(tmpdir(), 'playback-curl-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const fixture = JSON.parse(await readFile(FIXTURE_PATH, 'utf8'));
  const batchesUrl = `${server.url}/v1/batches`;
  const keyHeader = `X-Playback-Key: ${DEMO_KEY}`;

  await withServerLog(server, async () => {
    assert.equal(fixture.window_id, FOREIGN_WINDOW_ID);
    assert.ok(fixture.events.some((/** @type {any} */ event) => event.type === 2), 'the fixture has a FullSnapshot');

    const batch = freshBatch(fixture);
    const batchFile = path.join(work, 'batch.json');
    await writeFile(batchFile, JSON.stringify(batch));

    const beaconBatch = freshBatch(fixture);
    const beaconFile = path.join(work, 'beacon.json.gz');
    await writeFile(beaconFile, gzipSync(JSON.stringify(beaconBatch)));

    await step(t, server, 'the batch is accepted (200)', async () => {
      const response = await curlPost(batchesUrl, batchFile, [keyHeader, 'Content-Type: application/json']);
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.json, { accepted: fixture.events.length });
    });

    await step(t, server, 'a gzip body with the key in ?key= and no Content-Encoding (sendBeacon) is accepted (200)', async () => {
      const response = await curlPost(`${batchesUrl}?key=${DEMO_KEY}`, beaconFile, ['Content-Type: text/plain;charset=UTF-8']);
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.json, { accepted: fixture.events.length });
    });

    await step(t, server, 'malformed JSON is refused (400)', async () => {
      const file = path.join(work, 'malformed.json');
      await writeFile(file, '{"session_id": "' + batch.session_id + '", "window_id": "w", "seq": 0, "events": [');
      assertError(await curlPost(batchesUrl, file, [keyHeader]), 400, 'malformed JSON');
    });

    await step(t, server, 'a wrong key is refused (401)', async () => {
      assertError(await curlPost(batchesUrl, batchFile, ['X-Playback-Key: pk_not_a_project']), 401, 'wrong key');
    });

    await step(t, server, 'a missing key is refused (401)', async () => {
      assertError(await curlPost(batchesUrl, batchFile, ['Content-Type: application/json']), 401, 'missing key');
    });

    await step(t, server, 'a body over 1 MiB is refused (413)', async () => {
      const file = path.join(work, 'large.json');
      const large = {
        ...freshBatch(fixture),
        events: [{ type: 5, data: { tag: 'large', payload: { text: 'x'.repeat(MIB + 1024) } }, timestamp: Date.now() }],
      };
      await writeFile(file, JSON.stringify(large));
      assertError(await curlPost(batchesUrl, file, [keyHeader]), 413, 'body over 1 MiB');
    });

    await step(t, server, 'a small gzip body that inflates past 16 MiB is refused (413)', async () => {
      const file = path.join(work, 'bomb.json.gz');
      const bomb = { ...freshBatch(fixture), events: [{ type: 5, data: { tag: 'bomb', payload: { text: ' '.repeat(17 * MIB) } }, timestamp: Date.now() }] };
      const compressed = gzipSync(JSON.stringify(bomb));
      assert.ok(compressed.length < MIB);
      await writeFile(file, compressed);
      assertError(await curlPost(batchesUrl, file, [keyHeader, 'Content-Encoding: gzip']), 413, 'gzip bomb');
    });

    await step(t, server, 'both sessions are listed and their recordings are the events as sent', async () => {
      for (const sent of [batch, beaconBatch]) {
        await waitFor(
          async () => {
            const sessions = await api.listSessions();
            assert.ok(sessions.some((session) => session.session_id === sent.session_id), `session ${sent.session_id} is not listed yet`);
            const windows = await api.recording(sent.session_id);
            assert.deepEqual(windows.map((tab) => tab.window_id), [FOREIGN_WINDOW_ID], 'windows');
            assert.deepStrictEqual(windows[0].events, sent.events, 'events');
            return true;
          },
          { timeout: 60_000, message: `session ${sent.session_id} listed with its recording` },
        );
      }
      const withoutTime = (/** @type {any[]} */ events) => events.map(({ timestamp, ...rest }) => rest);
      assert.deepStrictEqual(withoutTime(batch.events), withoutTime(fixture.events), 'only timestamps differ from the fixture');
    });

    await step(t, server, 'the refused batches left nothing behind', async () => {
      const sessions = await api.listSessions();
      const ids = sessions.map((session) => session.session_id).sort();
      assert.deepEqual(ids, [batch.session_id, beaconBatch.session_id].sort());
    });
  });
});

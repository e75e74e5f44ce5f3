/**
 * A visit of the demo site recorded by the real recorder in Chromium, followed
 * through ingest, sessionizing, scoring and archiving to the query API, then
 * replayed with rrweb's own Replayer. The typed password must never leave the
 * browser.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import test from 'node:test';
import { Api, waitFor } from '../lib/api.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { DEMO_ERROR_MESSAGE, DEMO_PASSWORD, DEMO_USER_ID, INPUT_MASK, recordDemoSession } from '../lib/demo.mjs';
import { findInDirectory } from '../lib/privacy.mjs';
import { ARTIFACTS_DIR } from '../lib/paths.mjs';
import { replayAt } from '../lib/replay.mjs';
import { startServer, step, withServerLog } from '../lib/server.mjs';

const SCORE_FACTORS = ['clicks', 'urls', 'inputs', 'activity', 'recency'];
/** Text of the demo page that every snapshot of page 1 carries. */
const PAGE_TEXT = 'Everything for your workshop';

/**
 * @param {any[]} events
 * @param {string} kind
 */
function ofKind(events, kind) {
  return events.filter((event) => event.kind === kind);
}

test('a demo visit is recorded, sessionized, scored, archived losslessly and replayable, without the password', { timeout: 300_000 }, async (t) => {
  const server = await startServer(t);
  const browser = await launchBrowser(t);
  const api = new Api(server.url);

  await withServerLog(server, async () => {
    const demo = await recordDemoSession(browser, server.url);
    const sent = demo.eventsByWindow();
    const { sessionId } = demo;
    assert.equal(sent.size, 1, 'one tab, so one window');
    assert.ok(!JSON.stringify([...demo.batches.values()]).includes(DEMO_PASSWORD), 'the recorder never sends the typed password');
    t.diagnostic(`session ${sessionId}: ${demo.clicks} clicks, ${demo.batches.size} batches`);

    await step(t, server, 'the session is listed with both page views', async () => {
      const listed = await waitFor(
        async () => {
          const sessions = await api.listSessions();
          const session = sessions.find((candidate) => candidate.session_id === sessionId);
          assert.ok(session, `session ${sessionId} is not listed yet`);
          assert.equal(session.page_views, 2, 'page_views');
          return session;
        },
        { timeout: 60_000, message: 'session listed in GET /v1/sessions' },
      );
      assert.equal(listed.project_id, 'demo');
    });

    await step(t, server, 'the session has its clicks, inputs, error, user and score', async () => {
      const session = await waitFor(
        async () => {
          const detail = await api.session(sessionId);
          assert.equal(detail.clicks, demo.clicks, 'clicks');
          assert.equal(detail.errors, 1, 'errors');
          assert.equal(detail.user_id, DEMO_USER_ID, 'user_id');
          assert.ok(detail.inputs >= 3, `inputs is ${detail.inputs}`);
          assert.equal(detail.page_views, 2, 'page_views');
          return detail;
        },
        { timeout: 60_000, message: `GET /v1/sessions/${sessionId}` },
      );
      assert.equal(session.session_id, sessionId);
      assert.equal(typeof session.score, 'number');
      assert.ok(session.score > 0, `score is ${session.score}`);
      assert.ok(Array.isArray(session.score_breakdown), 'score_breakdown is a list');
      for (const factor of SCORE_FACTORS) {
        const entry = session.score_breakdown.find((/** @type {any} */ item) => item.factor === factor);
        assert.ok(entry, `score_breakdown has the factor ${factor}: ${JSON.stringify(session.score_breakdown)}`);
        for (const field of ['raw', 'normalized', 'weight', 'points']) {
          assert.ok(Number.isFinite(entry[field]), `${factor}.${field} is a number: ${JSON.stringify(entry)}`);
        }
      }
      assert.ok(Array.isArray(session.urls), 'urls');
      assert.ok(session.urls.some((/** @type {string} */ url) => new URL(url).pathname === '/demo/'), `urls: ${session.urls}`);
      assert.ok(session.urls.some((/** @type {string} */ url) => new URL(url).pathname === '/demo/page2.html'), `urls: ${session.urls}`);
    });

    await step(t, server, 'the transcript has the page views, clicks, inputs, the exception and the custom event', async () => {
      const events = await waitFor(
        async () => {
          const transcript = await api.events(sessionId);
          assert.equal(ofKind(transcript, 'page_view').length, 2, 'page_view tiles');
          assert.equal(ofKind(transcript, 'click').length, demo.clicks, 'click tiles');
          assert.equal(ofKind(transcript, 'exception').length, 1, 'exception tiles');
          assert.ok(ofKind(transcript, 'custom').some((event) => event.name === 'demo_clicked'), 'custom demo_clicked');
          return transcript;
        },
        { timeout: 60_000, message: `GET /v1/sessions/${sessionId}/events` },
      );
      const inputs = ofKind(events, 'input');
      assert.ok(inputs.length >= 3, `input tiles: ${inputs.length}`);
      const [exception] = ofKind(events, 'exception');
      assert.ok(JSON.stringify(exception.props).includes(DEMO_ERROR_MESSAGE), `exception props: ${JSON.stringify(exception.props)}`);
      const custom = ofKind(events, 'custom').find((event) => event.name === 'demo_clicked');
      assert.deepEqual(custom?.props, { section: 'hero' });
      const pageViews = ofKind(events, 'page_view').map((event) => new URL(event.url).pathname);
      assert.deepEqual(pageViews, ['/demo/', '/demo/page2.html']);
      for (let i = 1; i < events.length; i++) {
        assert.ok(events[i].offset_ms >= events[i - 1].offset_ms, 'the transcript is in time order');
      }
    });

    await step(t, server, 'the recording holds exactly the events the recorder sent', async () => {
      await waitFor(
        async () => {
          const windows = await api.recording(sessionId);
          assert.deepEqual(windows.map((tab) => tab.window_id).sort(), [...sent.keys()].sort(), 'windows');
          for (const tab of windows) {
            const expected = /** @type {any[]} */ (sent.get(tab.window_id));
            assert.equal(tab.events.length, expected.length, `window ${tab.window_id}: event count`);
            assert.deepStrictEqual(tab.events, expected, `window ${tab.window_id}: events`);
          }
          return true;
        },
        { timeout: 60_000, message: `GET /v1/sessions/${sessionId}/recording` },
      );
      const windowOnly = await api.getOk(`/v1/sessions/${sessionId}/recording?window_id=${[...sent.keys()][0]}`);
      assert.equal(windowOnly.windows.length, 1);
    });

    await step(t, server, 'the replay at mid-session shows the form with masked values', async () => {
      const [events] = [...sent.values()];
      const offsetMs = demo.midTimestamp - events[0].timestamp;
      assert.ok(offsetMs > 0 && offsetMs < events[events.length - 1].timestamp - events[0].timestamp, `offset ${offsetMs} ms lies inside the recording`);
      await mkdir(ARTIFACTS_DIR, { recursive: true });
      const fields = await replayAt(
        browser,
        events,
        offsetMs,
        ['#name', '#password', '#plan'],
        path.join(ARTIFACTS_DIR, 'replay-mid-session.png'),
      );
      for (const selector of ['#name', '#password', '#plan']) {
        assert.ok(fields[selector].present, `${selector} is in the replayed document`);
      }
      assert.notEqual(fields['#password'].value, DEMO_PASSWORD, 'the replayed password field does not hold the password');
      assert.equal(fields['#password'].value, INPUT_MASK, 'the replayed password field shows the mask');
      assert.equal(fields['#name'].value, INPUT_MASK, 'the replayed name field shows the mask');
    });

    await step(t, server, 'the password is nowhere in the data directory or the API responses, and the page text only in the API', async () => {
      for (const route of [`/v1/sessions`, `/v1/sessions/${sessionId}`, `/v1/sessions/${sessionId}/events`, `/v1/sessions/${sessionId}/recording`]) {
        await api.getOk(route);
      }
      for (const response of api.responses) {
        assert.ok(!response.text.includes(DEMO_PASSWORD), `GET ${response.path} returned the password`);
      }
      // Stopped, so that everything is on disk and nothing changes while it is read.
      await server.kill('SIGTERM');
      const { files, hits } = await findInDirectory(server.dataDir, [DEMO_PASSWORD, PAGE_TEXT]);
      t.diagnostic(`searched ${files.length} files in ${server.dataDir}`);
      assert.ok(files.length > 0, 'the data directory has files');
      // The recording is stored sealed: its page text is served by the API, and in no file.
      const recording = api.responses.find((response) => response.path === `/v1/sessions/${sessionId}/recording`);
      assert.ok(recording?.text.includes(PAGE_TEXT), `the API serves the recording with "${PAGE_TEXT}"`);
      assert.deepEqual(hits.get(PAGE_TEXT), [], 'files holding the page text');
      assert.deepEqual(hits.get(DEMO_PASSWORD), [], 'files holding the password');
    });
  });
});

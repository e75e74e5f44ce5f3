/**
 * The player opens any minute of an hours-long session without downloading
 * the whole recording, and a session still being archived is shown as
 * processing, then played as its chunks arrive.
 *
 * The long recordings are a real one (the demo visit, recorded by the real
 * recorder in Chromium) stretched to hours with a FullSnapshot every 5 minutes
 * and a marker element that names the minute (lib/long-recording.mjs), posted
 * through the gateway in 5 s batches.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { Api, waitFor } from '../lib/api.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { recordDemoSession } from '../lib/demo.mjs';
import {
  buildLongRecording,
  markerAt,
  MINUTE_MS,
  postBatches,
  readMarker,
  SEGMENT_MS,
  waitForArchive,
} from '../lib/long-recording.mjs';
import { startServer, step } from '../lib/server.mjs';

const HOUR_MS = 60 * MINUTE_MS;

/**
 * The demo visit's first window, as the recorder sent it.
 * @param {import('playwright-core').Browser} browser
 * @param {string} url
 */
async function realRecording(browser, url) {
  const demo = await recordDemoSession(browser, url);
  return [...demo.eventsByWindow().values()][0];
}

/**
 * The recording chunks the page asks for, in the order it asks.
 * @param {import('playwright-core').Page} page
 */
function recordChunkRequests(page) {
  /** @type {string[]} */
  const ids = [];
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    const marker = '/recording/chunks/';
    if (path.includes(marker)) ids.push(path.slice(path.indexOf(marker) + marker.length));
  });
  return ids;
}

/**
 * Records, per response of a recording route, its path and body size, in the order they finished.
 * @param {import('playwright-core').Page} page
 */
function recordResponses(page) {
  /** @type {Array<{path: string, bytes: Promise<number>}>} */
  const responses = [];
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (!url.pathname.includes('/recording')) return;
    // Listed when the answer arrives, before its body is read, so that a frame drawn from it
    // never comes before its entry.
    const bytes = response.body().then((body) => body.length, () => 0);
    responses.push({ path: url.pathname, bytes });
  });
  return responses;
}

/**
 * The session offset the stage shows.
 * @param {import('playwright-core').Page} page
 */
async function stageOffset(page) {
  return Number(await page.locator('[data-testid=stage]').getAttribute('data-session-offset'));
}

test('a 2-hour session opens at minute 110 from its snapshot chunk, then seeks back to minute 2', { timeout: 420_000 }, async (t) => {
  const server = await startServer(t);
  const browser = await launchBrowser(t);
  const api = new Api(server.url);
  const real = await realRecording(browser, server.url);
  const recording = buildLongRecording(real, { durationMs: 2 * HOUR_MS });

  /** @type {any} */
  let manifest;
  let wholeBytes = 0;
  await step(t, server, 'the 2-hour recording is archived in 5-minute snapshot chunks', async () => {
    await postBatches(server.url, recording.batches);
    manifest = await waitForArchive(api, recording);
    assert.equal(manifest.windows.length, 1, 'one window');
    const chunks = manifest.windows[0].chunks;
    const snapshots = chunks.filter((/** @type {any} */ chunk) => chunk.snapshot).length;
    assert.ok(snapshots >= 2 * HOUR_MS / SEGMENT_MS, `${snapshots} of ${chunks.length} chunks start at a snapshot`);
    const whole = await api.get(`/v1/sessions/${recording.sessionId}/recording`);
    assert.equal(whole.status, 200);
    wholeBytes = Buffer.byteLength(whole.text);
    t.diagnostic(`${recording.events.length} events, ${recording.batches.length} batches, ${chunks.length} chunks, whole recording ${wholeBytes} bytes`);
  });

  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  t.after(() => context.close());
  const page = await context.newPage();
  /** @type {string[]} */
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const responses = recordResponses(page);
  const chunkRequests = recordChunkRequests(page);
  const offset = 110 * MINUTE_MS + 30_000;

  await step(t, server, 'minute 110 is shown from less than the whole recording', async () => {
    await page.goto(`${server.url}/sessions/${recording.sessionId}?t=${offset}#token=${server.tokens.admin}`);
    const expected = markerAt(offset);
    await waitFor(async () => (await readMarker(page)) === expected, {
      timeout: 60_000,
      interval: 25,
      message: `the replay frame shows ${expected}`,
    });
    const before = await Promise.all(responses.slice().map(async (response) => ({ path: response.path, bytes: await response.bytes })));
    const fetched = before.reduce((sum, response) => sum + response.bytes, 0);
    t.diagnostic(`before the first frame: ${before.map((r) => `${r.path.split('/recording')[1]} ${r.bytes} B`).join(', ')}`);
    assert.ok(before.length > 0, 'the page fetched the recording');
    assert.ok(!before.some((response) => response.path.endsWith('/recording')), 'the whole recording was not asked for');
    // The first chunk asked for is the one that starts with the snapshot before minute 110, and
    // it is a small part of the whole recording. (What else arrives before the frame depends on
    // the machine: the rest streams behind it.)
    const window = manifest.windows[0];
    const target = window.first_ts_ms + offset;
    const snapshotChunk = window.chunks.filter((/** @type {any} */ chunk) => chunk.snapshot && chunk.first_ts_ms <= target).at(-1);
    assert.ok(snapshotChunk, 'the manifest has a snapshot chunk before minute 110');
    assert.equal(chunkRequests[0], snapshotChunk.id, 'the first chunk asked for holds the snapshot before minute 110');
    const first = before.find((response) => response.path.endsWith(`/recording/chunks/${snapshotChunk.id}`));
    assert.ok(first, 'the snapshot chunk arrived before the first frame');
    assert.ok(first.bytes < wholeBytes / 4, `the first chunk is ${first.bytes} bytes, the whole recording ${wholeBytes}`);
    t.diagnostic(`fetched ${fetched} bytes of the recording before the first frame, of ${wholeBytes}`);
    assert.ok(Math.abs((await stageOffset(page)) - offset) < 1_000, 'the stage is at the offset of the link');
    // The seek bar spans the whole session from the first frame.
    const clock = await page.locator('[data-testid=player-clock]').textContent();
    assert.match(clock ?? '', /\/ 2:00:00/, `the clock shows the whole length: ${clock}`);
  });

  await step(t, server, 'a seek back to minute 2 shows minute 2', async () => {
    const track = await page.locator('[data-testid=timeline-track]').boundingBox();
    assert.ok(track, 'the seek bar is shown');
    const duration = manifest.windows[0].last_ts_ms - manifest.windows[0].first_ts_ms;
    await page.mouse.click(track.x + track.width * ((2.5 * MINUTE_MS) / duration), track.y + track.height / 2);
    await waitFor(
      async () => {
        const at = await stageOffset(page);
        return Math.floor(at / MINUTE_MS) === 2 && (await readMarker(page)) === markerAt(at);
      },
      { timeout: 30_000, interval: 50, message: 'the replay frame shows minute 2' },
    );
    await waitFor(async () => (await page.locator('[data-testid=recording-processing]').isHidden()), {
      timeout: 5_000,
      message: 'a complete recording is not shown as processing',
    });
    assert.deepEqual(pageErrors, [], 'the UI raised no uncaught errors');
  });
});

test('a session with no chunks yet shows the processing state, then plays as its chunks arrive', { timeout: 300_000 }, async (t) => {
  // The archiver writes a buffer after 15 s without batches, so the session is listed well
  // before its first chunk; a FullSnapshot batch closes the buffer before it at once.
  process.env.PLAYBACK_ARCHIVER__FLUSH_IDLE_MS = '15000';
  const server = await startServer(t).finally(() => delete process.env.PLAYBACK_ARCHIVER__FLUSH_IDLE_MS);
  const browser = await launchBrowser(t);
  const api = new Api(server.url);
  const real = await realRecording(browser, server.url);
  const recording = buildLongRecording(real, { durationMs: 2 * SEGMENT_MS });
  const secondSegment = recording.batches.findIndex((batch) => batch.events[0].timestamp >= recording.start + SEGMENT_MS);
  assert.ok(secondSegment > 0, 'the recording has two segments');

  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  t.after(() => context.close());
  const page = await context.newPage();
  /** @type {string[]} */
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const processingCard = page.locator('[data-testid=recording-processing-card]');
  const processing = page.locator('[data-testid=recording-processing]');

  await step(t, server, 'listed before any chunk: "Processing recording…", no error', async () => {
    await postBatches(server.url, recording.batches.slice(0, secondSegment));
    await waitFor(async () => (await api.get(`/v1/sessions/${recording.sessionId}`)).status === 200, {
      timeout: 30_000,
      message: 'the session is listed',
    });
    const manifest = await api.getOk(`/v1/sessions/${recording.sessionId}/recording/manifest`);
    assert.deepEqual(manifest.windows, [], 'no chunk yet');
    assert.equal(manifest.complete, false);
    await page.goto(`${server.url}/sessions/${recording.sessionId}#token=${server.tokens.admin}`);
    await processingCard.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match((await processingCard.textContent()) ?? '', /Processing recording…/);
    assert.equal(await page.locator('[data-testid=stage] [role=alert]').count(), 0, 'no error is shown');
  });

  await step(t, server, 'the first chunk plays by itself while the rest is being archived', async () => {
    // The second segment's snapshot closes the first one's chunk.
    await postBatches(server.url, recording.batches.slice(secondSegment));
    await waitFor(
      async () => {
        const at = await stageOffset(page);
        return at > 0 && at < SEGMENT_MS && (await readMarker(page)) === markerAt(at);
      },
      { timeout: 30_000, interval: 100, message: 'the replay frame plays the first segment' },
    );
    assert.equal(await processingCard.count(), 0, 'the card gave way to the player');
    const manifest = await api.getOk(`/v1/sessions/${recording.sessionId}/recording/manifest`);
    if (!manifest.complete) {
      assert.ok(await processing.isVisible(), 'still shown as processing while the manifest is not complete');
    }
    assert.equal(await page.locator('[data-testid=stage] [role=alert]').count(), 0, 'no error is shown');
  });

  await step(t, server, 'once complete: no processing state, the whole length, minute 7 plays', async () => {
    await processing.waitFor({ state: 'hidden', timeout: 90_000 });
    const manifest = await api.getOk(`/v1/sessions/${recording.sessionId}/recording/manifest`);
    assert.equal(manifest.complete, true);
    await waitFor(
      async () => {
        const clock = await page.locator('[data-testid=player-clock]').textContent();
        assert.match(clock ?? '', /\/ 10:00/, `the clock reads ${clock}`);
        return true;
      },
      { timeout: 10_000, message: 'the clock shows the whole 10 minutes' },
    );
    const track = await page.locator('[data-testid=timeline-track]').boundingBox();
    assert.ok(track);
    await page.mouse.click(track.x + track.width * 0.75, track.y + track.height / 2);
    await waitFor(
      async () => {
        const at = await stageOffset(page);
        return at > SEGMENT_MS && (await readMarker(page)) === markerAt(at);
      },
      { timeout: 30_000, interval: 50, message: 'the replay frame shows the marker of minute 7' },
    );
    assert.deepEqual(pageErrors, [], 'the UI raised no uncaught errors');
  });
});

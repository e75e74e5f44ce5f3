/**
 * Records one visit of the demo site (`/demo/` then `/demo/page2.html`) in
 * Chromium, and captures every batch the recorder sent, so a test knows
 * exactly which rrweb events the recorder emitted.
 */
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from './api.mjs';

export const DEMO_PASSWORD = 'Tr0ub4dor&3-never-leaves';
export const DEMO_NAME = 'Ada Lovelace';
export const DEMO_USER_ID = 'ada@example.com';
export const DEMO_ERROR_MESSAGE = 'Demo error: checkout failed';
/** Every input value is recorded as this (recorder/README.md). */
export const INPUT_MASK = '********';

const RRWEB_FULL_SNAPSHOT = 2;

/**
 * @typedef {object} SentBatch
 * @property {string} session_id
 * @property {string} window_id
 * @property {number} seq
 * @property {any} [user]
 * @property {any[]} events
 */

/**
 * @typedef {object} DemoSession
 * @property {string} sessionId
 * @property {number} clicks the clicks performed, each one rrweb Click
 * @property {number} midTimestamp client time after the form was filled, before leaving page 1
 * @property {Map<string, SentBatch>} batches by `window_id/seq`, each batch once
 * @property {() => Map<string, any[]>} eventsByWindow each window's events, batches in seq order
 */

/**
 * Decodes a captured `POST /v1/batches` body (gzip or plain JSON).
 * @param {Buffer} body
 * @returns {SentBatch}
 */
export function decodeBatchBody(body) {
  const json = body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : body;
  return JSON.parse(json.toString('utf8'));
}

/**
 * Collects the batches that the pages of `context` send to `/v1/batches`.
 * @param {import('playwright-core').BrowserContext} context
 */
export function captureBatches(context) {
  /** @type {Map<string, SentBatch>} */
  const batches = new Map();
  /** @type {Error[]} */
  const problems = [];
  context.on('request', (request) => {
    if (request.method() !== 'POST' || new URL(request.url()).pathname !== '/v1/batches') {
      return;
    }
    const body = request.postDataBuffer();
    if (body === null) {
      problems.push(new Error(`a batch request to ${request.url()} has no readable body`));
      return;
    }
    const batch = decodeBatchBody(body);
    const key = `${batch.window_id}/${batch.seq}`;
    const earlier = batches.get(key);
    if (earlier !== undefined) {
      try {
        assert.deepStrictEqual(batch.events, earlier.events, `batch ${key} was sent twice with different events`);
      } catch (error) {
        problems.push(/** @type {Error} */ (error));
      }
      return;
    }
    batches.set(key, batch);
  });

  /** @returns {Map<string, any[]>} */
  function eventsByWindow() {
    /** @type {Map<string, SentBatch[]>} */
    const perWindow = new Map();
    for (const batch of batches.values()) {
      const list = perWindow.get(batch.window_id) ?? [];
      list.push(batch);
      perWindow.set(batch.window_id, list);
    }
    /** @type {Map<string, any[]>} */
    const result = new Map();
    for (const [windowId, list] of perWindow) {
      list.sort((a, b) => a.seq - b.seq);
      list.forEach((batch, index) => {
        assert.equal(batch.seq, index, `window ${windowId}: seqs sent are not 0..n (a batch was not captured)`);
      });
      result.set(windowId, list.flatMap((batch) => batch.events));
    }
    return result;
  }

  function fullSnapshots() {
    let count = 0;
    for (const batch of batches.values()) {
      count += batch.events.filter((event) => event.type === RRWEB_FULL_SNAPSHOT).length;
    }
    return count;
  }

  function assertNoProblems() {
    if (problems.length > 0) {
      throw problems[0];
    }
  }

  return { batches, eventsByWindow, fullSnapshots, assertNoProblems };
}

/**
 * Waits until the recorder on `page` has a session and rrweb has taken the
 * page's FullSnapshot (the `snapshots`-th of the visit), flushing so that
 * the snapshot shows up in a captured batch.
 * @param {import('playwright-core').Page} page
 * @param {ReturnType<typeof captureBatches>} capture
 * @param {number} snapshots
 * @returns {Promise<string>} the session id
 */
async function waitForRecording(page, capture, snapshots) {
  const sessionId = await waitFor(
    () => page.evaluate(() => /** @type {any} */ (window).Playback?.getSessionId() ?? null),
    { timeout: 30_000, interval: 100, message: 'Playback.getSessionId() on ' + page.url() },
  );
  await waitFor(
    async () => {
      await page.evaluate(() => /** @type {any} */ (window).Playback.flush());
      return capture.fullSnapshots() >= snapshots;
    },
    { timeout: 30_000, interval: 200, message: `FullSnapshot #${snapshots} sent from ${page.url()}` },
  );
  return /** @type {string} */ (sessionId);
}

/**
 * Plays the demo visit: the signup form (with a password), the cart, a
 * scroll, identify, a custom event, an error, then page 2, a flush and the
 * tab closed.
 * @param {import('playwright-core').Browser} browser
 * @param {string} baseUrl
 * @returns {Promise<DemoSession>}
 */
export async function recordDemoSession(browser, baseUrl) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const capture = captureBatches(context);
  try {
    const page = await context.newPage();
    let clicks = 0;
    /** @param {string} selector */
    const click = async (selector) => {
      await page.click(selector);
      clicks++;
    };

    await page.goto(`${baseUrl}/demo/`);
    const sessionId = await waitForRecording(page, capture, 1);

    await click('#name');
    await page.keyboard.type(DEMO_NAME, { delay: 20 });
    await click('#password');
    await page.keyboard.type(DEMO_PASSWORD, { delay: 20 });
    await click('#subscribe');
    await page.selectOption('#plan', 'pro');
    await click('#submit');
    await page.locator('#confirmation').waitFor({ state: 'visible' });
    await click('#add-item');
    await sleep(500);
    const midTimestamp = await page.evaluate(() => Date.now());
    await sleep(500);

    await page.hover('#catalog');
    for (let i = 0; i < 5; i++) {
      await page.mouse.wheel(0, 400);
      await sleep(150);
    }
    await click('#identify');
    await click('#track');
    await click('#throw-error');
    await sleep(300);

    await click('#to-page2');
    await page.waitForURL('**/demo/page2.html');
    const sessionOnPage2 = await waitForRecording(page, capture, 2);
    assert.equal(sessionOnPage2, sessionId, 'page 2 continues the session of page 1');
    await click('#page2-action');
    const flushed = await page.evaluate(() => /** @type {any} */ (window).Playback.flush());
    assert.equal(flushed, true, 'Playback.flush() resolves true once the gateway accepted everything');
    await page.close();
    // Whatever pagehide hands over leaves now; give its request time to be seen.
    await sleep(1000);
    capture.assertNoProblems();
    return { sessionId, clicks, midTimestamp, batches: capture.batches, eventsByWindow: capture.eventsByWindow };
  } finally {
    await context.close();
  }
}

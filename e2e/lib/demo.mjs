/**
 * Records one visit of the demo site (`/demo/` then `/demo/page2.html`) in
 * Chromium, through a proxy that keeps every batch the recorder sent, so a
 * test knows exactly which rrweb events the recorder emitted.
 */
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from './api.mjs';
import { startBatchProxy } from './proxy.mjs';

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
 * @property {string} siteUrl the origin the browser visited (the proxy in front of the server)
 * @property {Map<string, SentBatch>} batches by `window_id/seq`, each batch once
 * @property {import('./proxy.mjs').ProxiedBatch[]} requests every `POST /v1/batches` as the browser sent it, in order
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
 * The batches seen by `proxy`, each `(window, seq)` once.
 * @param {{batches: import('./proxy.mjs').ProxiedBatch[]}} proxy
 */
export function sentBatches(proxy) {
  /** @returns {Map<string, SentBatch>} */
  function unique() {
    /** @type {Map<string, SentBatch>} */
    const batches = new Map();
    for (const proxied of proxy.batches) {
      const batch = decodeBatchBody(proxied.body);
      const key = `${batch.window_id}/${batch.seq}`;
      const earlier = batches.get(key);
      if (earlier === undefined) {
        batches.set(key, batch);
      } else {
        assert.deepStrictEqual(batch.events, earlier.events, `batch ${key} was sent twice with different events`);
      }
    }
    return batches;
  }

  /** Throws unless every batch sent was accepted (200) at least once. */
  function assertAllAccepted() {
    /** @type {Map<string, Array<number | null>>} */
    const statuses = new Map();
    for (const proxied of proxy.batches) {
      const batch = decodeBatchBody(proxied.body);
      const key = `${batch.window_id}/${batch.seq}`;
      statuses.set(key, [...(statuses.get(key) ?? []), proxied.status]);
    }
    for (const [key, answers] of statuses) {
      assert.ok(answers.includes(200), `batch ${key} was never accepted; the gateway answered ${JSON.stringify(answers)}`);
    }
  }

  /** @returns {Map<string, any[]>} each window's events, its batches in seq order */
  function eventsByWindow() {
    /** @type {Map<string, SentBatch[]>} */
    const perWindow = new Map();
    for (const batch of unique().values()) {
      const list = perWindow.get(batch.window_id) ?? [];
      list.push(batch);
      perWindow.set(batch.window_id, list);
    }
    /** @type {Map<string, any[]>} */
    const result = new Map();
    for (const [windowId, list] of perWindow) {
      list.sort((a, b) => a.seq - b.seq);
      list.forEach((batch, index) => {
        assert.equal(batch.seq, index, `window ${windowId}: the seqs sent are not 0..n`);
      });
      result.set(windowId, list.flatMap((batch) => batch.events));
    }
    return result;
  }

  function fullSnapshots() {
    let count = 0;
    for (const batch of unique().values()) {
      count += batch.events.filter((event) => event.type === RRWEB_FULL_SNAPSHOT).length;
    }
    return count;
  }

  return { unique, assertAllAccepted, eventsByWindow, fullSnapshots };
}

/**
 * Waits until the recorder on `page` has a session and rrweb has taken the
 * page's FullSnapshot (the `snapshots`-th of the visit), flushing so that
 * the snapshot shows up in a captured batch.
 * @param {import('playwright-core').Page} page
 * @param {ReturnType<typeof sentBatches>} capture
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
 * @param {string} serverUrl
 * @returns {Promise<DemoSession>}
 */
export async function recordDemoSession(browser, serverUrl) {
  const proxy = await startBatchProxy(serverUrl);
  const capture = sentBatches(proxy);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    let clicks = 0;
    /** @param {string} selector */
    const click = async (selector) => {
      await page.click(selector);
      clicks++;
    };

    await page.goto(`${proxy.url}/demo/`);
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
    // Whatever pagehide hands over leaves now; give its request time to arrive.
    await sleep(1000);
    await proxy.close();
    capture.assertAllAccepted();
    return {
      sessionId,
      clicks,
      midTimestamp,
      siteUrl: proxy.url,
      batches: capture.unique(),
      requests: [...proxy.batches],
      eventsByWindow: capture.eventsByWindow,
    };
  } finally {
    await context.close();
    await proxy.close();
  }
}

/**
 * The transcript of a /demo visit reads as words: every click and input has a
 * title made of the element's label (no selector, never empty), page views
 * have the page's title, identify is its own row. Device names are what
 * people call them (an iPhone is "iOS 17.4", Edge is "Edge"), the screen and
 * the viewport are kept apart, two changes of one select are two inputs, the
 * last click of a recording is not dead, and a tab opened with
 * `__playback_no_record=1` is not recorded (docs/transcript.md).
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Api, waitFor } from '../lib/api.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { DEMO_USER_ID, recordDemoSession } from '../lib/demo.mjs';
import { startServer, step, withServerLog } from '../lib/server.mjs';

const IPHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const EDGE_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0';

/** The clicks of recordDemoSession, in order, as the transcript titles them. */
const DEMO_CLICKS = [
  'Clicked "Full name" field',
  'Clicked "Password" field',
  'Clicked "Send me the weekly newsletter" checkbox',
  'Clicked "Create account"',
  'Clicked "Add an item"',
  'Clicked "Sign in as Ada"',
  'Clicked "Browse the spring collection"',
  'Clicked "Check out"',
  'Clicked "Shipping & returns" link',
  'Clicked "Estimate my delivery date"',
];
const DEMO_INPUTS = [
  'Changed "Full name"',
  'Changed "Password"',
  'Changed "Send me the weekly newsletter"',
  'Changed "Plan"',
];

/**
 * @param {any[]} events
 * @param {string} kind
 */
function titlesOf(events, kind) {
  return events.filter((event) => event.kind === kind).map((event) => event.title);
}

/**
 * Opens /demo/ in a context of its own and waits until the recorder has a session.
 * @param {import('playwright-core').Browser} browser
 * @param {string} url
 * @param {import('playwright-core').BrowserContextOptions} options
 */
async function openDemo(browser, url, options) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto(url);
  const sessionId = await waitFor(
    () => page.evaluate(() => /** @type {any} */ (window).Playback?.getSessionId() ?? null),
    { timeout: 30_000, interval: 100, message: `a recorded session on ${url}` },
  );
  return { context, page, sessionId: /** @type {string} */ (sessionId) };
}

test('the demo transcript reads as words, devices are named, selects counted, and the no-record marker is honoured', { timeout: 300_000 }, async (t) => {
  // Sessions close 3 s after their last batch, so that a close is seen within the test.
  process.env.PLAYBACK_SESSIONIZER__IDLE_TIMEOUT_MS = '3000';
  process.env.PLAYBACK_SESSIONIZER__CLOSE_CHECK_INTERVAL_MS = '500';
  const server = await startServer(t).finally(() => {
    delete process.env.PLAYBACK_SESSIONIZER__IDLE_TIMEOUT_MS;
    delete process.env.PLAYBACK_SESSIONIZER__CLOSE_CHECK_INTERVAL_MS;
  });
  const browser = await launchBrowser(t);
  const api = new Api(server.url);

  await withServerLog(server, async () => {
    const demo = await recordDemoSession(browser, server.url);

    await step(t, server, 'every click and input of the demo visit has a title in words', async () => {
      const events = await waitFor(
        async () => {
          const transcript = await api.events(demo.sessionId);
          assert.equal(titlesOf(transcript, 'click').length, demo.clicks, 'click rows');
          assert.equal(titlesOf(transcript, 'page_view').length, 2, 'page views');
          return transcript;
        },
        { timeout: 60_000, message: `the transcript of ${demo.sessionId}` },
      );
      for (const event of events.filter((/** @type {any} */ row) => row.kind === 'click' || row.kind === 'input')) {
        assert.match(event.title, /^(Clicked|Changed) "[^"#[\]]+"( [a-z ]+)?$/, `a title in words: ${JSON.stringify(event)}`);
        assert.ok(!event.title.includes('*'), `no masked text in ${event.title}`);
      }
      assert.deepEqual(titlesOf(events, 'click'), DEMO_CLICKS);
      assert.deepEqual(titlesOf(events, 'input'), DEMO_INPUTS);
      assert.deepEqual(titlesOf(events, 'page_view'), ['Viewed "Acme Store"', 'Viewed "Shipping & returns · Acme Store"']);
      assert.deepEqual(titlesOf(events, 'identify'), [`Identified as ${DEMO_USER_ID}`]);
      assert.deepEqual(titlesOf(events, 'exception'), ['Error: Uncaught Error: Demo error: checkout failed']);
      assert.deepEqual(titlesOf(events, 'custom'), ['demo_clicked']);
      const password = events.find((/** @type {any} */ row) => row.title === 'Clicked "Password" field');
      assert.equal(password?.target, 'input[type=password]#password', 'the selector stays in target');
    });

    await step(t, server, 'an iPhone visit: iOS 17.4, its screen and viewport apart, two select changes, the last click not dead', async () => {
      const iphone = await openDemo(browser, `${server.url}/demo/`, {
        userAgent: IPHONE_UA,
        viewport: { width: 390, height: 664 },
        screen: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
      });
      await iphone.page.selectOption('#plan', 'pro');
      await sleep(500);
      await iphone.page.selectOption('#plan', 'team');
      await sleep(300);
      // The last click, on text that nothing answers, and the tab closes right after it.
      await iphone.page.click('.hero p');
      await iphone.page.evaluate(() => /** @type {any} */ (window).Playback.flush());
      await iphone.context.close();
      const session = await waitFor(
        async () => {
          const detail = await api.session(iphone.sessionId);
          assert.equal(detail.closed, true, 'closed');
          return detail;
        },
        { timeout: 60_000, message: `the iPhone session ${iphone.sessionId} closed` },
      );
      assert.deepEqual(
        [session.os, session.os_version, session.browser, session.browser_version, session.device_type],
        ['iOS', '17.4', 'Safari', '17.4', 'mobile'],
      );
      assert.deepEqual([session.screen_width, session.screen_height], [390, 844], 'the screen');
      assert.deepEqual([session.viewport_width, session.viewport_height], [390, 664], 'the viewport');
      assert.equal(session.inputs, 2, 'two changes of the select are two inputs');
      assert.equal(session.dead_clicks, 0, 'the recording ended right after the last click: not dead');
      const events = await api.events(iphone.sessionId);
      assert.deepEqual(titlesOf(events, 'input'), ['Changed "Plan"', 'Changed "Plan"']);
      assert.deepEqual(titlesOf(events, 'dead_click'), []);
    });

    await step(t, server, 'an Edge visit is Edge on Windows 10', async () => {
      const edge = await openDemo(browser, `${server.url}/demo/`, {
        userAgent: EDGE_UA,
        viewport: { width: 1280, height: 720 },
        screen: { width: 1920, height: 1080 },
      });
      await edge.page.click('#add-item');
      await edge.page.evaluate(() => /** @type {any} */ (window).Playback.flush());
      await edge.context.close();
      const session = await waitFor(() => api.session(edge.sessionId), {
        timeout: 60_000,
        message: `the Edge session ${edge.sessionId}`,
      });
      assert.deepEqual([session.browser, session.browser_version, session.os, session.os_version], ['Edge', '131', 'Windows', '10']);
      assert.deepEqual([session.screen_width, session.screen_height, session.viewport_width, session.viewport_height], [1920, 1080, 1280, 720]);
    });

    await step(t, server, 'a tab opened with __playback_no_record=1 is not recorded and loses the parameter', async () => {
      const before = (await api.listSessions()).map((session) => session.session_id);
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${server.url}/demo/?__playback_no_record=1`);
      await page.waitForLoadState('load');
      assert.equal(new URL(page.url()).search, '', `the address bar: ${page.url()}`);
      await page.click('#add-item');
      await sleep(1500);
      assert.equal(await page.evaluate(() => /** @type {any} */ (window).Playback.getSessionId()), null);
      await page.click('#to-page2');
      await page.waitForURL('**/demo/page2.html');
      await page.click('#page2-action');
      await sleep(1500);
      assert.equal(await page.evaluate(() => /** @type {any} */ (window).Playback.getSessionId()), null, 'page 2 of the tab');
      assert.equal(await page.evaluate(() => sessionStorage.getItem('playback.no_record')), '1');
      await context.close();
      await sleep(2000);
      const after = (await api.listSessions()).map((session) => session.session_id);
      assert.deepEqual(after.filter((id) => !before.includes(id)), [], 'no new session');
    });
  });
});

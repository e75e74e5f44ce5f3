/**
 * Fills a Playback server with a small, known set of sessions recorded by the
 * real recorder in Chromium from /demo, for the UI tests: different paths
 * (some visit page 2), users (identified with traits, and one anonymous
 * visitor), devices (desktop Chrome on Linux, an iPhone, Firefox on Windows),
 * custom events, an error, rage clicks, a dead click and a long idle stretch.
 *
 * | name    | device                 | user                                 | pages | also                                                  |
 * |---------|------------------------|--------------------------------------|-------|-------------------------------------------------------|
 * | `ada1`  | desktop Chrome, Linux  | ada@example.com, plan=pro            | 2     | `checkout_started {step: cart}`, a JS error, ~20 s of steady activity |
 * | `ada2`  | desktop Chrome, Linux  | ada@example.com (her 2nd session)    | 1     | short                                                 |
 * | `grace` | iPhone Safari (mobile) | u-grace, email grace@example.com, plan=free | 2 | `coupon_applied {code: SPRING}`, a dead click, ~30 s idle |
 * | `anon`  | desktop Firefox, Windows | anonymous                          | 1     | rage clicks (3 quick clicks on one button)            |
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseJson, waitFor } from './api.mjs';

export const ADA = { id: 'ada@example.com', traits: { plan: 'pro', email: 'ada@example.com', name: 'Ada' } };
export const GRACE = { id: 'u-grace', traits: { plan: 'free', email: 'grace@example.com', name: 'Grace' } };
export const ADA_EVENT = { name: 'checkout_started', props: { step: 'cart' } };
export const GRACE_EVENT = { name: 'coupon_applied', props: { code: 'SPRING' } };
/** Grace does nothing for this long between page 1 and page 2. */
export const GRACE_IDLE_MS = 30_000;
/** Ada keeps moving the mouse for this long in her first session. */
export const ADA_ACTIVE_MS = 20_000;

/** Browser contexts of the seeded devices. */
export const DEVICES = {
  desktopChrome: {
    viewport: { width: 1280, height: 800 },
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  },
  iphone: {
    viewport: { width: 390, height: 844 },
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    isMobile: true,
    hasTouch: true,
    deviceScaleFactor: 3,
  },
  firefoxWindows: {
    viewport: { width: 1366, height: 768 },
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0',
  },
};

/**
 * @typedef {object} SeededSession
 * @property {string} name `ada1`, `ada2`, `grace` or `anon`
 * @property {string} sessionId
 * @property {string} userId '' for the anonymous visitor
 */

/**
 * @typedef {object} Seed
 * @property {string} origin where the demo was visited (the server)
 * @property {Record<'ada1' | 'ada2' | 'grace' | 'anon', SeededSession>} sessions
 */

/**
 * Waits until the recorder on `page` records, and returns the session id.
 * @param {import('playwright-core').Page} page
 * @returns {Promise<string>}
 */
async function recording(page) {
  return waitFor(
    () => page.evaluate(() => /** @type {any} */ (window).Playback?.getSessionId() ?? null),
    { timeout: 30_000, interval: 100, message: `Playback.getSessionId() on ${page.url()}` },
  );
}

/**
 * Sends everything recorded so far and checks that the gateway accepted it.
 * @param {import('playwright-core').Page} page
 */
async function flush(page) {
  const flushed = await page.evaluate(() => /** @type {any} */ (window).Playback.flush());
  assert.equal(flushed, true, `Playback.flush() on ${page.url()} resolves true`);
}

/**
 * @param {import('playwright-core').Page} page
 * @param {{id: string, traits: Record<string, string>}} user
 */
async function identify(page, user) {
  await page.evaluate(({ id, traits }) => /** @type {any} */ (window).Playback.identify(id, traits), user);
}

/**
 * @param {import('playwright-core').Page} page
 * @param {{name: string, props: Record<string, string>}} event
 */
async function track(page, event) {
  await page.evaluate(({ name, props }) => /** @type {any} */ (window).Playback.track(name, props), event);
}

/**
 * Moves the mouse in small steps for `durationMs`, which keeps the session active.
 * @param {import('playwright-core').Page} page
 * @param {number} durationMs
 */
async function keepMoving(page, durationMs) {
  const deadline = Date.now() + durationMs;
  let step = 0;
  while (Date.now() < deadline) {
    const x = 200 + ((step * 97) % 700);
    const y = 150 + ((step * 53) % 400);
    await page.mouse.move(x, y, { steps: 3 });
    step++;
    await sleep(300);
  }
}

/**
 * Keeps the session active for `durationMs` with mouse moves, and adds an item
 * to the cart every 2.5 s, so the transcript has events all along.
 * @param {import('playwright-core').Page} page
 * @param {number} durationMs
 */
async function keepShopping(page, durationMs) {
  const deadline = Date.now() + durationMs;
  while (Date.now() < deadline) {
    await keepMoving(page, 2000);
    await page.click('#add-item');
  }
}

/**
 * Goes to page 2 through the link in the header and waits until it records.
 * @param {import('playwright-core').Page} page
 * @param {string} sessionId
 */
async function toPage2(page, sessionId) {
  await page.click('#to-page2');
  await page.waitForURL('**/demo/page2.html');
  assert.equal(await recording(page), sessionId, 'page 2 continues the session of page 1');
}

/**
 * One visit in a fresh browser context (so a new session), closed at the end.
 * @param {import('playwright-core').Browser} browser
 * @param {string} origin
 * @param {import('playwright-core').BrowserContextOptions} device
 * @param {(page: import('playwright-core').Page, sessionId: string) => Promise<void>} script
 * @returns {Promise<string>} the session id
 */
async function visit(browser, origin, device, script) {
  const context = await browser.newContext(device);
  try {
    const page = await context.newPage();
    await page.goto(`${origin}/demo/`);
    const sessionId = await recording(page);
    await script(page, sessionId);
    await flush(page);
    await page.close();
    return sessionId;
  } finally {
    await context.close();
  }
}

/**
 * Ada's first visit: the signup form, a custom event, ~20 s of steady
 * activity with a click every few seconds, an error (with a click that reacts right after, so no dead
 * click), then page 2.
 * @param {import('playwright-core').Browser} browser
 * @param {string} origin
 */
function recordAda1(browser, origin) {
  return visit(browser, origin, DEVICES.desktopChrome, async (page, sessionId) => {
    await identify(page, ADA);
    await page.click('#name');
    await page.keyboard.type('Ada Lovelace', { delay: 30 });
    await page.click('#password');
    await page.keyboard.type('not-the-real-one', { delay: 30 });
    await page.click('#subscribe');
    await page.selectOption('#plan', 'pro');
    await page.click('#submit');
    await page.locator('#confirmation').waitFor({ state: 'visible' });
    await track(page, ADA_EVENT);
    await page.click('#add-item');
    await keepShopping(page, ADA_ACTIVE_MS);
    await page.click('#throw-error');
    await page.click('#add-item');
    await sleep(300);
    await toPage2(page, sessionId);
    await page.click('#page2-action');
    await sleep(500);
  });
}

/**
 * Ada's second, short visit.
 * @param {import('playwright-core').Browser} browser
 * @param {string} origin
 */
function recordAda2(browser, origin) {
  return visit(browser, origin, DEVICES.desktopChrome, async (page) => {
    await identify(page, ADA);
    await page.click('#add-item');
    await keepMoving(page, 1500);
    await page.click('#add-item');
    await sleep(300);
  });
}

/**
 * Grace on an iPhone: a custom event, a click on plain text that nothing
 * answers (a dead click), a long idle stretch, then page 2.
 * @param {import('playwright-core').Browser} browser
 * @param {string} origin
 */
function recordGrace(browser, origin) {
  return visit(browser, origin, DEVICES.iphone, async (page, sessionId) => {
    await identify(page, GRACE);
    // First, while nothing has scrolled: plain text that nothing answers.
    await page.click('.hero p');
    await sleep(1500);
    // An event after the dead-click window: the sessionizer then knows nothing answered.
    await page.mouse.move(30, 40, { steps: 2 });
    await track(page, GRACE_EVENT);
    await page.click('#add-item');
    await flush(page);
    await sleep(GRACE_IDLE_MS);
    await toPage2(page, sessionId);
    await page.click('#page2-action');
    await sleep(500);
  });
}

/**
 * An anonymous visitor on Firefox: three quick clicks on one button (a rage
 * click; the button answers each, so none is dead).
 * @param {import('playwright-core').Browser} browser
 * @param {string} origin
 */
function recordAnonymous(browser, origin) {
  return visit(browser, origin, DEVICES.firefoxWindows, async (page) => {
    await page.click('#add-item');
    await page.click('#add-item');
    await page.click('#add-item');
    await keepMoving(page, 2000);
  });
}

/**
 * Records the four sessions: Ada's first with Grace's in parallel, then Ada's
 * second and the anonymous one, so that Ada's sessions start in order.
 * @param {import('playwright-core').Browser} browser
 * @param {string} origin the server, which serves /demo and the recorder
 * @returns {Promise<Seed>}
 */
export async function seedSessions(browser, origin) {
  const [ada1, grace] = await Promise.all([recordAda1(browser, origin), recordGrace(browser, origin)]);
  const ada2 = await recordAda2(browser, origin);
  const anon = await recordAnonymous(browser, origin);
  // What pagehide sends leaves now; give it time to arrive.
  await sleep(1000);
  return {
    origin,
    sessions: {
      ada1: { name: 'ada1', sessionId: ada1, userId: ADA.id },
      ada2: { name: 'ada2', sessionId: ada2, userId: ADA.id },
      grace: { name: 'grace', sessionId: grace, userId: GRACE.id },
      anon: { name: 'anon', sessionId: anon, userId: '' },
    },
  };
}

/**
 * The seeded sessions' ids by name, and their names by id.
 * @param {Seed} seed
 * @returns {{ids: Record<string, string>, nameById: Map<string, string>}}
 */
export function seededIds(seed) {
  /** @type {Record<string, string>} */
  const ids = {};
  /** @type {Map<string, string>} */
  const nameById = new Map();
  for (const [name, seeded] of Object.entries(seed.sessions)) {
    ids[name] = seeded.sessionId;
    nameById.set(seeded.sessionId, name);
  }
  return { ids, nameById };
}

/**
 * A query API client that sends the API token, when there is one.
 */
export class QueryClient {
  /**
   * @param {string} baseUrl
   * @param {string | undefined} token
   */
  constructor(baseUrl, token) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.token = token;
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @returns {Promise<{status: number, text: string, json: any}>}
   */
  async request(method, path, body) {
    /** @type {Record<string, string>} */
    const headers = { Accept: 'application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(this.baseUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, text, json: parseJson(text) };
  }

  /**
   * GET that must answer 200; returns the parsed body.
   * @param {string} path
   * @returns {Promise<any>}
   */
  async get(path) {
    const response = await this.request('GET', path);
    if (response.status !== 200) {
      throw new Error(`GET ${path} answered ${response.status}: ${response.text.slice(0, 300)}`);
    }
    return response.json;
  }

  /**
   * Every session of the list for `query`, following `next_cursor`.
   * @param {string} [query]
   * @returns {Promise<any[]>}
   */
  async sessions(query = '') {
    /** @type {any[]} */
    const sessions = [];
    /** @type {string | null} */
    let cursor = null;
    for (let page = 0; page < 50; page++) {
      const params = new URLSearchParams(query);
      params.set('limit', '500');
      if (cursor !== null) params.set('cursor', cursor);
      const body = await this.get(`/v1/sessions?${params}`);
      sessions.push(...body.sessions);
      cursor = body.next_cursor ?? null;
      if (cursor === null) break;
    }
    return sessions;
  }
}

/**
 * The span of a session's recording, client clock: last event minus first.
 * @param {Array<{events: Array<{timestamp: number}>}>} windows
 */
function recordingSpan(windows) {
  let first = Infinity;
  let last = -Infinity;
  for (const window of windows) {
    for (const event of window.events) {
      first = Math.min(first, event.timestamp);
      last = Math.max(last, event.timestamp);
    }
  }
  return last - first;
}

/**
 * Waits until every seeded session is listed with its page views, its score,
 * and a complete recording (its span matches the session's duration), and
 * nothing changed for two polls in a row. Returns the summaries by name.
 * @param {QueryClient} client
 * @param {Seed} seed
 * @returns {Promise<Record<'ada1' | 'ada2' | 'grace' | 'anon', any>>}
 */
export async function waitForSeed(client, seed) {
  const expectedPages = { ada1: 2, ada2: 1, grace: 2, anon: 1 };
  /** @type {string | null} */
  let previous = null;
  return waitFor(
    async () => {
      const listed = await client.sessions(`from=${Date.now() - 3_600_000}`);
      /** @type {Record<string, any>} */
      const byName = {};
      for (const [name, seeded] of Object.entries(seed.sessions)) {
        const summary = listed.find((candidate) => candidate.session_id === seeded.sessionId);
        assert.ok(summary, `session ${name} (${seeded.sessionId}) is listed`);
        assert.equal(summary.page_views, expectedPages[/** @type {keyof typeof expectedPages} */ (name)], `${name}: page_views`);
        const recording = await client.get(`/v1/sessions/${seeded.sessionId}/recording`);
        const span = recordingSpan(recording.windows);
        assert.ok(Math.abs(span - summary.duration_ms) < 400, `${name}: recording span ${span} ms vs duration ${summary.duration_ms} ms`);
        byName[name] = summary;
      }
      const fingerprint = JSON.stringify(
        Object.values(byName).map((summary) => [summary.session_id, summary.end_time, summary.events, summary.dead_clicks]),
      );
      const stable = fingerprint === previous;
      previous = fingerprint;
      return stable ? /** @type {Record<'ada1' | 'ada2' | 'grace' | 'anon', any>} */ (byName) : null;
    },
    { timeout: 90_000, interval: 1500, message: 'the seeded sessions are complete and stable' },
  );
}

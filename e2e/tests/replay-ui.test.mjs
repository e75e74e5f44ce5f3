/**
 * The replay UI against a running Playback filled with sessions recorded in
 * Chromium (lib/seed.mjs): the API token, every list filter, the end-time
 * range, saved filters, the user and score hover cards, a row's timeline,
 * the session page (user, "N of M", device, address bar, timeline, transcript
 * sync, speed, skip idle, activity counter, shortcuts), notes, share links
 * and the shared view, and similar sessions.
 *
 * The UI runs in a browser whose time zone is New York, so a range read as
 * local time instead of UTC would be hours off.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import test from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../lib/api.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { ARTIFACTS_DIR } from '../lib/paths.mjs';
import { ADA, ADA_EVENT, GRACE, GRACE_EVENT, QueryClient, seededIds, seedSessions, waitForSeed } from '../lib/seed.mjs';
import { startServer, step, withServerLog } from '../lib/server.mjs';

const ALL = ['ada1', 'ada2', 'anon', 'grace'];
const SCORE_FACTORS = ['clicks', 'urls', 'inputs', 'activity', 'recency'];
/** The activity counter and the session's active_ms differ by the clock-offset jitter between batches. */
const ACTIVE_TOLERANCE_MS = 300;

/**
 * The demo project's admin token.
 * @param {import('../lib/server.mjs').PlaybackServer} server
 * @returns {string}
 */
function adminToken(server) {
  return server.tokens.admin;
}

/** `2025-11-28 03:20` (UTC), as the UI writes dates. */
function utcMinute(/** @type {number} */ ms) {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** The text of a date input for `ms`: 24-hour UTC, seconds precision. */
function utcInput(/** @type {number} */ ms) {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

test('the replay UI finds, plays, annotates and shares sessions', { timeout: 900_000 }, async (t) => {
  const server = await startServer(t);
  const browser = await launchBrowser(t);
  const token = adminToken(server);
  t.diagnostic(token ? 'the server printed an admin token' : 'no admin token: the server does not require one yet');
  const client = new QueryClient(server.url, token);

  const seed = await withServerLog(server, () => seedSessions(browser, server.url));
  const summaries = await withServerLog(server, () => waitForSeed(client, seed));
  const { ids, nameById } = seededIds(seed);
  t.diagnostic(
    Object.entries(summaries)
      .map(([name, s]) => `${name}: ${s.duration_ms} ms, active ${s.active_ms} ms, score ${s.score}, ${s.browser}/${s.os}/${s.device_type}`)
      .join('; '),
  );
  await mkdir(ARTIFACTS_DIR, { recursive: true });

  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: 'America/New_York' });
  t.after(() => context.close());
  const page = await context.newPage();
  /** @type {string[]} */
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(token ? `${server.url}/#token=${encodeURIComponent(token)}` : `${server.url}/`);

  /** @param {string} [query] */
  const gotoList = async (query = '') => {
    await page.goto(`${server.url}/${query ? `?${query}` : ''}`);
    await page.locator('#session-list[data-state=ready], #session-list[data-state=error]').waitFor({ timeout: 30_000 });
  };

  /** The seeded sessions the list shows, by name, sorted. Throws while it loads. */
  const listedNames = async () => {
    const state = await page.locator('#session-list').getAttribute('data-state');
    if (state === 'error') {
      throw new Error(`the list failed: ${await page.locator('[data-testid=list-error]').textContent()}`);
    }
    assert.equal(state, 'ready', 'the list is loaded');
    const rows = await page.locator('#session-list tr[data-session-id]').evaluateAll((elements) =>
      elements.map((element) => /** @type {HTMLElement} */ (element).dataset.sessionId ?? ''),
    );
    return rows.map((id) => nameById.get(id) ?? `unknown session ${id}`).sort();
  };

  /**
   * Waits until the list shows exactly `expected`.
   * @param {string[]} expected
   * @param {string} what
   */
  const expectRows = async (expected, what) => {
    await waitFor(
      async () => {
        assert.deepEqual(await listedNames(), [...expected].sort(), what);
        return true;
      },
      { timeout: 20_000, interval: 200, message: what },
    );
    if (expected.length === 0) {
      assert.ok(await page.locator('[data-testid=empty-state]').isVisible(), `${what}: the empty state is shown`);
    }
  };

  /** @param {string} name */
  const param = (name) => new URL(page.url()).searchParams.getAll(name);

  /**
   * Shows the chip of the filter whose control `selector` is, adding it from
   * the "+ Filter" menu when it is not shown yet (a flag is ticked by that).
   * @param {string} selector
   */
  const ensureFilter = async (selector) => {
    const control = page.locator(selector).first();
    if (await control.isVisible()) return;
    const key = await control.evaluate((element) => element.closest('[data-filter]')?.getAttribute('data-filter') ?? '');
    assert.ok(key, `${selector} belongs to a filter chip`);
    await page.click('[data-testid=add-filter]');
    await page.click(`[data-testid=add-filter-option][data-filter="${key}"]`);
    await control.waitFor({ state: 'visible', timeout: 5000 });
  };

  /** Ticks a flag filter (adding its chip). @param {string} selector */
  const checkFilter = async (selector) => {
    await ensureFilter(selector);
    await page.check(selector);
  };

  /** Chooses an option of a select filter (adding its chip). @param {string} selector @param {string} value */
  const selectFilter = async (selector, value) => {
    await ensureFilter(selector);
    await page.selectOption(selector, value);
  };

  /** Opens the saved filters menu unless it is open. */
  const openSavedFilters = async () => {
    if (!(await page.locator('[data-testid=saved-filters]').isVisible())) await page.click('[data-testid=saved-filters-menu]');
    await page.locator('[data-testid=saved-filters]').waitFor({ state: 'visible', timeout: 5000 });
  };

  /**
   * Fills a text or number filter (adding its chip) and presses Enter.
   * @param {string} selector
   * @param {string} value
   */
  const fillFilter = async (selector, value) => {
    if (!selector.startsWith('#from') && !selector.startsWith('#to')) await ensureFilter(selector);
    await page.fill(selector, value);
    await page.press(selector, 'Enter');
  };

  /** @param {string} sessionName */
  const openSession = async (sessionName, query = '') => {
    await page.goto(`${server.url}/sessions/${ids[sessionName]}${query}`);
    await page.locator('[data-testid=session-header]').waitFor({ timeout: 30_000 });
    await page.locator('#player iframe').first().waitFor({ state: 'attached', timeout: 30_000 });
    await page.locator('[data-testid=player-controls]').waitFor({ timeout: 30_000 });
  };

  const stageOffset = async () => Number(await page.locator('[data-testid=stage]').getAttribute('data-session-offset'));
  const playerTime = async () => Number(await page.locator('#address-bar').getAttribute('data-player-time'));
  const addressPath = async () => new URL((await page.locator('#address-bar').textContent()) ?? '').pathname;
  /** Waits until the replayed page (not only the address bar) is page two. */
  const expectReplayOnPageTwo = async (/** @type {string} */ what) => {
    await waitFor(
      () =>
        page.evaluate(() => {
          const frame = /** @type {HTMLIFrameElement | null} */ (document.querySelector('#player iframe'));
          const replayed = frame?.contentDocument ?? null;
          return replayed !== null && replayed.querySelector('#page2-action') !== null;
        }),
      { timeout: 10_000, interval: 100, message: `${what}: the replay draws page two` },
    );
  };
  const isPlaying = async () => (await page.locator('[data-testid=play-toggle]').getAttribute('data-state')) === 'playing';
  const pause = async () => {
    if (await isPlaying()) await page.click('[data-testid=play-toggle]');
    await waitFor(async () => !(await isPlaying()), { timeout: 5000, interval: 100, message: 'paused' });
  };
  const play = async () => {
    if (!(await isPlaying())) await page.click('[data-testid=play-toggle]');
    await waitFor(isPlaying, { timeout: 5000, interval: 100, message: 'playing' });
  };
  /** Clicks the seek bar where it means `time`, on its top edge, clear of the marks. */
  const seekTo = async (/** @type {number} */ time) => {
    const track = page.locator('[data-testid=timeline-track]');
    const duration = Number(await track.getAttribute('aria-valuemax'));
    const box = await track.boundingBox();
    assert.ok(box, 'the seek bar is laid out');
    await page.mouse.click(box.x + box.width * Math.min(1, Math.max(0, time / duration)), box.y + 1);
  };
  /** Focuses the page itself, so keys go to the player's shortcuts. */
  const focusPage = async () => {
    await page.evaluate(() => /** @type {HTMLElement | null} */ (document.activeElement)?.blur());
  };
  /** @param {boolean} on */
  const setSkipIdle = async (on) => {
    const button = page.locator('[data-testid=skip-idle]');
    if ((await button.getAttribute('aria-pressed')) !== String(on)) await button.click();
    assert.equal(await button.getAttribute('aria-pressed'), String(on));
  };

  await step(t, server, 'the API token: asked for on 401, taken from #token= and kept in local storage', async (s) => {
    if (!token) {
      s.skip('the server printed no admin token (the backend has no auth yet)');
      return;
    }
    const fresh = await browser.newContext();
    try {
      const other = await fresh.newPage();
      await other.goto(`${server.url}/`);
      await other.locator('[data-testid=token-form]').waitFor({ timeout: 15_000 });
      await other.fill('[data-testid=token-input]', token);
      await other.click('[data-testid=token-submit]');
      await other.locator('#session-list tr[data-session-id]').first().waitFor({ timeout: 15_000 });
      assert.equal(await other.evaluate(() => localStorage.getItem('playback.token')), token);

      await other.evaluate(() => localStorage.setItem('playback.token', 'not-a-token'));
      await other.goto(`${server.url}/`);
      await other.locator('[data-testid=token-form]').waitFor({ timeout: 15_000 });
      assert.match((await other.locator('[data-testid=token-form]').textContent()) ?? '', /did not accept/);

      await other.goto(`${server.url}/?browser=Firefox#token=${encodeURIComponent(token)}`);
      await other.locator('#session-list tr[data-session-id]').first().waitFor({ timeout: 15_000 });
      assert.ok(!other.url().includes('token='), `the token left the address bar: ${other.url()}`);
      assert.equal(new URL(other.url()).searchParams.get('browser'), 'Firefox', 'the filters stay');
      assert.equal(await other.evaluate(() => localStorage.getItem('playback.token')), token);
    } finally {
      await fresh.close();
    }
    assert.ok(!page.url().includes('token='), 'the main page dropped #token= too');
  });

  await step(t, server, 'the list shows each session with its end date, user, score, duration, pages, timeline and device', async () => {
    await gotoList();
    await expectRows(ALL, 'every seeded session');
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'list.png') });
    const hint = (await page.locator('[data-testid=range-hint]').textContent()) ?? '';
    assert.match(hint, /by end time \(UTC\)/);
    assert.match(hint, /ends outside the range is not shown/);

    const row = (/** @type {string} */ name) => page.locator(`tr[data-session-id="${ids[name]}"]`);
    for (const name of ALL) {
      const summary = summaries[/** @type {'ada1'} */ (name)];
      const cells = row(name);
      assert.equal(await cells.locator('[data-col=end] [data-testid=end-time]').textContent(), utcMinute(summary.end_time), `${name}: end date in UTC`);
      assert.equal(await cells.locator('[data-col=page-views]').textContent(), String(summary.page_views), `${name}: pages`);
      assert.equal(await cells.locator('[data-col=score]').textContent(), String(Math.round(summary.score)), `${name}: score`);
      const device = (await cells.locator('[data-col=device]').textContent()) ?? '';
      assert.ok(device.includes(summary.browser) && device.includes(summary.os), `${name}: device ${device}`);
      assert.ok(device.includes(`${summary.screen_width}×${summary.screen_height}`), `${name}: resolution in ${device}`);
      const marks = await cells.locator('[data-testid=row-mark]').evaluateAll((elements) =>
        elements.map((element) => /** @type {HTMLElement} */ (element).dataset.kind),
      );
      const expectedMarks = (summary.marks ?? []).map((/** @type {any} */ mark) => mark.kind);
      assert.deepEqual([...marks].sort(), [...expectedMarks].sort(), `${name}: one timeline mark per listed mark`);
      assert.ok(marks.includes('page_view'), `${name}: the timeline bar has its page views: ${marks}`);
    }
    assert.equal(await row('anon').locator('[data-col=user]').textContent(), 'Anonymous');
    assert.equal(await row('grace').locator('[data-col=user]').textContent(), GRACE.id);
    assert.ok((await row('ada1').locator('[data-testid=row-mark][data-kind=exception]').count()) === 1, 'ada1 shows its error');
    assert.ok((await row('anon').locator('[data-testid=row-mark][data-kind=rage_click]').count()) >= 1, 'anon shows its rage click');
    assert.ok((await row('grace').locator('[data-testid=row-mark][data-kind=dead_click]').count()) === 1, 'grace shows her dead click');
    const legend = await page.locator('[data-testid=mark-legend] [data-kind]').evaluateAll((elements) =>
      elements.map((element) => /** @type {HTMLElement} */ (element).dataset.kind),
    );
    for (const kind of ['page_view', 'click', 'input', 'exception', 'custom', 'rage_click', 'dead_click']) {
      assert.ok(legend.includes(kind), `the legend names ${kind}`);
    }
  });

  await step(t, server, 'sorting by score puts the highest first', async () => {
    await gotoList();
    await page.selectOption('#sort', 'score');
    await waitFor(async () => param('sort')[0] === 'score', { timeout: 5000, interval: 100, message: 'sort=score in the URL' });
    await expectRows(ALL, 'sorted by score');
    const scores = await page.locator('#session-list tr[data-session-id]').evaluateAll((elements) =>
      elements.map((element) => Number(/** @type {HTMLElement} */ (element).dataset.score)),
    );
    for (let i = 1; i < scores.length; i++) assert.ok(scores[i - 1] >= scores[i], `scores in order: ${scores}`);
  });

  await step(t, server, 'filter: event name and event property', async () => {
    await gotoList();
    await fillFilter('#filter-event', GRACE_EVENT.name);
    await expectRows(['grace'], `event=${GRACE_EVENT.name}`);
    assert.deepEqual(param('event'), [GRACE_EVENT.name]);
    await fillFilter('#filter-event-prop', 'code=SPRING');
    await expectRows(['grace'], 'event_prop=code=SPRING');
    assert.deepEqual(param('event_prop'), ['code=SPRING']);
    await fillFilter('#filter-event-prop', 'code=WINTER');
    await expectRows([], 'event_prop=code=WINTER');
    await fillFilter('#filter-event', ADA_EVENT.name);
    await fillFilter('#filter-event-prop', 'step=cart');
    await expectRows(['ada1'], `event=${ADA_EVENT.name}&event_prop=step=cart`);
  });

  await step(t, server, 'filter: user properties, all of which must hold', async () => {
    await gotoList();
    await fillFilter('#filter-user-prop', 'plan=pro');
    await expectRows(['ada1', 'ada2'], 'user_prop=plan=pro');
    await page.click('[data-testid=add-user-prop]');
    await fillFilter('.filter-user-prop >> nth=1', 'name=Ada');
    await expectRows(['ada1', 'ada2'], 'user_prop=plan=pro&user_prop=name=Ada');
    assert.deepEqual(param('user_prop'), ['plan=pro', 'name=Ada']);
    await fillFilter('#filter-user-prop', 'plan=free');
    await expectRows([], 'user_prop=plan=free&user_prop=name=Ada');
    await gotoList('user_prop=plan%3Dfree');
    await expectRows(['grace'], 'user_prop=plan=free');
  });

  await step(t, server, 'filter: user id or email', async () => {
    await gotoList();
    await fillFilter('#filter-user', ADA.id);
    await expectRows(['ada1', 'ada2'], `user=${ADA.id}`);
    await fillFilter('#filter-user', GRACE.traits.email);
    await expectRows(['grace'], 'user=<grace email trait>');
    await fillFilter('#filter-user', GRACE.id);
    await expectRows(['grace'], 'user=<grace id>');
  });

  await step(t, server, 'filter: visited URL, contains and exact', async () => {
    await gotoList();
    await fillFilter('#filter-url', 'page2');
    await expectRows(['ada1', 'grace'], 'url contains page2');
    await selectFilter('#filter-url-match', 'exact');
    await fillFilter('#filter-url', `${seed.origin}/demo/page2`);
    await expectRows([], 'url is exactly .../demo/page2');
    assert.deepEqual(param('url_match'), ['exact']);
    await fillFilter('#filter-url', `${seed.origin}/demo/page2.html`);
    await expectRows(['ada1', 'grace'], 'url is exactly .../demo/page2.html');
  });

  await step(t, server, 'filter: browser, OS and device type', async () => {
    await gotoList();
    await fillFilter('#filter-browser', 'Firefox');
    await expectRows(['anon'], 'browser=Firefox');
    await fillFilter('#filter-browser', 'chrome');
    await expectRows(['ada1', 'ada2'], 'browser=chrome, any case');
    await gotoList();
    await fillFilter('#filter-os', summaries.grace.os);
    await expectRows(['grace'], `os=${summaries.grace.os}`);
    await fillFilter('#filter-os', summaries.anon.os);
    await expectRows(['anon'], `os=${summaries.anon.os}`);
    await gotoList();
    await selectFilter('#filter-device-type', 'mobile');
    await expectRows(['grace'], 'device_type=mobile');
    await selectFilter('#filter-device-type', 'desktop');
    await expectRows(['ada1', 'ada2', 'anon'], 'device_type=desktop');
  });

  await step(t, server, 'filter: duration and active-time ranges', async () => {
    const { ada1, grace } = summaries;
    assert.ok(grace.duration_ms > ada1.duration_ms + 4000, 'grace, with her idle stretch, lasted longest');
    assert.ok(ada1.active_ms > grace.active_ms + 4000, 'ada1 was active longest');
    const durationCut = (ada1.duration_ms + grace.duration_ms) / 2000;
    await gotoList();
    await fillFilter('#filter-min-duration', durationCut.toFixed(1));
    await expectRows(['grace'], `min duration ${durationCut} s`);
    assert.deepEqual(param('min_duration_ms'), [String(Math.round(durationCut * 10) * 100)]);
    await page.fill('#filter-min-duration', '');
    await fillFilter('#filter-max-duration', '10');
    await expectRows(['ada2', 'anon'], 'max duration 10 s');
    await gotoList();
    const activeCut = (ada1.active_ms + grace.active_ms) / 2000;
    await fillFilter('#filter-min-active', activeCut.toFixed(1));
    await expectRows(['ada1'], `min active ${activeCut} s`);
    await page.fill('#filter-min-active', '');
    await fillFilter('#filter-max-active', '10');
    await expectRows(['ada2', 'anon'], 'max active 10 s');
  });

  await step(t, server, 'filter: minimum score', async () => {
    const ranked = Object.entries(summaries).sort((a, b) => b[1].score - a[1].score);
    let cut = -1;
    let gap = 0;
    for (let i = 1; i < ranked.length; i++) {
      const difference = ranked[i - 1][1].score - ranked[i][1].score;
      if (difference > gap) {
        gap = difference;
        cut = i;
      }
    }
    assert.ok(gap >= 4, `the scores are apart enough to cut: ${ranked.map(([n, s]) => `${n}=${s.score}`)}`);
    const threshold = Math.round((ranked[cut - 1][1].score + ranked[cut][1].score) / 2);
    const expected = ranked.slice(0, cut).map(([name]) => name);
    await gotoList();
    await fillFilter('#filter-min-score', String(threshold));
    await expectRows(expected, `min_score=${threshold}`);
  });

  await step(t, server, 'filter: pages viewed range', async () => {
    await gotoList();
    await fillFilter('#filter-min-pages', '2');
    await expectRows(['ada1', 'grace'], 'min_pages=2');
    await page.fill('#filter-min-pages', '');
    await fillFilter('#filter-max-pages', '1');
    await expectRows(['ada2', 'anon'], 'max_pages=1');
  });

  await step(t, server, 'filter: JS errors, rage clicks, dead clicks', async () => {
    await gotoList();
    await checkFilter('#filter-has-errors');
    await expectRows(['ada1'], 'has_errors');
    await page.uncheck('#filter-has-errors');
    await checkFilter('#filter-has-rage-clicks');
    await expectRows(['anon'], 'has_rage_clicks');
    await page.uncheck('#filter-has-rage-clicks');
    await checkFilter('#filter-has-dead-clicks');
    await expectRows(['grace'], 'has_dead_clicks');
    await page.click('#clear-filters');
    await expectRows(ALL, 'cleared');
  });

  await step(t, server, 'filters are in the URL: back and forward step through them', async () => {
    await gotoList();
    await fillFilter('#filter-browser', 'Firefox');
    await expectRows(['anon'], 'browser=Firefox');
    await selectFilter('#filter-device-type', 'mobile');
    await expectRows([], 'Firefox on mobile');
    await page.goBack();
    await expectRows(['anon'], 'back: browser=Firefox');
    assert.equal(await page.inputValue('#filter-device-type'), '');
    await page.goBack();
    await expectRows(ALL, 'back: no filter');
    await page.goForward();
    await expectRows(['anon'], 'forward: browser=Firefox');
    assert.equal(await page.inputValue('#filter-browser'), 'Firefox');
  });

  await step(t, server, 'the end-time range is read as UTC: a session that ends after the range is not listed', async () => {
    const ends = Object.entries(summaries).sort((a, b) => a[1].end_time - b[1].end_time);
    const { grace } = summaries;
    // A whole second inside grace's session, at least 1.5 s from any session's end.
    let to = 0;
    for (let candidate = Math.ceil((grace.start_time + 2000) / 1000) * 1000; candidate < grace.end_time - 1500; candidate += 1000) {
      if (ends.every(([, s]) => Math.abs(s.end_time - candidate) >= 1500)) {
        to = candidate;
        break;
      }
    }
    assert.ok(to > 0, 'a moment inside grace\'s session, away from every end');
    const from = grace.start_time - 60_000;
    const expected = ends.filter(([, s]) => s.end_time >= from && s.end_time < to).map(([name]) => name);
    await gotoList();
    await fillFilter('#from', utcInput(from - (from % 1000)));
    await fillFilter('#to', utcInput(to));
    await waitFor(async () => param('to')[0] === String(to), { timeout: 5000, interval: 100, message: `to=${to} in the URL` });
    assert.equal(param('from')[0], String(from - (from % 1000)));
    await expectRows(expected, `end time in [${utcInput(from)}, ${utcInput(to)}) UTC`);
    assert.ok(!expected.includes('grace'), 'grace started inside the range but ended after it: not listed');

    await fillFilter('#to', utcInput(from - 60_000));
    await page.locator('[data-testid=range-error]').waitFor({ timeout: 5000 });

    await page.click('[data-testid=range-preset][data-preset="24h"]');
    await expectRows(ALL, 'last 24 h');
    const presetFrom = Number(param('from')[0]);
    assert.ok(Math.abs(presetFrom - (Date.now() - 86_400_000)) < 600_000, `from=${presetFrom} is 24 h ago`);
    assert.deepEqual(param('to'), []);
    await page.click('#clear-dates');
    await expectRows(ALL, 'last 7 days');
    assert.deepEqual(param('from'), []);
  });

  await step(t, server, 'saved filters: save the current filters, choose one, delete one', async () => {
    await gotoList();
    await checkFilter('#filter-has-errors');
    await fillFilter('#filter-browser', 'Chrome');
    await expectRows(['ada1'], 'errors in Chrome');
    await openSavedFilters();
    await page.click('[data-testid=save-filter]');
    await page.fill('#save-filter-name', 'Errors in Chrome');
    await page.click('[data-testid=save-filter-submit]');
    const chip = page.locator('[data-testid=saved-filter]', { hasText: 'Errors in Chrome' });
    await chip.waitFor({ timeout: 10_000 });
    const saved = await client.get('/v1/saved-filters');
    const stored = saved.filters.find((/** @type {any} */ filter) => filter.name === 'Errors in Chrome');
    assert.ok(stored, 'the API lists the saved filter');
    const storedQuery = new URLSearchParams(stored.query);
    assert.equal(storedQuery.get('has_errors'), 'true');
    assert.equal(storedQuery.get('browser'), 'Chrome');
    assert.equal(storedQuery.get('from'), null, 'the date range is left out unless asked for');

    await page.click('#clear-filters');
    await expectRows(ALL, 'cleared');
    await page.reload();
    await openSavedFilters();
    await chip.locator('[data-testid=saved-filter-apply]').click();
    await expectRows(['ada1'], 'the saved filter applied');
    assert.deepEqual(param('has_errors'), ['true']);
    assert.deepEqual(param('browser'), ['Chrome']);
    assert.equal(await chip.locator('[data-testid=saved-filter-apply]').getAttribute('aria-pressed'), 'true');

    await openSavedFilters();
    await chip.locator('[data-testid=saved-filter-delete]').click();
    await chip.locator('[data-testid=saved-filter-delete]').click();
    await chip.waitFor({ state: 'detached', timeout: 10_000 });
    const after = await client.get('/v1/saved-filters');
    assert.ok(!after.filters.some((/** @type {any} */ filter) => filter.filter_id === stored.filter_id), 'deleted in the API');
  });

  await step(t, server, 'hover cards: a user\'s sessions and first visit, a score\'s breakdown', async () => {
    await gotoList();
    await expectRows(ALL, 'every session');
    await page.hover(`tr[data-session-id="${ids.ada2}"] [data-testid=row-user]`);
    const card = page.locator('[data-testid=user-card][data-state=ready]');
    await card.waitFor({ timeout: 10_000 });
    const user = await client.get(`/v1/users/${encodeURIComponent(ADA.id)}`);
    assert.equal(user.session_count, 2, 'the API counts Ada\'s two sessions');
    assert.equal(user.first_seen, Math.min(summaries.ada1.start_time, summaries.ada2.start_time), 'first seen is her first session\'s start');
    assert.equal(await card.locator('[data-testid=user-card-sessions]').textContent(), '2 sessions');
    assert.equal(await card.locator('[data-testid=user-card-first-seen]').textContent(), `${utcMinute(user.first_seen)} UTC`);

    await page.mouse.move(5, 5);
    await card.waitFor({ state: 'detached', timeout: 5000 });
    await page.hover(`tr[data-session-id="${ids.ada1}"] [data-col=score] .score`);
    const popover = page.locator('[data-testid=score-popover][data-state=ready]');
    await popover.waitFor({ timeout: 10_000 });
    const factors = await popover.locator('tr[data-factor]').evaluateAll((rows) =>
      rows.map((row) => /** @type {HTMLElement} */ (row).dataset.factor),
    );
    for (const factor of SCORE_FACTORS) assert.ok(factors.includes(factor), `the breakdown has ${factor}: ${factors}`);
    await page.mouse.move(5, 5);
  });

  await step(t, server, 'a mark on a row\'s timeline opens the player at that moment, on page two', async () => {
    await gotoList();
    await expectRows(ALL, 'every session');
    const marks = page.locator(`tr[data-session-id="${ids.ada1}"] [data-testid=row-mark][data-kind=page_view]`);
    assert.equal(await marks.count(), 2, 'ada1 has two page views on her row');
    const offset = await marks.nth(1).getAttribute('data-offset-ms');
    await marks.nth(1).click();
    await page.waitForURL(`**/sessions/${ids.ada1}?t=${offset}`);
    await page.locator('#player iframe').first().waitFor({ state: 'attached', timeout: 30_000 });
    await waitFor(async () => (await addressPath()) === '/demo/page2.html', {
      timeout: 15_000,
      interval: 200,
      message: 'the address bar shows page two',
    });
    assert.ok((await playerTime()) > 0, 'the player moved to the mark');
    await expectReplayOnPageTwo('opened from the row\'s mark');
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'player.png') });
  });

  await step(t, server, 'the session page: the user, "N of M", the date and the way back', async () => {
    await openSession('ada2');
    assert.equal(await page.locator('[data-testid=session-user]').textContent(), ADA.id);
    assert.equal(await page.locator('[data-testid=user-session-number]').textContent(), 'Session 2 of 2');
    assert.match((await page.locator('[data-testid=session-date]').textContent()) ?? '', new RegExp(utcMinute(summaries.ada2.start_time)));
    await openSession('ada1');
    assert.equal(await page.locator('[data-testid=user-session-number]').textContent(), 'Session 1 of 2');
    await page.click('[data-testid=session-user]');
    await page.waitForURL((url) => url.pathname === '/' && url.searchParams.get('user') === ADA.id);
    await expectRows(['ada1', 'ada2'], 'all of Ada\'s sessions');
    await openSession('anon');
    assert.equal(await page.locator('[data-testid=session-user]').textContent(), 'Anonymous');
    assert.equal(await page.locator('[data-testid=user-session-number]').count(), 0, 'no "N of M" for an anonymous visitor');
    await page.click('#home');
    // The way back is the list as it was last shown: Ada's sessions.
    await page.waitForURL((url) => url.pathname === '/' && url.searchParams.get('user') === ADA.id);
    await expectRows(['ada1', 'ada2'], 'home: the list with its filters');
  });

  await step(t, server, 'the player: device, address bar, transcript counts and details, timeline marks', async () => {
    await openSession('ada1');
    const device = page.locator('[data-testid=player-device]');
    const deviceText = (await device.textContent()) ?? '';
    assert.ok(deviceText.startsWith('Desktop · Linux') && deviceText.includes('Chrome'), `the device badge: ${deviceText}`);
    await device.hover();
    const devicePopover = page.locator('[data-testid=device-popover][data-state=ready]');
    await devicePopover.waitFor({ timeout: 5000 });
    assert.equal(await devicePopover.locator('[data-testid=device-viewport]').textContent(), '1280×800');
    assert.match((await devicePopover.textContent()) ?? '', new RegExp(summaries.ada1.browser_version.replaceAll('.', '\\.')));
    await page.mouse.move(5, 5);
    await devicePopover.waitFor({ state: 'detached', timeout: 5000 });
    assert.equal(await addressPath(), '/demo/');

    const events = (await client.get(`/v1/sessions/${ids.ada1}/events`)).events;
    const pageViews = events.filter((/** @type {any} */ event) => event.kind === 'page_view').length;
    const actions = events.filter((/** @type {any} */ event) => ['click', 'input', 'custom'].includes(event.kind)).length;
    const counts = page.locator('[data-testid=transcript-counts]');
    assert.equal(await counts.textContent(), `${pageViews} page views · ${actions} actions`);
    assert.equal(await page.locator('#transcript [data-testid=transcript-event]').count(), events.length, 'one tile per event');
    assert.equal(await page.locator('[data-testid=timeline-mark]').count(), events.length, 'one timeline mark per event');

    const exceptionTile = page.locator('#transcript [data-testid=transcript-event][data-kind=exception]');
    await exceptionTile.locator('[data-testid=tile-info]').click();
    const details = (await exceptionTile.locator('[data-testid=tile-details]').textContent()) ?? '';
    assert.match(details, /Demo error: checkout failed/);
    assert.match(details, /\/demo\//);
    const customTile = page.locator('#transcript [data-testid=transcript-event][data-kind=custom]');
    assert.equal(await customTile.locator('[data-testid=transcript-title]').textContent(), ADA_EVENT.name);
    await customTile.locator('[data-testid=tile-info]').click();
    assert.match((await customTile.locator('[data-testid=tile-props]').textContent()) ?? '', /"step": "cart"/);

    const pageTwoMark = page.locator('[data-testid=timeline-mark][data-kind=page_view]').nth(1);
    await pageTwoMark.hover();
    await page.locator('[data-testid=timeline-tooltip]').waitFor({ state: 'visible', timeout: 5000 });
    assert.match((await page.locator('[data-testid=timeline-tooltip]').textContent()) ?? '', /^Page view/);
    await pageTwoMark.click();
    await waitFor(async () => (await addressPath()) === '/demo/page2.html', {
      timeout: 10_000,
      interval: 100,
      message: 'a click on the page-two mark shows page two in the address bar',
    });
    assert.equal(await playerTime(), Number(await pageTwoMark.getAttribute('data-player-time')));
    await expectReplayOnPageTwo('the page-two mark');
    const current = page.locator('#transcript [data-testid=transcript-event][aria-current=true]');
    assert.equal(await current.getAttribute('data-kind'), 'page_view', 'the page-two tile is current');

    // The demo page records whoever opens it: keep this visit out of the seeded sessions.
    await context.route('**/recorder.js', (route) => route.abort());
    try {
      const [opened] = await Promise.all([context.waitForEvent('page'), page.click('[data-testid=address-link]')]);
      await opened.waitForLoadState('domcontentloaded');
      assert.equal(new URL(opened.url()).pathname, '/demo/page2.html', 'the address bar opens its URL in a new tab');
      await opened.close();
    } finally {
      await context.unroute('**/recorder.js');
    }
  });

  await step(t, server, 'the transcript follows playback', async () => {
    await openSession('ada1');
    await setSkipIdle(true);
    await page.click('[data-testid=speed][data-speed="4"]');
    await focusPage();
    await page.keyboard.press('Home');
    const tileOffsets = await page.locator('#transcript [data-testid=transcript-event]').evaluateAll((tiles) =>
      tiles.map((tile) => Number(/** @type {HTMLElement} */ (tile).dataset.offsetMs)),
    );
    await play();
    /** @type {number[]} */
    const seen = [];
    for (let sample = 0; sample < 12 && (await isPlaying()); sample++) {
      await sleep(400);
      const state = await page.evaluate(() => {
        const stage = /** @type {HTMLElement} */ (document.querySelector('[data-testid=stage]'));
        const tiles = Array.from(document.querySelectorAll('#transcript [data-testid=transcript-event]'));
        const current = tiles.findIndex((tile) => tile.getAttribute('aria-current') === 'true');
        const list = /** @type {HTMLElement} */ (document.querySelector('[data-testid=transcript-list]'));
        const tile = current >= 0 ? tiles[current].getBoundingClientRect() : null;
        const box = list.getBoundingClientRect();
        return {
          offset: Number(stage.dataset.sessionOffset),
          current,
          visible: tile !== null && tile.top >= box.top - 1 && tile.bottom <= box.bottom + 1,
        };
      });
      const expected = tileOffsets.findLastIndex((offset) => offset <= state.offset);
      assert.equal(state.current, expected, `at ${state.offset} ms the current tile is the last one at or before it`);
      if (state.current >= 0) assert.ok(state.visible, `the current tile ${state.current} is scrolled into view`);
      seen.push(state.current);
    }
    await pause();
    const distinct = new Set(seen);
    assert.ok(distinct.size >= 3, `the current tile moved with playback: ${seen}`);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] >= seen[i - 1], `it only moves forward: ${seen}`);

    const input = page.locator('#transcript [data-testid=transcript-event][data-kind=input]').first();
    await input.locator('[data-testid=tile-main]').click();
    await waitFor(async () => (await input.getAttribute('aria-current')) === 'true', {
      timeout: 5000,
      interval: 100,
      message: 'a click on a tile seeks to it',
    });
  });

  await step(t, server, 'speed 1×/2×/4×/8×', async () => {
    await openSession('ada1');
    await setSkipIdle(false);
    /** @param {number} speed */
    const measure = async (speed) => {
      await page.click(`[data-testid=speed][data-speed="${speed}"]`);
      assert.equal(await page.locator(`[data-testid=speed][data-speed="${speed}"]`).getAttribute('aria-pressed'), 'true');
      assert.equal(await page.evaluate(() => /** @type {any} */ (window).__playbackPlayer.getReplayer().config.speed), speed);
      await focusPage();
      await page.keyboard.press('Home');
      await play();
      const start = await playerTime();
      const wall = Date.now();
      await sleep(1500);
      const advanced = (await playerTime()) - start;
      const elapsed = Date.now() - wall;
      await pause();
      return advanced / elapsed;
    };
    const normal = await measure(1);
    const fast = await measure(8);
    t.diagnostic(`playback rate at 1×: ${normal.toFixed(2)}, at 8×: ${fast.toFixed(2)}`);
    assert.ok(normal > 0.6 && normal < 1.5, `1× plays at about real time: ${normal}`);
    assert.ok(fast > 5, `8× plays several times faster: ${fast}`);
    await focusPage();
    await page.keyboard.press('2');
    assert.equal(await page.locator('[data-testid=speed][data-speed="2"]').getAttribute('aria-pressed'), 'true');
    assert.equal(await page.evaluate(() => /** @type {any} */ (window).__playbackPlayer.getReplayer().config.speed), 2);
    await page.keyboard.press('1');
  });

  await step(t, server, 'skip idle jumps over the idle stretch; the activity counter stands still in it', async () => {
    await openSession('grace');
    const idle = await page.locator('[data-testid=timeline-idle]').evaluateAll((elements) =>
      elements.map((element) => ({
        start: Number(/** @type {HTMLElement} */ (element).dataset.start),
        end: Number(/** @type {HTMLElement} */ (element).dataset.end),
      })),
    );
    const longest = idle.sort((a, b) => b.end - b.start - (a.end - a.start))[0];
    assert.ok(longest && longest.end - longest.start >= 15_000, `grace's idle stretch is on the timeline: ${JSON.stringify(idle)}`);

    await page.click('[data-testid=speed][data-speed="1"]');
    await setSkipIdle(false);
    await seekTo(longest.start + 1000);
    await play();
    await sleep(2500);
    const without = await playerTime();
    await pause();
    assert.ok(without > longest.start && without < longest.end - 5000, `without skipping, playback stays in the idle stretch: ${without}`);

    await focusPage();
    await page.keyboard.press('s');
    assert.equal(await page.locator('[data-testid=skip-idle]').getAttribute('aria-pressed'), 'true', 's turns skipping on');
    await seekTo(longest.start + 1000);
    await play();
    await waitFor(async () => (await playerTime()) >= longest.end - 1000, {
      timeout: 5000,
      interval: 100,
      message: `with skip idle, playback jumps past ${longest.end}`,
    });
    assert.match((await page.locator('[data-testid=player-toast]').textContent()) ?? '', /Skipped/);
    await pause();

    const activeAt = async () => Number(await page.locator('[data-testid=activity-time]').getAttribute('data-active-ms'));
    await seekTo(longest.start + 2000);
    await waitFor(async () => Math.abs((await playerTime()) - (longest.start + 2000)) < 500, { timeout: 5000, interval: 100, message: 'seeked' });
    const early = await activeAt();
    await seekTo(longest.end - 2000);
    await waitFor(async () => Math.abs((await playerTime()) - (longest.end - 2000)) < 500, { timeout: 5000, interval: 100, message: 'seeked' });
    assert.equal(await activeAt(), early, 'the activity counter does not count idle time');
    await focusPage();
    await page.keyboard.press('End');
    await waitFor(async () => Math.abs((await activeAt()) - summaries.grace.active_ms) <= ACTIVE_TOLERANCE_MS, {
      timeout: 5000,
      interval: 100,
      message: `at the end the counter is grace's active_ms ${summaries.grace.active_ms}`,
    });
  });

  await step(t, server, 'the activity counter ends at the session\'s active time', async () => {
    await openSession('ada1');
    const counter = page.locator('[data-testid=activity-time]');
    assert.equal(await counter.getAttribute('data-active-ms'), '0', 'nothing is active before the first action');
    const total = Number(await counter.getAttribute('data-total-ms'));
    assert.ok(Math.abs(total - summaries.ada1.active_ms) <= ACTIVE_TOLERANCE_MS, `total ${total} vs active_ms ${summaries.ada1.active_ms}`);
    await focusPage();
    await page.keyboard.press('End');
    await waitFor(async () => Number(await counter.getAttribute('data-active-ms')) === total, {
      timeout: 5000,
      interval: 100,
      message: 'at the end the counter reaches the total',
    });
    await seekTo(Number(await page.locator('[data-testid=timeline-track]').getAttribute('aria-valuemax')) / 2);
    const middle = Number(await counter.getAttribute('data-active-ms'));
    assert.ok(middle > 0 && middle < total, `half way: ${middle} of ${total}`);
  });

  await step(t, server, 'keyboard shortcuts and their help', async () => {
    await openSession('ada1');
    await focusPage();
    await page.keyboard.press('Space');
    await waitFor(isPlaying, { timeout: 5000, interval: 100, message: 'space plays' });
    await page.keyboard.press('Space');
    await waitFor(async () => !(await isPlaying()), { timeout: 5000, interval: 100, message: 'space pauses' });
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowRight');
    await waitFor(async () => (await playerTime()) === 5000, { timeout: 5000, interval: 100, message: '→ seeks 5 s forward' });
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowLeft');
    await waitFor(async () => (await playerTime()) === 5000, { timeout: 5000, interval: 100, message: '← seeks 5 s back' });
    await page.keyboard.press('8');
    assert.equal(await page.locator('[data-testid=speed][data-speed="8"]').getAttribute('aria-pressed'), 'true');
    await page.keyboard.press('1');
    const skip = await page.locator('[data-testid=skip-idle]').getAttribute('aria-pressed');
    await page.keyboard.press('s');
    assert.notEqual(await page.locator('[data-testid=skip-idle]').getAttribute('aria-pressed'), skip, 's toggles skip idle');
    await page.keyboard.press('?');
    await page.locator('[data-testid=shortcuts-help]').waitFor({ state: 'visible', timeout: 5000 });
    await page.keyboard.press('Escape');
    await page.locator('[data-testid=shortcuts-help]').waitFor({ state: 'hidden', timeout: 5000 });
    await focusPage();
    await page.keyboard.press('f');
    await waitFor(async () => page.evaluate(() => /** @type {HTMLElement | null} */ (document.fullscreenElement)?.dataset.testid === 'stage'), {
      timeout: 5000,
      interval: 100,
      message: 'f puts the player in fullscreen',
    });
    await page.keyboard.press('f');
    await waitFor(async () => page.evaluate(() => document.fullscreenElement === null), {
      timeout: 5000,
      interval: 100,
      message: 'f again leaves fullscreen',
    });
  });

  await step(t, server, 'notes: add one at the current moment, see it on the timeline, delete it', async () => {
    await openSession('ada1');
    await page.locator('#transcript [data-testid=transcript-event][data-kind=custom] [data-testid=tile-main]').click();
    const at = await stageOffset();
    await page.fill('[data-testid=note-text]', 'Starts the checkout here');
    assert.match((await page.locator('[data-testid=note-add]').textContent()) ?? '', /^Add note at \d\d:\d\d$/);
    await page.click('[data-testid=note-add]');
    const note = page.locator('[data-testid=note]', { hasText: 'Starts the checkout here' });
    await note.waitFor({ timeout: 10_000 });
    const noteOffset = Number(await note.getAttribute('data-offset-ms'));
    assert.ok(Math.abs(noteOffset - at) <= 1, `the note is at the moment being played: ${noteOffset} vs ${at}`);
    const mark = page.locator(`[data-testid=timeline-mark][data-kind=note][data-offset-ms="${noteOffset}"]`);
    assert.equal(await mark.count(), 1, 'the note is on the timeline');
    const stored = (await client.get(`/v1/sessions/${ids.ada1}/notes`)).notes;
    assert.deepEqual(stored.map((/** @type {any} */ n) => [n.text, n.offset_ms]), [['Starts the checkout here', noteOffset]]);

    await openSession('ada1');
    await page.locator('[data-testid=note]', { hasText: 'Starts the checkout here' }).waitFor({ timeout: 10_000 });
    assert.equal(await mark.count(), 1, 'the note is on the timeline after a reload');
    await page.locator('[data-testid=note]', { hasText: 'Starts the checkout here' }).locator('[data-testid=note-delete]').click();
    await note.waitFor({ state: 'detached', timeout: 10_000 });
    assert.equal(await mark.count(), 0, 'the deleted note left the timeline');
    assert.deepEqual((await client.get(`/v1/sessions/${ids.ada1}/notes`)).notes, []);
  });

  await step(t, server, 'share: a link opens the session without a token until it is revoked', async () => {
    await openSession('ada1');
    await page.click('[data-testid=share-button]');
    await page.click('[data-testid=share-create]');
    const urlInput = page.locator('[data-testid=share-url]');
    await urlInput.waitFor({ state: 'visible', timeout: 10_000 });
    const link = await urlInput.inputValue();
    assert.match(link, new RegExp(`^${server.url.replaceAll('.', '\\.')}/s/[^/?#]+$`), `an absolute /s/ link: ${link}`);
    const row = page.locator('[data-testid=share-row][data-state=active]');
    await row.first().waitFor({ timeout: 10_000 });

    const outsider = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    // A token of somebody else in this browser: the shared view must not send it.
    await outsider.addInitScript(() => localStorage.setItem('playback.token', 'someone-elses-token'));
    try {
      const shared = await outsider.newPage();
      /** @type {string[]} */
      const sharedRequests = [];
      shared.on('request', (request) => {
        if (request.headers().authorization) sharedRequests.push(request.url());
      });
      await shared.goto(link);
      await shared.locator('#player iframe').first().waitFor({ state: 'attached', timeout: 30_000 });
      await shared.locator('#transcript [data-testid=transcript-event]').first().waitFor({ timeout: 15_000 });
      const events = (await client.get(`/v1/sessions/${ids.ada1}/events`)).events;
      assert.equal(await shared.locator('#transcript [data-testid=transcript-event]').count(), events.length);
      assert.equal(await shared.locator('[data-testid=session-user]').count(), 0, 'no user in the shared view');
      assert.equal(await shared.locator('#home').count(), 0, 'no way back to the list');
      assert.equal(await shared.locator('[data-testid=similar]').count(), 0, 'no similar sessions');
      assert.equal(await shared.locator('[data-testid=notes]').count(), 0, 'no notes');
      const hrefs = await shared.locator('a[href]').evaluateAll((anchors) => anchors.map((anchor) => anchor.getAttribute('href')));
      assert.ok(hrefs.every((href) => !href?.startsWith('/')), `no link into the app: ${hrefs}`);
      assert.ok(!((await shared.locator('body').textContent()) ?? '').includes(ADA.id), 'the user is not named');
      assert.deepEqual(sharedRequests, [], 'the shared view sends no token');
      await shared.screenshot({ path: path.join(ARTIFACTS_DIR, 'shared.png') });

      await row.first().locator('[data-testid=share-revoke]').click();
      await page.locator('[data-testid=share-row][data-state=revoked]').first().waitFor({ timeout: 10_000 });
      await shared.reload();
      const unavailable = shared.locator('[data-testid=share-unavailable]');
      await unavailable.waitFor({ timeout: 15_000 });
      assert.equal(await unavailable.getAttribute('data-status'), '410');
      assert.match((await unavailable.textContent()) ?? '', /was revoked/);
    } finally {
      await outsider.close();
    }
  });

  await step(t, server, 'share: a viewer is told that only admins can share', async () => {
    const viewer = server.tokens.viewer;
    assert.ok(viewer, 'the server has a viewer token');
    const viewing = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      await viewing.addInitScript((value) => localStorage.setItem('playback.token', value), viewer);
      const other = await viewing.newPage();
      await other.goto(`${server.url}/sessions/${ids.ada1}`);
      await other.locator('[data-testid=session-header]').waitFor({ timeout: 30_000 });
      await other.click('[data-testid=share-button]');
      await other.locator('[data-testid=share-forbidden]').waitFor({ timeout: 10_000 });
      assert.match((await other.locator('[data-testid=share-forbidden]').textContent()) ?? '', /Only admins can share/);
    } finally {
      await viewing.close();
    }
  });

  await step(t, server, 'similar sessions: similarity, reasons and a link', async () => {
    await openSession('ada1');
    const panel = page.locator('[data-testid=similar][data-state=ready]');
    await panel.waitFor({ timeout: 15_000 });
    const api = (await client.get(`/v1/sessions/${ids.ada1}/similar?limit=5`)).sessions;
    const items = page.locator('[data-testid=similar-session]');
    const shown = await items.evaluateAll((elements) => elements.map((element) => /** @type {HTMLElement} */ (element).dataset.sessionId));
    assert.deepEqual(shown, api.map((/** @type {any} */ s) => s.session_id), 'the API\'s similar sessions, in its order');
    assert.ok(shown.includes(ids.grace), 'grace, on the same pages, is similar to ada1');
    for (let i = 0; i < api.length; i++) {
      assert.equal(await items.nth(i).locator('[data-testid=similarity]').textContent(), `${Math.round(api[i].similarity * 100)}%`);
      assert.ok((await items.nth(i).locator('[data-testid=similar-reasons] li').count()) > 0, 'with reasons');
    }
    await page.locator(`[data-testid=similar-session][data-session-id="${ids.grace}"] [data-testid=similar-link]`).click();
    await page.waitForURL(`**/sessions/${ids.grace}`);
    await page.locator('[data-testid=session-header]').waitFor({ timeout: 15_000 });
  });

  assert.deepEqual(pageErrors, [], 'the UI raised no uncaught errors');
});

/**
 * The session list as an analyst uses it, in Chromium, on one server seeded
 * once (lib/seed.mjs): the onboarding of an empty list (the recorder snippet
 * with this server's URL and the project key), the token form, "Clear
 * filters" resetting every control with the results, the 24-hour UTC date
 * inputs, durations rounded down, the "live" badge, the way back from a
 * session keeping the filters, and the layout at 360, 390, 1024, 1440 and 2560 px
 * (screenshots list-<width>.png, with geometry
 * checks: no horizontal overflow, every visible control inside the window).
 *
 * The browser's time zone is New York, so a date read as local time would be
 * hours off.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import test from 'node:test';
import { waitFor } from '../lib/api.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { ARTIFACTS_DIR } from '../lib/paths.mjs';
import { ADA, QueryClient, seededIds, seedSessions, waitForSeed } from '../lib/seed.mjs';
import { startServer, step, withServerLog } from '../lib/server.mjs';

const ALL = ['ada1', 'ada2', 'anon', 'grace'];

/** `2025-11-28 03:20` (UTC), the one format of the UI. */
function utcMinute(/** @type {number} */ ms) {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** A duration as the UI writes it, rounded down to the second. */
function duration(/** @type {number} */ ms) {
  const total = Math.floor(ms / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  if (minutes > 0) return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
  return `${seconds}s`;
}

/** The list's filter parameters (everything but sort and the range) of a URL. */
function filterParams(/** @type {string} */ url) {
  const params = new URLSearchParams(new URL(url).search);
  for (const name of ['sort', 'from', 'to']) params.delete(name);
  return Array.from(params.entries());
}

/**
 * Layout checks of the list page: nothing wider than the window, and every
 * visible control inside it.
 * @param {import('playwright-core').Page} page
 */
async function layoutProblems(page) {
  // A menu places its panel when it opens (its toggle event): let that run.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  return page.evaluate(() => {
    const problems = [];
    const width = window.innerWidth;
    if (document.documentElement.scrollWidth > width) {
      problems.push(`the page is ${document.documentElement.scrollWidth} px wide in a ${width} px window`);
    }
    const list = document.querySelector('#session-list');
    if (list && list.scrollWidth > list.clientWidth + 1) {
      problems.push(`the list is ${list.scrollWidth} px wide in its ${list.clientWidth} px box`);
    }
    const controls = document.querySelectorAll('button, input:not([type=date]), select, summary, a, [data-testid=row-user]');
    for (const control of Array.from(controls)) {
      const box = control.getBoundingClientRect();
      const style = getComputedStyle(control);
      if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') continue;
      if (control.closest('.visually-hidden')) continue;
      // A closed menu's panel is laid out but not shown.
      const menu = control.closest('details');
      if (menu && !(/** @type {HTMLDetailsElement} */ (menu).open) && !control.matches('summary')) continue;
      if (box.left < -0.5 || box.right > width + 0.5) {
        const name = control.getAttribute('data-testid') ?? control.id ?? control.textContent?.trim().slice(0, 20);
        problems.push(`${control.tagName.toLowerCase()} ${name} spans ${Math.round(box.left)}–${Math.round(box.right)} px`);
      }
    }
    return problems;
  });
}

test('the session list: onboarding, clear filters, dates, live sessions, the way back and narrow windows', { timeout: 600_000 }, async (t) => {
  const server = await startServer(t);
  const browser = await launchBrowser(t);
  const token = server.tokens.admin;
  const client = new QueryClient(server.url, token);
  await mkdir(ARTIFACTS_DIR, { recursive: true });

  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: 'America/New_York' });
  t.after(() => context.close());
  const page = await context.newPage();
  /** @type {string[]} */
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));

  await step(t, server, 'the token form renders code as code, and offers "Forget token" only with a token', async () => {
    await page.goto(`${server.url}/`);
    await page.locator('[data-testid=token-form]').waitFor({ timeout: 15_000 });
    const help = (await page.locator('[data-testid=token-help]').textContent()) ?? '';
    assert.ok(!help.includes('`'), `no literal backticks: ${help}`);
    assert.equal(await page.locator('[data-testid=token-help] code').first().textContent(), 'playback up');
    assert.equal(await page.locator('[data-testid=forget-token]').isVisible(), false, 'no token stored: nothing to forget');
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'list-token.png') });
    await page.fill('[data-testid=token-input]', token);
    await page.click('[data-testid=token-submit]');
    await page.locator('#session-list[data-state=ready]').waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('[data-testid=forget-token]').isVisible(), true, 'a stored token can be forgotten');
  });

  await step(t, server, 'an empty list onboards: the snippet with this server and the project key, the demo, what to expect', async () => {
    const onboarding = page.locator('[data-testid=onboarding]');
    await onboarding.waitFor({ timeout: 15_000 });
    const snippet = page.locator('[data-testid=recorder-snippet]');
    const expected = `<script src="${server.url}/recorder.js" data-key="pk_demo" async></script>`;
    await waitFor(async () => (await snippet.textContent()) === expected, {
      timeout: 10_000,
      interval: 100,
      message: `the snippet is ${expected}`,
    });
    assert.equal(await page.locator('[data-testid=demo-link]').getAttribute('href'), '/demo/');
    assert.match((await onboarding.textContent()) ?? '', /Sessions appear here a few seconds after a visit/);
    assert.equal(await page.locator('[data-testid=onboarding-status]').textContent(), '', 'no problem reported');
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'list-empty.png') });
  });

  const seed = await withServerLog(server, () => seedSessions(browser, server.url));
  const summaries = await withServerLog(server, () => waitForSeed(client, seed));
  const { ids, nameById } = seededIds(seed);

  /** @param {string} [query] */
  const gotoList = async (query = '') => {
    await page.goto(`${server.url}/${query ? `?${query}` : ''}`);
    await page.locator('#session-list[data-state=ready], #session-list[data-state=error]').waitFor({ timeout: 30_000 });
  };
  const listedNames = async () => {
    assert.equal(await page.locator('#session-list').getAttribute('data-state'), 'ready', 'the list is loaded');
    const rows = await page.locator('#session-list tr[data-session-id]').evaluateAll((elements) =>
      elements.map((element) => /** @type {HTMLElement} */ (element).dataset.sessionId ?? ''),
    );
    return rows.map((id) => nameById.get(id) ?? `unknown ${id}`).sort();
  };
  /** @param {string[]} expected @param {string} what */
  const expectRows = async (expected, what) => {
    await waitFor(
      async () => {
        assert.deepEqual(await listedNames(), [...expected].sort(), what);
        return true;
      },
      { timeout: 20_000, interval: 200, message: what },
    );
  };
  /** Adds a filter chip from the "+ Filter" menu. @param {string} key */
  const addFilter = async (key) => {
    await page.click('[data-testid=add-filter]');
    await page.click(`[data-testid=add-filter-option][data-filter="${key}"]`);
  };
  /** @param {string} selector @param {string} value */
  const fillFilter = async (selector, value) => {
    await page.fill(selector, value);
    await page.press(selector, 'Enter');
  };

  await step(t, server, '"Clear filters" resets every control with the results; the next change adds only itself', async () => {
    await gotoList();
    await expectRows(ALL, 'every seeded session');
    await addFilter('user');
    await fillFilter('#filter-user', ADA.id);
    await addFilter('user_prop');
    await fillFilter('#filter-user-prop', 'plan=pro');
    await addFilter('event');
    await fillFilter('#filter-event', 'checkout_started');
    await fillFilter('#filter-event-prop', 'step=cart');
    await addFilter('url');
    await page.selectOption('#filter-url-match', 'exact');
    await fillFilter('#filter-url', `${seed.origin}/demo/page2.html`);
    for (const flag of ['has_errors', 'has_rage_clicks', 'has_dead_clicks']) await addFilter(flag);
    await addFilter('browser');
    await fillFilter('#filter-browser', 'Chrome');
    await addFilter('os');
    await fillFilter('#filter-os', 'Linux');
    await addFilter('device_type');
    await page.selectOption('#filter-device-type', 'desktop');
    await addFilter('duration');
    await fillFilter('#filter-min-duration', '1');
    await fillFilter('#filter-max-duration', '3600');
    await addFilter('active');
    await fillFilter('#filter-min-active', '1');
    await fillFilter('#filter-max-active', '3600');
    await addFilter('pages');
    await fillFilter('#filter-min-pages', '1');
    await fillFilter('#filter-max-pages', '9');
    await addFilter('score');
    await fillFilter('#filter-min-score', '1');
    const every = [
      'user', 'user_prop', 'event', 'event_prop', 'url', 'url_match', 'has_errors', 'has_rage_clicks', 'has_dead_clicks',
      'browser', 'os', 'device_type', 'min_duration_ms', 'max_duration_ms', 'min_active_ms', 'max_active_ms',
      'min_pages', 'max_pages', 'min_score',
    ];
    await waitFor(async () => filterParams(page.url()).length === every.length, { timeout: 5000, interval: 100, message: 'every filter is in the URL' });
    assert.deepEqual(filterParams(page.url()).map(([name]) => name).sort(), [...every].sort());
    await expectRows([], 'no session has everything');
    assert.equal(await page.locator('[data-testid=filter-chip]:visible').count(), 14, 'one chip per filter');
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'list-every-filter.png'), fullPage: true });

    await page.click('#clear-filters');
    await expectRows(ALL, 'cleared: every session');
    assert.deepEqual(filterParams(page.url()), [], 'no filter is left in the URL');
    const controls = await page.evaluate(() =>
      Array.from(document.querySelectorAll('[data-testid=filters] [data-testid=filter-chip] input, [data-testid=filters] [data-testid=filter-chip] select')).map(
        (element) => {
          const control = /** @type {HTMLInputElement} */ (element);
          return { name: control.name || control.className, value: control.type === 'checkbox' ? String(control.checked) : control.value };
        },
      ),
    );
    for (const control of controls) {
      const expected = control.value === 'contains' ? 'contains' : control.name.startsWith('has-') ? 'false' : '';
      assert.equal(control.value, expected, `${control.name} is reset`);
    }
    assert.ok(controls.some((control) => control.name === 'has-errors'), 'the JS errors box was checked');
    assert.equal(await page.locator('#filter-has-errors').isChecked(), false, 'JS errors is no longer ticked');
    assert.equal(await page.locator('[data-testid=filter-chip]:visible').count(), 0, 'no chip is left');

    await addFilter('device_type');
    await page.selectOption('#filter-device-type', 'mobile');
    await expectRows(['grace'], 'device_type=mobile after clearing');
    assert.deepEqual(filterParams(page.url()), [['device_type', 'mobile']], 'the next change adds only itself');
    await page.click('[data-testid=saved-filters-menu]');
    await page.click('[data-testid=save-filter]');
    await page.fill('#save-filter-name', 'Mobile visitors');
    await page.click('[data-testid=save-filter-submit]');
    await page.locator('[data-testid=saved-filter]', { hasText: 'Mobile visitors' }).waitFor({ timeout: 10_000 });
    const stored = (await client.get('/v1/saved-filters')).filters.find((/** @type {any} */ f) => f.name === 'Mobile visitors');
    assert.equal(stored?.query, 'device_type=mobile', 'the saved filter stores only that filter');
    assert.equal(await page.locator('[data-testid=saved-filters-label]').textContent(), 'Mobile visitors', 'the menu names it');
  });

  await step(t, server, 'dates: the end time in one 24-hour UTC format, typed in text inputs with a clear error', async () => {
    await gotoList();
    await expectRows(ALL, 'every session');
    assert.equal(await page.locator('.session-table th').first().textContent(), 'Ended (UTC)');
    for (const name of ALL) {
      const summary = summaries[/** @type {'ada1'} */ (name)];
      const row = page.locator(`tr[data-session-id="${ids[name]}"]`);
      assert.equal(await row.locator('[data-testid=end-time]').textContent(), utcMinute(summary.end_time), `${name}: the end time, UTC`);
      assert.equal(await row.locator('[data-col=duration]').textContent(), duration(summary.duration_ms), `${name}: duration rounded down`);
      assert.equal(await row.locator('[data-col=active]').textContent(), duration(summary.active_ms), `${name}: active rounded down`);
    }
    for (const input of ['#from', '#to']) {
      assert.equal(await page.locator(input).getAttribute('type'), 'text', `${input} is not the locale date widget`);
      assert.equal(await page.locator(input).getAttribute('placeholder'), 'YYYY-MM-DD HH:MM');
    }
    const before = page.url();
    await page.fill('#from', '12/03/2026 05:00 PM');
    await page.press('#from', 'Enter');
    await page.locator('[data-testid=date-error]').waitFor({ state: 'visible', timeout: 5000 });
    assert.match((await page.locator('[data-testid=date-error]').textContent()) ?? '', /YYYY-MM-DD HH:MM, 24-hour UTC/);
    assert.equal(await page.locator('#from').getAttribute('aria-invalid'), 'true');
    assert.equal(page.url(), before, 'a date that is not one changes nothing');

    const from = Math.min(...Object.values(summaries).map((s) => s.end_time)) - 120_000;
    const fromMinute = from - (from % 60_000);
    await page.fill('#from', utcMinute(fromMinute));
    await page.press('#from', 'Enter');
    await waitFor(async () => new URL(page.url()).searchParams.get('from') === String(fromMinute), {
      timeout: 5000,
      interval: 100,
      message: `from=${fromMinute} (read as UTC, not New York time)`,
    });
    assert.equal(await page.locator('[data-testid=date-error]').isVisible(), false, 'the error is gone');
    assert.match((await page.locator('[data-testid=range-hint]').textContent()) ?? '', new RegExp(`from ${utcMinute(fromMinute)}:00 until now`));
    await expectRows(ALL, 'every session ended after from');
    await page.reload();
    await page.locator('#session-list[data-state=ready]').waitFor({ timeout: 15_000 });
    assert.equal(await page.inputValue('#from'), utcMinute(fromMinute), 'the input shows the bound in the same format');

    // The calendar helper fills in the day (the browser's picker gives only that).
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    await page.locator('#to ~ .date-picker').fill(tomorrow);
    await waitFor(async () => new URL(page.url()).searchParams.get('to') === String(Date.parse(`${tomorrow}T00:00:00Z`)), {
      timeout: 5000,
      interval: 100,
      message: `to is ${tomorrow} 00:00 UTC`,
    });
    assert.equal(await page.inputValue('#to'), `${tomorrow} 00:00`);
    await expectRows(ALL, 'every session ended before tomorrow');
  });

  await step(t, server, 'a session still open has a "live" badge', async () => {
    await gotoList();
    await expectRows(ALL, 'every session');
    const listed = await client.sessions(`from=${Date.now() - 3_600_000}`);
    for (const name of ALL) {
      const summary = listed.find((/** @type {any} */ s) => s.session_id === ids[name]);
      const badge = page.locator(`tr[data-session-id="${ids[name]}"] [data-testid=live-badge]`);
      assert.equal(await badge.count(), summary.closed ? 0 : 1, `${name}: closed=${summary.closed}`);
      if (!summary.closed) assert.equal(await badge.textContent(), 'Live');
    }
  });

  await step(t, server, '"← All sessions" returns to the list with the filters it had', async () => {
    await gotoList('device_type=desktop&sort=score');
    await expectRows(['ada1', 'ada2', 'anon'], 'desktop sessions');
    await page.locator(`tr[data-session-id="${ids.anon}"] [data-col=duration]`).click();
    await page.waitForURL(`**/sessions/${ids.anon}`);
    await page.locator('[data-testid=session-header]').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('#home').getAttribute('href'), '/?sort=score&device_type=desktop');
    await page.click('#home');
    await page.waitForURL((url) => url.pathname === '/' && url.searchParams.get('device_type') === 'desktop');
    await expectRows(['ada1', 'ada2', 'anon'], 'back: still the desktop sessions');
    assert.equal(await page.inputValue('#filter-device-type'), 'desktop');
    assert.equal(await page.inputValue('#sort'), 'score');
  });

  for (const width of [360, 390, 1024, 1440, 2560]) {
    await step(t, server, `the list at ${width} px: whole, nothing cut off, the key facts of each session shown`, async () => {
      await page.setViewportSize({ width, height: 900 });
      await gotoList('browser=Chrome&user_prop=plan%3Dpro&min_duration_ms=1000');
      await expectRows(['ada1', 'ada2'], 'Chrome sessions');
      assert.deepEqual(await layoutProblems(page), [], `${width} px with filter chips`);
      if (width === 390) await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'list-390-filtered.png'), fullPage: true });
      await gotoList();
      await expectRows(ALL, 'every session');
      await page.screenshot({ path: path.join(ARTIFACTS_DIR, `list-${width}.png`), fullPage: true });
      assert.deepEqual(await layoutProblems(page), [], `${width} px`);
      for (const name of ALL) {
        const row = page.locator(`tr[data-session-id="${ids[name]}"]`);
        for (const col of ['end', 'user', 'duration', 'score', 'device', 'page-views', 'timeline']) {
          assert.ok(await row.locator(`[data-col=${col}]`).isVisible(), `${width} px: ${name} shows ${col}`);
        }
      }
      await page.click('[data-testid=add-filter]');
      assert.deepEqual(await layoutProblems(page), [], `${width} px with the filter menu open`);
      await page.screenshot({ path: path.join(ARTIFACTS_DIR, `list-${width}-filter-menu.png`) });
      await page.click('[data-testid=add-filter]');
      await page.click('[data-testid=saved-filters-menu]');
      assert.deepEqual(await layoutProblems(page), [], `${width} px with the saved filters open`);
      await page.screenshot({ path: path.join(ARTIFACTS_DIR, `list-${width}-saved-menu.png`) });
      await page.keyboard.press('Escape');
    });
  }

  assert.deepEqual(pageErrors, [], 'the UI raised no uncaught errors');
});

/**
 * The session page as an analyst uses it, against one Playback
 * filled with sessions recorded in Chromium (lib/seed.mjs) and a recording of
 * rrweb 2.0.0-alpha.4 posted by hand: the transcript follows playback inside
 * a panel the player's height, a just-ended session turns into a player by
 * itself, the player fits from 360 to 2560 px, masked selects look masked,
 * dates and devices are labelled, dense timeline marks stay reachable, the
 * replayed page is white as in rrweb's own Replayer, `?t=` lands where
 * asked, and the small things (revoked links, the skip message, the address
 * link, the keyboard).
 *
 * The archiver here waits a few seconds before it writes a chunk, so a
 * session is listed before any of its recording is archived.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../lib/api.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { ARTIFACTS_DIR, packageDir } from '../lib/paths.mjs';
import { QueryClient, seedSessions, waitForSeed } from '../lib/seed.mjs';
import { startServer, step, withServerLog } from '../lib/server.mjs';
import { FIXTURE_PATH } from '../fixtures/record-foreign.mjs';

/** The archiver writes a tab's buffer only after this long without a batch (or this old). */
const ARCHIVE_DELAY_MS = 6_000;
process.env.PLAYBACK_ARCHIVER__FLUSH_IDLE_MS = String(ARCHIVE_DELAY_MS);
process.env.PLAYBACK_ARCHIVER__MAX_BUFFER_AGE_MS = String(ARCHIVE_DELAY_MS);

/** `2025-11-28 03:20` (UTC), as the UI writes dates. */
function utcMinute(/** @type {number} */ ms) {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/**
 * The fixture as a fresh batch of a new session, its events moved to now.
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
 * The colour of the pixel at (x, y) of a PNG screenshot, decoded by the browser.
 * @param {import('playwright-core').Page} page a page to decode in
 * @param {Buffer} png
 * @param {{x: number, y: number}} at
 * @returns {Promise<number[]>}
 */
async function pixelAt(page, png, at) {
  return page.evaluate(
    async ({ data, x, y }) => {
      const image = new Image();
      image.src = `data:image/png;base64,${data}`;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.width;
      canvas.height = image.height;
      const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
      context.drawImage(image, 0, 0);
      return Array.from(context.getImageData(Math.round(x), Math.round(y), 1, 1).data.slice(0, 3));
    },
    { data: png.toString('base64'), x: at.x, y: at.y },
  );
}

test('the session page: transcript, processing, layout, masks, dates, device, marks, background', { timeout: 900_000 }, async (t) => {
  const server = await startServer(t);
  const browser = await launchBrowser(t);
  const token = server.tokens.admin;
  const client = new QueryClient(server.url, token);
  const fixture = JSON.parse(await readFile(FIXTURE_PATH, 'utf8'));
  await mkdir(ARTIFACTS_DIR, { recursive: true });

  const seed = await withServerLog(server, () => seedSessions(browser, server.url));
  const summaries = await withServerLog(server, () => waitForSeed(client, seed));
  const ids = Object.fromEntries(Object.entries(seed.sessions).map(([name, seeded]) => [name, seeded.sessionId]));

  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  t.after(() => context.close());
  await context.addInitScript((value) => localStorage.setItem('playback.token', value), token);
  // The demo pages record whoever opens them: keep the analyst's visits out.
  await context.route('**/recorder.js', (route) => route.abort());
  const page = await context.newPage();
  /** @type {string[]} */
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));

  /** @param {string} sessionId */
  const openSession = async (sessionId, query = '') => {
    await page.goto(`${server.url}/sessions/${sessionId}${query}`);
    await page.locator('[data-testid=session-header]').waitFor({ timeout: 30_000 });
    await page.locator('#player iframe').first().waitFor({ state: 'attached', timeout: 30_000 });
    await page.locator('[data-testid=player-controls]').waitFor({ timeout: 30_000 });
  };
  const isPlaying = async () => (await page.locator('[data-testid=play-toggle]').getAttribute('data-state')) === 'playing';
  const play = async () => {
    if (!(await isPlaying())) await page.click('[data-testid=play-toggle]');
    await waitFor(isPlaying, { timeout: 5000, interval: 100, message: 'playing' });
  };
  const pause = async () => {
    if (await isPlaying()) await page.click('[data-testid=play-toggle]');
    await waitFor(async () => !(await isPlaying()), { timeout: 5000, interval: 100, message: 'paused' });
  };
  const focusPage = () => page.evaluate(() => /** @type {HTMLElement | null} */ (document.activeElement)?.blur());
  const stageOffset = async () => Number(await page.locator('[data-testid=stage]').getAttribute('data-session-offset'));
  const playerTime = async () => Number(await page.locator('#address-bar').getAttribute('data-player-time'));
  /** @param {boolean} on */
  const setSkipIdle = async (on) => {
    const button = page.locator('[data-testid=skip-idle]');
    if ((await button.getAttribute('aria-pressed')) !== String(on)) await button.click();
  };
  /** Where the current tile is, against the list's visible box and the window. */
  const currentTile = () =>
    page.evaluate(() => {
      const list = /** @type {HTMLElement} */ (document.querySelector('[data-testid=transcript-list]'));
      const tiles = Array.from(list.querySelectorAll('[data-testid=transcript-event]'));
      const index = tiles.findIndex((tile) => tile.getAttribute('aria-current') === 'true');
      const box = list.getBoundingClientRect();
      const tile = index >= 0 ? tiles[index].getBoundingClientRect() : null;
      return {
        index,
        scrollTop: list.scrollTop,
        inList: tile !== null && tile.top >= box.top - 1 && tile.bottom <= box.bottom + 1,
        inWindow: tile !== null && tile.top >= 0 && tile.bottom <= window.innerHeight,
      };
    });

  await step(t, server, 'the transcript is the player\'s height and keeps the current tile in view; a scroll stops following, Follow resumes', async () => {
    await openSession(ids.ada1);
    const boxes = await page.evaluate(() => {
      const stage = /** @type {HTMLElement} */ (document.querySelector('[data-testid=stage]')).getBoundingClientRect();
      const panel = /** @type {HTMLElement} */ (document.querySelector('#transcript')).getBoundingClientRect();
      return { stage: { top: stage.top, height: stage.height }, panel: { top: panel.top, bottom: panel.bottom, height: panel.height }, innerHeight };
    });
    assert.ok(Math.abs(boxes.panel.height - boxes.stage.height) <= 2, `the panel is the player's height: ${JSON.stringify(boxes)}`);
    assert.ok(boxes.panel.bottom <= boxes.innerHeight, `the panel ends inside the window: ${JSON.stringify(boxes)}`);

    await setSkipIdle(true);
    await page.click('[data-testid=speed][data-speed="4"]');
    await focusPage();
    await page.keyboard.press('Home');
    await play();
    let moved = 0;
    let previous = -1;
    for (let sample = 0; sample < 10 && (await isPlaying()); sample++) {
      await sleep(400);
      const state = await currentTile();
      if (state.index < 0) continue;
      assert.ok(state.inList && state.inWindow, `sample ${sample}: the current tile ${state.index} is in the panel and the window`);
      if (state.index !== previous) moved++;
      previous = state.index;
    }
    assert.ok(moved >= 3, `the current tile moved with playback (${moved} tiles)`);

    await page.keyboard.press('Home');
    await play();
    await sleep(800);
    const list = page.locator('[data-testid=transcript-list]');
    const follow = page.locator('[data-testid=transcript-follow]');
    assert.ok(await follow.isHidden(), 'no Follow button while following');
    await list.hover();
    await page.mouse.wheel(0, 4000);
    await follow.waitFor({ state: 'visible', timeout: 5000 });
    const scrolled = await currentTile();
    await sleep(1500);
    const later = await currentTile();
    assert.ok(await isPlaying(), 'still playing');
    assert.equal(later.scrollTop, scrolled.scrollTop, 'the panel stays where the user scrolled it');
    assert.ok(!later.inList, `the current tile ${later.index} is not brought back into view`);
    await follow.click();
    await follow.waitFor({ state: 'hidden', timeout: 5000 });
    await waitFor(async () => (await currentTile()).inList, { timeout: 5000, interval: 100, message: 'Follow brings the current tile back' });
    await sleep(1200);
    const resumed = await currentTile();
    assert.ok(resumed.inList && resumed.inWindow, 'and keeps it in view while playing');
    await pause();
  });

  await step(t, server, 'a session that just ended shows "Processing recording…" and plays by itself once its recording arrives', async () => {
    const batch = freshBatch(fixture);
    const posted = await fetch(`${server.url}/v1/batches`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Playback-Key': 'pk_demo' },
      body: JSON.stringify(batch),
    });
    assert.equal(posted.status, 200);
    await waitFor(async () => (await client.request('GET', `/v1/sessions/${batch.session_id}`)).status === 200, {
      timeout: 20_000,
      interval: 100,
      message: 'the session is listed',
    });
    const manifest = await client.get(`/v1/sessions/${batch.session_id}/recording/manifest`);
    assert.equal(manifest.windows.length, 0, 'nothing of the recording is archived yet');
    await page.goto(`${server.url}/sessions/${batch.session_id}`);
    const card = page.locator('[data-testid=recording-processing-card]');
    await card.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match((await card.textContent()) ?? '', /Processing recording…/);
    assert.equal(await page.locator('#player [role=alert], [data-testid=recording-error]').count(), 0, 'no error is shown');
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'player-processing.png') });
    await page.locator('#player iframe').waitFor({ state: 'attached', timeout: 30_000 });
    await waitFor(isPlaying, { timeout: 10_000, interval: 100, message: 'it starts playing by itself' });
    assert.equal(await card.count(), 0, 'the card made way for the player');
    await pause();
  });

  await step(t, server, 'the player fits at 360, 390, 1024, 1440 and 2560 px: no overflow, every control inside its bar', async () => {
    for (const [width, height] of [[360, 740], [390, 844], [1024, 768], [1440, 900], [2560, 1440]]) {
      await page.setViewportSize({ width, height });
      await openSession(ids.ada1);
      await page.locator('.replayer-wrapper').waitFor({ timeout: 10_000 });
      await sleep(400);
      await page.screenshot({ path: path.join(ARTIFACTS_DIR, `player-${width}.png`), fullPage: true });
      // With a message flashed in the bar, as after pressing S.
      await focusPage();
      await page.keyboard.press('s');
      await page.locator('[data-testid=player-toast]').waitFor({ state: 'visible', timeout: 2000 });
      const geometry = await page.evaluate(() => {
        const box = (/** @type {Element} */ element) => {
          const rect = element.getBoundingClientRect();
          return { left: rect.left, right: rect.right, top: rect.top, bottom: rect.bottom };
        };
        const bar = /** @type {HTMLElement} */ (document.querySelector('[data-testid=player-controls]'));
        const mount = /** @type {HTMLElement} */ (document.querySelector('#player'));
        const wrapper = /** @type {HTMLElement} */ (document.querySelector('#player .replayer-wrapper'));
        return {
          scrollWidth: document.documentElement.scrollWidth,
          innerWidth,
          bar: box(bar),
          buttons: Array.from(bar.querySelectorAll('button')).map((button) => ({ name: button.textContent || button.getAttribute('aria-label'), ...box(button) })),
          mount: box(mount),
          wrapper: box(wrapper),
          toast: box(/** @type {HTMLElement} */ (document.querySelector('[data-testid=player-toast]'))),
        };
      });
      await page.keyboard.press('s');
      const what = `at ${width} px`;
      assert.ok(geometry.scrollWidth <= geometry.innerWidth, `${what}: no horizontal overflow (${geometry.scrollWidth} > ${geometry.innerWidth})`);
      for (const button of geometry.buttons) {
        const inside = (/** @type {{left: number, right: number, top: number, bottom: number}} */ outer) =>
          button.left >= outer.left - 0.5 && button.right <= outer.right + 0.5 && button.top >= outer.top - 0.5 && button.bottom <= outer.bottom + 0.5;
        assert.ok(inside(geometry.bar), `${what}: ${button.name} is inside the control bar`);
        assert.ok(button.left >= 0 && button.right <= geometry.innerWidth, `${what}: ${button.name} is inside the window`);
      }
      assert.ok(
        geometry.wrapper.left >= geometry.mount.left - 1 && geometry.wrapper.right <= geometry.mount.right + 1,
        `${what}: the replay is scaled to the player's width: ${JSON.stringify(geometry)}`,
      );
      assert.ok(geometry.wrapper.bottom <= geometry.mount.bottom + 1, `${what}: and to its height`);
      assert.ok(geometry.toast.left >= 0 && geometry.toast.right <= geometry.innerWidth, `${what}: the message is inside the window`);
    }
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  await step(t, server, 'transcript titles wrap between words, never inside one, from 390 to 2560 px', async () => {
    for (const [width, height] of [[390, 844], [1024, 768], [1440, 900], [2560, 1440]]) {
      await page.setViewportSize({ width, height });
      await openSession(ids.ada1);
      await page.locator('#transcript [data-testid=transcript-title]').first().waitFor({ timeout: 10_000 });
      const split = await page.evaluate(() => {
        /** @type {string[]} */
        const broken = [];
        for (const title of document.querySelectorAll('#transcript [data-testid=transcript-title]')) {
          // The title's text nodes, in order, so that a word split over several (by <wbr>) is one range.
          /** @type {Text[]} */
          const nodes = [];
          const walker = document.createTreeWalker(title, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(/** @type {Text} */ (node));
          const value = nodes.map((node) => node.data).join('');
          /** @param {number} offset */
          const at = (offset) => {
            for (const node of nodes) {
              if (offset <= node.data.length) return { node, offset };
              offset -= node.data.length;
            }
            throw new Error(`offset past the title ${value}`);
          };
          const line = title.getBoundingClientRect().width;
          for (const match of value.matchAll(/\S+/g)) {
            const start = at(match.index ?? 0);
            const end = at((match.index ?? 0) + match[0].length);
            const range = document.createRange();
            range.setStart(start.node, start.offset);
            range.setEnd(end.node, end.offset);
            const rects = Array.from(range.getClientRects()).filter((rect) => rect.width > 0);
            const lines = new Set(rects.map((rect) => Math.round(rect.top)));
            // A word longer than the line has to break; any other word stays on one line.
            const wordWidth = rects.reduce((sum, rect) => sum + rect.width, 0);
            if (lines.size > 1 && wordWidth < line) broken.push(`${match[0]} in ${value}`);
          }
        }
        return broken;
      });
      assert.deepEqual(split, [], `at ${width} px no word of a title is broken across lines`);
    }
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  await step(t, server, 'a masked select shows a masked value, not a blank', async () => {
    await openSession(ids.ada1);
    const readPlan = () =>
      page.evaluate(() => {
        const frame = /** @type {HTMLIFrameElement | null} */ (document.querySelector('#player iframe'));
        const select = /** @type {HTMLSelectElement | null} */ (frame?.contentDocument?.querySelector('#plan') ?? null);
        if (!select) return null;
        return { index: select.selectedIndex, text: select.selectedIndex >= 0 ? select.options[select.selectedIndex].text : '' };
      });
    // After the form was sent: by a seek.
    await page.locator('#transcript [data-testid=transcript-event][data-kind=custom] [data-testid=tile-main]').click();
    await waitFor(async () => (await readPlan())?.text === '••••••••', { timeout: 10_000, interval: 100, message: 'the plan shows ••••••••' });
    // Played into: from just before the change of the plan.
    const inputs = await page.locator('#transcript [data-testid=transcript-event][data-kind=input]').evaluateAll((tiles) =>
      tiles.map((tile) => Number(/** @type {HTMLElement} */ (tile).dataset.offsetMs)),
    );
    const events = (await client.get(`/v1/sessions/${ids.ada1}/events`)).events;
    const planChange = events.find((/** @type {any} */ event) => event.kind === 'input' && /plan/i.test(`${event.target} ${event.title ?? ''}`));
    assert.ok(planChange, `the transcript has the change of the plan: ${JSON.stringify(inputs)}`);
    await page.goto(`${server.url}/sessions/${ids.ada1}?t=${Math.max(0, planChange.offset_ms - 1500)}`);
    await page.locator('#player iframe').waitFor({ state: 'attached', timeout: 30_000 });
    await page.click('[data-testid=speed][data-speed="1"]');
    await play();
    await waitFor(async () => (await stageOffset()) > planChange.offset_ms + 300, { timeout: 10_000, interval: 100, message: 'played past the change' });
    await pause();
    const plan = await readPlan();
    assert.equal(plan?.text, '••••••••', `played: the plan shows masked: ${JSON.stringify(plan)}`);
  });

  await step(t, server, 'the header labels its dates Started and Ended, in UTC', async () => {
    await openSession(ids.ada1);
    const summary = summaries.ada1;
    assert.equal(await page.locator('[data-testid=session-date]').textContent(), `Started${utcMinute(summary.start_time)} UTC`);
    assert.equal(await page.locator('[data-testid=session-end]').textContent(), `Ended${utcMinute(summary.end_time)} UTC`);
  });

  await step(t, server, 'the player bar counts the session\'s active time, to the second the header shows', async () => {
    for (const name of ['ada1', 'grace']) {
      await openSession(ids[name]);
      const summary = summaries[/** @type {'ada1'} */ (name)];
      const counter = page.locator('[data-testid=activity-time]');
      await waitFor(async () => (await counter.getAttribute('data-total-ms')) === String(summary.active_ms), {
        timeout: 15_000,
        interval: 100,
        message: `${name}: the bar's total is active_ms ${summary.active_ms}`,
      });
      const seconds = Math.floor(summary.active_ms / 1000);
      const clock = `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
      assert.match((await counter.textContent()) ?? '', new RegExp(`/ ${clock}$`), `${name}: the bar shows ${clock}`);
      await focusPage();
      await page.keyboard.press('End');
      await waitFor(async () => (await counter.getAttribute('data-active-ms')) === String(summary.active_ms), {
        timeout: 5000,
        interval: 100,
        message: `${name}: at the end the counter is active_ms`,
      });
    }
  });

  await step(t, server, 'the device: OS and browser on the badge, screen and viewport apart in a styled popover', async () => {
    for (const name of ['ada1', 'grace']) {
      await openSession(ids[name]);
      const summary = summaries[/** @type {'ada1'} */ (name)];
      const badge = page.locator('[data-testid=player-device]');
      const text = (await badge.textContent()) ?? '';
      assert.ok(text.includes(summary.os) && text.includes(summary.browser), `${name}: the badge names the OS and browser: ${text}`);
      assert.equal(await badge.getAttribute('title'), null, `${name}: no browser tooltip`);
      await badge.hover();
      const popover = page.locator('[data-testid=device-popover][data-state=ready]');
      await popover.waitFor({ timeout: 5000 });
      const windows = await client.get(`/v1/sessions/${ids[name]}/recording`);
      const meta = windows.windows[0].events.find((/** @type {any} */ event) => event.type === 4);
      const viewport = summary.viewport_width > 0 ? `${summary.viewport_width}×${summary.viewport_height}` : `${meta.data.width}×${meta.data.height}`;
      assert.equal(await popover.locator('[data-testid=device-viewport]').textContent(), viewport, `${name}: viewport`);
      const screen = summary.screen_width > 0 ? `${summary.screen_width}×${summary.screen_height}` : 'Not reported';
      assert.equal(await popover.locator('[data-testid=device-screen]').textContent(), screen, `${name}: screen`);
      assert.match((await popover.locator('[data-testid=device-os]').textContent()) ?? '', new RegExp(summary.os));
      assert.match((await popover.locator('[data-testid=device-browser]').textContent()) ?? '', new RegExp(summary.browser));
      await page.mouse.move(5, 5);
      await popover.waitFor({ state: 'detached', timeout: 5000 });
      await badge.focus();
      await popover.waitFor({ timeout: 5000 });
      await focusPage();
    }
  });

  await step(t, server, 'every mark of a rage-click cluster can be hovered and lists the cluster', async () => {
    await openSession(ids.anon);
    const marks = page.locator('[data-testid=timeline-mark]');
    const count = await marks.count();
    const tooltip = page.locator('[data-testid=timeline-tooltip]');
    /** @type {Set<string | null>} */
    const clustered = new Set();
    for (let index = 0; index < count; index++) {
      const mark = marks.nth(index);
      // Playwright hovers only a mark that no other element covers.
      await mark.hover({ timeout: 3000 });
      await tooltip.waitFor({ state: 'visible', timeout: 3000 });
      const text = (await tooltip.textContent()) ?? '';
      assert.ok(text.includes((await mark.getAttribute('data-title')) ?? ''), `mark ${index}: the tooltip names it: ${text}`);
      const size = await mark.getAttribute('data-cluster-size');
      if (size !== null) {
        assert.match(text, new RegExp(`${size} events here`));
        clustered.add(await mark.getAttribute('data-kind'));
      }
    }
    assert.ok(clustered.has('rage_click') && clustered.has('click'), `the rage click and its click form a cluster: ${[...clustered]}`);
  });

  await step(t, server, 'the replayed page is white, as in rrweb\'s own Replayer', async () => {
    const batch = freshBatch(fixture);
    const posted = await fetch(`${server.url}/v1/batches`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Playback-Key': 'pk_demo' },
      body: JSON.stringify(batch),
    });
    assert.equal(posted.status, 200);
    await waitFor(
      async () => {
        const manifest = await client.get(`/v1/sessions/${batch.session_id}/recording/manifest`);
        return manifest.complete;
      },
      { timeout: 30_000, interval: 500, message: 'the recording is archived' },
    );
    await openSession(batch.session_id);
    await page.locator('.replayer-wrapper').waitFor({ timeout: 10_000 });
    await sleep(500);
    const ours = await page.locator('#player iframe').boundingBox();
    assert.ok(ours);
    const oursShot = await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'player-background.png') });
    const oursColour = await pixelAt(page, oursShot, { x: ours.x + ours.width - 6, y: ours.y + ours.height - 6 });

    const rrweb = packageDir('rrweb');
    const reference = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    try {
      const other = await reference.newPage();
      await other.setContent('<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0"><div id="root"></div></body></html>');
      await other.addStyleTag({ content: await readFile(path.join(rrweb, 'dist/style.css'), 'utf8') });
      await other.addScriptTag({ path: path.join(rrweb, 'umd/rrweb.min.js') });
      await other.evaluate((events) => {
        const { Replayer } = /** @type {any} */ (window).rrweb;
        const replayer = new Replayer(events, { root: document.getElementById('root'), showWarning: false, mouseTail: false });
        replayer.pause(events[events.length - 1].timestamp - events[0].timestamp);
        /** @type {any} */ (window).__replayer = replayer;
      }, batch.events);
      await waitFor(() => other.evaluate(() => !!(/** @type {any} */ (window).__replayer.iframe.contentDocument?.body)), {
        timeout: 10_000,
        interval: 100,
        message: 'rrweb replays the page',
      });
      const theirs = await other.locator('iframe').boundingBox();
      assert.ok(theirs);
      const theirsShot = await other.screenshot({ path: path.join(ARTIFACTS_DIR, 'rrweb-background.png') });
      const theirsColour = await pixelAt(other, theirsShot, { x: theirs.x + theirs.width - 6, y: theirs.y + theirs.height - 6 });
      assert.deepEqual(oursColour, theirsColour, 'the background of the replayed page is the same colour');
      assert.deepEqual(oursColour, [255, 255, 255], 'white');
    } finally {
      await reference.close();
    }
  });

  await step(t, server, '?t= at a page view lands exactly there, with that page drawn', async () => {
    const events = (await client.get(`/v1/sessions/${ids.ada1}/events`)).events;
    const pageTwo = events.filter((/** @type {any} */ event) => event.kind === 'page_view')[1];
    assert.ok(pageTwo, 'ada1 viewed page two');
    await openSession(ids.ada1, `?t=${pageTwo.offset_ms}`);
    await waitFor(async () => (await stageOffset()) === pageTwo.offset_ms, {
      timeout: 10_000,
      interval: 100,
      message: `the player is at ${pageTwo.offset_ms} ms exactly`,
    });
    await waitFor(
      () =>
        page.evaluate(() => {
          const frame = /** @type {HTMLIFrameElement | null} */ (document.querySelector('#player iframe'));
          return frame?.contentDocument?.querySelector('#page2-action') != null;
        }),
      { timeout: 10_000, interval: 100, message: 'page two is drawn' },
    );
    assert.equal(await stageOffset(), pageTwo.offset_ms, 'and stays there');
  });

  await step(t, server, 'skip idle: the "Skipped" message goes once playback has left the idle stretch', async () => {
    await openSession(ids.grace);
    const idle = await page.locator('[data-testid=timeline-idle]').evaluateAll((elements) =>
      elements.map((element) => ({ start: Number(/** @type {HTMLElement} */ (element).dataset.start), end: Number(/** @type {HTMLElement} */ (element).dataset.end) })),
    );
    const longest = idle.sort((a, b) => b.end - b.start - (a.end - a.start))[0];
    await page.click('[data-testid=speed][data-speed="1"]');
    await setSkipIdle(true);
    const toast = page.locator('[data-testid=player-toast]');
    await toast.waitFor({ state: 'hidden', timeout: 5000 });
    await page.keyboard.press('Home');
    const track = page.locator('[data-testid=timeline-track]');
    const box = await track.boundingBox();
    assert.ok(box);
    const duration = Number(await track.getAttribute('aria-valuemax'));
    await page.mouse.click(box.x + (box.width * (longest.start + 1000)) / duration, box.y + 1);
    await play();
    await waitFor(async () => /Skipped/.test((await toast.textContent()) ?? ''), { timeout: 5000, interval: 50, message: 'the skip is said' });
    await waitFor(async () => (await playerTime()) > longest.end + 2000 || !(await isPlaying()), { timeout: 10_000, interval: 100, message: 'played on' });
    await toast.waitFor({ state: 'hidden', timeout: 3000 });
    await pause();
  });

  await step(t, server, 'the address link opens the recorded URL, marked not to be recorded, in a new tab without an opener', async () => {
    await openSession(ids.ada1);
    const link = page.locator('[data-testid=address-link]');
    const href = (await link.getAttribute('href')) ?? '';
    const url = new URL(href);
    assert.equal(url.searchParams.get('__playback_no_record'), '1', `the marker: ${href}`);
    assert.equal(url.pathname, '/demo/');
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.match((await link.getAttribute('rel')) ?? '', /\bnoopener\b/);
    const [opened] = await Promise.all([context.waitForEvent('page'), link.click()]);
    await opened.waitForLoadState('domcontentloaded');
    assert.equal(await opened.evaluate(() => window.opener), null, 'the opened tab has no opener');
    await opened.close();
  });

  await step(t, server, 'a revoked share link says revoked, not expired', async () => {
    const created = await client.request('POST', `/v1/sessions/${ids.ada2}/shares`, { expires_in_hours: 24 });
    assert.ok(created.status === 200 || created.status === 201, created.text);
    const share = created.json;
    const revoked = await client.request('DELETE', `/v1/shares/${share.share_id}`);
    assert.ok(revoked.status < 300, revoked.text);
    await openSession(ids.ada2);
    await page.click('[data-testid=share-button]');
    const row = page.locator(`[data-testid=share-row][data-share-id="${share.share_id}"]`);
    await row.waitFor({ timeout: 10_000 });
    const meta = (await row.locator('[data-testid=share-meta]').textContent()) ?? '';
    assert.match(meta, /revoked/);
    assert.doesNotMatch(meta, /expire/, `no expiry on a revoked link: ${meta}`);
    const shared = await browser.newPage();
    try {
      await shared.goto(new URL(share.url, server.url).href);
      const unavailable = shared.locator('[data-testid=share-unavailable]');
      await unavailable.waitFor({ timeout: 15_000 });
      assert.equal(await unavailable.getAttribute('data-reason'), 'revoked');
      const text = (await unavailable.textContent()) ?? '';
      assert.match(text, /revoked/);
      assert.doesNotMatch(text, /expired/);
    } finally {
      await shared.close();
    }
  });

  await step(t, server, 'keyboard: ? lists the shortcuts, j/k step through the transcript, space plays but not while typing', async () => {
    await openSession(ids.ada1);
    const offsets = await page.locator('#transcript [data-testid=transcript-event]').evaluateAll((tiles) =>
      tiles.map((tile) => Number(/** @type {HTMLElement} */ (tile).dataset.offsetMs)),
    );
    await focusPage();
    await page.keyboard.press('?');
    const help = page.locator('[data-testid=shortcuts-help]');
    await help.waitFor({ state: 'visible', timeout: 5000 });
    assert.match((await help.textContent()) ?? '', /J \/ K/);
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden', timeout: 5000 });
    await focusPage();
    const current = async () => Number((await page.locator('#transcript [data-testid=transcript-event][aria-current=true]').getAttribute('data-index')) ?? -1);
    const start = await current();
    await page.keyboard.press('j');
    await waitFor(async () => (await current()) > start, { timeout: 5000, interval: 100, message: 'j: the next entry' });
    const next = await current();
    assert.ok(Math.abs((await stageOffset()) - offsets[next]) <= 2100, 'j seeks to the entry');
    await page.keyboard.press('j');
    await waitFor(async () => (await current()) > next, { timeout: 5000, interval: 100, message: 'j: the one after' });
    const after = await current();
    await page.keyboard.press('k');
    await waitFor(async () => (await current()) < after, { timeout: 5000, interval: 100, message: 'k: back' });
    await page.keyboard.press(' ');
    await waitFor(isPlaying, { timeout: 5000, interval: 100, message: 'space plays' });
    await page.keyboard.press(' ');
    await waitFor(async () => !(await isPlaying()), { timeout: 5000, interval: 100, message: 'space pauses' });
    await page.click('[data-testid=note-text]');
    await page.keyboard.type('a b');
    assert.ok(!(await isPlaying()), 'space typed into a field does not play');
    assert.equal(await page.inputValue('[data-testid=note-text]'), 'a b');
  });

  assert.deepEqual(pageErrors, [], 'the UI raised no uncaught errors');
});

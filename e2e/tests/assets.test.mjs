/**
 * Asset copies, end to end: a visit of a site whose look comes from another
 * origin (a stylesheet with an `@import`, a web font, a background image, an
 * `<img>` and an `<img srcset>`, fixtures/asset-site) is recorded; Playback
 * archives every asset; the replay looks the same once the site is gone and
 * asks no host but Playback for anything, in the session page and through a
 * share link. With the asset stage off, the same visit replays without the
 * site's look, the fidelity line says what is missing, and still nothing
 * leaves Playback's origin until the viewer asks for the live site.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import test from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Api, waitFor } from '../lib/api.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { ARTIFACTS_DIR } from '../lib/paths.mjs';
import { startServer, step } from '../lib/server.mjs';
import { startAssetSite } from '../fixtures/asset-site/site.mjs';

/** Where the replays are looked at, ms into the session: after the snapshot, before the end. */
const REPLAY_AT_MS = 1_000;
/** Screenshots of the same frame may differ by anti-aliasing; a missing asset changes far more. */
const SAME_FRAME_MAX_DIFFERENT = 0.005;
const MISSING_LOOK_MIN_DIFFERENT = 0.02;
/** The title's colour in the stylesheet the site's stylesheet imports. */
const THEME_TITLE_COLOR = 'rgb(194, 51, 43)';
/** A copy loaded through the session's asset grant, as computed CSS writes it. */
const GRANTED_URL = /^url\("http:\/\/127\.0\.0\.1:\d+\/v1\/asset-grants\/[^/]+\/[0-9a-f]{64}"\)$/;
const FONT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../fixtures/asset-site/icons.ttf');

/**
 * Runs `body` with extra environment variables, which `startServer` hands to
 * the server it starts (it copies the environment when it launches).
 * @template T
 * @param {Record<string, string>} vars
 * @param {() => Promise<T>} body
 * @returns {Promise<T>}
 */
async function withEnv(vars, body) {
  /** @type {Record<string, string | undefined>} */
  const saved = {};
  for (const [name, value] of Object.entries(vars)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  try {
    return await body();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/**
 * Visits the site in a fresh context until every asset is in, with a custom
 * event a moment later so the tab has a length; returns the session id once
 * the recording is archived.
 * @param {import('playwright-core').Browser} browser
 * @param {import('../fixtures/asset-site/site.mjs').AssetSite} site
 * @param {Api} api
 */
async function recordVisit(browser, site, api) {
  const context = await browser.newContext({ viewport: { width: 1024, height: 640 } });
  let sessionId = '';
  try {
    const page = await context.newPage();
    await page.goto(site.pageUrl);
    sessionId = await waitFor(
      () => page.evaluate(() => /** @type {any} */ (window).Playback?.getSessionId() ?? null),
      { timeout: 30_000, interval: 100, message: 'Playback.getSessionId() on the asset site' },
    );
    const loaded = await page.evaluate(async () => {
      await document.fonts.ready;
      return {
        fonts: [...document.fonts].map((font) => `${font.family.replaceAll('"', '')}:${font.status}`),
        images: [...document.images].map((image) => image.naturalWidth),
      };
    });
    assert.deepEqual(loaded.fonts, ['Site Icons:loaded'], 'the site itself loads its font');
    assert.ok(loaded.images.every((width) => width > 0), `the site's images load: ${loaded.images}`);
    await sleep(REPLAY_AT_MS * 2);
    await page.evaluate(() => /** @type {any} */ (window).Playback.track('looked', {}));
    assert.equal(await page.evaluate(() => /** @type {any} */ (window).Playback.flush()), true);
    await page.close();
  } finally {
    await context.close();
  }
  await waitFor(
    async () => {
      const manifest = await api.get(`/v1/sessions/${sessionId}/recording/manifest`);
      return manifest.status === 200 && manifest.json.complete && manifest.json.windows.length === 1;
    },
    { timeout: 120_000, interval: 500, message: `recording of ${sessionId} archived` },
  );
  return sessionId;
}

/**
 * @typedef {object} ReplayShot
 * @property {Buffer} png the player, at REPLAY_AT_MS
 * @property {string[]} requests every URL the browser asked for, replay frame included
 * @property {string} fidelity the fidelity line's text
 * @property {{used: number, missing: number}} counts the line's figures
 * @property {ReplayedPage} frame what the replayed page loaded
 */

/**
 * @typedef {object} ReplayedPage
 * @property {string[]} fonts each font face, `family:status`
 * @property {{id: string, src: string, width: number}[]} images each image, where it came from and its width
 * @property {number} sheets stylesheets of the page
 * @property {string[]} links the hrefs of its `<link>`s
 * @property {string} titleColor the title's colour, which the imported stylesheet sets
 * @property {string} heroBackground the hero's background image, which the first stylesheet sets
 */

/**
 * Opens the replay of `pagePath` (a session page or a share link) in a
 * fresh context at REPLAY_AT_MS, waits until what the replayed page can
 * load is loaded, and takes a screenshot of the player.
 * @param {import('playwright-core').Browser} browser
 * @param {import('../lib/server.mjs').PlaybackServer} server
 * @param {string} pagePath
 * @param {{name: string, used: number, fontLoads: boolean}} expect
 * @returns {Promise<ReplayShot>}
 */
async function replayShot(browser, server, pagePath, expect) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  try {
    await context.addInitScript((value) => localStorage.setItem('playback.token', value), server.tokens.admin);
    /** @type {string[]} */
    const requests = [];
    context.on('request', (request) => requests.push(request.url()));
    const page = await context.newPage();
    const separator = pagePath.includes('?') ? '&' : '?';
    await page.goto(`${server.url}${pagePath}${separator}t=${REPLAY_AT_MS}`);
    await page.locator('#player iframe').first().waitFor({ state: 'attached', timeout: 30_000 });
    await page.locator('[data-testid=player-controls]').waitFor({ timeout: 30_000 });
    const line = page.locator('[data-testid=asset-fidelity]');
    const counted = async () =>
      (await line.getAttribute('data-state')) === 'listed' && Number(await line.getAttribute('data-used')) === expect.used;
    await waitFor(counted, {
      timeout: 15_000,
      interval: 100,
      message: `the fidelity line has the listing and counts ${expect.used} assets`,
    });
    const handle = await page.locator('#player iframe').first().elementHandle();
    const frame = await handle?.contentFrame();
    assert.ok(frame, 'the replay frame');
    await frame.locator('#hero').waitFor({ state: 'attached', timeout: 15_000 });
    await waitFor(
      () =>
        frame.evaluate((fontLoads) => {
          const images = [...document.images].every((image) => image.complete);
          const sheets = [...document.querySelectorAll('link[href]')].every((link) => /** @type {HTMLLinkElement} */ (link).sheet);
          const font = [...document.fonts].some((face) => face.status === 'loaded');
          return images && sheets && (font || !fontLoads);
        }, expect.fontLoads),
      { timeout: 15_000, interval: 100, message: `${expect.name}: the replayed page's assets loaded` },
    );
    const facts = await frame.evaluate(async () => {
      await document.fonts.ready;
      return {
        fonts: [...document.fonts].map((font) => `${font.family.replaceAll('"', '')}:${font.status}`),
        images: [...document.images].map((image) => ({ id: image.id, src: image.currentSrc, width: image.naturalWidth })),
        sheets: document.styleSheets.length,
        links: [...document.querySelectorAll('link[href]')].map((link) => link.getAttribute('href') ?? ''),
        titleColor: getComputedStyle(/** @type {Element} */ (document.querySelector('.title'))).color,
        heroBackground: getComputedStyle(/** @type {Element} */ (document.getElementById('hero'))).backgroundImage,
      };
    });
    // The frame is drawn: give the decoded images and the font one frame to paint.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    const png = await page.locator('#player').screenshot({ path: path.join(ARTIFACTS_DIR, `${expect.name}.png`) });
    const fidelity = (await page.locator('[data-testid=asset-fidelity-summary]').textContent()) ?? '';
    const counts = { used: Number(await line.getAttribute('data-used')), missing: Number(await line.getAttribute('data-missing')) };
    return { png, requests, fidelity, counts, frame: facts };
  } finally {
    await context.close();
  }
}

/**
 * The share of pixels that differ (by more than a little in any channel)
 * between two screenshots of the same size, decoded by the browser.
 * @param {import('playwright-core').Browser} browser
 * @param {Buffer} a
 * @param {Buffer} b
 */
async function differentPixels(browser, a, b) {
  const page = await browser.newPage();
  try {
    return await page.evaluate(
      async ({ first, second }) => {
        /** @param {string} data */
        const pixels = async (data) => {
          const image = new Image();
          image.src = `data:image/png;base64,${data}`;
          await image.decode();
          const canvas = document.createElement('canvas');
          canvas.width = image.width;
          canvas.height = image.height;
          const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
          context.drawImage(image, 0, 0);
          return context.getImageData(0, 0, image.width, image.height);
        };
        const [x, y] = [await pixels(first), await pixels(second)];
        if (x.width !== y.width || x.height !== y.height) return { size: `${x.width}x${x.height} vs ${y.width}x${y.height}`, share: 1 };
        let different = 0;
        for (let index = 0; index < x.data.length; index += 4) {
          const delta = Math.max(
            Math.abs(x.data[index] - y.data[index]),
            Math.abs(x.data[index + 1] - y.data[index + 1]),
            Math.abs(x.data[index + 2] - y.data[index + 2]),
          );
          if (delta > 24) different++;
        }
        return { size: `${x.width}x${x.height}`, share: different / (x.width * x.height) };
      },
      { first: a.toString('base64'), second: b.toString('base64') },
    );
  } finally {
    await page.close();
  }
}

/**
 * The URLs of `requests` that are not on `origin` (data: and blob: URLs stay in the browser).
 * @param {string[]} requests
 * @param {string} origin
 */
function elsewhere(requests, origin) {
  return requests.filter((url) => !/^(data|blob|about):/.test(url) && new URL(url).origin !== origin);
}

test('a replay looks the same from Playback\'s copies with the site gone, and asks no other host', { timeout: 600_000 }, async (t) => {
  const browser = await launchBrowser(t);
  await mkdir(ARTIFACTS_DIR, { recursive: true });

  const site = await startAssetSite();
  t.after(() => site.stop());
  const server = await withEnv({ PLAYBACK_ASSETS__ALLOWED_ORIGINS: JSON.stringify([site.pageOrigin, site.cdnOrigin]) }, () =>
    startServer(t),
  );
  site.playbackUrl = server.url;
  const api = new Api(server.url, server.tokens.admin);
  /** @type {string} */
  let sessionId = '';
  /** @type {ReplayShot | null} */
  let siteUp = null;

  await step(t, server, 'a visit is recorded and every asset of it archived, nested ones included', async () => {
    sessionId = await recordVisit(browser, site, api);
    const listing = await waitFor(
      async () => {
        const response = await api.get(`/v1/sessions/${sessionId}/assets`);
        if (response.status !== 200) throw new Error(`${response.status} ${response.text.slice(0, 300)}`);
        const { assets } = response.json;
        const archived = assets.filter((/** @type {any} */ asset) => asset.status === 'archived').length;
        if (assets.length < site.assetUrls.length || archived < assets.length) {
          throw new Error(`${archived} of ${assets.length} archived: ${response.text.slice(0, 600)}`);
        }
        return response.json;
      },
      { timeout: 120_000, interval: 500, message: `the assets of ${sessionId} archived` },
    );
    assert.deepEqual(listing.assets.map((/** @type {any} */ asset) => asset.url).sort(), site.assetUrls);
    assert.match(listing.base, /^\/v1\/asset-grants\/[^/]+\/$/);
    for (const asset of listing.assets) {
      assert.match(asset.hash, /^[0-9a-f]{64}$/, asset.url);
      assert.ok(asset.bytes > 0, asset.url);
      assert.equal(asset.error, '', asset.url);
    }
    const font = listing.assets.find((/** @type {any} */ asset) => asset.url.endsWith('/fonts/icons.ttf'));
    const fontBytes = await readFile(FONT);
    assert.equal(font.hash, createHash('sha256').update(fontBytes).digest('hex'), 'a font is stored as fetched');
    const served = await fetch(`${server.url}${listing.base}${font.hash}`);
    assert.equal(served.status, 200, 'the base carries its own capability: no token needed');
    assert.deepEqual(Buffer.from(await served.arrayBuffer()), fontBytes);
    assert.equal(served.headers.get('x-content-type-options'), 'nosniff');
  });

  await step(t, server, 'with the site up, the replay already loads everything from Playback', async () => {
    siteUp = await replayShot(browser, server, `/sessions/${sessionId}`, { name: 'assets-site-up', used: 7, fontLoads: true });
    assert.equal(siteUp.fidelity, 'All 7 assets archived');
    assert.deepEqual(siteUp.counts, { used: 7, missing: 0 });
    assert.deepEqual(elsewhere(siteUp.requests, server.url), []);
    assert.deepEqual(siteUp.frame.fonts, ['Site Icons:loaded']);
    assert.equal(siteUp.frame.titleColor, THEME_TITLE_COLOR, 'the imported stylesheet applies');
    assert.match(siteUp.frame.heroBackground, GRANTED_URL, 'the background comes from the copy');
    for (const image of siteUp.frame.images) {
      assert.ok(image.width > 0, `${image.id} is drawn`);
      assert.ok(image.src.startsWith(`${server.url}/v1/asset-grants/`), `${image.id} from the copy: ${image.src}`);
    }
  });

  await step(t, server, 'with the site gone, the replay is the same and asks nothing of the site', async () => {
    await site.stop();
    const gone = await replayShot(browser, server, `/sessions/${sessionId}`, { name: 'assets-site-down', used: 7, fontLoads: true });
    assert.ok(siteUp);
    const difference = await differentPixels(browser, siteUp.png, gone.png);
    assert.ok(difference.share <= SAME_FRAME_MAX_DIFFERENT, `the two replays differ: ${JSON.stringify(difference)}`);
    assert.deepEqual(elsewhere(gone.requests, server.url), []);
    const toSite = gone.requests.filter((url) => url.startsWith(site.pageOrigin) || url.startsWith(site.cdnOrigin));
    assert.deepEqual(toSite, []);
    assert.equal(gone.fidelity, 'All 7 assets archived');
    assert.deepEqual(gone.frame.fonts, ['Site Icons:loaded']);
    assert.equal(gone.frame.titleColor, THEME_TITLE_COLOR);
    assert.match(gone.frame.heroBackground, GRANTED_URL);
  });

  await step(t, server, 'a share link replays from the copies too', async () => {
    const response = await fetch(`${server.url}/v1/sessions/${sessionId}/shares`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.tokens.admin}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    assert.equal(response.status, 201, await response.clone().text());
    const share = await response.json();
    const link = new URL(share.url, server.url);
    const shared = await replayShot(browser, server, link.pathname, { name: 'assets-shared', used: 7, fontLoads: true });
    assert.equal(shared.fidelity, 'All 7 assets archived');
    assert.deepEqual(elsewhere(shared.requests, server.url), []);
    // The shared page lays out its player at another size: what the replayed page loaded is compared instead.
    const sharedBase = `${server.url}${link.pathname.replace('/s/', '/v1/shared/')}/assets/`;
    assert.ok(shared.requests.includes(sharedBase.slice(0, -1)), 'the listing through the share link');
    assert.deepEqual(shared.frame.fonts, ['Site Icons:loaded']);
    assert.equal(shared.frame.titleColor, THEME_TITLE_COLOR);
    assert.ok(shared.frame.heroBackground.startsWith(`url("${sharedBase}`), shared.frame.heroBackground);
    assert.ok(shared.frame.links.every((href) => href.startsWith(sharedBase)), JSON.stringify(shared.frame.links));
    for (const image of shared.frame.images) {
      assert.ok(image.width > 0 && image.src.startsWith(sharedBase), `${image.id} from the share's copies: ${image.src}`);
    }
  });

  const bareSite = await startAssetSite();
  t.after(() => bareSite.stop());
  const bare = await withEnv({ PLAYBACK_ASSETS__ENABLED: 'false' }, () => startServer(t));
  bareSite.playbackUrl = bare.url;
  const bareApi = new Api(bare.url, bare.tokens.admin);

  await step(t, bare, 'with the asset stage off, the replay says what is missing and still asks no other host', async () => {
    const bareSession = await recordVisit(browser, bareSite, bareApi);
    const listing = await bareApi.getOk(`/v1/sessions/${bareSession}/assets`);
    assert.deepEqual(listing.assets, []);
    await bareSite.stop();
    const shot = await replayShot(browser, bare, `/sessions/${bareSession}`, { name: 'assets-off', used: 4, fontLoads: false });
    // The player finds the stylesheet and the three images in the events; what the stylesheet loads it cannot know.
    assert.equal(shot.fidelity, '4 of 4 assets missing: not archived (4)');
    assert.deepEqual(shot.counts, { used: 4, missing: 4 });
    assert.deepEqual(elsewhere(shot.requests, bare.url), []);
    assert.deepEqual(shot.frame.links, [], 'the stylesheet link keeps no href');
    assert.ok(shot.frame.images.every((image) => image.src === ''), JSON.stringify(shot.frame.images));
    assert.notEqual(shot.frame.titleColor, THEME_TITLE_COLOR);
    assert.equal(shot.frame.heroBackground, 'none');
    assert.ok(siteUp);
    const difference = await differentPixels(browser, siteUp.png, shot.png);
    assert.ok(difference.share >= MISSING_LOOK_MIN_DIFFERENT, `without the copies the replay should look different: ${JSON.stringify(difference)}`);

    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    t.after(() => context.close());
    await context.addInitScript((value) => localStorage.setItem('playback.token', value), bare.tokens.admin);
    /** @type {string[]} */
    const requests = [];
    context.on('request', (request) => requests.push(request.url()));
    const page = await context.newPage();
    await page.goto(`${bare.url}/sessions/${bareSession}?t=${REPLAY_AT_MS}`);
    const line = page.locator('[data-testid=asset-fidelity]');
    await line.waitFor({ timeout: 30_000 });
    await page.locator('.asset-fidelity-summary').click();
    const missing = await page.locator('[data-testid=missing-asset]').evaluateAll((items) =>
      items.map((item) => `${/** @type {HTMLElement} */ (item).dataset.url} ${item.querySelector('.asset-fidelity-reason')?.textContent}`),
    );
    // Listed by URL: the order of the two origins depends on their ports.
    const expected = [
      `${bareSite.cdnOrigin}/css/site.css not archived`,
      `${bareSite.cdnOrigin}/img/photo-1x.png not archived`,
      `${bareSite.cdnOrigin}/img/photo-2x.png not archived`,
      `${bareSite.pageOrigin}/img/logo.png not archived`,
    ];
    assert.deepEqual(missing, expected.sort());
    assert.deepEqual(elsewhere(requests, bare.url), []);

    // The viewer asks for the live site: the page reloads with live_assets=1 and the replay tries the (stopped) site.
    await Promise.all([page.waitForURL(/[?&]live_assets=1/), page.locator('[data-testid=live-assets]').check()]);
    await page.locator('#player iframe').first().waitFor({ state: 'attached', timeout: 30_000 });
    assert.equal(await page.locator('[data-testid=live-assets]').isChecked(), true);
    await waitFor(() => requests.some((url) => url.startsWith(bareSite.cdnOrigin)), {
      timeout: 15_000,
      interval: 100,
      message: 'the live replay asks the site for its stylesheet',
    });
    await Promise.all([page.waitForURL((url) => !url.searchParams.has('live_assets')), page.locator('[data-testid=live-assets]').uncheck()]);
  });
});

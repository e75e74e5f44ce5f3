/**
 * Benchmark: the player's first frame and seek, next to rrweb-player 2.1.6
 * given the whole recording, in the same Chromium, on the same recordings, in
 * the same run.
 *
 * Recordings: a real demo visit stretched to 30 minutes and to 2 hours, with a
 * FullSnapshot every 5 minutes and a marker naming the minute
 * (lib/long-recording.mjs), posted through the gateway in 5 s batches.
 *
 * Figures (median of BENCH_RUNS runs, 3 by default, each in a fresh browser context, so nothing is cached):
 * - first frame: from opening the page to the replay frame showing the marker of the minute
 *   asked for (minute 25 of 30, minute 110 of 120). Playback: the session page with `?t=`.
 *   Baseline: a bare page that fetches `GET …/recording` and starts rrweb-player there.
 * - seek: in a loaded session (every chunk fetched), the time from asking for the end to the
 *   frame showing the end's marker, after a seek to the start.
 * - JS heap: `Runtime.getHeapUsage` (CDP) after a garbage collection, once loaded.
 *
 * Run: `make bench-player` (a release `playback up`; PLAYBACK_BIN picks the binary).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Api } from '../lib/api.mjs';
import { launchChromium } from '../lib/browser.mjs';
import { recordDemoSession } from '../lib/demo.mjs';
import { buildLongRecording, markerAt, MINUTE_MS, postBatches, readMarker, waitForArchive } from '../lib/long-recording.mjs';
import { packageDir } from '../lib/paths.mjs';
import { PLAYBACK_BIN, startEmbedded } from '../lib/server.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const VIEWPORT = { width: 1400, height: 900 };
const FIRST_FRAME_TIMEOUT_MS = 120_000;

/** The test context `startEmbedded` expects, run by hand. */
function benchContext() {
  /** @type {Array<() => unknown>} */
  const cleanups = [];
  return {
    context: /** @type {any} */ ({ after: (/** @type {() => unknown} */ cleanup) => cleanups.push(cleanup) }),
    async close() {
      for (const cleanup of cleanups.reverse()) await cleanup();
    },
  };
}

/** @param {number[]} values */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Waits for the marker `expected` in the replay frame; polls in the page, so the time is the page's.
 * @param {import('playwright-core').Page} page
 * @param {string} frameSelector
 * @param {string} expected
 */
async function waitForMarker(page, frameSelector, expected) {
  await page.waitForFunction(
    ({ frameSelector, expected, id }) => {
      const frame = /** @type {HTMLIFrameElement | null} */ (document.querySelector(frameSelector));
      return frame?.contentDocument?.getElementById(id)?.textContent === expected;
    },
    { frameSelector, expected, id: 'playback-minute-marker' },
    { polling: 10, timeout: FIRST_FRAME_TIMEOUT_MS },
  );
}

/**
 * The used JS heap of the page after a full garbage collection, bytes.
 * @param {import('playwright-core').Page} page
 */
async function heapUsed(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const usage = await cdp.send('Runtime.getHeapUsage');
  await cdp.detach();
  return usage.usedSize;
}

/**
 * @typedef {object} Run
 * @property {number} firstFrameMs
 * @property {number} seekMs
 * @property {number} heapBytes
 * @property {number} recordingBytes recording bytes the page received once loaded
 */

/**
 * The Playback session page.
 * @param {import('playwright-core').Browser} browser
 * @param {{url: string, token: string, sessionId: string, offset: number, chunks: number, durationMs: number}} target
 * @returns {Promise<Run>}
 */
async function runPlayback(browser, target) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    const page = await context.newPage();
    let chunksLoaded = 0;
    let received = 0;
    page.on('response', async (response) => {
      if (!response.url().includes('/recording')) return;
      const body = await response.body().catch(() => Buffer.alloc(0));
      received += body.length;
      if (response.url().includes('/recording/chunks/')) chunksLoaded++;
    });
    const started = Date.now();
    await page.goto(`${target.url}/sessions/${target.sessionId}?t=${target.offset}#token=${target.token}`);
    await waitForMarker(page, '#player iframe', markerAt(target.offset));
    const firstFrameMs = Date.now() - started;
    const deadline = Date.now() + FIRST_FRAME_TIMEOUT_MS;
    while (chunksLoaded < target.chunks) {
      if (Date.now() > deadline) throw new Error(`only ${chunksLoaded} of ${target.chunks} chunks loaded`);
      await page.waitForTimeout(50);
    }
    // Let the last chunk be merged into the replay.
    await page.waitForTimeout(500);
    const seekMs = await page.evaluate(
      async ({ startMarker, endMarker, id }) => {
        const press = (/** @type {string} */ key) => document.dispatchEvent(new KeyboardEvent('keydown', { key }));
        const marker = () =>
          /** @type {HTMLIFrameElement | null} */ (document.querySelector('#player iframe'))?.contentDocument?.getElementById(id)
            ?.textContent;
        const until = async (/** @type {string} */ expected) => {
          const deadline = performance.now() + 30_000;
          while (marker() !== expected) {
            if (performance.now() > deadline) throw new Error(`the frame shows ${marker()}, not ${expected}`);
            await new Promise((resolve) => requestAnimationFrame(resolve));
          }
        };
        press('Home');
        await until(startMarker);
        const begun = performance.now();
        press('End');
        await until(endMarker);
        return performance.now() - begun;
      },
      { startMarker: markerAt(0), endMarker: markerAt(target.durationMs - 1), id: 'playback-minute-marker' },
    );
    const heapBytes = await heapUsed(page);
    return { firstFrameMs, seekMs, heapBytes, recordingBytes: received };
  } finally {
    await context.close();
  }
}

/**
 * A bare page with rrweb-player 2.1.6 given the whole recording, started at the same moment.
 * @param {import('playwright-core').Browser} browser
 * @param {{url: string, token: string, sessionId: string, offset: number, durationMs: number}} target
 * @param {{script: string, css: string}} assets
 * @returns {Promise<Run>}
 */
async function runBaseline(browser, target, assets) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    const page = await context.newPage();
    let received = 0;
    page.on('response', async (response) => {
      if (!response.url().includes('/recording')) return;
      received += (await response.body().catch(() => Buffer.alloc(0))).length;
    });
    const pageUrl = `${target.url}/bench/rrweb-player.html`;
    await page.route(pageUrl, (route) =>
      route.fulfill({ contentType: 'text/html', body: baselinePage(target) }),
    );
    await page.route(`${target.url}/bench/rrweb-player.js`, (route) =>
      route.fulfill({ contentType: 'text/javascript', body: assets.script }),
    );
    await page.route(`${target.url}/bench/rrweb-player.css`, (route) =>
      route.fulfill({ contentType: 'text/css', body: assets.css }),
    );
    const started = Date.now();
    await page.goto(pageUrl);
    await waitForMarker(page, '#root iframe', markerAt(target.offset));
    const firstFrameMs = Date.now() - started;
    const seekMs = await page.evaluate(
      async ({ startMarker, endMarker, id }) => {
        const player = /** @type {any} */ (window).__player;
        const marker = () =>
          /** @type {HTMLIFrameElement | null} */ (document.querySelector('#root iframe'))?.contentDocument?.getElementById(id)
            ?.textContent;
        const until = async (/** @type {string} */ expected) => {
          const deadline = performance.now() + 30_000;
          while (marker() !== expected) {
            if (performance.now() > deadline) throw new Error(`the frame shows ${marker()}, not ${expected}`);
            await new Promise((resolve) => requestAnimationFrame(resolve));
          }
        };
        player.goto(1);
        await until(startMarker);
        const begun = performance.now();
        player.goto(player.getMetaData().totalTime);
        await until(endMarker);
        return performance.now() - begun;
      },
      { startMarker: markerAt(0), endMarker: markerAt(target.durationMs - 1), id: 'playback-minute-marker' },
    );
    const heapBytes = await heapUsed(page);
    return { firstFrameMs, seekMs, heapBytes, recordingBytes: received };
  } finally {
    await context.close();
  }
}

/** @param {{token: string, sessionId: string, offset: number}} target */
function baselinePage(target) {
  return `<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="/bench/rrweb-player.css"></head>
<body style="margin:0"><div id="root"></div><script src="/bench/rrweb-player.js"></script><script>
(async () => {
  const response = await fetch('/v1/sessions/${target.sessionId}/recording', { headers: { Authorization: 'Bearer ${target.token}' } });
  const body = await response.json();
  const events = body.windows[0].events;
  const Player = window.rrwebPlayer.default || window.rrwebPlayer;
  const player = new Player({ target: document.getElementById('root'),
    props: { events, width: 1280, height: 720, autoPlay: false, skipInactive: false, showController: false, triggerFocus: false } });
  player.goto(${target.offset - 0});
  window.__player = player;
})();
</script></body></html>`;
}

/** @param {number} bytes */
const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
/** @param {number} value @param {number} baseline */
const ratio = (value, baseline) => (baseline > 0 ? (value / baseline).toFixed(2) : 'n/a');

async function main() {
  const bench = benchContext();
  const browser = await launchChromium();
  try {
    const server = await startEmbedded(bench.context);
    const api = new Api(server.url);
    const rrwebPlayer = packageDir('rrweb-player');
    const assets = {
      script: await readFile(path.join(rrwebPlayer, 'umd/rrweb-player.min.js'), 'utf8'),
      css: await readFile(path.join(rrwebPlayer, 'dist/style.css'), 'utf8'),
    };
    const demo = await recordDemoSession(browser, server.url);
    const real = [...demo.eventsByWindow().values()][0];
    console.log(`player bench: ${path.relative(process.cwd(), PLAYBACK_BIN)}, ${RUNS} runs each, median`);

    const cases = [
      { name: 'minute 25 of 30', durationMs: 30 * MINUTE_MS, offset: 25 * MINUTE_MS + 30_000 },
      { name: 'minute 110 of 120', durationMs: 120 * MINUTE_MS, offset: 110 * MINUTE_MS + 30_000 },
    ];
    for (const benchCase of cases) {
      const recording = buildLongRecording(real, { durationMs: benchCase.durationMs });
      await postBatches(server.url, recording.batches);
      const manifest = await waitForArchive(api, recording, 300_000);
      const whole = await api.get(`/v1/sessions/${recording.sessionId}/recording`);
      const chunks = manifest.windows[0].chunks.length;
      const stored = manifest.windows[0].chunks.reduce((/** @type {number} */ sum, /** @type {any} */ chunk) => sum + chunk.bytes, 0);
      console.log(
        `\n${benchCase.durationMs / MINUTE_MS}-minute recording: ${recording.events.length} events, ` +
          `${mb(Buffer.byteLength(whole.text))} as one /recording, ${chunks} chunks (${mb(stored)} stored)`,
      );
      const target = {
        url: server.url,
        token: server.tokens.admin,
        sessionId: recording.sessionId,
        offset: benchCase.offset,
        chunks,
        durationMs: benchCase.durationMs,
      };
      /** @type {Run[]} */
      const ours = [];
      /** @type {Run[]} */
      const baseline = [];
      for (let run = 0; run < RUNS; run++) {
        // Alternate, so neither side always runs on a warmer machine.
        if (run % 2 === 0) {
          ours.push(await runPlayback(browser, target));
          baseline.push(await runBaseline(browser, target, assets));
        } else {
          baseline.push(await runBaseline(browser, target, assets));
          ours.push(await runPlayback(browser, target));
        }
      }
      /** @param {keyof Run} key @param {Run[]} runs */
      const of = (key, runs) => median(runs.map((run) => run[key]));
      const rows = [
        ['first frame at ' + benchCase.name, 'firstFrameMs', (/** @type {number} */ v) => `${Math.round(v)} ms`],
        ['seek start → end, loaded', 'seekMs', (/** @type {number} */ v) => `${v.toFixed(1)} ms`],
        ['JS heap after load', 'heapBytes', mb],
        ['recording downloaded once loaded', 'recordingBytes', mb],
      ];
      for (const [label, key, format] of /** @type {Array<[string, keyof Run, (v: number) => string]>} */ (rows)) {
        const value = of(key, ours);
        const base = of(key, baseline);
        console.log(`  ${label}: playback ${format(value)}, rrweb-player whole ${format(base)}, ratio ${ratio(value, base)}`);
      }
      console.log(`  first frame runs (ms): playback ${ours.map((r) => r.firstFrameMs).join(', ')}; rrweb-player ${baseline.map((r) => r.firstFrameMs).join(', ')}`);
    }
  } finally {
    await browser.close();
    await bench.close();
  }
}

await main();

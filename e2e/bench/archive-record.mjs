/**
 * Records real rrweb sessions in Chromium with the real recorder, for the
 * chunk dictionary (`cargo run -p playback-schemas --example train-dictionary`)
 * and the archive benchmarks.
 *
 *   node e2e/bench/archive-record.mjs SECONDS KIND...
 *
 * KIND is `demo` (the demo site), `ui` (the Playback web UI, with the
 * recorder added to it), or one of the pages in e2e/bench/archive-pages/
 * (`forms`, `table`, `svg`, `list`, `dashboard`). Each kind is one session in
 * its own browser context, all recorded at the same time for SECONDS against
 * `playback up`, with a seeded random walk of clicks, typing, scrolling and
 * pauses. Every batch the recorder sent is written, with the time the proxy
 * received it, to e2e/bench/archive-corpus/KIND.jsonl.gz: one line
 * `{"at_ms": ms since the session's first batch, "batch": the request body}`.
 * With ARCHIVE_RECORD_TAKE=N the walks use other seeds and the files are
 * named KIND-N.jsonl.gz, for more recordings of the same pages.
 */
import { createServer } from 'node:http';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { launchChromium } from '../lib/browser.mjs';
import { decodeBatchBody } from '../lib/demo.mjs';
import { startBatchProxy } from '../lib/proxy.mjs';
import { REPO_ROOT, startServer } from '../lib/server.mjs';
import { random } from '../lib/random.mjs';

const PAGES_DIR = path.join(REPO_ROOT, 'e2e/bench/archive-pages');
const CORPUS_DIR = path.join(REPO_ROOT, 'e2e/bench/archive-corpus');
const PAGE_KINDS = ['forms', 'table', 'svg', 'list', 'dashboard'];

/**
 * Serves the pages of archive-pages/ with the recorder sending to `endpoint`.
 * @param {string} endpoint
 * @param {string} recorderUrl
 */
async function startPageServer(endpoint, recorderUrl) {
  const recorder = await fetch(recorderUrl).then((response) => response.text());
  const server = createServer(async (request, response) => {
    const name = new URL(request.url ?? '/', 'http://x').pathname.slice(1);
    if (name === 'recorder.js') {
      response.writeHead(200, { 'Content-Type': 'text/javascript' });
      response.end(recorder);
      return;
    }
    if (!PAGE_KINDS.includes(name.replace(/\.html$/, ''))) {
      response.writeHead(404);
      response.end();
      return;
    }
    const page = await readFile(path.join(PAGES_DIR, name), 'utf8');
    response.writeHead(200, { 'Content-Type': 'text/html' });
    response.end(page.replaceAll('__ENDPOINT__', endpoint));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return { url: `http://127.0.0.1:${address.port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

/**
 * One step of the walk: click something, type, scroll, move the mouse or wait.
 * @param {import('playwright-core').Page} page
 * @param {() => number} next
 * @param {string} origin links outside it are not followed
 */
async function step(page, next, origin) {
  const choice = next();
  if (choice < 0.35) {
    const targets = await page.$$('button, th, a[href], input[type=checkbox], input[type=radio], li, .card');
    const visible = [];
    for (const target of targets) {
      const href = await target.getAttribute('href');
      if (href !== null && (href.startsWith('http') && !href.startsWith(origin))) {
        continue;
      }
      if (await target.isVisible()) {
        visible.push(target);
      }
    }
    if (visible.length > 0) {
      await visible[Math.floor(next() * visible.length)].click({ timeout: 2_000 }).catch(() => {});
    }
  } else if (choice < 0.55) {
    const inputs = await page.$$('input:not([type=checkbox]):not([type=radio]), textarea');
    const visible = [];
    for (const input of inputs) {
      if (await input.isVisible()) {
        visible.push(input);
      }
    }
    if (visible.length > 0) {
      const input = visible[Math.floor(next() * visible.length)];
      await input.click({ timeout: 2_000 }).catch(() => {});
      const words = ['alpha', 'order 42', 'grace', 'hello world', '2026', 'search term', 'x'];
      await page.keyboard.type(words[Math.floor(next() * words.length)], { delay: 40 + next() * 80 });
      if (next() < 0.3) {
        await page.keyboard.press('Enter');
      }
    }
  } else if (choice < 0.65) {
    const selects = await page.$$('select');
    if (selects.length > 0) {
      const select = selects[Math.floor(next() * selects.length)];
      const options = await select.$$eval('option', (all) => all.map((option) => option.value || option.textContent || ''));
      if (options.length > 0 && (await select.isVisible())) {
        await select.selectOption(options[Math.floor(next() * options.length)]).catch(() => {});
      }
    }
  } else if (choice < 0.8) {
    await page.mouse.wheel(0, (next() - 0.3) * 900);
  } else if (choice < 0.9) {
    for (let i = 0; i < 8; i++) {
      await page.mouse.move(next() * 1200, next() * 760);
      await sleep(30);
    }
  }
  await sleep(300 + next() * 1500);
}

/**
 * Records one kind for `seconds`.
 * @param {import('playwright-core').Browser} browser
 * @param {string} kind
 * @param {number} seconds
 * @param {import('../lib/server.mjs').PlaybackServer} server
 * @param {number} seed
 */
async function recordKind(browser, kind, seconds, server, seed) {
  const proxy = await startBatchProxy(server.url);
  /** @type {Array<{at: number, body: Buffer}>} */
  const received = [];
  const push = proxy.batches.push.bind(proxy.batches);
  proxy.batches.push = (...items) => {
    for (const item of items) {
      received.push({ at: Date.now(), body: item.body });
    }
    return push(...items);
  };
  const pages = await startPageServer(proxy.url, `${server.url}/recorder.js`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const next = random(seed);
  try {
    const page = await context.newPage();
    let origin = pages.url;
    if (kind === 'demo') {
      origin = proxy.url;
      await page.goto(`${proxy.url}/demo/`);
    } else if (kind === 'ui') {
      origin = proxy.url;
      await page.goto(`${proxy.url}/#token=${server.tokens.admin}`);
      await page.evaluate((endpoint) => {
        const script = document.createElement('script');
        script.src = `${endpoint}/recorder.js`;
        script.dataset.key = 'pk_demo';
        script.dataset.endpoint = endpoint;
        document.head.appendChild(script);
      }, proxy.url);
    } else {
      await page.goto(`${pages.url}/${kind}.html`);
    }
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
      await step(page, next, origin).catch((error) => process.stderr.write(`${kind}: ${error.message}\n`));
      if (!page.url().startsWith(origin)) {
        await page.goBack().catch(() => {});
      }
    }
    await page.evaluate(() => /** @type {any} */ (window).Playback?.flush()).catch(() => {});
    await page.close();
    await sleep(1000);
  } finally {
    await context.close();
    await proxy.close();
    await pages.close();
  }
  const first = received.length > 0 ? received[0].at : 0;
  /** @type {Set<string>} */
  const seen = new Set();
  const lines = [];
  for (const { at, body } of received) {
    const batch = decodeBatchBody(body);
    const key = `${batch.window_id}/${batch.seq}`;
    if (seen.has(key)) {
      continue;
    }
    seen.add(key);
    lines.push(JSON.stringify({ at_ms: at - first, batch }));
  }
  const take = process.env.ARCHIVE_RECORD_TAKE;
  const file = path.join(CORPUS_DIR, take ? `${kind}-${take}.jsonl.gz` : `${kind}.jsonl.gz`);
  await writeFile(file, gzipSync(lines.join('\n') + '\n', { level: 9 }));
  process.stdout.write(`${kind}: ${lines.length} batches over ${(seconds).toFixed(0)} s -> ${path.relative(REPO_ROOT, file)}\n`);
}

async function main() {
  const [secondsArg, ...kinds] = process.argv.slice(2);
  const seconds = Number(secondsArg);
  if (!Number.isFinite(seconds) || seconds <= 0 || kinds.length === 0) {
    throw new Error('usage: node e2e/bench/archive-record.mjs SECONDS KIND...');
  }
  for (const kind of kinds) {
    if (kind !== 'demo' && kind !== 'ui' && !PAGE_KINDS.includes(kind)) {
      throw new Error(`unknown kind ${kind}`);
    }
  }
  await mkdir(CORPUS_DIR, { recursive: true });
  /** @type {Array<() => Promise<void>>} */
  const cleanups = [];
  const harness = /** @type {any} */ ({ after: (/** @type {() => Promise<void>} */ cleanup) => cleanups.push(cleanup), skip: () => {} });
  try {
    const server = await startServer(harness);
    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const base = 1000 + Number(process.env.ARCHIVE_RECORD_TAKE ?? 0) * 104_729;
    await Promise.all(kinds.map((kind, index) => recordKind(browser, kind, seconds, server, base + index * 7919)));
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup();
    }
  }
}

await main();

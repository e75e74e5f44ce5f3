/**
 * Private by default, on `playback up` (docs/privacy.md). A Chromium visit of
 * /demo/ with `?reset_token=` in its URL types an e-mail and a password into
 * the signup form, picks a radio button and ticks a checkbox, and the page
 * shows an e-mail, a card number and a phone number as text, echoes the typed
 * e-mail back, and carries a CSRF token in a hidden input. None of these
 * appears byte for byte in what the browser sent, in any API response (the
 * team's views and a share link's), in the server's output, or in any file of
 * the data directory. The same holds when the visit is recorded by plain
 * rrweb, without Playback's recorder or transport, and posted as the
 * documented batch body: the gateway scrubs before the log.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import test from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Api, DEMO_KEY, waitFor } from '../lib/api.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { DEMO_PASSWORD, decodeBatchBody } from '../lib/demo.mjs';
import { packageDir } from '../lib/paths.mjs';
import { findInDirectory } from '../lib/privacy.mjs';
import { startBatchProxy } from '../lib/proxy.mjs';
import { REPO_ROOT, startEmbedded, step, withServerLog } from '../lib/server.mjs';

const TYPED_EMAIL = 'grace.hopper@navy.example';
const RESET_TOKEN = 'rt-93f1c2d4e5b6a7';
/** What the demo page shows or holds (demo/index.html). */
const PAGE_EMAIL = 'orders@acme-store.example';
const CARD = '4242 4242 4242 4242';
const PHONE = '+1 555 0100 2233';
const CSRF_TOKEN = 'csrf-7f3a9c2e51b8d046';
/** Each must appear nowhere, in any of these spellings. */
const SECRETS = [DEMO_PASSWORD, TYPED_EMAIL, RESET_TOKEN, PAGE_EMAIL, CARD, CARD.replaceAll(' ', ''), PHONE, CSRF_TOKEN];
/** Text of the same paragraphs that stays readable: the page is recorded, its secrets are not. */
const KEPT_TEXT = ['Charged to card', 'Questions? Write to', 'We sent a confirmation to'];

/**
 * The needles found in `text`.
 * @param {string} text
 */
function secretsIn(text) {
  return SECRETS.filter((secret) => text.includes(secret));
}

/**
 * Fills in the demo's signup form as a visitor would.
 * @param {import('playwright-core').Page} page
 */
async function fillTheForm(page) {
  await page.click('#email');
  await page.keyboard.type(TYPED_EMAIL, { delay: 15 });
  await page.click('#password');
  await page.keyboard.type(DEMO_PASSWORD, { delay: 15 });
  await page.click('#delivery-express');
  await page.click('#subscribe');
  await page.click('#submit');
  await page.locator('#confirmation-email').waitFor({ state: 'visible' });
  await sleep(300);
}

/**
 * Every read of the session, by the team and through a share link, as text.
 * @param {import('../lib/server.mjs').PlaybackServer} server
 * @param {string} sessionId
 */
async function everyRead(server, sessionId) {
  const api = new Api(server.url, server.tokens.admin);
  const base = `/v1/sessions/${sessionId}`;
  const manifest = await api.getOk(`${base}/recording/manifest`);
  const chunks = manifest.windows.flatMap((/** @type {any} */ tab) => tab.chunks.map((/** @type {any} */ chunk) => `${base}/recording/chunks/${chunk.id}`));
  const share = await fetch(`${server.url}${base}/shares`, {
    method: 'POST',
    headers: { ...api.authorization(), 'Content-Type': 'application/json' },
    body: '{}',
  });
  assert.equal(share.status, 201, 'a share link is created');
  const shared = `/v1/shared/${(await share.json()).url.replace(/^\/s\//, '')}`;
  const paths = ['/v1/sessions?from=0', base, `${base}/events`, `${base}/recording`, `${base}/recording/manifest`, ...chunks, `${base}/similar`, shared, `${shared}/events`, `${shared}/recording`];
  /** @type {Array<{path: string, status: number, text: string}>} */
  const reads = [];
  for (const readPath of paths) {
    const response = await api.get(readPath);
    reads.push({ path: readPath, status: response.status, text: response.text });
  }
  return reads;
}

/**
 * Checks every read of the session, the server's output and, once the server
 * stopped, the data directory.
 * @param {import('node:test').TestContext} t
 * @param {import('../lib/server.mjs').PlaybackServer} server
 * @param {string} sessionId
 */
async function assertNothingKept(t, server, sessionId) {
  await step(t, server, 'no API response holds a secret, and the page text around them is there', async () => {
    const reads = await everyRead(server, sessionId);
    for (const read of reads) {
      assert.equal(read.status, 200, `GET ${read.path}: ${read.text.slice(0, 300)}`);
      assert.deepEqual(secretsIn(read.text), [], `GET ${read.path} holds a secret`);
    }
    const all = reads.map((read) => read.text).join('\n');
    for (const kept of KEPT_TEXT) {
      assert.ok(all.includes(kept), `the recording still shows ${JSON.stringify(kept)}`);
    }
    const detail = JSON.parse(/** @type {{text: string}} */ (reads.find((read) => read.path === `/v1/sessions/${sessionId}`)).text);
    assert.ok(
      detail.urls.some((/** @type {string} */ url) => url.endsWith('/demo/?reset_token=redacted')),
      `the session's URL keeps the parameter, without its value: ${JSON.stringify(detail.urls)}`,
    );
  });

  await step(t, server, 'neither the server output nor any file of the data directory holds a secret', async () => {
    assert.deepEqual(secretsIn(server.output()), [], 'the server output');
    await server.kill('SIGTERM');
    const { files, hits } = await findInDirectory(server.dataDir, SECRETS);
    t.diagnostic(`searched ${files.length} files in ${server.dataDir}`);
    assert.ok(files.length > 0, 'the data directory has files');
    for (const secret of SECRETS) {
      assert.deepEqual(hits.get(secret), [], `files holding ${JSON.stringify(secret)}`);
    }
  });
}

/**
 * @param {string} sessionId
 * @param {Api} api
 */
async function waitForArchived(sessionId, api) {
  return waitFor(
    async () => {
      const manifest = await api.getOk(`/v1/sessions/${sessionId}/recording/manifest`);
      assert.equal(manifest.complete, true, 'the recording is archived');
      return manifest;
    },
    { timeout: 60_000, message: `session ${sessionId} archived` },
  );
}

test('a demo visit recorded by Playback keeps no password, e-mail, card, token or form state', { timeout: 300_000 }, async (t) => {
  const server = await startEmbedded(t);
  const browser = await launchBrowser(t);
  const api = new Api(server.url, server.tokens.admin);

  await withServerLog(server, async () => {
    /** @type {string} */
    let sessionId = '';
    /** @type {any[]} */
    let sent = [];
    await step(t, server, 'the visit is recorded, and what the browser sent holds no secret', async () => {
      const proxy = await startBatchProxy(server.url);
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      try {
        const page = await context.newPage();
        await page.goto(`${proxy.url}/demo/?reset_token=${RESET_TOKEN}`);
        sessionId = await waitFor(() => page.evaluate(() => /** @type {any} */ (window).Playback?.getSessionId() ?? null), {
          timeout: 30_000,
          message: 'Playback.getSessionId()',
        });
        await fillTheForm(page);
        assert.equal(await page.evaluate(() => /** @type {any} */ (window).Playback.flush()), true, 'flushed');
      } finally {
        await context.close();
        await proxy.close();
      }
      sent = proxy.batches.map((batch) => decodeBatchBody(batch.body));
      assert.ok(sent.length > 0, 'batches were sent');
      assert.deepEqual(secretsIn(JSON.stringify(sent)), [], 'the batches the recorder sent');
    });

    await step(t, server, 'radio and checkbox state is masked and the hidden input is not recorded', async () => {
      await waitForArchived(sessionId, api);
      const [tab] = await api.recording(sessionId);
      const inputs = tab.events.filter((event) => event.type === 3 && event.data.source === 5);
      assert.ok(inputs.length >= 4, `input events were recorded: ${inputs.length}`);
      assert.deepEqual(inputs.filter((event) => event.data.isChecked === true), [], 'no input event says a box is checked');
      const text = JSON.stringify(tab.events);
      assert.ok(!text.includes('"checked":'), 'no snapshot says a box is checked');
      assert.ok(!text.includes('csrf_token'), 'the hidden input is recorded as an empty box, without its name or value');
    });

    await assertNothingKept(t, server, sessionId);
  });
});

/**
 * The demo page with plain rrweb in place of Playback's recorder: it records
 * into `window.recorded`, and nothing is sent.
 */
async function plainRrwebPage() {
  const html = await readFile(path.join(REPO_ROOT, 'demo/index.html'), 'utf8');
  const recorderTag = '<script src="/recorder.js" data-key="pk_demo"></script>';
  assert.ok(html.includes(recorderTag), 'the demo page loads the recorder');
  const plain = '<script src="/rrweb.js"></script>\n  <script>window.recorded = []; rrweb.record({ emit: function (event) { window.recorded.push(event); } });</script>';
  return html.replace(recorderTag, plain);
}

test('the same visit recorded by plain rrweb and posted by hand is scrubbed by the gateway', { timeout: 300_000 }, async (t) => {
  const server = await startEmbedded(t);
  const browser = await launchBrowser(t);
  const api = new Api(server.url, server.tokens.admin);
  const rrweb = await readFile(path.join(packageDir('rrweb'), 'dist/rrweb.umd.min.cjs'));
  const page = await plainRrwebPage();
  const site = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://site.test');
    if (url.pathname === '/rrweb.js') {
      response.writeHead(200, { 'Content-Type': 'text/javascript' });
      response.end(rrweb);
    } else if (url.pathname === '/demo/') {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      response.end(page);
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise((resolve) => site.listen(0, '127.0.0.1', () => resolve(undefined)));
  t.after(() => new Promise((resolve) => site.close(() => resolve(undefined))));
  const siteUrl = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (site.address()).port}`;

  await withServerLog(server, async () => {
    const sessionId = randomUUID();
    await step(t, server, 'plain rrweb records the visit with the secrets in clear, and the gateway accepts it', async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      /** @type {any[]} */
      let events = [];
      try {
        const tab = await context.newPage();
        await tab.goto(`${siteUrl}/demo/?reset_token=${RESET_TOKEN}`);
        await tab.waitForFunction(() => /** @type {any} */ (window).recorded.some((/** @type {any} */ event) => event.type === 2));
        await fillTheForm(tab);
        events = await tab.evaluate(() => /** @type {any} */ (window).recorded);
      } finally {
        await context.close();
      }
      const clear = secretsIn(JSON.stringify(events));
      for (const secret of [TYPED_EMAIL, RESET_TOKEN, PAGE_EMAIL, CARD, CSRF_TOKEN]) {
        assert.ok(clear.includes(secret), `plain rrweb recorded ${JSON.stringify(secret)} in clear`);
      }
      const batch = { session_id: sessionId, window_id: 'plain-rrweb', seq: 0, sent_at: Date.now(), events };
      const response = await fetch(`${server.url}/v1/batches`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Playback-Key': DEMO_KEY },
        body: JSON.stringify(batch),
      });
      assert.equal(response.status, 200, await response.text());
    });

    await step(t, server, 'the session is archived', async () => {
      await waitForArchived(sessionId, api);
    });

    await assertNothingKept(t, server, sessionId);
  });
});

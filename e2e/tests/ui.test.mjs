/**
 * The web UI: a recorded demo session is in the list, and its page shows the
 * player, the transcript and the address bar.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import test from 'node:test';
import { Api, waitFor } from '../lib/api.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { recordDemoSession } from '../lib/demo.mjs';
import { ARTIFACTS_DIR } from '../lib/paths.mjs';
import { startServer, withServerLog } from '../lib/server.mjs';

test('the UI lists the demo session and plays it', { timeout: 240_000 }, async (t) => {
  const server = await startServer(t);
  const browser = await launchBrowser(t);
  const api = new Api(server.url);

  await withServerLog(server, async () => {
    const { sessionId } = await recordDemoSession(browser, server.url);
    await waitFor(
      async () => {
        const sessions = await api.listSessions();
        const session = sessions.find((candidate) => candidate.session_id === sessionId);
        return session !== undefined && session.page_views === 2;
      },
      { timeout: 60_000, message: `session ${sessionId} listed with 2 page views` },
    );
    await waitFor(
      async () => {
        const windows = await api.recording(sessionId);
        return windows.length > 0 && windows.every((tab) => tab.events.length > 0);
      },
      { timeout: 60_000, message: `recording of ${sessionId}` },
    );
    await mkdir(ARTIFACTS_DIR, { recursive: true });

    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    t.after(() => context.close());
    const page = await context.newPage();
    /** @type {string[]} */
    const pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    await page.goto(`${server.url}/#token=${server.tokens.admin}`);
    const row = page.locator(`#session-list tr[data-session-id="${sessionId}"]`);
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'list.png') });

    await row.click();
    await page.waitForURL(`**/sessions/${sessionId}`);
    await page.locator('[data-testid=session-header]').waitFor({ state: 'visible', timeout: 30_000 });
    await page.locator('#player[data-window-id]').waitFor({ state: 'visible', timeout: 30_000 });
    const tiles = page.locator('#transcript [data-testid=transcript-event]');
    await tiles.first().waitFor({ state: 'visible', timeout: 30_000 });
    assert.ok((await tiles.count()) > 0, 'the transcript has tiles');
    const kinds = await tiles.evaluateAll((elements) => elements.map((element) => element.getAttribute('data-kind')));
    assert.ok(kinds.includes('page_view'), `tile kinds: ${kinds}`);
    assert.ok(kinds.includes('click'), `tile kinds: ${kinds}`);

    const addressBar = page.locator('#address-bar');
    await waitFor(
      async () => {
        const text = (await addressBar.textContent())?.trim() ?? '';
        assert.match(new URL(text).pathname, /^\/demo\//, `#address-bar shows ${JSON.stringify(text)}`);
        return true;
      },
      { timeout: 30_000, interval: 200, message: '#address-bar shows a /demo/ URL' },
    );
    await page.locator('#player iframe').first().waitFor({ state: 'attached', timeout: 30_000 });
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'player.png') });
    assert.deepEqual(pageErrors, [], 'the UI raised no uncaught errors');
  });
});

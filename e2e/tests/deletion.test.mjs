/**
 * Deletion on request on `playback up`: a demo visit recorded in Chromium identifies its user;
 * deleting the user over the API leaves every read answering 404, `playback verify` finding
 * nothing readable, and no file of the data directory holding the user id, the page's text,
 * the visit's error message or a note's text, in any readable form. The data directory is
 * encrypted at rest, so its search guards against plaintext copies (logs, temporary files).
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { Api } from '../lib/api.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { DELETED_NEEDLES, DEMO_PAGE_TEXT, NOTE_TEXT, deleteDemoUser, holdingDeletedData, prepareForDeletion } from '../lib/deletion.mjs';
import { DEMO_USER_ID, recordDemoSession } from '../lib/demo.mjs';
import { startEmbedded, step, withServerLog } from '../lib/server.mjs';

test('deleting a user on playback up leaves nothing of them readable anywhere', { timeout: 300_000 }, async (t) => {
  const server = await startEmbedded(t);
  const browser = await launchBrowser(t);

  await withServerLog(server, async () => {
    const demo = await recordDemoSession(browser, server.url);
    t.diagnostic(`session ${demo.sessionId}`);
    /** @type {{chunkIds: string[], shareUrl: string}} */
    let prepared = { chunkIds: [], shareUrl: '' };
    await step(t, server, 'the visit is processed with its user, a note and a share link', async () => {
      prepared = await prepareForDeletion(server, demo.sessionId);
      // The data directory is encrypted at rest, so what the search must not find afterwards
      // is shown to be there, readable, through the API first.
      const api = new Api(server.url, server.tokens.admin);
      const base = `/v1/sessions/${demo.sessionId}`;
      const readable = await Promise.all([base, `${base}/events`, `${base}/notes`, `${base}/recording`].map(async (path) => (await api.get(path)).text));
      const before = readable.join('\n');
      for (const needle of [...DELETED_NEEDLES, DEMO_PAGE_TEXT]) {
        assert.ok(before.includes(needle), `the API shows ${JSON.stringify(needle)} before the deletion`);
      }
    });

    await step(t, server, 'the user is deleted: every read answers 404 and verify finds nothing', async () => {
      const { receipt, verified, verdict } = await deleteDemoUser(t, server, demo.sessionId, prepared);
      assert.deepEqual(receipt.pending, [], 'everything is gone at once on the embedded stores');
      assert.ok(receipt.log.log_records > 0, 'the raw batches are removed from the embedded log');
      assert.equal(verified.code, 0, verified.output.slice(-2000));
      assert.match(verdict, / raw_readable=0 /);
    });

    await step(t, server, 'no file of the data directory holds the user, the page text or the note', async () => {
      // Stopped, so that everything is on disk and nothing changes while it is read.
      await server.kill('SIGTERM');
      const needles = [...DELETED_NEEDLES, DEMO_PAGE_TEXT];
      const { files, holding } = await holdingDeletedData(server, needles);
      t.diagnostic(`searched ${files} files in ${server.dataDir}`);
      assert.ok(files > 0, 'the data directory has files');
      for (const needle of needles) {
        assert.deepEqual(holding[needle], [], `files holding ${JSON.stringify(needle)}`);
      }
    });
  });
});

/**
 * Data at rest on `playback up`: after a demo visit recorded by the real
 * recorder in Chromium, nothing in the data directory is open to other users,
 * the chunks are sealed (plain `zstd -d` cannot read them), the SQLite files are
 * encrypted, and the page text is in no file while the API still serves the
 * recording with it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstat, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import test from 'node:test';
import { Api, waitFor } from '../lib/api.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { recordDemoSession } from '../lib/demo.mjs';
import { findInDirectory } from '../lib/privacy.mjs';
import { startEmbedded, step, withServerLog } from '../lib/server.mjs';

/** Text of the demo page that every snapshot of page 1 carries. */
const PAGE_TEXT = 'Everything for your workshop';
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Every file and directory under `dir`, with its permission bits.
 * @param {string} dir
 * @returns {Promise<Array<{file: string, mode: number, directory: boolean}>>}
 */
async function modesUnder(dir) {
  /** @type {Array<{file: string, mode: number, directory: boolean}>} */
  const found = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    const stat = await lstat(file);
    found.push({ file, mode: stat.mode & 0o777, directory: entry.isDirectory() });
    if (entry.isDirectory()) {
      found.push(...(await modesUnder(file)));
    }
  }
  return found;
}

/**
 * The first `length` bytes of `file`.
 * @param {string} file
 * @param {number} length
 */
async function head(file, length) {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

test('the data directory of playback up is private and encrypted after a demo visit', { timeout: 300_000 }, async (t) => {
  const server = await startEmbedded(t);
  const browser = await launchBrowser(t);
  const api = new Api(server.url);

  await withServerLog(server, async () => {
    const { sessionId } = await recordDemoSession(browser, server.url);

    await step(t, server, 'the API serves the recording with its page text', async () => {
      await waitFor(
        async () => {
          const response = await api.getOk(`/v1/sessions/${sessionId}/recording`);
          assert.ok(JSON.stringify(response).includes(PAGE_TEXT), `the recording has "${PAGE_TEXT}"`);
          return true;
        },
        { timeout: 60_000, message: `GET /v1/sessions/${sessionId}/recording` },
      );
    });
    // Stopped, so that everything is on disk and nothing changes while it is read.
    await server.kill('SIGTERM');
    const entries = await modesUnder(server.dataDir);
    const names = entries.map((entry) => path.relative(server.dataDir, entry.file));

    await step(t, server, 'no file or directory is readable or writable by group or others', async () => {
      for (const expected of ['log.db', 'warehouse.db', 'master.key', 'blobs']) {
        assert.ok(names.includes(expected), `${expected} is in the data dir: ${names.join(', ')}`);
      }
      const open = entries.filter((entry) => (entry.mode & 0o077) !== 0);
      assert.deepEqual(
        open.map((entry) => `${path.relative(server.dataDir, entry.file)} ${entry.mode.toString(8)}`),
        [],
        'entries open to group or others',
      );
      const master = entries.find((entry) => entry.file.endsWith('master.key'));
      assert.equal(master?.mode, 0o600, 'master.key is 0600');
    });

    await step(t, server, 'a chunk does not decompress with plain zstd -d', async () => {
      const chunks = entries.filter(
        (entry) => !entry.directory && path.relative(server.dataDir, entry.file).startsWith(path.join('blobs', 'demo', '')),
      );
      assert.ok(chunks.length > 0, `the session has chunks: ${names.join(', ')}`);
      for (const chunk of chunks) {
        const zstd = spawnSync('zstd', ['-d', '-c', '-q', chunk.file], { encoding: 'buffer' });
        assert.equal(zstd.error, undefined, 'the zstd tool runs');
        assert.notEqual(zstd.status, 0, `zstd -d reads ${chunk.file}`);
      }
    });

    await step(t, server, 'the SQLite files do not start with the plaintext SQLite header', async () => {
      for (const name of ['log.db', 'warehouse.db']) {
        const bytes = await head(path.join(server.dataDir, name), SQLITE_HEADER.length);
        assert.equal(bytes.length, SQLITE_HEADER.length, `${name} has a header`);
        assert.ok(!bytes.equals(SQLITE_HEADER), `${name} is plaintext SQLite`);
      }
    });

    await step(t, server, 'the page text is in no file of the data directory', async () => {
      const { files, hits } = await findInDirectory(server.dataDir, [PAGE_TEXT, sessionId]);
      t.diagnostic(`searched ${files.length} files in ${server.dataDir}`);
      assert.ok(files.length > 0, 'the data directory has files');
      assert.deepEqual(hits.get(PAGE_TEXT), [], 'files holding the page text');
    });
  });
});

/**
 * Deletion on request as a user asks for it: the demo visit's user is deleted over the API,
 * then every read answers 404, `playback verify --deleted-project` finds nothing readable, and
 * no file of the server's own data holds the user id, the page's text or a note's text.
 */
import assert from 'node:assert/strict';
import { Api, waitFor } from './api.mjs';
import { DEMO_ERROR_MESSAGE, DEMO_USER_ID } from './demo.mjs';
import { findInDirectory } from './privacy.mjs';

/** Text of the demo page that only the recording holds. */
export const DEMO_PAGE_TEXT = 'Everything for your workshop';
/** A note's text, written on the session before it is deleted. */
export const NOTE_TEXT = 'Ada got stuck at the plan picker, ticket 88412';

/**
 * A request with the token, answering status and JSON body.
 * @param {string} url
 * @param {string} method
 * @param {string} token
 * @param {unknown} [body]
 */
async function call(url, method, token, body) {
  /** @type {Record<string, string>} */
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: the status says enough.
  }
  return { status: response.status, json, text };
}

/**
 * Waits until the session is scored with its user and archived whole, adds a note and a share
 * link, and returns the chunk ids of its recording.
 * @param {import('./server.mjs').PlaybackServer} server
 * @param {string} sessionId
 */
export async function prepareForDeletion(server, sessionId) {
  const api = new Api(server.url, server.tokens.admin);
  await waitFor(
    async () => {
      const session = await api.session(sessionId);
      assert.equal(session.user_id, DEMO_USER_ID, 'the visit identified its user');
      const manifest = await api.getOk(`/v1/sessions/${sessionId}/recording/manifest`);
      assert.equal(manifest.complete, true, 'the recording is archived whole');
      return true;
    },
    { timeout: 90_000, message: `session ${sessionId} with its user and its whole recording` },
  );
  const manifest = await api.getOk(`/v1/sessions/${sessionId}/recording/manifest`);
  const chunkIds = manifest.windows.flatMap((/** @type {any} */ tab) => tab.chunks.map((/** @type {any} */ chunk) => chunk.id));
  const base = `${server.url}/v1/sessions/${sessionId}`;
  const note = await call(`${base}/notes`, 'POST', server.tokens.viewer, { offset_ms: 1000, text: NOTE_TEXT });
  assert.equal(note.status, 201, note.text);
  const share = await call(`${base}/shares`, 'POST', server.tokens.admin, {});
  assert.equal(share.status, 201, share.text);
  return { chunkIds, shareUrl: /** @type {string} */ (share.json.url) };
}

/**
 * Deletes the demo user over the API and checks that every read answers 404 and that
 * `playback verify` finds nothing of them; returns the receipt.
 * @param {import('node:test').TestContext} t
 * @param {import('./server.mjs').PlaybackServer} server
 * @param {string} sessionId
 * @param {{chunkIds: string[], shareUrl: string}} prepared
 */
export async function deleteDemoUser(t, server, sessionId, prepared) {
  const userUrl = `${server.url}/v1/users/${encodeURIComponent(DEMO_USER_ID)}`;
  assert.equal((await call(userUrl, 'DELETE', server.tokens.viewer)).status, 403, 'a viewer may not delete');
  const deletion = await call(userUrl, 'DELETE', server.tokens.admin);
  assert.equal(deletion.status, 200, deletion.text);
  const receipt = deletion.json;
  t.diagnostic(`receipt: ${JSON.stringify(receipt)}`);
  assert.ok(receipt.session_ids.includes(sessionId), 'the receipt lists the session');
  assert.ok(receipt.warehouse.sessions >= 1 && receipt.warehouse.events > 0, 'session and transcript rows');
  assert.ok(receipt.warehouse.chunks >= prepared.chunkIds.length, 'chunk rows');
  assert.equal(receipt.warehouse.notes, 1, 'the note');
  assert.equal(receipt.warehouse.shares, 1, 'the share link');
  assert.ok(receipt.blobs.chunk_blobs >= prepared.chunkIds.length, 'chunk blobs');

  const base = `/v1/sessions/${sessionId}`;
  const reads = [
    base,
    `${base}/events`,
    `${base}/recording`,
    `${base}/recording/manifest`,
    ...prepared.chunkIds.map((id) => `${base}/recording/chunks/${id}`),
    `${base}/assets`,
    `${base}/shares`,
    `${base}/similar`,
    `${base}/notes`,
    `/v1/users/${encodeURIComponent(DEMO_USER_ID)}`,
  ];
  const token = prepared.shareUrl.replace(/^\/s\//, '');
  for (const suffix of ['', '/events', '/recording', '/recording/manifest']) {
    reads.push(`/v1/shared/${token}${suffix}`);
  }
  for (const path of reads) {
    const response = await call(server.url + path, 'GET', server.tokens.admin);
    assert.equal(response.status, 404, `GET ${path}: ${response.text.slice(0, 200)}`);
  }
  const page = await call(`${server.url}/v1/sessions?from=0&limit=500`, 'GET', server.tokens.admin);
  const listed = page.json.sessions.map((/** @type {any} */ session) => session.session_id);
  assert.ok(!listed.includes(sessionId), 'the list no longer lists the session');
  assert.equal((await call(userUrl, 'DELETE', server.tokens.admin)).status, 404, 'nothing is left to delete');

  const args = ['--deleted-project', 'demo', '--deleted-user', DEMO_USER_ID];
  for (const id of receipt.session_ids) {
    args.push('--deleted-session', id);
  }
  const verified = await server.verifyDeleted(args);
  const verdict = verified.output.split('\n').find((line) => line.startsWith('playback verify deleted:')) ?? verified.output;
  t.diagnostic(verdict);
  assert.match(verdict, / readable=0 /, 'nothing is readable through the API, the warehouse or the blobs');
  return { receipt, verified, verdict };
}

/**
 * What only the deleted visit holds: its user id, its error event's message (the demo's
 * other visits do not throw) and the note.
 */
export const DELETED_NEEDLES = [DEMO_USER_ID, DEMO_ERROR_MESSAGE, NOTE_TEXT];

/**
 * The files of the server's own data that hold any of `needles`, by needle. While ClickHouse
 * removes the parts its mutations replaced (after its `old_parts_lifetime`), the search is
 * repeated until it finds none of them or `timeout` ms have passed.
 * @param {import('./server.mjs').PlaybackServer} server
 * @param {string[]} needles
 * @param {number} [timeout]
 */
export async function holdingDeletedData(server, needles, timeout = 0) {
  const deadline = Date.now() + timeout;
  for (;;) {
    /** @type {Record<string, string[]>} */
    const holding = {};
    let files = 0;
    for (const dir of server.ownData) {
      const found = await findInDirectory(dir, needles).catch(() => ({ files: [], hits: new Map() }));
      files += found.files.length;
      for (const needle of needles) {
        holding[needle] = [...(holding[needle] ?? []), ...(found.hits.get(needle) ?? [])];
      }
    }
    const clean = needles.every((needle) => holding[needle].length === 0);
    if (clean || Date.now() >= deadline) {
      return { files, holding };
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

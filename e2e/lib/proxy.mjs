/**
 * A reverse proxy in front of a Playback server that keeps a copy of every
 * `POST /v1/batches` body and the status it got.
 *
 * The browser's own instrumentation (DevTools network events, request
 * interception) does not see the `fetch(keepalive)` and `sendBeacon` requests
 * that a page sends while it unloads, and the recorder sends everything still
 * buffered at exactly that moment. A proxy sees every request that reaches the
 * server.
 */
import { createServer, request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * @typedef {object} ProxiedBatch
 * @property {string} url the request path and query
 * @property {Record<string, string | string[] | undefined>} headers
 * @property {Buffer} body the body as the browser sent it
 * @property {number | null} status the server's answer, null while pending or on a proxy error
 */

/**
 * @param {string} targetUrl the Playback server, e.g. http://127.0.0.1:8080
 * @returns {Promise<{url: string, batches: ProxiedBatch[], close: () => Promise<void>}>}
 */
export async function startBatchProxy(targetUrl) {
  const target = new URL(targetUrl);
  /** @type {ProxiedBatch[]} */
  const batches = [];
  let inFlight = 0;

  const server = createServer((incoming, outgoing) => {
    inFlight++;
    /** @type {Buffer[]} */
    const chunks = [];
    incoming.on('data', (chunk) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = incoming.url ?? '/';
      /** @type {ProxiedBatch | null} */
      let batch = null;
      if (incoming.method === 'POST' && new URL(path, target).pathname === '/v1/batches') {
        batch = { url: path, headers: { ...incoming.headers }, body, status: null };
        batches.push(batch);
      }
      const headers = { ...incoming.headers, host: target.host };
      delete headers.connection;
      const forward = httpRequest(new URL(path, target), { method: incoming.method, headers }, (response) => {
        if (batch !== null) {
          batch.status = response.statusCode ?? null;
        }
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
        response.on('end', () => inFlight--);
      });
      forward.on('error', (error) => {
        inFlight--;
        outgoing.writeHead(502, { 'Content-Type': 'text/plain' });
        outgoing.end(`proxy error: ${error.message}`);
      });
      forward.end(body);
    });
  });

  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());

  return {
    url: `http://127.0.0.1:${address.port}`,
    batches,
    async close() {
      for (let waited = 0; inFlight > 0 && waited < 10_000; waited += 50) {
        await sleep(50);
      }
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}

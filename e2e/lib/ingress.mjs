/**
 * A path-routing reverse proxy, as an ingress in front of a distributed
 * Playback: the gateway's routes go to `playback gateway`, everything else to
 * `playback query-api`. Tests see one origin, as browsers do in a deployment.
 */
import { createServer, request as httpRequest } from 'node:http';

/** Paths that `playback gateway` serves (stages/ingest-gateway/src/routes.rs, plus the demo site). */
const GATEWAY_PATHS = [/^\/v1\/batches$/, /^\/v1\/projects\/[^/]+\/config$/, /^\/recorder\.js(\.map)?$/, /^\/demo(\/|$)/];

/**
 * @typedef {object} Ingress
 * @property {string} url
 * @property {(targets: {gateway: string, queryApi: string}) => void} retarget points the routes at new upstreams
 * @property {() => Promise<void>} close
 */

/**
 * @param {{gateway: string, queryApi: string}} initial upstream base URLs
 * @returns {Promise<Ingress>}
 */
export async function startIngress(initial) {
  let targets = initial;
  const server = createServer((incoming, outgoing) => {
    const path = incoming.url ?? '/';
    const pathname = new URL(path, 'http://ingress').pathname;
    const upstream = new URL(GATEWAY_PATHS.some((route) => route.test(pathname)) ? targets.gateway : targets.queryApi);
    const headers = { ...incoming.headers, host: upstream.host };
    delete headers.connection;
    // A connection per request: the gateway closes a connection after refusing a body it did not
    // read, and a pooled socket reused at that moment would fail the next request.
    const forward = httpRequest(new URL(path, upstream), { method: incoming.method, headers, agent: false }, (response) => {
      outgoing.writeHead(response.statusCode ?? 502, response.headers);
      response.pipe(outgoing);
    });
    forward.on('error', (error) => {
      if (!outgoing.headersSent) {
        outgoing.writeHead(502, { 'Content-Type': 'text/plain' });
      }
      outgoing.end(`ingress: ${error.message}`);
    });
    incoming.pipe(forward);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}`,
    retarget(next) {
      targets = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}

/**
 * `make bench-readiness`: how long after the gateway's 200 a batch shows in
 * the session list and in the recording.
 *
 *   node e2e/bench/readiness.mjs [embedded|distributed] [SESSIONS] [SECONDS]
 *
 * SESSIONS concurrent sessions (default 6) each post a batch every 3 s for
 * SECONDS (default 90), with the events of e2e/lib/load.mjs. After each 200,
 * the session's list row (`GET /v1/sessions`) and its recording
 * (`GET /v1/sessions/{id}/recording`) are polled every 100 ms until the row
 * counts the batch's events and the recording returns them. It prints p50,
 * p99 and max of (a) listed and (b) playable, from the 200, beside the
 * gateway's own 200 latency measured in the same run. `distributed` runs
 * each stage as its own process on the test stack (load its environment
 * first: `set -a; . .stack/env; set +a`).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Api } from '../lib/api.mjs';
import { loadBatchEvents } from '../lib/load.mjs';
import { startDistributed, startEmbedded } from '../lib/server.mjs';

const POLL_MS = 100;
/** A batch not visible after this long counts as never visible (and fails the run). */
const GIVE_UP_MS = 120_000;
const INTERVAL_MS = 3_000;

/** @param {number[]} values @param {number} q */
function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) {
    return NaN;
  }
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/** @param {string} label @param {number[]} values @param {number[]} [baseline] */
function line(label, values, baseline) {
  const p50 = quantile(values, 0.5);
  const p99 = quantile(values, 0.99);
  const max = Math.max(...values);
  let text = `  ${label.padEnd(34)} p50 ${p50.toFixed(0).padStart(6)} ms  p99 ${p99.toFixed(0).padStart(6)} ms  max ${max.toFixed(0).padStart(6)} ms`;
  if (baseline !== undefined) {
    text += `  (p50 ${(p50 / quantile(baseline, 0.5)).toFixed(1)}x, p99 ${(p99 / quantile(baseline, 0.99)).toFixed(1)}x the 200)`;
  }
  return text;
}

/**
 * Polls until `ready()` holds; the time it first held, or null past GIVE_UP_MS.
 * @param {() => Promise<boolean>} ready
 * @param {number} since
 */
async function firstSeen(ready, since) {
  while (performance.now() - since < GIVE_UP_MS) {
    if (await ready().catch(() => false)) {
      return performance.now();
    }
    await sleep(POLL_MS);
  }
  return null;
}

/**
 * One session: a batch every INTERVAL_MS until `until`; after each 200, the
 * time until it is listed and until it is playable.
 * @param {Api} api
 * @param {number} index
 * @param {number} sessions
 * @param {number} until
 * @param {{gateway: number[], listed: number[], playable: number[], missing: number}} results
 */
async function runSession(api, index, sessions, until, results) {
  const sessionId = randomUUID();
  const windowId = `bench-${sessionId.slice(0, 8)}`;
  await sleep((index / sessions) * INTERVAL_MS);
  let events = 0;
  /** @type {Promise<void>[]} */
  const probes = [];
  for (let seq = 0; performance.now() < until; seq++) {
    const batch = loadBatchEvents(sessionId, seq, Date.now());
    const body = { session_id: sessionId, window_id: windowId, seq, sent_at: Date.now(), events: batch.events };
    const before = performance.now();
    const response = await api.postBatch(body);
    const acknowledged = performance.now();
    if (response.status !== 200) {
      throw new Error(`batch ${seq} of ${sessionId} answered ${response.status}: ${response.text.slice(0, 300)}`);
    }
    results.gateway.push(acknowledged - before);
    events += batch.events.length;
    const expected = events;
    const listed = firstSeen(async () => {
      const page = await api.getOk(`/v1/sessions?limit=500&from=${Date.now() - 3_600_000}&to=${Date.now() + 3_600_000}`);
      const row = page.sessions.find((/** @type {any} */ session) => session.session_id === sessionId);
      return row !== undefined && row.events >= expected;
    }, acknowledged);
    const playable = firstSeen(async () => {
      const response = await api.get(`/v1/sessions/${sessionId}/recording`);
      if (response.status !== 200) {
        return false;
      }
      const count = response.json.windows.reduce((/** @type {number} */ sum, /** @type {any} */ window) => sum + window.events.length, 0);
      return count >= expected;
    }, acknowledged);
    probes.push(
      Promise.all([listed, playable]).then(([listedAt, playableAt]) => {
        if (listedAt === null || playableAt === null) {
          results.missing++;
          return;
        }
        results.listed.push(listedAt - acknowledged);
        results.playable.push(playableAt - acknowledged);
      }),
    );
    await sleep(Math.max(0, INTERVAL_MS - (performance.now() - before)));
  }
  await Promise.all(probes);
}

async function main() {
  const [topology = 'embedded', sessionsArg = '6', secondsArg = '90'] = process.argv.slice(2);
  const sessions = Number(sessionsArg);
  const seconds = Number(secondsArg);
  if (!['embedded', 'distributed'].includes(topology) || !(sessions > 0) || !(seconds > 0)) {
    throw new Error('usage: node e2e/bench/readiness.mjs [embedded|distributed] [SESSIONS] [SECONDS]');
  }
  /** @type {Array<() => Promise<void>>} */
  const cleanups = [];
  const harness = /** @type {any} */ ({ after: (/** @type {() => Promise<void>} */ cleanup) => cleanups.push(cleanup), skip: () => {} });
  try {
    const server = topology === 'distributed' ? await startDistributed(harness) : await startEmbedded(harness);
    if (server === null) {
      throw new Error('the distributed run needs the test stack: load its environment (. .stack/env)');
    }
    const api = new Api(server.url, server.tokens.admin);
    const results = { gateway: /** @type {number[]} */ ([]), listed: /** @type {number[]} */ ([]), playable: /** @type {number[]} */ ([]), missing: 0 };
    const until = performance.now() + seconds * 1000;
    await Promise.all(Array.from({ length: sessions }, (_, index) => runSession(api, index, sessions, until, results)));
    console.log(`readiness (${topology}): ${sessions} sessions, a batch every ${INTERVAL_MS / 1000} s for ${seconds} s, ${results.gateway.length} batches, polled every ${POLL_MS} ms`);
    console.log(line('gateway 200 (baseline)', results.gateway));
    console.log(line('(a) listed with its events', results.listed, results.gateway));
    console.log(line('(b) recording playable', results.playable, results.gateway));
    if (results.missing > 0) {
      console.log(`  ${results.missing} batches were not visible within ${GIVE_UP_MS / 1000} s`);
      process.exitCode = 1;
    }
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup();
    }
  }
}

await main();

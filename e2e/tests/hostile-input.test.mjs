/**
 * Hostile input while normal traffic flows: every case of the corpus
 * (corpus/hostile.mjs) is sent several times, concurrently with synthetic
 * recorder traffic and a flood that spends the traffic's own rate limit.
 * Each case must get its status and reason; afterwards every batch the
 * traffic got acknowledged is in the transcript and the recording exactly
 * once, the accepted corpus batches are there as sent, and every process is
 * still the one that started.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { floodCase, hostileCorpus } from '../corpus/hostile.mjs';
import { Api, DEMO_KEY, parseJson, waitFor } from '../lib/api.mjs';
import { MARKER_TAG, startLoad } from '../lib/load.mjs';
import { startServer, step, withServerLog } from '../lib/server.mjs';

const HOSTILE = { id: 'hostile', key: 'pk_hostile' };
const DISABLED = { id: 'disabled', key: 'pk_disabled', enabled: false };
/** Low enough that the flood reaches it in a moment, high enough for the traffic alone. */
const RATE_LIMIT = { rate_limit_per_sec: 100, rate_limit_burst: 100 };
/** Each case is sent this many times, in rounds. */
const ROUNDS = 3;
/** Corpus requests in flight at once. */
const CORPUS_CONCURRENCY = 6;
const ROUND_PAUSE_MS = 500;
/** The traffic: long enough to flow through every round. */
const TRAFFIC = { sessions: 12, batchesPerSession: 40, intervalMs: 400, duplicateEvery: 10 };
/** And a few clients whose clock is three hours behind. */
const SKEWED_TRAFFIC = { sessions: 3, batchesPerSession: 40, intervalMs: 400, clockSkewMs: -3 * 3_600_000 };

/**
 * @typedef {object} Answer
 * @property {number | 'network'} status
 * @property {string | null} retryAfter
 * @property {any} json
 * @property {string} text
 */

/**
 * Sends one corpus request as it is, bytes and headers untouched.
 * @param {string} baseUrl
 * @param {import('../corpus/hostile.mjs').HostileRequest} hostile
 * @returns {Promise<Answer>}
 */
function send(baseUrl, hostile) {
  const url = new URL(hostile.path + (hostile.query === '' ? '' : `?${hostile.query}`), baseUrl);
  /** @type {Record<string, string>} */
  const headers = { ...hostile.headers };
  if (!hostile.chunked && (hostile.body.length > 0 || hostile.method !== 'GET')) {
    headers['Content-Length'] = String(hostile.body.length);
  }
  return new Promise((resolve) => {
    let answered = false;
    const outgoing = httpRequest(url, { method: hostile.method, headers, agent: false }, (response) => {
      answered = true;
      const chunks = /** @type {Buffer[]} */ ([]);
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('error', () => {});
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const retryAfter = response.headers['retry-after'];
        resolve({ status: response.statusCode ?? 0, retryAfter: typeof retryAfter === 'string' ? retryAfter : null, json: parseJson(text), text });
      });
    });
    // A server may answer (413) before it read the whole body and close the connection: the
    // answer counts, the write error after it does not.
    outgoing.on('error', (error) => {
      if (!answered) {
        resolve({ status: 'network', retryAfter: null, json: undefined, text: error.message });
      }
    });
    if (hostile.chunked) {
      for (let offset = 0; offset < hostile.body.length; offset += 64 * 1024) {
        outgoing.write(hostile.body.subarray(offset, offset + 64 * 1024));
      }
      outgoing.end();
    } else {
      outgoing.end(hostile.body);
    }
  });
}

/**
 * Runs `work` over `items` with at most `limit` at a time.
 * @template T
 * @param {T[]} items
 * @param {number} limit
 * @param {(item: T) => Promise<void>} work
 */
async function withConcurrency(items, limit, work) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * What is wrong with `answer` for a case that must get `status` with `reason`.
 * @param {Answer} answer
 * @param {number} status
 * @param {string | undefined} reason
 * @returns {string | null}
 */
function mismatch(answer, status, reason) {
  if (answer.status !== status) {
    return `status ${answer.status} (expected ${status}): ${answer.text.slice(0, 300)}`;
  }
  if (status === 200) {
    return typeof answer.json?.accepted === 'number' ? null : `200 without {"accepted": n}: ${answer.text.slice(0, 300)}`;
  }
  if (typeof answer.json?.error !== 'string' || answer.json.error.length === 0) {
    return `no {"error": reason} body: ${answer.text.slice(0, 300)}`;
  }
  if (reason !== undefined && !answer.json.error.includes(reason)) {
    return `reason "${answer.json.error}" does not say "${reason}"`;
  }
  if ((status === 429 || status === 503) && !/^[1-9]\d*$/.test(answer.retryAfter ?? '')) {
    return `no Retry-After in seconds (${answer.retryAfter})`;
  }
  return null;
}

/**
 * How often each marker seq appears in a session's transcript and recording,
 * and how many transcript rows and recorded events the session has.
 * @param {Api} api
 * @param {string} sessionId
 */
async function sessionContents(api, sessionId) {
  /** @type {Map<number, number>} */
  const inEvents = new Map();
  /** @type {Map<number, number>} */
  const inRecording = new Map();
  const found = { inEvents, inRecording, transcriptRows: 0, recordedEvents: 0 };
  if ((await api.get(`/v1/sessions/${sessionId}`)).status === 404) {
    return found;
  }
  const transcript = await api.events(sessionId);
  found.transcriptRows = transcript.length;
  for (const event of transcript) {
    if (event.kind === 'custom' && event.name === MARKER_TAG) {
      const seq = Number(event.props?.seq);
      inEvents.set(seq, (inEvents.get(seq) ?? 0) + 1);
    }
  }
  for (const tab of await api.recording(sessionId)) {
    found.recordedEvents += tab.events.length;
    for (const event of tab.events) {
      if (event.type === 5 && event.data?.tag === MARKER_TAG) {
        const seq = Number(event.data.payload?.seq);
        inRecording.set(seq, (inRecording.get(seq) ?? 0) + 1);
      }
    }
  }
  return found;
}

/** @param {Record<string, number>} counts */
function formatCounts(counts) {
  return Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, count]) => `${name}:${count}`)
    .join(' ');
}

test('hostile input gets clear answers and leaves normal traffic and every stage intact', { timeout: 900_000 }, async (t) => {
  const server = await startServer(t, { projects: [HOSTILE, DISABLED], gateway: RATE_LIMIT });
  const startedProcesses = server.processes.map((process) => ({ name: process.name, pid: process.pid }));
  const api = new Api(server.url);
  const hostileApi = new Api(server.url, server.projectTokens[HOSTILE.id]);

  await withServerLog(server, async () => {
    const cases = hostileCorpus({ key: HOSTILE.key, disabledKey: /** @type {string} */ (DISABLED.key) });
    const flood = floodCase({ key: DEMO_KEY });
    const acknowledgedDir = await mkdtemp(path.join(tmpdir(), 'playback-hostile-'));
    t.after(() => rm(acknowledgedDir, { recursive: true, force: true }));
    const acknowledgedFile = path.join(acknowledgedDir, 'acknowledged.jsonl');
    const loads = [
      startLoad({ url: server.url, ...TRAFFIC, acknowledgedFile }),
      startLoad({ url: server.url, ...SKEWED_TRAFFIC, acknowledgedFile }),
    ];
    const acknowledgedSoFar = () => loads.reduce((sum, load) => sum + load.stats().acknowledged, 0);

    /** @type {string[]} */
    const failures = [];
    /** @type {Record<string, number>} */
    const corpusStatuses = {};
    let corpusSent = 0;
    let corpusRetried = 0;
    /** @param {Answer} answer */
    const tally = (answer) => {
      corpusSent++;
      corpusStatuses[String(answer.status)] = (corpusStatuses[String(answer.status)] ?? 0) + 1;
    };

    /**
     * Sends a case until its answer is not the rate limit's: the limit is checked before the
     * body is read, so a 429 says nothing about the case and the client sends it again.
     * @param {import('../corpus/hostile.mjs').HostileCase} hostile
     * @param {number} round
     */
    const sendCase = async (hostile, round) => {
      for (;;) {
        const answer = await send(server.url, hostile.request);
        tally(answer);
        if (answer.status === 429 && hostile.status !== 429) {
          corpusRetried++;
          await sleep(Number(answer.retryAfter ?? '1') * 1000);
          continue;
        }
        const wrong = mismatch(answer, hostile.status, hostile.reason);
        if (wrong !== null) {
          failures.push(`round ${round}, ${hostile.covers}: ${hostile.name}: ${wrong}`);
        }
        return;
      }
    };

    /** @type {Record<string, number>} */
    const floodStatuses = {};
    const runFlood = async () => {
      let next = 0;
      let refused = 0;
      const worker = async () => {
        while (next < flood.maxRequests && refused < flood.refusals) {
          const answer = await send(server.url, flood.request(next++));
          tally(answer);
          floodStatuses[String(answer.status)] = (floodStatuses[String(answer.status)] ?? 0) + 1;
          if (answer.status === 429) {
            refused++;
            const wrong = mismatch(answer, flood.status, flood.reason);
            if (wrong !== null) {
              failures.push(`flood: ${wrong}`);
            }
          } else if (answer.status !== 200) {
            failures.push(`flood: status ${answer.status} (expected 200 or 429): ${answer.text.slice(0, 300)}`);
          }
        }
      };
      await Promise.all(Array.from({ length: flood.concurrency }, worker));
      if (refused < flood.refusals) {
        failures.push(`flood: ${next} requests got only ${refused} answers 429`);
      }
    };

    const acknowledgedBefore = acknowledgedSoFar();
    const corpusStart = Date.now();
    for (let round = 1; round <= ROUNDS; round++) {
      const floodRun = round === 2 ? runFlood() : Promise.resolve();
      await withConcurrency(cases, CORPUS_CONCURRENCY, (hostile) => sendCase(hostile, round));
      await floodRun;
      await sleep(ROUND_PAUSE_MS);
    }
    const corpusSeconds = (Date.now() - corpusStart) / 1000;
    const acknowledgedDuring = acknowledgedSoFar() - acknowledgedBefore;

    await step(t, server, 'every corpus case got its status and reason, every time', async () => {
      assert.deepEqual(failures, []);
      assert.ok(acknowledgedDuring > 0, 'the traffic flowed while the corpus was sent');
      assert.ok((floodStatuses['429'] ?? 0) >= flood.refusals, 'the flood was refused with 429');
    });

    await step(t, server, 'the traffic completes: every batch acknowledged, none refused', async () => {
      await Promise.all(loads.map((load) => load.done));
    });

    /** @param {string} when */
    const assertSameProcesses = (when) => {
      const exits = server.output().match(/^\[[^\]\n]+ exited: [^\]\n]*\]$/gm) ?? [];
      assert.deepEqual(exits, [], `no process exited ${when}`);
      assert.deepEqual(server.running(), startedProcesses, `every process still runs with the pid it started with ${when}`);
      assert.doesNotMatch(server.output(), /panicked at/, `nothing panicked ${when}`);
    };

    await step(t, server, 'no process exited, restarted or panicked during the corpus', async () => {
      assertSameProcesses('during the corpus');
      for (const process of server.processes) {
        const health = await fetch(`${process.url}/healthz`);
        assert.equal(health.status, 200, `${process.name} answers /healthz`);
      }
    });

    const acknowledged = loads.flatMap((load) => load.acknowledged());
    /** @type {Map<string, Map<number, {events: number, transcript: number}>>} */
    const bySession = new Map();
    for (const record of acknowledged) {
      const seqs = bySession.get(record.session_id) ?? new Map();
      assert.ok(!seqs.has(record.seq), `batch ${record.session_id}/${record.seq} acknowledged once by the traffic`);
      seqs.set(record.seq, { events: record.events, transcript: record.transcript.length });
      bySession.set(record.session_id, seqs);
    }
    const expectedBatches = TRAFFIC.sessions * TRAFFIC.batchesPerSession + SKEWED_TRAFFIC.sessions * SKEWED_TRAFFIC.batchesPerSession;
    assert.equal(acknowledged.length, expectedBatches, 'every batch of the traffic was acknowledged');

    let lost = 0;
    /** @type {string[]} */
    const duplicated = [];
    await step(t, server, 'every acknowledged batch is in the transcript and the recording exactly once', async () => {
      /** @type {Map<string, Awaited<ReturnType<typeof sessionContents>>>} */
      const contents = new Map();
      await waitFor(
        async () => {
          for (const [sessionId, seqs] of bySession) {
            const found = await sessionContents(api, sessionId);
            contents.set(sessionId, found);
            for (const seq of seqs.keys()) {
              assert.ok(found.inEvents.has(seq), `batch ${sessionId}/${seq} is not in the transcript yet`);
              assert.ok(found.inRecording.has(seq), `batch ${sessionId}/${seq} is not in the recording yet`);
            }
          }
          return true;
        },
        { timeout: 180_000, interval: 1000, message: 'every acknowledged batch arrived' },
      );
      /** @type {string[]} */
      const wrongTotals = [];
      for (const [sessionId, seqs] of bySession) {
        const found = /** @type {Awaited<ReturnType<typeof sessionContents>>} */ (contents.get(sessionId));
        for (const seq of seqs.keys()) {
          const inEvents = found.inEvents.get(seq) ?? 0;
          const inRecording = found.inRecording.get(seq) ?? 0;
          if (inEvents === 0 || inRecording === 0) {
            lost++;
          }
          if (inEvents > 1 || inRecording > 1) {
            duplicated.push(`${sessionId}/${seq} (transcript ${inEvents}, recording ${inRecording})`);
          }
        }
        const rows = [...seqs.values()].reduce((sum, batch) => sum + batch.transcript, 0);
        const events = [...seqs.values()].reduce((sum, batch) => sum + batch.events, 0);
        if (found.transcriptRows !== rows || found.recordedEvents !== events) {
          wrongTotals.push(`${sessionId}: ${found.transcriptRows} transcript rows (expected ${rows}), ${found.recordedEvents} recorded events (expected ${events})`);
        }
      }
      assert.equal(lost, 0, 'lost batches');
      assert.deepEqual(duplicated, [], 'duplicated batches');
      assert.deepEqual(wrongTotals, [], 'transcript rows and recorded events per session');
    });

    await step(t, server, 'playback verify finds nothing lost, duplicated or out of order', async () => {
      const { code, output } = await server.verify(acknowledgedFile, 120);
      const verdict = /playback verify: .*/.exec(output);
      console.log(`hostile input, ${verdict?.[0] ?? 'no verdict'}`);
      assert.match(output, /lost=0 duplicated=0 out_of_order=0/, output);
      assert.equal(code, 0, output);
    });

    await step(t, server, 'the accepted corpus batches are in the replay and the transcript once, as sent', async () => {
      for (const hostile of cases) {
        const expected = hostile.accepted;
        if (expected === undefined) {
          continue;
        }
        await waitFor(
          async () => {
            const session = await hostileApi.get(`/v1/sessions/${expected.sessionId}`);
            assert.equal(session.status, 200, `${hostile.name}: the session is not there yet`);
            const windows = await hostileApi.recording(expected.sessionId);
            assert.deepEqual(windows.map((tab) => tab.window_id), [expected.windowId], `${hostile.name}: windows`);
            assert.deepStrictEqual(windows[0].events, expected.events, `${hostile.name}: the recording is the events as sent, once`);
            const names = (await hostileApi.events(expected.sessionId)).filter((event) => event.kind === 'custom').map((event) => event.name);
            assert.deepEqual(names.sort(), [...expected.customNames].sort(), `${hostile.name}: custom events in the transcript`);
            return true;
          },
          { timeout: 120_000, interval: 1000, message: `${hostile.name} arrived` },
        );
      }
    });

    await step(t, server, 'no process exited, restarted or panicked by the end', async () => {
      assertSameProcesses('by the end');
    });

    const stats = loads.map((load) => load.stats());
    /** @type {Record<string, number>} */
    const loadStatuses = {};
    for (const entry of stats) {
      for (const [status, count] of Object.entries(entry.statuses)) {
        loadStatuses[status] = (loadStatuses[status] ?? 0) + count;
      }
    }
    console.log(
      `hostile input: ${cases.length} cases + flood, ${ROUNDS} rounds in ${corpusSeconds.toFixed(1)} s; corpus requests=${corpusSent} (${formatCounts(corpusStatuses)}), resent after 429=${corpusRetried}; ` +
        `flood (${formatCounts(floodStatuses)}); traffic: sessions=${bySession.size} batches acknowledged=${acknowledged.length} (${acknowledgedDuring} during the corpus) ` +
        `requests=${stats.reduce((sum, entry) => sum + entry.sent, 0)} retried=${stats.reduce((sum, entry) => sum + entry.retried, 0)} (${formatCounts(loadStatuses)}); ` +
        `lost=${lost} duplicated=${duplicated.length}; processes unchanged=${startedProcesses.map((process) => process.name).join(',')}`,
    );
  });
});

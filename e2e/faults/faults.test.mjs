/**
 * Fault tests on the real stack: one process per stage on Kafka, ClickHouse and Garage, under a
 * steady synthetic load of many concurrent sessions. Each scenario injects one kind of fault
 * while its own sessions are recorded, then runs `playback verify`, the loss and duplicate
 * checker, over every batch the gateway acknowledged: it must report zero lost, zero duplicated
 * and nothing out of order after FINAL. docs/guarantees.md maps each promise to its scenario.
 *
 * Run by `make test-faults` (inside `make test`), on the distributed topology only.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Api, DEMO_KEY } from '../lib/api.mjs';
import { startLoad } from '../lib/load.mjs';
import { REPO_ROOT, startDistributed, withServerLog } from '../lib/server.mjs';

const run = promisify(execFile);

/** Sessions recorded at once in each scenario. */
const SESSIONS = 16;
/** How long `playback verify` waits for the consumers to catch up after a scenario. */
const VERIFY_WAIT_SECONDS = 240;
/** The crash points of docs/guarantees.md, with the stage that reaches each. */
const CRASH_POINTS = [
  ['sessionizer-1', 'sessionizer.after_events'],
  ['sessionizer-1', 'sessionizer.after_updates'],
  ['sessionizer-2', 'sessionizer.before_commit'],
  ['sessionizer-2', 'sessionizer.after_commit'],
  ['scorer', 'scorer.before_upsert'],
  ['scorer', 'scorer.before_commit'],
  ['scorer', 'scorer.after_commit'],
  ['archiver', 'archiver.before_put'],
  ['archiver', 'archiver.after_put'],
  ['archiver', 'archiver.before_commit'],
  ['archiver', 'archiver.after_commit'],
];

/**
 * Stops or starts one server of the test stack, keeping its data and ports.
 * @param {'stop' | 'start'} command
 * @param {'kafka' | 'clickhouse' | 'garage'} service
 */
async function stack(command, service) {
  await run(path.join(REPO_ROOT, 'scripts/test-stack'), [command, service], { cwd: REPO_ROOT });
}

/** The figures of the checker's verdict line. */
const VERDICT = /playback verify: sessions=(\d+) batches=(\d+) events=(\d+) lost=(\d+) duplicated=(\d+) out_of_order=(\d+)/;

test('no acknowledged batch is lost or duplicated, whatever fails', { timeout: 40 * 60_000 }, async (t) => {
  const server = await startDistributed(t);
  if (server === null) {
    return;
  }
  const stages = /** @type {import('../lib/server.mjs').StageControl} */ (server.stages);
  const dir = await mkdtemp(path.join(tmpdir(), 'playback-faults-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  /** @type {string[]} */
  const summary = [];

  /**
   * Records SESSIONS sessions while `fault` runs, until it returns and the load has sent
   * `minBatches` per session, then checks every acknowledged batch.
   * @param {string} name
   * @param {{clockSkewMs?: number, duplicateEvery?: number}} options
   * @param {(load: ReturnType<typeof startLoad>) => Promise<string>} fault returns what it did
   */
  const scenario = (name, options, fault) =>
    t.test(name, () =>
      withServerLog(server, async () => {
        const acknowledgedFile = path.join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.jsonl`);
        const load = startLoad({
          url: server.url,
          sessions: SESSIONS,
          batchesPerSession: 100_000,
          intervalMs: 250,
          acknowledgedFile,
          ...options,
        });
        const started = Date.now();
        let what;
        try {
          await sleep(2000);
          what = await fault(load);
          await sleep(2000);
        } finally {
          await load.stop();
        }
        const stats = load.stats();
        const { code, output } = await server.verify(acknowledgedFile, VERIFY_WAIT_SECONDS);
        const verdict = VERDICT.exec(output);
        assert.ok(verdict, `playback verify printed no verdict:\n${output}`);
        const [, sessions, batches, events, lost, duplicated, outOfOrder] = verdict.map(Number);
        const line =
          `${name}: sessions=${sessions} batches=${batches} events=${events} ` +
          `lost=${lost} duplicated=${duplicated} out_of_order=${outOfOrder} ` +
          `(sent ${stats.sent}, retried ${stats.retried}, statuses ${JSON.stringify(stats.statuses)}, ` +
          `${Math.round((Date.now() - started) / 1000)} s; ${what})`;
        console.log(`fault ${line}`);
        summary.push(line);
        assert.equal(sessions, SESSIONS, 'every session was acknowledged at least once');
        assert.ok(batches >= SESSIONS * 4, `the load kept flowing through the fault (${batches} batches)`);
        assert.equal(lost, 0, `lost:\n${output}`);
        assert.equal(duplicated, 0, `duplicated:\n${output}`);
        assert.equal(outOfOrder, 0, `out of order:\n${output}`);
        assert.equal(code, 0, output);
      }),
    );

  await scenario('crash points', {}, async () => {
    const hits = [];
    for (const [stage, point] of CRASH_POINTS) {
      const hit = randomInt(1, 4);
      await stages.stop(stage, 'SIGKILL');
      const crashing = await stages.start(stage, { PLAYBACK_CRASH_AT: `${point}:${hit}` });
      const exit = await Promise.race([crashing.exited, sleep(90_000, null)]);
      assert.ok(exit, `${stage} did not reach ${point} (hit ${hit}) within 90 s`);
      assert.equal(exit.signal, 'SIGABRT', `${stage} aborted at the crash point`);
      assert.match(server.output(), new RegExp(`crash point ${point.replace('.', '\\.')} reached \\(hit ${hit}\\)`));
      await stages.start(stage);
      hits.push(`${point}:${hit}`);
    }
    return `crashed at ${hits.join(', ')}`;
  });

  await scenario('SIGKILL at random moments', {}, async () => {
    const kills = [];
    for (let round = 0; round < 3; round++) {
      for (const stage of ['sessionizer-1', 'sessionizer-2', 'scorer', 'archiver']) {
        await sleep(randomInt(200, 2500));
        await stages.stop(stage, 'SIGKILL');
        await stages.start(stage);
        kills.push(stage);
      }
    }
    return `${kills.length} kills`;
  });

  await scenario('Kafka stopped for 30 s', {}, async (load) => {
    await stack('stop', 'kafka');
    try {
      // The gateway cannot make a batch durable, so it refuses it with a hint to retry.
      const probe = await fetch(`${server.url}/v1/batches`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Playback-Key': DEMO_KEY },
        body: JSON.stringify({
          session_id: crypto.randomUUID(),
          window_id: 'probe',
          seq: 0,
          sent_at: Date.now(),
          events: [{ type: 5, data: { tag: 'probe', payload: {} }, timestamp: Date.now() }],
        }),
      });
      assert.equal(probe.status, 503, 'a batch sent while Kafka is down gets 503');
      assert.ok(Number(probe.headers.get('Retry-After')) > 0, 'the 503 carries Retry-After');
      await sleep(30_000);
    } finally {
      await stack('start', 'kafka');
    }
    const refused = load.stats().statuses[503] ?? 0;
    assert.ok(refused > 0, 'the load generator was refused with 503 and retried');
    return `${refused} answers 503 while Kafka was down`;
  });

  /**
   * Waits until the processes print a line matching `pattern` after `mark` (a `written()`
   * count), so that a fault is known to have been met, not only injected.
   * @param {RegExp} pattern
   * @param {number} mark
   * @param {number} timeoutMs
   */
  const waitForOutput = async (pattern, mark, timeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const since = server.output().slice(-Math.max(server.written() - mark, 0) || server.output().length);
      const match = pattern.exec(since);
      if (match) {
        return match[0];
      }
      assert.ok(Date.now() < deadline, `no output matching ${pattern} within ${timeoutMs} ms`);
      await sleep(500);
    }
  };

  await scenario('ClickHouse stopped and restarted', {}, async () => {
    const mark = server.written();
    await stack('stop', 'clickhouse');
    let met;
    try {
      met = await waitForOutput(/retrying what="(insert events|upsert sessions|insert chunk rows)"/, mark, 60_000);
      await sleep(20_000);
    } finally {
      await stack('start', 'clickhouse');
    }
    return `ClickHouse down for more than 20 s; the stages met it (${met})`;
  });

  await scenario('S3 errors: Garage stopped', {}, async () => {
    const mark = server.written();
    await stack('stop', 'garage');
    let met;
    try {
      // The archiver flushes a busy tab's buffer once a minute (`max_buffer_age_ms`).
      met = await waitForOutput(/retrying what="put chunk"/, mark, 120_000);
      await sleep(10_000);
    } finally {
      await stack('start', 'garage');
    }
    return `Garage down until the archiver's PUTs failed and 10 s more (${met})`;
  });

  await scenario('rebalance storm', {}, async () => {
    const steps = [
      () => stages.start('sessionizer-3'),
      () => stages.start('sessionizer-4'),
      () => stages.stop('sessionizer-1', 'SIGKILL'),
      () => stages.stop('sessionizer-3', 'SIGTERM'),
      () => stages.start('sessionizer-1'),
      () => stages.start('sessionizer-5'),
      () => stages.stop('sessionizer-2', 'SIGKILL'),
      () => stages.stop('sessionizer-4', 'SIGTERM'),
      () => stages.start('sessionizer-2'),
      () => stages.stop('sessionizer-5', 'SIGKILL'),
    ];
    for (const change of steps) {
      await change();
      await sleep(randomInt(500, 3000));
    }
    const members = stages.running().filter((name) => name.startsWith('sessionizer-'));
    assert.deepEqual(members.sort(), ['sessionizer-1', 'sessionizer-2']);
    return `${steps.length} membership changes`;
  });

  await scenario('duplicate delivery', { duplicateEvery: 2 }, async (load) => {
    await sleep(8000);
    return `${load.stats().sent} requests, every second batch sent twice`;
  });

  await scenario('skewed client clocks', { clockSkewMs: -3 * 3_600_000 }, async (behind) => {
    const testStart = Date.now();
    // A second group of sessions runs a day ahead, at the same time.
    const ahead = startLoad({
      url: server.url,
      sessions: 4,
      batchesPerSession: 20,
      intervalMs: 250,
      clockSkewMs: 26 * 3_600_000,
      acknowledgedFile: path.join(dir, 'skewed-ahead.jsonl'),
    });
    await ahead.done;
    const { code, output } = await server.verify(path.join(dir, 'skewed-ahead.jsonl'), VERIFY_WAIT_SECONDS);
    assert.equal(code, 0, output);
    // Session times are server time, whatever the client clocks said.
    const api = new Api(server.url);
    const sessionIds = new Set([...ahead.acknowledged(), ...behind.acknowledged()].map((batch) => batch.session_id));
    for (const sessionId of sessionIds) {
      const session = await api.getOk(`/v1/sessions/${sessionId}`);
      const start = Number(session.start_time);
      assert.ok(
        Math.abs(start - testStart) < 5 * 60_000,
        `session ${sessionId} starts at ${new Date(start).toISOString()}, not near ${new Date(testStart).toISOString()}`,
      );
    }
    return `3 h behind, and 4 more sessions 26 h ahead, all started at server time: ${VERDICT.exec(output)?.[0]}`;
  });

  console.log(`fault scenarios:\n  ${summary.join('\n  ')}`);
});

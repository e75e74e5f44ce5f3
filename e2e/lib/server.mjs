/**
 * Runs Playback for one test: `playback up` (the whole platform in one
 * process with a data directory of its own), or one process per stage on the
 * test stack's Kafka, ClickHouse and Garage.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerToken } from './api.mjs';
import { startIngress } from './ingress.mjs';

/** The repository root, where the servers run (the binary carries web/dist, recorder/dist and demo/). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PLAYBACK_BIN = process.env.PLAYBACK_BIN || path.join(REPO_ROOT, 'target/debug/playback');

/** `playback up` is ready once it printed its address and then the demo project's admin token. */
const LISTENING = /playback listening on (http:\/\/[^\s]+)[\s\S]*admin token \(project demo\): \S+\n/;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
/** Output kept per server, enough for the end of a long log. */
const MAX_OUTPUT_CHARS = 200_000;
const ANSI_ESCAPE = /\x1b\[[0-9;]*m/g;

/**
 * @typedef {object} PlaybackServer
 * @property {string} url base URL, without a trailing slash
 * @property {string} dataDir where the data is stored, kept across restarts
 * @property {Array<{name: string, url: string, pid: number}>} processes each process, the address it printed and its process id
 * @property {() => Array<{name: string, pid: number}>} running the processes that have not exited
 * @property {{admin: string, viewer: string}} tokens query API tokens of the demo project
 * @property {Record<string, string>} projectTokens an admin token of each project of `ServerOptions.projects`, by project id
 * @property {() => string} output what the process(es) wrote so far (the last 200 000 characters)
 * @property {() => number} written how many characters the process(es) wrote so far
 * @property {(signal?: NodeJS.Signals) => Promise<void>} kill sends `signal` (SIGTERM by default) and waits for the exit
 * @property {() => Promise<void>} restart starts the process(es) again on the same data, on new ports
 * @property {(acknowledgedFile: string, waitSeconds: number) => Promise<{code: number, output: string}>} verify
 *   runs `playback verify` (the loss and duplicate checker) on this server's storage
 * @property {(args: string[]) => Promise<{code: number, output: string}>} verifyDeleted
 *   runs `playback verify` with `args` (`--deleted-project …`) on this server's storage
 * @property {string[]} ownData the paths under `dataDir` that hold only this server's data
 *   (all of `dataDir` for `playback up`; this run's topics and database on the test stack)
 * @property {StageControl | null} stages one process per stage (distributed runs only)
 */

/**
 * @typedef {object} Exit
 * @property {number | null} code
 * @property {NodeJS.Signals | null} signal
 */

/**
 * Control over the single stages of a distributed run, for fault tests.
 * @typedef {object} StageControl
 * @property {(name: string, signal?: NodeJS.Signals) => Promise<void>} stop stops a stage (SIGKILL by default)
 * @property {(name: string, env?: Record<string, string>) => Promise<{exited: Promise<Exit>}>} start
 *   starts a stage (one of the run's, or a further `sessionizer-N`), with extra environment variables
 * @property {() => string[]} running the names of the stages that run
 */

/**
 * What a test adds to the config file: more projects (the demo project, key
 * `pk_demo`, is always there) and `[gateway]` settings, e.g. a low rate limit.
 * @typedef {object} ServerOptions
 * @property {Array<{id: string, key: string, enabled?: boolean}>} [projects]
 * @property {Record<string, number | string | boolean>} [gateway] keys of `[gateway]` in playback/src/config.rs
 */

/**
 * The environment of the server: this one, without the harness's own
 * variables, since `playback` reads `PLAYBACK_*` variables as its config and
 * refuses unknown ones.
 * @returns {NodeJS.ProcessEnv}
 */
function serverEnv() {
  /** @type {NodeJS.ProcessEnv} */
  const env = { RUST_BACKTRACE: '1', NO_COLOR: '1' };
  for (const [name, value] of Object.entries(process.env)) {
    if (name !== 'PLAYBACK_BIN' && !name.startsWith('PLAYBACK_E2E_')) {
      env[name] = value;
    }
  }
  return env;
}

/**
 * @typedef {object} Running
 * @property {string} name
 * @property {string} url the address the process printed
 * @property {number} pid
 * @property {import('node:child_process').ChildProcess} child
 * @property {Promise<Exit>} exited
 */

/**
 * Whether the process has not exited.
 * @param {Running} running
 */
function isRunning(running) {
  return running.child.exitCode === null && running.child.signalCode === null;
}

/**
 * Starts `playback ARGS` and waits until it prints its address.
 * @param {string} name prefix of its lines in the output
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} env
 * @param {RegExp} listening matches the line with the address, which is the first group
 * @param {(text: string) => void} log
 * @returns {Promise<Running>}
 */
function launchProcess(name, args, env, listening, log) {
  const child = spawn(PLAYBACK_BIN, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  /** @param {string} text */
  /** Per stream, whether its next chunk starts a line: a line may arrive in several chunks. */
  const atLineStart = { stdout: true, stderr: true };
  /**
   * @param {'stdout' | 'stderr'} stream
   * @param {string} text
   */
  const prefixed = (stream, text) => {
    if (name === 'playback') {
      return text;
    }
    const lines = (atLineStart[stream] ? `[${name}] ` : '') + text.replace(/\n(?=.)/g, `\n[${name}] `);
    atLineStart[stream] = text.endsWith('\n');
    return lines;
  };
  /** @type {Promise<Exit>} */
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      log(`[${name} exited: code=${code} signal=${signal}]\n`);
      resolve({ code, signal });
    });
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    let printed = '';
    /**
     * @param {'stdout' | 'stderr'} stream
     * @param {string} text
     */
    const keep = (stream, text) => {
      printed = (printed + text.replace(ANSI_ESCAPE, '')).slice(-20_000);
      log(prefixed(stream, text));
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not print its address within ${START_TIMEOUT_MS} ms; it printed:\n${printed}`));
    }, START_TIMEOUT_MS);
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk) => keep('stderr', chunk));
    child.stdout?.on('data', (chunk) => {
      keep('stdout', chunk);
      stdout += chunk;
      const match = listening.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve({ name, url: match[1].replace(/\/+$/, ''), pid: /** @type {number} */ (child.pid), child, exited });
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${PLAYBACK_BIN}: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before listening (code ${code}, signal ${signal}); it printed:\n${printed}`));
    });
  });
}

/**
 * Runs `playback ARGS` to completion; throws with its output unless it exits 0.
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} env
 * @param {(text: string) => void} log
 */
async function runToEnd(args, env, log) {
  const child = spawn(PLAYBACK_BIN, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  /** @param {string} text */
  const keep = (text) => {
    printed += text;
    log(text.replace(/^(?=.)/gm, `[${args[0]}] `));
  };
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  const code = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) {
    throw new Error(`playback ${args.join(' ')} exited with ${code}:\n${printed}`);
  }
}

/**
 * Runs `playback verify` over the storage that `env` configures.
 * @param {string} acknowledgedFile
 * @param {number} waitSeconds
 * @param {NodeJS.ProcessEnv} env
 * @param {(text: string) => void} log
 * @returns {Promise<{code: number, output: string}>}
 */
async function runVerify(acknowledgedFile, waitSeconds, env, log) {
  return runCommand(['verify', '--acknowledged', acknowledgedFile, '--wait', String(waitSeconds)], env, log);
}

/**
 * Runs `playback <args>` to its end, its output in the server's log.
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} env
 * @param {(text: string) => void} log
 * @returns {Promise<{code: number, output: string}>}
 */
async function runCommand(args, env, log) {
  const child = spawn(PLAYBACK_BIN, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  /** @param {string} text */
  const keep = (text) => {
    output += text;
    log(text.replace(/^(?=.)/gm, '[verify] '));
  };
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  const code = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  return { code, output };
}

/**
 * Stops one process: `signal`, then SIGKILL after a while.
 * @param {Running} running
 * @param {NodeJS.Signals} signal
 * @param {(text: string) => void} log
 */
async function stopProcess(running, signal, log) {
  if (running.child.exitCode !== null || running.child.signalCode !== null) {
    return;
  }
  running.child.kill(signal);
  const timeout = new Promise((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS, 'timeout'));
  if ((await Promise.race([running.exited, timeout])) === 'timeout') {
    log(`[${running.name} did not exit on ${signal} within ${STOP_TIMEOUT_MS} ms; killing it]\n`);
    running.child.kill('SIGKILL');
    await running.exited;
  }
}

/**
 * The output of a server's processes, kept to its last MAX_OUTPUT_CHARS.
 */
function outputLog() {
  let output = '';
  let written = 0;
  /** @param {string} text */
  const log = (text) => {
    const plain = text.replace(ANSI_ESCAPE, '');
    output += plain;
    written += plain.length;
    if (output.length > MAX_OUTPUT_CHARS) {
      output = output.slice(output.length - MAX_OUTPUT_CHARS);
    }
  };
  return { log, output: () => output, written: () => written };
}

/**
 * Starts Playback for the test `t` in the topology that `PLAYBACK_E2E_TOPOLOGY`
 * names: `embedded` (the default, `playback up`) or `distributed` (one
 * process per stage on the test stack, see startDistributed). Everything is
 * stopped when the test ends.
 * @param {import('node:test').TestContext} t
 * @param {ServerOptions} [options]
 * @returns {Promise<PlaybackServer>}
 */
export async function startServer(t, options = {}) {
  const topology = process.env.PLAYBACK_E2E_TOPOLOGY ?? 'embedded';
  if (topology === 'distributed') {
    const server = await startDistributed(t, options);
    if (server === null) {
      throw new Error('PLAYBACK_E2E_TOPOLOGY=distributed needs the test stack: run under `scripts/test-stack run --`');
    }
    return server;
  }
  if (topology !== 'embedded') {
    throw new Error(`PLAYBACK_E2E_TOPOLOGY is ${topology}; it is embedded or distributed`);
  }
  return startEmbedded(t, options);
}

/**
 * Starts `playback up`: the whole platform in one process, on port 0, with a
 * fresh data directory that is removed when the test ends, and an admin and a
 * viewer token from a config file.
 * @param {import('node:test').TestContext} t
 * @param {ServerOptions} [options]
 * @returns {Promise<PlaybackServer>}
 */
export async function startEmbedded(t, options = {}) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'playback-e2e-'));
  const { tokens, projectTokens, configFile } = await writeTokenConfig(t, options);
  const { log, output, written } = outputLog();
  const env = { ...serverEnv(), PLAYBACK_CONFIG: configFile };
  const launch = () =>
    launchProcess('playback', ['up', '--listen', '127.0.0.1:0', '--data-dir', dataDir], env, LISTENING, log);

  /** @type {Running | null} */
  let current = null;

  /** @type {PlaybackServer} */
  const server = {
    url: '',
    dataDir,
    processes: [],
    running: () => (current !== null && isRunning(current) ? [{ name: current.name, pid: current.pid }] : []),
    tokens,
    projectTokens,
    output,
    written,
    stages: null,
    verify: (acknowledgedFile, waitSeconds) =>
      runVerify(acknowledgedFile, waitSeconds, { ...env, PLAYBACK_DATA_DIR: dataDir }, log),
    verifyDeleted: (args) => runCommand(['verify', ...args], { ...env, PLAYBACK_DATA_DIR: dataDir }, log),
    ownData: [dataDir],
    async kill(signal = 'SIGTERM') {
      const running = current;
      current = null;
      if (running !== null) {
        await stopProcess(running, signal, log);
      }
    },
    async restart() {
      await server.kill('SIGTERM');
      log(`[restarting playback on ${dataDir}]\n`);
      current = await launch();
      started(current);
    },
  };

  /** @param {Running} running */
  const started = (running) => {
    server.url = running.url;
    server.processes = [{ name: running.name, url: running.url, pid: running.pid }];
    const printed = ADMIN_TOKEN.exec(output());
    if (printed === null || printed[1] !== tokens.admin) {
      throw new Error(`playback up did not print the configured admin token:\n${output().slice(-5000)}`);
    }
    registerToken(server.url, tokens.admin);
  };

  t.after(async () => {
    await server.kill('SIGTERM');
    if (!process.env.PLAYBACK_E2E_KEEP_DATA) {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  current = await launch();
  started(current);
  return server;
}

/** The line of `playback up` that gives the demo project's admin token. */
const ADMIN_TOKEN = /admin token \(project demo\): (\S+)/;

/**
 * A TOML value: JSON's strings, numbers and booleans are TOML's too.
 * @param {number | string | boolean} value
 */
function tomlValue(value) {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new Error(`${value} is not a TOML number`);
  }
  return JSON.stringify(value);
}

/**
 * A config file with an admin and a viewer token of the demo project, a
 * share-link key and what `options` adds (projects, each with an admin
 * token, and `[gateway]` settings), removed when the test ends.
 * @param {import('node:test').TestContext} t
 * @param {ServerOptions} [options]
 * @returns {Promise<{tokens: {admin: string, viewer: string}, projectTokens: Record<string, string>, configFile: string}>}
 */
async function writeTokenConfig(t, options = {}) {
  const tokens = { admin: `e2e-admin-${randomBytes(16).toString('hex')}`, viewer: `e2e-viewer-${randomBytes(16).toString('hex')}` };
  const configDir = await mkdtemp(path.join(tmpdir(), 'playback-e2e-config-'));
  t.after(() => rm(configDir, { recursive: true, force: true }));
  const configFile = path.join(configDir, 'playback.toml');
  const lines = [];
  for (const role of /** @type {const} */ (['admin', 'viewer'])) {
    lines.push('[[auth.tokens]]', `name = "e2e-${role}"`, `token = "${tokens[role]}"`, 'project = "demo"', `role = "${role}"`, '');
  }
  /** @type {Record<string, string>} */
  const projectTokens = {};
  const extraProjects = options.projects ?? [];
  if (extraProjects.length > 0) {
    // A file's projects replace the default list, so the demo project is written too.
    for (const project of [{ id: 'demo', key: 'pk_demo', enabled: true }, ...extraProjects]) {
      lines.push('[[projects]]', `id = ${tomlValue(project.id)}`, `key = ${tomlValue(project.key)}`, `enabled = ${project.enabled ?? true}`, '');
    }
    for (const project of extraProjects) {
      projectTokens[project.id] = `e2e-admin-${project.id}-${randomBytes(16).toString('hex')}`;
      lines.push('[[auth.tokens]]', `name = ${tomlValue(`e2e-admin-${project.id}`)}`, `token = "${projectTokens[project.id]}"`, `project = ${tomlValue(project.id)}`, 'role = "admin"', '');
    }
  }
  if (options.gateway !== undefined) {
    lines.push('[gateway]');
    for (const [name, value] of Object.entries(options.gateway)) {
      lines.push(`${name} = ${tomlValue(value)}`);
    }
    lines.push('');
  }
  lines.push('[share]', `signing_key = "${randomBytes(32).toString('hex')}"`, '');
  await writeFile(configFile, lines.join('\n'));
  return { tokens, projectTokens, configFile };
}

/** Partitions of each topic in a distributed run: more than there are sessionizers. */
export const DISTRIBUTED_PARTITIONS = 4;

/**
 * The test stack's addresses (`scripts/test-stack up` writes them), or null
 * when they are not in the environment.
 */
function stackServers() {
  const env = process.env;
  const names = [
    'PLAYBACK_TEST_KAFKA_BROKERS',
    'PLAYBACK_TEST_CLICKHOUSE_URL',
    'PLAYBACK_TEST_S3_ENDPOINT',
    'PLAYBACK_TEST_S3_BUCKET',
    'PLAYBACK_STACK_DIR',
  ];
  if (names.some((name) => !env[name])) {
    return null;
  }
  return env;
}

/**
 * The config of every process of a distributed run, as `PLAYBACK_*`
 * variables: Kafka, ClickHouse and S3 from the test stack, under names of
 * this run only (topic and group prefixes, a database, a key prefix), and
 * chunks encrypted with SSE-C, under one master key of this run that every
 * process shares (the data keys are sealed blobs in the same bucket).
 * @param {NodeJS.ProcessEnv} stack
 * @param {string} run
 */
function distributedEnv(stack, run) {
  return {
    ...serverEnv(),
    PLAYBACK_LOG__BACKEND: 'server',
    PLAYBACK_LOG__KAFKA__BROKERS: stack.PLAYBACK_TEST_KAFKA_BROKERS,
    PLAYBACK_LOG__KAFKA__TOPIC_PREFIX: `e2e-${run}.`,
    PLAYBACK_LOG__KAFKA__GROUP_PREFIX: `e2e-${run}-`,
    PLAYBACK_LOG__KAFKA__PARTITIONS: String(DISTRIBUTED_PARTITIONS),
    PLAYBACK_LOG__KAFKA__REPLICATION_FACTOR: '1',
    PLAYBACK_WAREHOUSE__BACKEND: 'server',
    PLAYBACK_WAREHOUSE__CLICKHOUSE__URL: stack.PLAYBACK_TEST_CLICKHOUSE_URL,
    PLAYBACK_WAREHOUSE__CLICKHOUSE__USER: stack.PLAYBACK_TEST_CLICKHOUSE_USER ?? 'default',
    PLAYBACK_WAREHOUSE__CLICKHOUSE__PASSWORD: stack.PLAYBACK_TEST_CLICKHOUSE_PASSWORD ?? '',
    PLAYBACK_WAREHOUSE__CLICKHOUSE__DATABASE: `e2e_${run}`,
    PLAYBACK_BLOBS__BACKEND: 'server',
    PLAYBACK_BLOBS__S3__ENDPOINT: stack.PLAYBACK_TEST_S3_ENDPOINT,
    PLAYBACK_BLOBS__S3__REGION: stack.PLAYBACK_TEST_S3_REGION ?? 'garage',
    PLAYBACK_BLOBS__S3__BUCKET: stack.PLAYBACK_TEST_S3_BUCKET,
    PLAYBACK_BLOBS__S3__ACCESS_KEY_ID: stack.PLAYBACK_TEST_S3_ACCESS_KEY ?? '',
    PLAYBACK_BLOBS__S3__SECRET_ACCESS_KEY: stack.PLAYBACK_TEST_S3_SECRET_KEY ?? '',
    PLAYBACK_BLOBS__S3__PATH_STYLE: 'true',
    PLAYBACK_BLOBS__S3__PREFIX: `e2e-${run}/`,
    PLAYBACK_BLOBS__S3__ENCRYPTION__MODE: 'sse-c',
    PLAYBACK_BLOBS__S3__ENCRYPTION__KEY_BASE64: randomBytes(32).toString('base64'),
    PLAYBACK_ENCRYPTION__KEYS: `[{id="e2e",key="${randomBytes(32).toString('base64')}"}]`,
    PLAYBACK_GATEWAY__LISTEN: '127.0.0.1:0',
    PLAYBACK_GATEWAY__SERVE_DEMO: 'true',
    PLAYBACK_QUERY__LISTEN: '127.0.0.1:0',
    PLAYBACK_ADMIN_LISTEN: '127.0.0.1:0',
  };
}

/**
 * The test stack's files of run `run`: its Kafka topics' partition directories and its
 * ClickHouse database's directories. Garage stores every run's objects together, under SSE-C.
 * @param {string} stackDir
 * @param {string} run
 */
async function ownStackData(stackDir, run) {
  /** @type {string[]} */
  const paths = [];
  const kafka = path.join(stackDir, 'kafka', 'data');
  for (const name of await readdir(kafka).catch(() => [])) {
    if (name.startsWith(`e2e-${run}.`)) {
      paths.push(path.join(kafka, name));
    }
  }
  for (const below of ['data', 'metadata']) {
    paths.push(path.join(stackDir, 'clickhouse', 'data', below, `e2e_${run}`));
  }
  return paths;
}

/** The line of a consumer stage that gives its admin address. */
const ADMIN_LISTENING = /playback admin listening on (http:\/\/[^\s]+)/;

/** The processes of a distributed run, each with the line that gives its address. */
const STAGES = [
  { name: 'gateway', args: ['gateway'], listening: /playback gateway listening on (http:\/\/[^\s]+)/ },
  { name: 'sessionizer-1', args: ['sessionizer'], listening: ADMIN_LISTENING },
  { name: 'sessionizer-2', args: ['sessionizer'], listening: ADMIN_LISTENING },
  { name: 'scorer', args: ['scorer'], listening: ADMIN_LISTENING },
  { name: 'archiver', args: ['archiver'], listening: ADMIN_LISTENING },
  { name: 'query-api', args: ['query-api'], listening: /playback query-api listening on (http:\/\/[^\s]+)/ },
  // Last: it fetches the demo's assets through the ingress, which exists only once the others run.
  { name: 'assets', args: ['assets'], listening: ADMIN_LISTENING },
];

/**
 * `PLAYBACK_ASSETS__ALLOWED_ORIGINS` of `env` with `origin` added: the asset
 * stage may fetch from the demo site through the ingress, a loopback address
 * the SSRF guard refuses otherwise, as it may from the origins a test added.
 * @param {NodeJS.ProcessEnv} env
 * @param {string} origin
 */
function allowingOrigin(env, origin) {
  const listed = env.PLAYBACK_ASSETS__ALLOWED_ORIGINS ? JSON.parse(env.PLAYBACK_ASSETS__ALLOWED_ORIGINS) : [];
  return { ...env, PLAYBACK_ASSETS__ALLOWED_ORIGINS: JSON.stringify([...new Set([...listed, origin])]) };
}

/**
 * Starts Playback as a deployment runs it, on the test stack's Kafka,
 * ClickHouse and Garage: `playback migrate`, then `gateway`, two
 * `sessionizer`s in one consumer group, `scorer`, `archiver`, `query-api` and
 * `assets`, each its own process, behind an ingress that routes by path. `dataDir` is
 * the stack's directory, where Kafka, ClickHouse and Garage keep their data.
 * Returns null when the stack is not in the environment (the test is then
 * skipped), and fails instead when PLAYBACK_REQUIRE_REAL_BACKENDS=1.
 * @param {import('node:test').TestContext} t
 * @param {ServerOptions} [options]
 * @returns {Promise<PlaybackServer | null>}
 */
export async function startDistributed(t, options = {}) {
  const stack = stackServers();
  if (stack === null) {
    if (process.env.PLAYBACK_REQUIRE_REAL_BACKENDS === '1') {
      throw new Error('the test stack is not in the environment: run under `scripts/test-stack run --`');
    }
    t.skip('no test stack: run under `scripts/test-stack run --`');
    return null;
  }
  const run = randomUUID().replaceAll('-', '').slice(0, 12);
  const { tokens, projectTokens, configFile } = await writeTokenConfig(t, options);
  const env = { ...distributedEnv(stack, run), PLAYBACK_CONFIG: configFile };
  const { log, output, written } = outputLog();
  await runToEnd(['migrate'], env, log);

  /** @type {Running[]} */
  let current = [];
  /** @type {{ingress: import('./ingress.mjs').Ingress | null}} */
  const edge = { ingress: null };
  /** The environment of stage `name`. @param {string} name */
  const stageEnv = (name) => (name === 'assets' && edge.ingress !== null ? allowingOrigin(env, edge.ingress.url) : env);

  const launchAll = async () => {
    // One at a time, so that the two sessionizers join their group one after the other.
    for (const stage of STAGES.filter((known) => known.name !== 'assets')) {
      current.push(await launchProcess(stage.name, stage.args, env, stage.listening, log));
    }
    const urlOf = (/** @type {string} */ name) => /** @type {Running} */ (current.find((p) => p.name === name)).url;
    const targets = { gateway: urlOf('gateway'), queryApi: urlOf('query-api') };
    if (edge.ingress === null) {
      edge.ingress = await startIngress(targets);
    } else {
      edge.ingress.retarget(targets);
    }
    server.url = edge.ingress.url;
    const assets = /** @type {(typeof STAGES)[number]} */ (STAGES.find((known) => known.name === 'assets'));
    current.push(await launchProcess(assets.name, assets.args, stageEnv(assets.name), assets.listening, log));
    server.processes = current.map((running) => ({ name: running.name, url: running.url, pid: running.pid }));
    registerToken(server.url, tokens.admin);
  };

  /** @type {PlaybackServer} */
  const server = {
    url: '',
    dataDir: /** @type {string} */ (stack.PLAYBACK_STACK_DIR),
    processes: [],
    running: () => current.filter(isRunning).map((running) => ({ name: running.name, pid: running.pid })),
    tokens,
    projectTokens,
    output,
    written,
    verify: (acknowledgedFile, waitSeconds) => runVerify(acknowledgedFile, waitSeconds, env, log),
    verifyDeleted: (args) => runCommand(['verify', ...args], env, log),
    ownData: await ownStackData(/** @type {string} */ (stack.PLAYBACK_STACK_DIR), run),
    stages: {
      async stop(name, signal = 'SIGKILL') {
        const running = current.find((stage) => stage.name === name);
        if (running === undefined) {
          throw new Error(`stage ${name} does not run (running: ${current.map((stage) => stage.name).join(', ')})`);
        }
        current = current.filter((stage) => stage !== running);
        await stopProcess(running, signal, log);
      },
      async start(name, extra = {}) {
        if (current.some((stage) => stage.name === name)) {
          throw new Error(`stage ${name} runs already`);
        }
        const stage = STAGES.find((known) => known.name === name) ??
          (/^sessionizer-\d+$/.test(name) ? { name, args: ['sessionizer'], listening: ADMIN_LISTENING } : undefined);
        if (stage === undefined || stage.name === 'gateway' || stage.name === 'query-api') {
          throw new Error(`stage ${name} cannot be started on its own`);
        }
        const running = await launchProcess(name, stage.args, { ...stageEnv(name), ...extra }, stage.listening, log);
        current.push(running);
        // A stage that exits on its own (a crash point) leaves the running set.
        running.exited.then(() => {
          current = current.filter((other) => other !== running);
        });
        server.processes = current.map((other) => ({ name: other.name, url: other.url, pid: other.pid }));
        return { exited: running.exited };
      },
      running: () => current.map((stage) => stage.name),
    },
    async kill(signal = 'SIGTERM') {
      const running = current;
      current = [];
      await Promise.all(running.map((stage) => stopProcess(stage, signal, log)));
    },
    async restart() {
      await server.kill('SIGTERM');
      log(`[restarting the distributed run ${run}]\n`);
      await launchAll();
    },
  };

  t.after(async () => {
    await server.kill('SIGTERM');
    await edge.ingress?.close();
  });

  try {
    await launchAll();
  } catch (error) {
    await server.kill('SIGKILL');
    await edge.ingress?.close();
    throw error;
  }
  return server;
}

/** @type {WeakMap<PlaybackServer, number>} */
const reportedUpTo = new WeakMap();

/**
 * Runs `body`; when it fails, prints what the server wrote since the last
 * report before passing the failure on, so the log of the run that failed is
 * in the test output.
 * @template T
 * @param {PlaybackServer} server
 * @param {() => Promise<T>} body
 * @returns {Promise<T>}
 */
export async function withServerLog(server, body) {
  try {
    return await body();
  } catch (error) {
    const written = server.written();
    const unreported = Math.min(written - (reportedUpTo.get(server) ?? 0), server.output().length);
    reportedUpTo.set(server, written);
    const text = unreported > 0 ? server.output().slice(-unreported) : '(nothing new)';
    process.stderr.write(`\n----- playback output (data dir ${server.dataDir}) -----\n${text}\n----- end of playback output -----\n`);
    throw error;
  }
}

/**
 * A subtest of `t` whose failure prints the server's output.
 * @param {import('node:test').TestContext} t
 * @param {PlaybackServer} server
 * @param {string} name
 * @param {(t: import('node:test').TestContext) => Promise<void>} body
 */
export function step(t, server, name, body) {
  return t.test(name, (subtest) => withServerLog(server, () => body(subtest)));
}

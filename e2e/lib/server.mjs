/**
 * Runs `playback up` for one test: the whole platform in one process, on
 * port 0, with a fresh data directory of its own.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: `playback up` finds web/dist, recorder/dist and demo/ relative to it. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PLAYBACK_BIN = process.env.PLAYBACK_BIN || path.join(REPO_ROOT, 'target/debug/playback');

const LISTENING = /playback listening on (http:\/\/[^\s]+)/;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
/** Output kept per server, enough for the end of a long log. */
const MAX_OUTPUT_CHARS = 200_000;
const ANSI_ESCAPE = /\x1b\[[0-9;]*m/g;

/**
 * @typedef {object} PlaybackServer
 * @property {string} url base URL, without a trailing slash
 * @property {string} dataDir the data directory, kept across restarts
 * @property {() => string} output what the process(es) wrote so far (the last 200 000 characters)
 * @property {() => number} written how many characters the process(es) wrote so far
 * @property {(signal?: NodeJS.Signals) => Promise<void>} kill sends `signal` (SIGTERM by default) and waits for the exit
 * @property {() => Promise<void>} restart starts a new process on the same data directory and a new port
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
 * One `playback up` process.
 * @param {string} dataDir
 * @param {(text: string) => void} log
 * @returns {Promise<{url: string, child: import('node:child_process').ChildProcess, exited: Promise<void>}>}
 */
function launch(dataDir, log) {
  const child = spawn(PLAYBACK_BIN, ['up', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
    cwd: REPO_ROOT,
    env: serverEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  /** @type {Promise<void>} */
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      log(`[playback exited: code=${code} signal=${signal}]\n`);
      resolve();
    });
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    let printed = '';
    /** @param {string} text */
    const keep = (text) => {
      printed = (printed + text.replace(ANSI_ESCAPE, '')).slice(-20_000);
      log(text);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`playback did not print its address within ${START_TIMEOUT_MS} ms; it printed:\n${printed}`));
    }, START_TIMEOUT_MS);
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', keep);
    child.stdout?.on('data', (chunk) => {
      keep(chunk);
      stdout += chunk;
      const match = LISTENING.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1].replace(/\/+$/, ''), child, exited });
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${PLAYBACK_BIN}: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`playback exited before listening (code ${code}, signal ${signal}); it printed:\n${printed}`));
    });
  });
}

/**
 * Starts `playback up` for the test `t`; the process is killed and its data
 * directory removed when the test ends.
 * @param {import('node:test').TestContext} t
 * @returns {Promise<PlaybackServer>}
 */
export async function startServer(t) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'playback-e2e-'));
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

  /** @type {{url: string, child: import('node:child_process').ChildProcess, exited: Promise<void>} | null} */
  let current = null;

  /** @type {PlaybackServer} */
  const server = {
    url: '',
    dataDir,
    output: () => output,
    written: () => written,
    async kill(signal = 'SIGTERM') {
      const running = current;
      if (running === null) {
        return;
      }
      current = null;
      if (running.child.exitCode === null && running.child.signalCode === null) {
        running.child.kill(signal);
        const timeout = new Promise((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS, 'timeout'));
        if ((await Promise.race([running.exited, timeout])) === 'timeout') {
          log(`[playback did not exit on ${signal} within ${STOP_TIMEOUT_MS} ms; killing it]\n`);
          running.child.kill('SIGKILL');
          await running.exited;
        }
      }
    },
    async restart() {
      await server.kill('SIGTERM');
      log(`[restarting playback on ${dataDir}]\n`);
      current = await launch(dataDir, log);
      server.url = current.url;
    },
  };

  t.after(async () => {
    await server.kill('SIGTERM');
    if (!process.env.PLAYBACK_E2E_KEEP_DATA) {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  current = await launch(dataDir, log);
  server.url = current.url;
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

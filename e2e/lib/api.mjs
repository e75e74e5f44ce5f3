/**
 * Small helpers around the Playback HTTP API (docs/api.md).
 */
import { setTimeout as sleep } from 'node:timers/promises';

export const DEMO_KEY = 'pk_demo';
export const DEMO_PROJECT = 'demo';

/**
 * @typedef {object} ApiResponse
 * @property {number} status
 * @property {string} text the body as received
 * @property {any} json the parsed body, or undefined when it is not JSON
 */

/** The query API token of each server, by base URL; the server harness registers them. */
const tokens = new Map();

/**
 * Registers the token that `new Api(baseUrl)` sends to the query API of `baseUrl`.
 * @param {string} baseUrl
 * @param {string} token
 */
export function registerToken(baseUrl, token) {
  tokens.set(baseUrl.replace(/\/+$/, ''), token);
}

/** A client for one server; it keeps every response body it read, for privacy checks. */
export class Api {
  /**
   * @param {string} baseUrl
   * @param {string} [token] the query API token; by default the one registered for `baseUrl`
   */
  constructor(baseUrl, token) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.token = token ?? tokens.get(this.baseUrl);
    /** @type {Array<{path: string, text: string}>} */
    this.responses = [];
  }

  /** @returns {Record<string, string>} */
  authorization() {
    return this.token ? { Authorization: `Bearer ${this.token}` } : {};
  }

  /**
   * @param {string} path
   * @returns {Promise<ApiResponse>}
   */
  async get(path) {
    const response = await fetch(this.baseUrl + path, { headers: this.authorization() });
    const text = await response.text();
    this.responses.push({ path, text });
    return { status: response.status, text, json: parseJson(text) };
  }

  /**
   * GET that must answer 200; returns the parsed body.
   * @param {string} path
   * @returns {Promise<any>}
   */
  async getOk(path) {
    const response = await this.get(path);
    if (response.status !== 200) {
      throw new Error(`GET ${path} answered ${response.status}: ${response.text.slice(0, 500)}`);
    }
    return response.json;
  }

  /**
   * POSTs a batch body (docs/api.md, `POST /v1/batches`).
   * @param {unknown} batch
   * @param {{key?: string}} [options]
   * @returns {Promise<ApiResponse>}
   */
  async postBatch(batch, options = {}) {
    const response = await fetch(`${this.baseUrl}/v1/batches`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Playback-Key': options.key ?? DEMO_KEY },
      body: JSON.stringify(batch),
    });
    const text = await response.text();
    return { status: response.status, text, json: parseJson(text) };
  }

  /** @param {string} sessionId */
  session(sessionId) {
    return this.getOk(`/v1/sessions/${encodeURIComponent(sessionId)}`);
  }

  /** @param {string} sessionId */
  async events(sessionId) {
    const body = await this.getOk(`/v1/sessions/${encodeURIComponent(sessionId)}/events`);
    return /** @type {TranscriptEvent[]} */ (body.events);
  }

  /** @param {string} sessionId */
  async recording(sessionId) {
    const body = await this.getOk(`/v1/sessions/${encodeURIComponent(sessionId)}/recording`);
    return /** @type {Array<{window_id: string, events: any[]}>} */ (body.windows);
  }

  /**
   * Every session of the list, following `next_cursor`.
   * @param {string} [query] extra parameters, e.g. `from=0`
   * @returns {Promise<any[]>}
   */
  async listSessions(query = '') {
    /** @type {any[]} */
    const sessions = [];
    let cursor = null;
    for (let page = 0; page < 100; page++) {
      const params = new URLSearchParams(query);
      params.set('limit', '500');
      if (cursor !== null) {
        params.set('cursor', cursor);
      }
      const body = await this.getOk(`/v1/sessions?${params}`);
      sessions.push(...body.sessions);
      cursor = body.next_cursor ?? null;
      if (cursor === null) {
        break;
      }
    }
    return sessions;
  }
}

/**
 * @typedef {object} TranscriptEvent
 * @property {number} ts
 * @property {number} offset_ms
 * @property {string} window_id
 * @property {string} kind
 * @property {string} title what happened, in words (docs/transcript.md)
 * @property {string} url
 * @property {string} name
 * @property {string} target
 * @property {Record<string, any>} props
 */

/**
 * @param {string} text
 * @returns {any}
 */
export function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Calls `check` until it returns a value other than undefined, null or false,
 * and returns that value. A `check` that throws counts as not yet; the last
 * reason is in the timeout error.
 * @template T
 * @param {() => Promise<T | undefined | null | false> | T | undefined | null | false} check
 * @param {{timeout?: number, interval?: number, message?: string}} [options]
 * @returns {Promise<T>}
 */
export async function waitFor(check, options = {}) {
  const timeout = options.timeout ?? 60_000;
  const interval = options.interval ?? 500;
  const deadline = Date.now() + timeout;
  /** @type {unknown} */
  let lastReason = 'the condition never held';
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) {
        return /** @type {T} */ (value);
      }
    } catch (error) {
      lastReason = error;
    }
    if (Date.now() >= deadline) {
      const reason = lastReason instanceof Error ? lastReason.message : String(lastReason);
      const error = new Error(`${options.message ?? 'waitFor'}: not true after ${timeout} ms; last: ${reason}`);
      if (lastReason instanceof Error) {
        error.cause = lastReason;
      }
      throw error;
    }
    await sleep(interval);
  }
}

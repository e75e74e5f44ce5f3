/**
 * Delivery of batches to `POST {endpoint}/v1/batches`.
 *
 * Batches leave in order, one request in flight per tab. A batch keeps its seq
 * across retries, so the gateway can drop a copy it already has. Network
 * errors, 408, 429 and 5xx are retried with backoff (429 and 503 honour
 * Retry-After), except that a batch answered 500 (the gateway failed on it)
 * more than MAX_INTERNAL_ERROR_RETRIES times is dropped so the queue moves on;
 * any other 4xx drops the batch, and 401 stops the recorder because the key
 * is refused.
 *
 * When the page is hidden or unloads, everything queued is handed to the
 * browser at once as plain JSON: `fetch(keepalive)` while the keepalive quota
 * allows, `navigator.sendBeacon` otherwise. Batches the browser would not take
 * are kept in localStorage and sent by the next page load.
 */
import { backoffDelay, parseRetryAfter } from './backoff';
import { encodeBatch, utf8Length, type Batch } from './batch';
import { parseUser } from './session';
import { isRecord, readJson, removeKey, writeJson, type KeyValueStore } from './storage';

/** Browsers allow 64 KiB of keepalive request bodies in flight per page. */
export const KEEPALIVE_BUDGET_BYTES = 60 * 1024;
/** Above this, queued batches are dropped oldest first (the gateway is unreachable). */
export const MAX_QUEUED_BYTES = 16 * 1024 * 1024;
/** Batches kept in localStorage for the next page load, at most. */
export const MAX_UNSENT_STORED_CHARS = 1024 * 1024;
/** Batches kept in localStorage older than this are discarded rather than sent. */
export const MAX_UNSENT_AGE_MS = 24 * 60 * 60_000;

/** How often a batch answered 500 is sent again before it is dropped. */
export const MAX_INTERNAL_ERROR_RETRIES = 3;

export type Gzip = (text: string) => Promise<ArrayBuffer>;

export interface TransportDeps {
  fetch: typeof fetch;
  sendBeacon: ((url: string, data: Blob) => boolean) | null;
  gzip: Gzip | null;
  now: () => number;
  random: () => number;
  setTimeout: (callback: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
  warn: (message: string) => void;
  /** localStorage, for batches that could not be handed over on unload. */
  store: KeyValueStore;
}

export type SendOutcome =
  | { kind: 'ok' }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'drop'; status: number }
  | { kind: 'refused'; status: number };

/**
 * What to do after an attempt that got `status` (0 for a network error).
 * `internalErrors` counts the 500s this batch got, this one included.
 */
export function classifyResponse(
  status: number,
  retryAfterMs: number | null,
  attempt: number,
  random: () => number,
  internalErrors = 0,
): SendOutcome {
  if (status >= 200 && status < 300) {
    return { kind: 'ok' };
  }
  if (status === 500 && internalErrors > MAX_INTERNAL_ERROR_RETRIES) {
    return { kind: 'drop', status };
  }
  const retryable = status === 0 || status === 408 || status === 429 || status >= 500;
  if (retryable) {
    const backoff = backoffDelay(attempt, random);
    const delayMs = (status === 429 || status === 503) && retryAfterMs !== null ? Math.max(retryAfterMs, 250) : backoff;
    return { kind: 'retry', delayMs: Math.min(delayMs, 10 * 60_000) };
  }
  if (status === 401) {
    return { kind: 'refused', status };
  }
  return { kind: 'drop', status };
}

/** A gzip encoder built on CompressionStream, or null where the browser has none. */
export function compressionStreamGzip(): Gzip | null {
  if (typeof CompressionStream !== 'function' || typeof Blob !== 'function' || typeof Response !== 'function') {
    return null;
  }
  return (text) => {
    const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
    return new Response(stream).arrayBuffer();
  };
}

interface QueuedBatch extends Batch {
  /** Position in the send order; retried and restored batches keep theirs. */
  order: number;
  attempts: number;
  /** Attempts answered 500, which are retried a bounded number of times. */
  internalErrors: number;
}

interface StoredBatch {
  session_id: string;
  window_id: string;
  seq: number;
  user?: Batch['user'];
  events: string[];
  saved_at: number;
}

function parseStoredBatch(raw: unknown): StoredBatch | null {
  if (!isRecord(raw)) {
    return null;
  }
  const { session_id, window_id, seq, events, saved_at } = raw;
  if (
    typeof session_id !== 'string' ||
    typeof window_id !== 'string' ||
    typeof seq !== 'number' ||
    typeof saved_at !== 'number' ||
    !Array.isArray(events) ||
    events.length === 0 ||
    !events.every((event) => typeof event === 'string')
  ) {
    return null;
  }
  const stored: StoredBatch = { session_id, window_id, seq, events: events as string[], saved_at };
  const user = parseUser(raw.user);
  if (user) {
    stored.user = user;
  }
  return stored;
}

function sameBatch(a: { session_id: string; window_id: string; seq: number }, b: { session_id: string; window_id: string; seq: number }): boolean {
  return a.seq === b.seq && a.window_id === b.window_id && a.session_id === b.session_id;
}

export class Transport {
  /** Unacknowledged batches in send order; the first one may be in flight. */
  private readonly queue: QueuedBatch[] = [];
  private sending: QueuedBatch | null = null;
  private retryTimer: unknown = null;
  private nextOrder = 0;
  private keepaliveBytes = 0;
  private storedUnsent = false;
  private refused = false;
  private waiters: Array<(delivered: boolean) => void> = [];
  private readonly warned = new Set<string>();

  /** Called once when the gateway refuses the key (401). */
  onRefused: (() => void) | null = null;

  constructor(
    private readonly endpoint: string,
    private readonly key: string,
    private readonly deps: TransportDeps,
  ) {}

  private get batchesUrl(): string {
    return `${this.endpoint}/v1/batches`;
  }

  private get keyedBatchesUrl(): string {
    return `${this.endpoint}/v1/batches?key=${encodeURIComponent(this.key)}`;
  }

  /** The number of batches not yet acknowledged. */
  get pending(): number {
    return this.queue.length;
  }

  enqueue(batch: Batch): void {
    if (this.refused) {
      return;
    }
    this.insert({ ...batch, order: this.nextOrder++, attempts: 0, internalErrors: 0 });
    this.enforceQueueLimit();
    this.pump();
  }

  /**
   * Sends what is queued without waiting for a pending retry. Resolves true
   * once the queue is empty, false as soon as a batch has to wait for a retry.
   */
  flush(): Promise<boolean> {
    if (this.queue.length === 0) {
      return Promise.resolve(true);
    }
    const result = new Promise<boolean>((resolve) => this.waiters.push(resolve));
    if (this.retryTimer !== null) {
      this.deps.clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    this.pump();
    return result;
  }

  /** Hands every queued batch to the browser, for a page that is hidden or unloading. */
  flushOnUnload(): void {
    const unsent: QueuedBatch[] = [];
    for (const batch of [...this.queue]) {
      if (!this.handOver(batch)) {
        unsent.push(batch);
      }
    }
    if (unsent.length > 0) {
      this.storeUnsent(unsent);
    }
  }

  /** Queues the batches an earlier page stored because it could not send them. */
  restoreUnsent(): number {
    const raw = readJson(this.deps.store, this.unsentKey);
    if (raw === null) {
      return 0;
    }
    removeKey(this.deps.store, this.unsentKey);
    if (!Array.isArray(raw)) {
      return 0;
    }
    const now = this.deps.now();
    let restored = 0;
    for (const item of raw) {
      const stored = parseStoredBatch(item);
      if (stored === null || now - stored.saved_at > MAX_UNSENT_AGE_MS) {
        continue;
      }
      const batch: Batch = {
        session_id: stored.session_id,
        window_id: stored.window_id,
        seq: stored.seq,
        events: stored.events,
        bytes: 2 + stored.events.length - 1 + stored.events.reduce((sum, event) => sum + utf8Length(event), 0),
      };
      if (stored.user) {
        batch.user = stored.user;
      }
      this.enqueue(batch);
      restored++;
    }
    return restored;
  }

  private get unsentKey(): string {
    return `playback.unsent.${this.key}`;
  }

  private insert(batch: QueuedBatch): void {
    if (this.queue.some((queued) => sameBatch(queued, batch))) {
      return;
    }
    let index = this.queue.length;
    while (index > 0 && this.queue[index - 1].order > batch.order) {
      index--;
    }
    this.queue.splice(index, 0, batch);
  }

  private remove(batch: QueuedBatch): void {
    const index = this.queue.indexOf(batch);
    if (index >= 0) {
      this.queue.splice(index, 1);
    }
  }

  private enforceQueueLimit(): void {
    let total = 0;
    for (const batch of this.queue) {
      total += batch.bytes;
    }
    while (total > MAX_QUEUED_BYTES && this.queue.length > 1) {
      const oldest = this.queue.find((batch) => batch !== this.sending);
      if (!oldest) {
        break;
      }
      this.remove(oldest);
      total -= oldest.bytes;
      this.warnOnce('queue-full', 'send queue full; dropping the oldest batches');
    }
  }

  private warnOnce(kind: string, message: string): void {
    if (!this.warned.has(kind)) {
      this.warned.add(kind);
      this.deps.warn(message);
    }
  }

  private settleWaiters(delivered: boolean): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) {
      resolve(delivered);
    }
  }

  private pump(): void {
    if (this.sending !== null || this.retryTimer !== null) {
      return;
    }
    const batch = this.queue[0];
    if (batch === undefined) {
      this.settleWaiters(true);
      return;
    }
    this.sending = batch;
    void this.attempt(batch).then((outcome) => {
      this.sending = null;
      this.settle(batch, outcome);
      if (outcome.kind === 'retry') {
        batch.attempts++;
        this.settleWaiters(false);
        this.retryTimer = this.deps.setTimeout(() => {
          this.retryTimer = null;
          this.pump();
        }, outcome.delayMs);
        return;
      }
      this.pump();
    });
  }

  private settle(batch: QueuedBatch, outcome: SendOutcome): void {
    switch (outcome.kind) {
      case 'ok':
        this.remove(batch);
        this.forgetUnsent(batch);
        return;
      case 'retry':
        return;
      case 'drop':
        this.remove(batch);
        this.forgetUnsent(batch);
        this.warnOnce(`drop-${outcome.status}`, `batch rejected with status ${outcome.status}; dropped`);
        return;
      case 'refused':
        this.refuse(outcome.status);
        return;
    }
  }

  private refuse(status: number): void {
    if (this.refused) {
      return;
    }
    this.refused = true;
    this.queue.length = 0;
    this.settleWaiters(false);
    this.warnOnce('refused', `project key refused (${status}); recording stopped`);
    this.onRefused?.();
  }

  private async attempt(batch: QueuedBatch): Promise<SendOutcome> {
    const body = encodeBatch(batch, this.deps.now());
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'X-Playback-Key': this.key,
    };
    let payload: string | ArrayBuffer = body;
    if (this.deps.gzip) {
      try {
        payload = await this.deps.gzip(body);
        headers['Content-Encoding'] = 'gzip';
      } catch {
        payload = body;
      }
    }
    let response: Response;
    try {
      response = await this.deps.fetch(this.batchesUrl, {
        method: 'POST',
        body: payload,
        headers,
        credentials: 'omit',
      });
    } catch {
      return classifyResponse(0, null, batch.attempts, this.deps.random);
    }
    if (response.status === 500) {
      batch.internalErrors++;
    }
    const retryAfter = parseRetryAfter(response.headers.get('Retry-After'), this.deps.now());
    return classifyResponse(response.status, retryAfter, batch.attempts, this.deps.random, batch.internalErrors);
  }

  /**
   * Sends one batch in a way that survives the page: a keepalive fetch or a
   * beacon, as a CORS-simple request with the key in the query string.
   * Returns false when the browser would take neither.
   */
  private handOver(batch: QueuedBatch): boolean {
    const body = encodeBatch(batch, this.deps.now());
    const size = utf8Length(body);
    if (this.keepaliveBytes + size <= KEEPALIVE_BUDGET_BYTES) {
      this.keepaliveBytes += size;
      this.remove(batch);
      let request: Promise<Response>;
      try {
        request = this.deps.fetch(this.keyedBatchesUrl, {
          method: 'POST',
          body,
          headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
          credentials: 'omit',
          keepalive: true,
        });
      } catch {
        this.keepaliveBytes -= size;
        this.insert(batch);
        return this.beacon(batch, body);
      }
      request.then(
        (response) => {
          this.keepaliveBytes -= size;
          const outcome = classifyResponse(response.status, null, batch.attempts, this.deps.random);
          this.afterHandOver(batch, outcome);
        },
        () => {
          this.keepaliveBytes -= size;
          this.afterHandOver(batch, { kind: 'retry', delayMs: 0 });
        },
      );
      return true;
    }
    return this.beacon(batch, body);
  }

  private beacon(batch: QueuedBatch, body: string): boolean {
    const sendBeacon = this.deps.sendBeacon;
    if (sendBeacon === null) {
      return false;
    }
    let accepted = false;
    try {
      accepted = sendBeacon(this.keyedBatchesUrl, new Blob([body], { type: 'text/plain;charset=UTF-8' }));
    } catch {
      accepted = false;
    }
    if (accepted) {
      this.remove(batch);
    }
    return accepted;
  }

  /** A handed-over request answered while the page still lives: put failures back in the queue. */
  private afterHandOver(batch: QueuedBatch, outcome: SendOutcome): void {
    if (outcome.kind === 'retry') {
      this.insert(batch);
      this.pump();
    } else {
      this.settle(batch, outcome);
    }
  }

  private storeUnsent(batches: QueuedBatch[]): void {
    const existing = readJson(this.deps.store, this.unsentKey);
    const kept: StoredBatch[] = [];
    if (Array.isArray(existing)) {
      for (const item of existing) {
        const stored = parseStoredBatch(item);
        if (stored !== null) {
          kept.push(stored);
        }
      }
    }
    const now = this.deps.now();
    let chars = JSON.stringify(kept).length;
    for (const batch of batches) {
      if (kept.some((stored) => sameBatch(stored, batch))) {
        continue;
      }
      const stored: StoredBatch = {
        session_id: batch.session_id,
        window_id: batch.window_id,
        seq: batch.seq,
        events: batch.events,
        saved_at: now,
      };
      if (batch.user) {
        stored.user = batch.user;
      }
      const storedChars = JSON.stringify(stored).length + 1;
      if (chars + storedChars > MAX_UNSENT_STORED_CHARS) {
        this.warnOnce('unsent-full', 'batches left unsent at unload exceed the storage limit; some are lost');
        continue;
      }
      chars += storedChars;
      kept.push(stored);
    }
    if (writeJson(this.deps.store, this.unsentKey, kept)) {
      this.storedUnsent = true;
    }
  }

  private forgetUnsent(batch: QueuedBatch): void {
    if (!this.storedUnsent) {
      return;
    }
    const existing = readJson(this.deps.store, this.unsentKey);
    if (!Array.isArray(existing)) {
      this.storedUnsent = false;
      return;
    }
    const kept = existing.filter((item) => {
      const stored = parseStoredBatch(item);
      return stored !== null && !sameBatch(stored, batch);
    });
    if (kept.length === 0) {
      removeKey(this.deps.store, this.unsentKey);
      this.storedUnsent = false;
    } else if (kept.length !== existing.length) {
      writeJson(this.deps.store, this.unsentKey, kept);
    }
  }
}

/**
 * Per-tab state in sessionStorage: the window (tab) id and the next batch
 * `seq` for the current session. A reload keeps both, so seq never repeats
 * for a (session, window) pair. Browsers copy sessionStorage into a
 * duplicated tab or a window opened with window.open; `WindowClaims` detects
 * that and the copy takes a new window id.
 */
import { isRecord, readJson, writeJson, type KeyValueStore } from './storage';

export interface WindowState {
  window_id: string;
  session_id: string;
  next_seq: number;
}

const WINDOW_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function parseWindowState(raw: unknown): WindowState | null {
  if (!isRecord(raw)) {
    return null;
  }
  const { window_id, session_id, next_seq } = raw;
  if (
    typeof window_id !== 'string' ||
    !WINDOW_ID_PATTERN.test(window_id) ||
    typeof session_id !== 'string' ||
    typeof next_seq !== 'number' ||
    !Number.isSafeInteger(next_seq) ||
    next_seq < 0
  ) {
    return null;
  }
  return { window_id, session_id, next_seq };
}

/**
 * The state for `sessionId`: the stored window id is kept, and the sequence
 * restarts at 0 when the session is not the stored one.
 */
export function windowStateFor(stored: WindowState | null, sessionId: string, newWindowId: () => string): WindowState {
  if (stored === null) {
    return { window_id: newWindowId(), session_id: sessionId, next_seq: 0 };
  }
  if (stored.session_id === sessionId) {
    return { ...stored };
  }
  return { window_id: stored.window_id, session_id: sessionId, next_seq: 0 };
}

export class WindowSequence {
  private state: WindowState;

  constructor(
    private readonly store: KeyValueStore,
    private readonly storageKey: string,
    private readonly newWindowId: () => string,
  ) {
    const stored = parseWindowState(readJson(store, storageKey));
    this.state = stored ?? { window_id: newWindowId(), session_id: '', next_seq: 0 };
    this.save();
  }

  /** True when the window id came from storage (a reload, or a copied tab). */
  static hasStored(store: KeyValueStore, storageKey: string): boolean {
    return parseWindowState(readJson(store, storageKey)) !== null;
  }

  get windowId(): string {
    return this.state.window_id;
  }

  get sessionId(): string {
    return this.state.session_id;
  }

  /** Switches to `sessionId`; the sequence restarts at 0 for a different session. */
  bindSession(sessionId: string): void {
    this.state = windowStateFor(this.state, sessionId, this.newWindowId);
    this.save();
  }

  /** Gives up this window id (it belongs to another tab) and starts a new sequence. */
  renewWindowId(): void {
    this.state = { window_id: this.newWindowId(), session_id: this.state.session_id, next_seq: 0 };
    this.save();
  }

  /** Allocates the next seq. It is stored before use, so a reload cannot reuse it. */
  nextSeq(): number {
    const seq = this.state.next_seq;
    this.state = { ...this.state, next_seq: seq + 1 };
    this.save();
    return seq;
  }

  private save(): void {
    writeJson(this.store, this.storageKey, this.state);
  }
}

interface ClaimMessage {
  type: 'probe' | 'taken';
  window_id: string;
  nonce: string;
}

function isClaimMessage(value: unknown): value is ClaimMessage {
  return (
    isRecord(value) &&
    (value.type === 'probe' || value.type === 'taken') &&
    typeof value.window_id === 'string' &&
    typeof value.nonce === 'string'
  );
}

/**
 * Tabs of one origin answer, over a BroadcastChannel, whether they own a
 * window id. A page that found its window id in sessionStorage asks before
 * using it; an answer means the tab was duplicated and needs a new id.
 */
export class WindowClaims {
  private readonly channel: BroadcastChannel | null;
  private readonly pending = new Map<string, () => void>();

  constructor(
    channelName: string,
    private readonly ownWindowId: () => string,
    private readonly nonce: string,
  ) {
    this.channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(channelName) : null;
    if (this.channel) {
      this.channel.onmessage = (event: MessageEvent) => this.onMessage(event.data);
    }
  }

  /** Resolves true when another live tab answers that it uses `windowId`. */
  isTaken(windowId: string, timeoutMs: number): Promise<boolean> {
    const channel = this.channel;
    if (channel === null) {
      return Promise.resolve(false);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(windowId);
        resolve(false);
      }, timeoutMs);
      this.pending.set(windowId, () => {
        clearTimeout(timer);
        this.pending.delete(windowId);
        resolve(true);
      });
      const probe: ClaimMessage = { type: 'probe', window_id: windowId, nonce: this.nonce };
      channel.postMessage(probe);
    });
  }

  close(): void {
    this.channel?.close();
  }

  private onMessage(data: unknown): void {
    if (!isClaimMessage(data) || data.nonce === this.nonce) {
      return;
    }
    if (data.type === 'probe' && data.window_id === this.ownWindowId()) {
      const answer: ClaimMessage = { type: 'taken', window_id: data.window_id, nonce: this.nonce };
      this.channel?.postMessage(answer);
    } else if (data.type === 'taken') {
      this.pending.get(data.window_id)?.();
    }
  }
}

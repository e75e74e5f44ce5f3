/**
 * Visitor sessions. One session is shared by all tabs of an origin through
 * localStorage. A session ends after `session_idle_timeout_ms` without
 * activity or `session_max_ms` after it started; the next activity then
 * starts a new one. The sampling draw is made once per session and stored
 * with it, so every tab of a session agrees on whether it is recorded.
 */
import { isRecord, readJson, writeJson, type KeyValueStore } from './storage';
import { isUuid } from './uuid';

export interface UserIdentity {
  id: string;
  traits: Record<string, unknown>;
}

export interface SessionState {
  id: string;
  started_at: number;
  last_activity_at: number;
  /** Uniform draw in [0, 1); the session is recorded when it is below the sample rate. */
  sample_draw: number;
  user?: UserIdentity;
}

export interface SessionTimeouts {
  idleTimeoutMs: number;
  maxSessionMs: number;
}

export type SessionExpiry = 'idle' | 'max_age';

/**
 * Why the session in use changed: `new` when there was none, `resumed` when a
 * page picks up the stored session, `idle` or `max_age` when the previous one
 * expired, `adopted` when another tab started a session this page joins.
 */
export type SessionChangeReason = 'new' | 'resumed' | SessionExpiry | 'adopted';

export interface SessionChange {
  state: SessionState;
  /** Set when the session id differs from the one in use before the call. */
  changed: SessionChangeReason | null;
}

export interface SessionDeps {
  newId: (nowMs: number) => string;
  random: () => number;
}

/** Activity is written to storage at most this often; other tabs see it that late. */
export const ACTIVITY_PERSIST_INTERVAL_MS = 1_000;

export function sessionExpiry(state: SessionState, nowMs: number, timeouts: SessionTimeouts): SessionExpiry | null {
  if (nowMs - state.started_at >= timeouts.maxSessionMs) {
    return 'max_age';
  }
  if (nowMs - state.last_activity_at >= timeouts.idleTimeoutMs) {
    return 'idle';
  }
  return null;
}

export function isSampledIn(state: SessionState, sampleRate: number): boolean {
  return state.sample_draw < sampleRate;
}

export function createSession(nowMs: number, deps: SessionDeps, user?: UserIdentity): SessionState {
  const state: SessionState = {
    id: deps.newId(nowMs),
    started_at: nowMs,
    last_activity_at: nowMs,
    sample_draw: deps.random(),
  };
  if (user) {
    state.user = user;
  }
  return state;
}

export function parseUser(raw: unknown): UserIdentity | undefined {
  if (!isRecord(raw) || typeof raw.id !== 'string' || raw.id === '') {
    return undefined;
  }
  return { id: raw.id, traits: isRecord(raw.traits) ? raw.traits : {} };
}

/** Validates a stored session; anything malformed reads as no session. */
export function parseSessionState(raw: unknown): SessionState | null {
  if (!isRecord(raw)) {
    return null;
  }
  const { id, started_at, last_activity_at, sample_draw } = raw;
  if (
    !isUuid(id) ||
    typeof started_at !== 'number' ||
    typeof last_activity_at !== 'number' ||
    typeof sample_draw !== 'number' ||
    !(sample_draw >= 0 && sample_draw < 1)
  ) {
    return null;
  }
  const state: SessionState = { id, started_at, last_activity_at, sample_draw };
  const user = parseUser(raw.user);
  if (user) {
    state.user = user;
  }
  return state;
}

/** The session in use by this page, kept in sync with the one in storage. */
export class SessionManager {
  private state: SessionState | null = null;
  private lastStoredAt = -Infinity;

  constructor(
    private readonly store: KeyValueStore,
    private readonly storageKey: string,
    private readonly timeouts: SessionTimeouts,
    private readonly deps: SessionDeps,
  ) {}

  get current(): SessionState | null {
    return this.state;
  }

  isExpired(nowMs: number): boolean {
    return this.state === null || sessionExpiry(this.state, nowMs, this.timeouts) !== null;
  }

  /**
   * Records activity at `nowMs`: continues the stored session (possibly one
   * started by another tab), or starts a new one when it has expired.
   */
  touch(nowMs: number): SessionChange {
    const previous = this.state;
    if (
      previous !== null &&
      nowMs - this.lastStoredAt < ACTIVITY_PERSIST_INTERVAL_MS &&
      sessionExpiry(previous, nowMs, this.timeouts) === null
    ) {
      previous.last_activity_at = Math.max(previous.last_activity_at, nowMs);
      return { state: previous, changed: null };
    }

    const stored = this.load();
    let next: SessionState;
    let reason: SessionChangeReason | null;
    if (stored !== null && sessionExpiry(stored, nowMs, this.timeouts) === null) {
      next = { ...stored, last_activity_at: Math.max(stored.last_activity_at, nowMs) };
      reason = previous === null ? 'resumed' : previous.id === stored.id ? null : 'adopted';
    } else if (previous !== null && previous.id !== stored?.id && sessionExpiry(previous, nowMs, this.timeouts) === null) {
      // Storage lost the session (cleared, or not writable): keep the one in memory.
      next = { ...previous, last_activity_at: nowMs };
      reason = null;
    } else {
      const last = stored ?? previous;
      next = createSession(nowMs, this.deps, last?.user ?? previous?.user);
      reason = last === null ? 'new' : sessionExpiry(last, nowMs, this.timeouts) ?? 'new';
    }
    this.state = next;
    this.save(next, nowMs);
    return { state: next, changed: reason };
  }

  /**
   * Takes in a session written by another tab (on a `storage` event). An
   * expired or missing stored session is ignored: the next activity decides.
   */
  sync(nowMs: number): SessionChange | null {
    const stored = this.load();
    if (stored === null || sessionExpiry(stored, nowMs, this.timeouts) !== null) {
      return null;
    }
    const previous = this.state;
    if (previous !== null && previous.id === stored.id) {
      stored.last_activity_at = Math.max(stored.last_activity_at, previous.last_activity_at);
      this.state = stored;
      return { state: stored, changed: null };
    }
    this.state = stored;
    return { state: stored, changed: 'adopted' };
  }

  setUser(user: UserIdentity, nowMs: number): void {
    if (this.state === null) {
      return;
    }
    this.state.user = user;
    this.save(this.state, nowMs);
  }

  private load(): SessionState | null {
    return parseSessionState(readJson(this.store, this.storageKey));
  }

  private save(state: SessionState, nowMs: number): void {
    writeJson(this.store, this.storageKey, state);
    this.lastStoredAt = nowMs;
  }
}

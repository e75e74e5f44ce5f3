/**
 * The recorder for one page: loads the project config, keeps the session and
 * window state, runs rrweb `record` and hands batches to the transport.
 *
 * Lifecycle: `loading` until the config arrives, then `active` (recording, or
 * waiting while this session is sampled out), and `off` once the project is
 * disabled, the key is refused, or `stop()` was called.
 */
import { record, type recordOptions } from 'rrweb';
import { EventType, IncrementalSource, type eventWithTime } from '@rrweb/types';
import { sleep } from './backoff';
import { EventBuffer, MAX_EVENTS_PER_BATCH, screenSize, type EventGroup } from './batch';
import {
  errorEventPayload,
  EXCEPTION_TAG,
  IDENTIFY_TAG,
  onLocationChange,
  PAGEVIEW_TAG,
  pageviewPayload,
  rejectionPayload,
} from './capture';
import { loadConfig, type ProjectConfig } from './config';
import { compilePatterns, maskAll, maskEventText, maskMatches, maskFormState, scrubUrls } from './privacy';
import { SelectChanges } from './select-changes';
import { isSampledIn, SessionManager, type SessionState, type UserIdentity } from './session';
import { browserStore, type KeyValueStore } from './storage';
import { compressionStreamGzip, Transport } from './transport';
import { uuidv7 } from './uuid';
import { WindowClaims, WindowSequence } from './window';

export interface RecorderOptions {
  /** Project key, e.g. `pk_demo`. */
  key: string;
  /** Origin of the Playback server, without a trailing slash. */
  endpoint: string;
  /** Extra CSS selector of elements recorded as empty boxes (besides `.pb-block`). */
  blockSelector?: string;
  /** Extra CSS selector of elements whose whole text is masked (besides `.pb-mask` and `[data-pb-mask]`). */
  maskTextSelector?: string;
}

/** Every input value is replaced by this, whatever its length. */
export const INPUT_MASK = '*'.repeat(8);
/** Text typed into editable elements is masked like `.pb-mask` text. */
const EDITABLE_SELECTOR = '[contenteditable]:not([contenteditable="false"])';
/** Elements whose whole text is masked, whatever the project's `mask_text`. */
const SENSITIVE_SELECTOR = '.pb-mask, [data-pb-mask]';
/** Never recorded: their values are meant for the server, not for the visitor. */
const HIDDEN_INPUT_SELECTOR = 'input[type="hidden" i]';
/** How long a page whose window id came from sessionStorage waits to learn it is a copy. */
const WINDOW_CLAIM_TIMEOUT_MS = 200;
/** Custom events kept while recording has not started yet. */
const MAX_PENDING_EVENTS = 100;
const ACTIVITY_EVENTS = ['mousedown', 'mousemove', 'pointerdown', 'keydown', 'touchstart', 'scroll', 'wheel', 'input'];

type MaskInputOptions = NonNullable<recordOptions<eventWithTime>['maskInputOptions']>;

const MASK_ALL_INPUTS: MaskInputOptions = {
  color: true,
  date: true,
  'datetime-local': true,
  email: true,
  month: true,
  number: true,
  range: true,
  search: true,
  tel: true,
  text: true,
  time: true,
  url: true,
  week: true,
  textarea: true,
  select: true,
  password: true,
};

interface PendingEvent {
  tag: string;
  payload: unknown;
}

function warn(message: string): void {
  if (typeof console !== 'undefined') {
    console.warn(`[playback] ${message}`);
  }
}

function jsonClone(value: unknown): unknown {
  try {
    const json = JSON.stringify(value);
    return json === undefined ? undefined : (JSON.parse(json) as unknown);
  } catch {
    return undefined;
  }
}

/** A plain JSON object copy of `value`, or `{}` when it is not one. */
export function toJsonObject(value: unknown): Record<string, unknown> {
  const clone = jsonClone(value);
  return typeof clone === 'object' && clone !== null && !Array.isArray(clone) ? (clone as Record<string, unknown>) : {};
}

/** The element, or one of its ancestors, matches `selector`. */
function isSensitive(element: HTMLElement | null, selector: string): boolean {
  if (element === null) {
    return false;
  }
  try {
    return element.closest(selector) !== null;
  } catch {
    // An invalid selector from the page's options: mask rather than leak.
    return true;
  }
}

export class Recorder {
  private phase: 'loading' | 'active' | 'off' = 'loading';
  private config: ProjectConfig | null = null;
  private readonly local: KeyValueStore = browserStore('localStorage');
  private readonly perTab: KeyValueStore = browserStore('sessionStorage');
  private readonly windows: WindowSequence;
  private readonly claims: WindowClaims;
  /** Resolves true when another tab owns the window id found in sessionStorage. */
  private readonly windowCheck: Promise<boolean>;
  private sessions: SessionManager | null = null;
  private transport: Transport | null = null;
  private buffer: EventBuffer | null = null;

  /** rrweb `record` is running (it may still wait for the page to load). */
  private recording = false;
  /** rrweb has emitted its first FullSnapshot, so custom events can be added. */
  private rrwebReady = false;
  private seenMeta = false;
  private stopRrweb: (() => void) | null = null;
  private pending: PendingEvent[] = [];
  private pendingUser: UserIdentity | null = null;
  private lastPageviewHref: string | null = null;
  private pageviewScheduled = false;
  private flushTimer: ReturnType<typeof setInterval> | null = null;
  private selectChanges = new SelectChanges();
  /** The project's text patterns, compiled when recording starts. */
  private textPatterns: RegExp[] = [];
  private readonly cleanups: Array<() => void> = [];

  constructor(private readonly options: RecorderOptions) {
    const windowKey = `playback.window.${options.key}`;
    const hadWindowId = WindowSequence.hasStored(this.perTab, windowKey);
    this.windows = new WindowSequence(this.perTab, windowKey, () => uuidv7());
    this.claims = new WindowClaims(`playback.windows.${options.key}`, () => this.windows.windowId, uuidv7());
    this.windowCheck = hadWindowId ? this.claims.isTaken(this.windows.windowId, WINDOW_CLAIM_TIMEOUT_MS) : Promise.resolve(false);
  }

  get stopped(): boolean {
    return this.phase === 'off';
  }

  /** The id of the session being recorded, or null while nothing is recorded. */
  getSessionId(): string | null {
    return this.recording ? (this.sessions?.current?.id ?? null) : null;
  }

  async start(): Promise<void> {
    this.listen(window, 'error', (event) => this.addEvent(EXCEPTION_TAG, errorEventPayload(event as ErrorEvent)));
    this.listen(window, 'unhandledrejection', (event) =>
      this.addEvent(EXCEPTION_TAG, rejectionPayload((event as PromiseRejectionEvent).reason)),
    );

    const config = await loadConfig(this.options.endpoint, this.options.key, {
      fetch: (input, init) => fetch(input, init),
      sleep,
      random: Math.random,
      cancelled: () => this.phase === 'off',
      warn,
    });
    if (await this.windowCheck) {
      this.windows.renewWindowId();
    }
    if (config === null || this.phase === 'off') {
      this.shutDown();
      return;
    }
    if (!config.enabled) {
      this.shutDown();
      return;
    }
    this.activate(config);
  }

  identify(userId: string, traits: Record<string, unknown>): void {
    if (this.phase === 'off') {
      return;
    }
    const user: UserIdentity = { id: userId, traits };
    if (this.sessions !== null) {
      this.sessions.setUser(user, Date.now());
    } else {
      this.pendingUser = user;
    }
    this.addEvent(IDENTIFY_TAG, { user_id: userId, traits });
  }

  track(name: string, props: Record<string, unknown>): void {
    this.addEvent(name, props);
  }

  /** Sends everything recorded so far; resolves true once the gateway has accepted it. */
  flush(): Promise<boolean> {
    this.cutBuffer();
    return this.transport ? this.transport.flush() : Promise.resolve(true);
  }

  async stop(): Promise<void> {
    const transport = this.transport;
    this.shutDown();
    if (transport) {
      await transport.flush();
    }
  }

  private activate(config: ProjectConfig): void {
    this.phase = 'active';
    this.config = config;
    const transport = new Transport(this.options.endpoint, this.options.key, {
      fetch: (input, init) => fetch(input, init),
      sendBeacon: typeof navigator.sendBeacon === 'function' ? (url, data) => navigator.sendBeacon(url, data) : null,
      gzip: compressionStreamGzip(),
      now: Date.now,
      random: Math.random,
      setTimeout: (callback, ms) => setTimeout(callback, ms),
      clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
      warn,
      store: this.local,
    });
    transport.onRefused = () => this.shutDown();
    transport.restoreUnsent();
    this.transport = transport;

    const sessions = new SessionManager(
      this.local,
      `playback.session.${this.options.key}`,
      { idleTimeoutMs: config.session_idle_timeout_ms, maxSessionMs: config.session_max_ms },
      { newId: (now) => uuidv7(now), random: Math.random },
    );
    this.sessions = sessions;
    const { state } = sessions.touch(Date.now());
    if (this.pendingUser !== null) {
      sessions.setUser(this.pendingUser, Date.now());
      this.pendingUser = null;
    }
    this.windows.bindSession(state.id);

    const onActivity = (): void => this.onActivity();
    for (const type of ACTIVITY_EVENTS) {
      this.listen(window, type, onActivity, { capture: true, passive: true });
    }
    this.listen(window, 'storage', (event) => this.onStorage(event as StorageEvent));
    this.listen(document, 'visibilitychange', () => {
      if (document.visibilityState === 'hidden') {
        this.flushOnUnload();
      } else {
        this.onActivity();
      }
    });
    this.listen(window, 'pagehide', () => this.flushOnUnload());
    // A select fires `input` before `change`: rrweb has sent what it sends for the change by then.
    this.listen(document, 'change', (event) => this.onChange(event));
    this.cleanups.push(onLocationChange(window, () => this.schedulePageview()));
    this.flushTimer = setInterval(() => this.cutBuffer(), config.flush_interval_ms);

    if (isSampledIn(state, config.sample_rate)) {
      this.startRecording();
    } else {
      this.pending = [];
    }
  }

  private listen(
    target: EventTarget,
    type: string,
    handler: (event: Event) => void,
    options?: AddEventListenerOptions,
  ): void {
    const guarded = (event: Event): void => {
      try {
        handler(event);
      } catch (error) {
        warn(`${type} handler failed: ${String(error)}`);
      }
    };
    target.addEventListener(type, guarded, options);
    this.cleanups.push(() => target.removeEventListener(type, guarded, options));
  }

  private startRecording(): void {
    const config = this.config;
    if (config === null || this.recording) {
      return;
    }
    this.buffer = new EventBuffer({ maxBytes: config.max_batch_bytes, maxEvents: MAX_EVENTS_PER_BATCH });
    this.recording = true;
    this.rrwebReady = false;
    this.seenMeta = false;
    this.lastPageviewHref = null;
    const sensitiveSelector = [SENSITIVE_SELECTOR, this.options.maskTextSelector, EDITABLE_SELECTOR].filter(Boolean).join(', ');
    const blockSelector = [this.options.blockSelector, HIDDEN_INPUT_SELECTOR].filter(Boolean).join(', ');
    const { patterns, invalid } = compilePatterns(config);
    this.textPatterns = patterns;
    if (invalid.length > 0) {
      warn(`text patterns skipped, not regular expressions: ${invalid.join(', ')}`);
    }
    const maskAllText = config.mask_text === 'all';
    const maskText = (text: string, element: HTMLElement | null): string => {
      if (maskAllText || isSensitive(element, sensitiveSelector)) {
        return maskAll(text);
      }
      return maskMatches(text, patterns);
    };
    const stop = record<eventWithTime>({
      emit: (event) => this.onEmit(event),
      recordAfter: 'load',
      inlineStylesheet: true,
      maskAllInputs: true,
      maskInputOptions: MASK_ALL_INPUTS,
      maskInputFn: () => INPUT_MASK,
      blockClass: 'pb-block',
      blockSelector,
      maskTextClass: 'pb-mask',
      // Every text goes through maskText, which decides how much of it to mask.
      maskTextSelector: '*',
      maskTextFn: maskText,
      checkoutEveryNms: config.snapshot_interval_ms,
      inlineImages: config.inline_assets,
      collectFonts: config.inline_assets,
    });
    if (stop === undefined) {
      this.recording = false;
      warn('rrweb could not start recording');
      return;
    }
    this.stopRrweb = stop;
    this.selectChanges = new SelectChanges();
  }

  private stopRecording(): void {
    if (this.stopRrweb !== null) {
      try {
        this.stopRrweb();
      } catch (error) {
        warn(`stopping rrweb failed: ${String(error)}`);
      }
    }
    this.stopRrweb = null;
    this.recording = false;
    this.rrwebReady = false;
    this.pending = [];
    this.cutBuffer();
  }

  private shutDown(): void {
    if (this.phase === 'off') {
      return;
    }
    this.stopRecording();
    this.phase = 'off';
    if (this.flushTimer !== null) {
      clearInterval(this.flushTimer);
      this.flushTimer = null;
    }
    for (const cleanup of this.cleanups.splice(0)) {
      cleanup();
    }
    this.claims.close();
  }

  private onEmit(event: eventWithTime): void {
    const sessions = this.sessions;
    const buffer = this.buffer;
    const config = this.config;
    if (!this.recording || sessions === null || buffer === null || config === null) {
      return;
    }
    if (!this.seenMeta) {
      // DomContentLoaded and Load come before rrweb's first snapshot and carry nothing.
      if (event.type !== EventType.Meta) {
        return;
      }
      this.seenMeta = true;
    }
    if (sessions.isExpired(Date.now())) {
      // The visitor has been away: nothing is kept until the next activity starts a new session.
      return;
    }
    if (event.type === EventType.IncrementalSnapshot && event.data.source === IncrementalSource.Input) {
      this.selectChanges.noteRecorded(event.data.id);
    }
    let json: string;
    try {
      maskFormState(event, (id) => record.mirror.getNode(id));
      // Attribute values, text changes and event payloads, by the rules the gateway applies.
      maskEventText(event, this.textPatterns);
      // The expression stops at quotes and backslashes, so it finds in the JSON text the same
      // parameters it finds in each string: Meta and `$pageview` URLs, attributes, CSS urls.
      json = scrubUrls(JSON.stringify(event), config.scrub_params);
    } catch {
      return;
    }
    for (const group of buffer.add(json)) {
      this.enqueue(group);
    }
    if (event.type === EventType.FullSnapshot && !this.rrwebReady) {
      // rrweb accepts custom events only once record() has finished starting.
      queueMicrotask(() => this.onRecordingReady());
    }
  }

  /** A select changed again to another value that rrweb left out (see select-changes.ts). */
  private onChange(event: Event): void {
    const target = event.target;
    if (!this.recording || !(target instanceof HTMLSelectElement)) {
      return;
    }
    const id = record.mirror.getId(target);
    if (this.selectChanges.changed(target, target.value, id)) {
      const input = { source: IncrementalSource.Input, id, text: INPUT_MASK, isChecked: false };
      this.onEmit({ type: EventType.IncrementalSnapshot, data: input, timestamp: Date.now() } as eventWithTime);
    }
  }

  private onRecordingReady(): void {
    if (!this.recording || this.rrwebReady) {
      return;
    }
    this.rrwebReady = true;
    this.recordPageview();
    const pending = this.pending;
    this.pending = [];
    for (const { tag, payload } of pending) {
      this.addEvent(tag, payload);
    }
  }

  /** Records a custom event now, or keeps it until recording has started. */
  private addEvent(tag: string, payload: unknown): void {
    if (this.phase === 'off') {
      return;
    }
    if (this.rrwebReady) {
      try {
        record.addCustomEvent(tag, payload);
      } catch (error) {
        warn(`custom event dropped: ${String(error)}`);
      }
      return;
    }
    if (this.phase === 'loading' || this.recording) {
      if (this.pending.length < MAX_PENDING_EVENTS) {
        this.pending.push({ tag, payload });
      }
    }
  }

  private schedulePageview(): void {
    if (this.pageviewScheduled) {
      return;
    }
    this.pageviewScheduled = true;
    // Routers usually set the title right after changing the URL.
    setTimeout(() => {
      this.pageviewScheduled = false;
      this.recordPageview();
    }, 0);
  }

  private recordPageview(): void {
    if (!this.rrwebReady) {
      return;
    }
    const href = location.href;
    if (href === this.lastPageviewHref) {
      return;
    }
    const referrer = this.lastPageviewHref ?? document.referrer;
    this.lastPageviewHref = href;
    this.addEvent(PAGEVIEW_TAG, pageviewPayload(href, document.title, referrer));
  }

  private onActivity(): void {
    if (this.sessions === null || this.phase !== 'active') {
      return;
    }
    const change = this.sessions.touch(Date.now());
    if (change.changed !== null) {
      this.onSessionChanged(change.state);
    }
  }

  private onStorage(event: StorageEvent): void {
    if (this.sessions === null || event.key !== `playback.session.${this.options.key}`) {
      return;
    }
    const change = this.sessions.sync(Date.now());
    if (change !== null && change.changed !== null) {
      this.onSessionChanged(change.state);
    }
  }

  /** The page moves to another session: close the old one's batch and start the new one with a snapshot. */
  private onSessionChanged(state: SessionState): void {
    const config = this.config;
    if (config === null) {
      return;
    }
    this.cutBuffer();
    this.windows.bindSession(state.id);
    const wanted = isSampledIn(state, config.sample_rate);
    if (wanted && this.recording) {
      if (this.rrwebReady) {
        try {
          record.takeFullSnapshot(true);
        } catch (error) {
          warn(`snapshot failed: ${String(error)}`);
        }
        this.lastPageviewHref = null;
        this.recordPageview();
      }
    } else if (wanted) {
      this.startRecording();
    } else if (this.recording) {
      this.stopRecording();
    }
  }

  private cutBuffer(): void {
    const group = this.buffer?.take();
    if (group) {
      this.enqueue(group);
    }
  }

  private enqueue(group: EventGroup): void {
    const transport = this.transport;
    if (transport === null || this.windows.sessionId === '') {
      return;
    }
    const user = this.sessions?.current?.user;
    const screen = screenSize(typeof window.screen === 'object' ? window.screen : undefined);
    transport.enqueue({
      session_id: this.windows.sessionId,
      window_id: this.windows.windowId,
      seq: this.windows.nextSeq(),
      ...(user ? { user } : {}),
      ...(screen ? { screen } : {}),
      events: group.events,
      bytes: group.bytes,
    });
  }

  private flushOnUnload(): void {
    this.cutBuffer();
    this.transport?.flushOnUnload();
  }
}

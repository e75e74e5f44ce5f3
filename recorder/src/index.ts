/**
 * The browser bundle (`/recorder.js`). It defines `window.Playback` and starts
 * recording by itself when its own `<script>` tag has a `data-key`:
 *
 *   <script src="https://playback.example/recorder.js" data-key="pk_demo" async></script>
 *
 * The endpoint is the origin of the script's `src`, or `data-endpoint`.
 */
import { tabOptedOut } from './no-record';
import { Recorder, toJsonObject } from './recorder';
import { browserStore } from './storage';

export interface InitOptions {
  /** Project key, e.g. `pk_demo`. */
  key: string;
  /** Origin of the Playback server; defaults to the origin the script was loaded from. */
  endpoint?: string;
  /** Extra CSS selector of elements recorded as empty boxes (besides `.pb-block`). */
  blockSelector?: string;
  /** Extra CSS selector of elements whose text is masked (besides `.pb-mask`). */
  maskTextSelector?: string;
}

export interface PlaybackApi {
  init(options: InitOptions): void;
  identify(userId: string, traits?: Record<string, unknown>): void;
  track(name: string, props?: Record<string, unknown>): void;
  getSessionId(): string | null;
  flush(): Promise<boolean>;
  stop(): Promise<void>;
}

type QueuedCall = ['identify' | 'track', unknown[]];

declare global {
  interface Window {
    Playback?: PlaybackApi | { q?: unknown[] };
  }
}

const MARKER = '__playback_recorder__';
const MAX_EARLY_CALLS = 100;

function warn(message: string): void {
  if (typeof console !== 'undefined') {
    console.warn(`[playback] ${message}`);
  }
}

function ownScript(): HTMLScriptElement | null {
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement) {
    return current;
  }
  return document.querySelector<HTMLScriptElement>('script[data-key][src*="recorder"]');
}

function scriptOrigin(script: HTMLScriptElement | null): string | null {
  if (script === null || script.src === '') {
    return null;
  }
  try {
    return new URL(script.src, location.href).origin;
  } catch {
    return null;
  }
}

function install(): void {
  const existing = window.Playback as (Record<string, unknown> & { q?: unknown[] }) | undefined;
  if (existing && existing[MARKER] === true) {
    return;
  }
  const script = ownScript();
  const defaultEndpoint = scriptOrigin(script) ?? location.origin;
  let recorder: Recorder | null = null;
  let early: QueuedCall[] = [];
  const optedOut = tabOptedOut({
    href: location.href,
    tabStore: browserStore('sessionStorage'),
    replaceUrl: (url) => history.replaceState(history.state, '', url),
  });

  const call = (method: 'identify' | 'track', args: unknown[]): void => {
    if (optedOut) {
      return;
    }
    if (recorder === null || recorder.stopped) {
      if (early.length < MAX_EARLY_CALLS) {
        early.push([method, args]);
      }
      return;
    }
    if (method === 'identify') {
      const [userId, traits] = args;
      if ((typeof userId !== 'string' && typeof userId !== 'number') || String(userId) === '') {
        warn('identify() needs a non-empty user id');
        return;
      }
      recorder.identify(String(userId), toJsonObject(traits));
    } else {
      const [name, props] = args;
      if (typeof name !== 'string' || name === '') {
        warn('track() needs an event name');
        return;
      }
      if (name.startsWith('$')) {
        warn('event names starting with $ are reserved');
        return;
      }
      recorder.track(name, toJsonObject(props));
    }
  };

  const api: PlaybackApi & { [MARKER]: true } = {
    [MARKER]: true,
    init(options: InitOptions): void {
      if (recorder !== null && !recorder.stopped) {
        warn('already initialized');
        return;
      }
      if (!options || typeof options.key !== 'string' || options.key === '') {
        warn('init() needs a project key');
        return;
      }
      if (optedOut) {
        // `__playback_no_record=1`: this tab is an analyst's look at the site.
        early = [];
        return;
      }
      const endpoint = (options.endpoint || defaultEndpoint).replace(/\/+$/, '');
      recorder = new Recorder({
        key: options.key,
        endpoint,
        blockSelector: options.blockSelector,
        maskTextSelector: options.maskTextSelector,
      });
      void recorder.start();
      const calls = early;
      early = [];
      for (const [method, args] of calls) {
        call(method, args);
      }
    },
    identify(userId: string, traits?: Record<string, unknown>): void {
      call('identify', [userId, traits]);
    },
    track(name: string, props?: Record<string, unknown>): void {
      call('track', [name, props]);
    },
    getSessionId(): string | null {
      return recorder === null ? null : recorder.getSessionId();
    },
    flush(): Promise<boolean> {
      return recorder === null ? Promise.resolve(true) : recorder.flush();
    },
    stop(): Promise<void> {
      return recorder === null ? Promise.resolve() : recorder.stop();
    },
  };
  window.Playback = api;

  // Calls made through a stub (`window.Playback = {q: [['track', 'x', {}]]}`) before the bundle loaded.
  if (existing && Array.isArray(existing.q)) {
    for (const entry of existing.q) {
      if (Array.isArray(entry) && (entry[0] === 'identify' || entry[0] === 'track')) {
        call(entry[0], entry.slice(1));
      }
    }
  }

  const key = script?.dataset.key;
  if (key) {
    api.init({ key, endpoint: script?.dataset.endpoint || defaultEndpoint });
  }
}

install();

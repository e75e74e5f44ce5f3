/**
 * Page-level signals recorded as rrweb custom events: page views
 * (`$pageview`), uncaught errors and unhandled rejections (`$exception`).
 */

export const PAGEVIEW_TAG = '$pageview';
export const EXCEPTION_TAG = '$exception';
export const IDENTIFY_TAG = '$identify';

/** Longest string kept in an exception payload. */
export const MAX_EXCEPTION_STRING = 4096;

export interface ExceptionPayload {
  message: string;
  stack: string;
  source: 'error' | 'unhandledrejection';
  filename: string;
  lineno: number;
  colno: number;
}

export interface PageviewPayload {
  href: string;
  title: string;
  referrer: string;
}

export function truncate(text: string, max: number = MAX_EXCEPTION_STRING): string {
  if (text.length <= max) {
    return text;
  }
  return text.slice(0, Math.max(0, max - 1)) + '…';
}

function describe(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  if (value instanceof Error) {
    return `${value.name}: ${value.message}`;
  }
  try {
    const json = JSON.stringify(value);
    return json === undefined ? String(value) : json;
  } catch {
    return String(value);
  }
}

function stackOf(value: unknown): string {
  if (typeof value === 'object' && value !== null && 'stack' in value) {
    const stack = (value as { stack?: unknown }).stack;
    return typeof stack === 'string' ? stack : '';
  }
  return '';
}

/** The fields of an ErrorEvent that an `$exception` needs. */
export interface ErrorEventLike {
  message?: unknown;
  error?: unknown;
  filename?: unknown;
  lineno?: unknown;
  colno?: unknown;
}

export function errorEventPayload(event: ErrorEventLike): ExceptionPayload {
  const message = typeof event.message === 'string' && event.message !== '' ? event.message : describe(event.error);
  return {
    message: truncate(message),
    stack: truncate(stackOf(event.error)),
    source: 'error',
    filename: truncate(typeof event.filename === 'string' ? event.filename : ''),
    lineno: typeof event.lineno === 'number' ? event.lineno : 0,
    colno: typeof event.colno === 'number' ? event.colno : 0,
  };
}

export function rejectionPayload(reason: unknown): ExceptionPayload {
  const message = reason instanceof Error ? reason.message || reason.name : describe(reason);
  return {
    message: truncate(message),
    stack: truncate(stackOf(reason)),
    source: 'unhandledrejection',
    filename: '',
    lineno: 0,
    colno: 0,
  };
}

export function pageviewPayload(href: string, title: string, referrer: string): PageviewPayload {
  return { href: truncate(href), title: truncate(title, 1024), referrer: truncate(referrer) };
}

type HistoryMethod = 'pushState' | 'replaceState';

const patchedHistories = new WeakSet<History>();
const locationListeners = new Set<() => void>();

/**
 * Calls `listener` after every pushState / replaceState and on popstate and
 * hashchange. The history methods are wrapped once per page and stay wrapped;
 * the returned function only detaches the listener.
 */
export function onLocationChange(win: Window, listener: () => void): () => void {
  if (!patchedHistories.has(win.history)) {
    patchedHistories.add(win.history);
    for (const method of ['pushState', 'replaceState'] as HistoryMethod[]) {
      const original = win.history[method];
      win.history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
        const result = original.apply(this, args);
        for (const notify of locationListeners) {
          try {
            notify();
          } catch {
            // A failing listener must not break the page's navigation.
          }
        }
        return result;
      };
    }
  }
  locationListeners.add(listener);
  win.addEventListener('popstate', listener);
  win.addEventListener('hashchange', listener);
  return () => {
    locationListeners.delete(listener);
    win.removeEventListener('popstate', listener);
    win.removeEventListener('hashchange', listener);
  };
}

/**
 * The "do not record this tab" marker. Playback's player opens a recorded page with
 * `__playback_no_record=1` in its URL, so that an analyst looking at a site that runs the
 * recorder is not recorded as a visitor. On seeing it the recorder records nothing in this
 * tab, remembers that in sessionStorage (`playback.no_record=1`, so the tab's later pages are
 * not recorded either), and takes the parameter out of the address bar.
 */
import type { KeyValueStore } from './storage';

export const NO_RECORD_PARAM = '__playback_no_record';
export const NO_RECORD_KEY = 'playback.no_record';

export interface NoRecordPage {
  /** The page's address, `location.href`. */
  href: string;
  /** The tab's sessionStorage. */
  tabStore: KeyValueStore;
  /** `history.replaceState(state, '', url)` with the current state. */
  replaceUrl: (url: string) => void;
}

/** `href` without the marker parameter, or null when it has none. */
export function withoutMarker(href: string): string | null {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  if (!url.searchParams.has(NO_RECORD_PARAM)) {
    return null;
  }
  url.searchParams.delete(NO_RECORD_PARAM);
  return url.toString();
}

/**
 * Whether this tab must not be recorded. A marker in the URL is remembered for the tab and
 * removed from the address bar (whatever its value: the address is the site's, not ours).
 */
export function tabOptedOut(page: NoRecordPage): boolean {
  const cleaned = withoutMarker(page.href);
  if (cleaned !== null) {
    try {
      page.tabStore.setItem(NO_RECORD_KEY, '1');
    } catch {
      // Without storage only this page is left unrecorded.
    }
    try {
      page.replaceUrl(cleaned);
    } catch {
      // A sandboxed page may refuse; recording stays off all the same.
    }
    return true;
  }
  try {
    return page.tabStore.getItem(NO_RECORD_KEY) === '1';
  } catch {
    return false;
  }
}

/**
 * History API routing on real paths: `/` (also `/sessions`), `/sessions/{id}`
 * and the shared view `/s/{token}`. The query API answers every unknown
 * non-API GET with index.html, so a reload or a shared link lands here too.
 */

export interface RouteContext {
  /** Aborted when the user leaves the view. */
  signal: AbortSignal;
  /** The query string of the current URL. */
  query: URLSearchParams;
  /** Client-side navigation to another path of the UI. */
  navigate: (href: string) => void;
}

/** Renders into `root`; may return a function that releases what the view holds. */
export type View = (root: HTMLElement, context: RouteContext) => void | (() => void);

export type Route =
  | { name: 'list' }
  | { name: 'session'; sessionId: string }
  | { name: 'shared'; token: string }
  | { name: 'not-found' };

export function matchRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/' || path === '/sessions') return { name: 'list' };
  const session = /^\/sessions\/([^/]+)$/.exec(path);
  if (session) {
    try {
      return { name: 'session', sessionId: decodeURIComponent(session[1]) };
    } catch {
      return { name: 'not-found' };
    }
  }
  const shared = /^\/s\/([^/]+)$/.exec(path);
  if (shared) {
    try {
      return { name: 'shared', token: decodeURIComponent(shared[1]) };
    } catch {
      return { name: 'not-found' };
    }
  }
  return { name: 'not-found' };
}

const LIST_HREF_KEY = 'playback.list-href';

/** Keeps the list's address (with its filters) for the session page's way back. */
export function rememberListHref(href: string): void {
  try {
    window.sessionStorage.setItem(LIST_HREF_KEY, href);
  } catch {
    // Storage disabled: the way back is the unfiltered list.
  }
}

/** The list as it was last shown in this tab, with its filters; `/` before that. */
export function listReturnHref(): string {
  try {
    const href = window.sessionStorage.getItem(LIST_HREF_KEY);
    return href !== null && href.startsWith('/') && !href.startsWith('//') ? href : '/';
  } catch {
    return '/';
  }
}

export function sessionHref(sessionId: string): string {
  return `/sessions/${encodeURIComponent(sessionId)}`;
}

export class Router {
  private readonly root: HTMLElement;
  private readonly resolve: (route: Route) => View;
  private current: { controller: AbortController; cleanup: void | (() => void) } | null = null;

  constructor(root: HTMLElement, resolve: (route: Route) => View) {
    this.root = root;
    this.resolve = resolve;
  }

  start(): void {
    window.addEventListener('popstate', () => this.render());
    document.addEventListener('click', (event) => this.interceptLink(event));
    this.render();
  }

  navigate(href: string): void {
    const target = new URL(href, window.location.href);
    if (target.href === window.location.href) return;
    window.history.pushState(null, '', target.pathname + target.search + target.hash);
    this.render();
    window.scrollTo(0, 0);
  }

  /** Same-origin `<a>` clicks without modifiers become client-side navigations. */
  private interceptLink(event: MouseEvent): void {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element | null)?.closest?.('a');
    if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
    const target = new URL(anchor.href, window.location.href);
    if (target.origin !== window.location.origin || target.pathname.startsWith('/v1/')) return;
    event.preventDefault();
    this.navigate(target.href);
  }

  /** Renders the current URL's view again (after a token was given). */
  refresh(): void {
    this.render();
  }

  /** Leaves the current view for `view` without changing the URL (the token form). */
  interrupt(view: View): void {
    this.render(view);
  }

  private render(override?: View): void {
    if (this.current) {
      this.current.controller.abort();
      if (this.current.cleanup) this.current.cleanup();
      this.current = null;
    }
    this.root.replaceChildren();
    const controller = new AbortController();
    const view = override ?? this.resolve(matchRoute(window.location.pathname));
    const query = new URLSearchParams(window.location.search);
    const cleanup = view(this.root, {
      signal: controller.signal,
      query,
      navigate: (href) => this.navigate(href),
    });
    this.current = { controller, cleanup };
  }
}

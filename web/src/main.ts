/** Entry point: the token, the app shell and the routes. */
import 'rrweb-player/dist/style.css';
import './app.css';

import { onUnauthorized } from './api';
import { adoptTokenFromHash, clearToken, getToken, renderTokenForm } from './auth';
import { h, notice } from './dom';
import { renderSessionList } from './list';
import { renderSessionPage } from './player';
import { closeHoverCard } from './popover';
import { listReturnHref, matchRoute, Router, type Route, type View } from './router';
import { renderSharedPage } from './shared';

function resolve(route: Route): View {
  closeHoverCard();
  switch (route.name) {
    case 'list':
      return renderSessionList;
    case 'session':
      return (root, context) => renderSessionPage(root, context, route.sessionId);
    case 'shared':
      return (root, context) => renderSharedPage(root, context, route.token);
    case 'not-found':
      return renderNotFound;
  }
}

function renderNotFound(root: HTMLElement): void {
  document.title = 'Not found · Playback';
  root.append(
    h('section', { class: 'page error-page', testid: 'page-not-found' }, [
      notice('error', 'Page not found', 'not-found'),
      h('p', {}, [h('a', { id: 'home', testid: 'home', text: '← All sessions', attrs: { href: listReturnHref() } })]),
    ]),
  );
}

function brand(linked: boolean): HTMLElement {
  const children = [
    h('span', { class: 'brand-mark', attrs: { 'aria-hidden': 'true' } }, ['▶']),
    h('span', { class: 'brand-name', text: 'Playback' }),
  ];
  return linked
    ? h('a', { class: 'brand', attrs: { href: '/', 'aria-label': 'Playback home' } }, children)
    : h('span', { class: 'brand' }, children);
}

/** "Forget token" is offered only while this browser holds a token. */
function syncForgetButton(): void {
  const button = document.querySelector<HTMLButtonElement>('[data-testid=forget-token]');
  if (button) button.hidden = getToken() === null;
}

/**
 * The top bar and the main element. The shared view's bar has no links: a
 * share link reaches one session and nothing else.
 */
function mountShell(shared: boolean, onForget: () => void): HTMLElement {
  const main = h('main', { id: 'app', class: 'app-main' });
  const bar = shared
    ? h('header', { class: 'topbar', testid: 'topbar' }, [brand(false), h('span', { class: 'topbar-note', text: 'Shared session' })])
    : h('header', { class: 'topbar', testid: 'topbar' }, [
        brand(true),
        h('nav', { class: 'topbar-nav' }, [h('a', { text: 'Sessions', attrs: { href: '/' } })]),
        h('span', { class: 'control-spacer' }),
        h('button', {
          class: 'topbar-button',
          testid: 'forget-token',
          text: 'Forget token',
          title: 'Remove the API token from this browser',
          attrs: { type: 'button' },
          on: { click: onForget },
        }),
      ]);
  document.body.replaceChildren(bar, main);
  syncForgetButton();
  return main;
}

adoptTokenFromHash();
const shared = matchRoute(window.location.pathname).name === 'shared';
let router: Router | null = null;
/** The token form is up; further 401s of the same page change nothing. */
let askingForToken = false;
const root = mountShell(shared, () => {
  clearToken();
  askingForToken = false;
  syncForgetButton();
  router?.refresh();
});
router = new Router(root, resolve);

onUnauthorized((rejected) => {
  if (askingForToken || matchRoute(window.location.pathname).name === 'shared') return;
  askingForToken = true;
  syncForgetButton();
  closeHoverCard();
  router?.interrupt((viewRoot) => {
    document.title = 'API token · Playback';
    viewRoot.append(
      renderTokenForm({
        rejected,
        onToken: () => {
          askingForToken = false;
          syncForgetButton();
          router?.refresh();
        },
      }),
    );
  });
});
// Back and forward render a route again, which asks again if it must.
window.addEventListener('popstate', () => {
  askingForToken = false;
});

router.start();

/** Entry point: the app shell and the routes. */
import 'rrweb-player/dist/style.css';
import './app.css';

import { h, notice } from './dom';
import { renderSessionList } from './list';
import { renderSessionPage } from './player';
import { Router, type Route, type View } from './router';

function resolve(route: Route): View {
  switch (route.name) {
    case 'list':
      return renderSessionList;
    case 'session':
      return (root, context) => renderSessionPage(root, context, route.sessionId);
    case 'not-found':
      return renderNotFound;
  }
}

function renderNotFound(root: HTMLElement): void {
  document.title = 'Not found · Playback';
  root.append(
    h('section', { class: 'page error-page', testid: 'page-not-found' }, [
      notice('error', 'Page not found', 'not-found'),
      h('p', {}, [h('a', { id: 'home', testid: 'home', text: '← All sessions', attrs: { href: '/' } })]),
    ]),
  );
}

function mountShell(): HTMLElement {
  const main = h('main', { id: 'app', class: 'app-main' });
  document.body.replaceChildren(
    h('header', { class: 'topbar', testid: 'topbar' }, [
      h('a', { class: 'brand', attrs: { href: '/', 'aria-label': 'Playback home' } }, [
        h('span', { class: 'brand-mark', attrs: { 'aria-hidden': 'true' } }, ['▶']),
        h('span', { class: 'brand-name', text: 'Playback' }),
      ]),
      h('nav', { class: 'topbar-nav' }, [h('a', { text: 'Sessions', attrs: { href: '/' } })]),
    ]),
    main,
  );
  return main;
}

new Router(mountShell(), resolve).start();

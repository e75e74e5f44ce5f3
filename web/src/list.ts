/**
 * The session list: the filter bar (src/filter-form.ts) with saved filters,
 * sort, and keyset paging through `next_cursor`. A table on wide windows;
 * below 760 px each row is a card with the same facts.
 *
 * The filters live in the query string, in the API's own parameters
 * (src/filters.ts): a filtered list is a link, and each change is a history
 * entry, so back and forward step through them. The last list address of the
 * tab is kept for the session page's way back.
 *
 * With no session in the last 7 days and no filter, the empty list shows how
 * to start recording (src/onboarding.ts).
 */
import { getSession, listSessions, type SessionDetail, type SessionSummary } from './api';
import { errorMessage, scoreBadge } from './components';
import { h, notice } from './dom';
import { renderFilterForm } from './filter-form';
import { countFilters, filtersProblem, filtersToQuery, parseFilters, type ListFilters } from './filters';
import {
  capitalize,
  deviceLabel,
  formatDateTime,
  formatDateTimeSeconds,
  formatDuration,
  formatScore,
  plural,
  shortUrl,
  userLabel,
} from './format';
import { KIND_ORDER, renderLegend } from './kinds';
import { attachHoverCard, cached } from './popover';
import { renderOnboarding } from './onboarding';
import { rememberListHref, sessionHref, type RouteContext } from './router';
import { renderRowTimeline } from './row-timeline';
import { renderSavedFilters } from './saved-filters';
import { breakdownTable } from './session-header';
import { attachUserCard } from './user-card';

const PAGE_SIZE = 50;

const details = new Map<string, Promise<SessionDetail>>();

function listHref(filters: ListFilters): string {
  const query = filtersToQuery(filters).toString();
  return query ? `/?${query}` : '/';
}

export function renderSessionList(root: HTMLElement, context: RouteContext): void {
  document.title = 'Sessions · Playback';
  let filters = parseFilters(context.query);
  // Keep the address bar in the canonical form (older day-only links become ms).
  const canonical = listHref(filters);
  if (window.location.pathname + window.location.search !== canonical && window.location.pathname === '/') {
    window.history.replaceState(window.history.state, '', canonical + window.location.hash);
  }

  rememberListHref(canonical);
  const saved = renderSavedFilters({
    current: () => filters,
    apply: (next) => context.navigate(listHref(next)),
    signal: context.signal,
  });
  const form = renderFilterForm(filters, (next) => applyFilters(next), { signal: context.signal, saved: saved.element });

  const count = h('span', { class: 'page-meta', testid: 'session-count' });
  const filterCount = h('span', { class: 'filter-count', testid: 'filter-count' });
  const listContainer = h('div', { id: 'session-list', testid: 'session-list', class: 'session-list' });
  const loadMore = h('button', {
    id: 'load-more',
    testid: 'load-more',
    class: 'button',
    text: 'Load more',
    attrs: { type: 'button' },
  });
  loadMore.hidden = true;
  const footerStatus = h('div', { class: 'list-footer-status' });

  root.append(
    h('section', { class: 'page page-list', testid: 'list-page' }, [
      h('div', { class: 'page-head' }, [h('h1', { text: 'Sessions' }), count, filterCount]),
      form.element,
      h('div', { class: 'list-legend' }, [h('span', { class: 'field-label', text: 'Timeline' }), renderLegend(KIND_ORDER.filter((kind) => kind !== 'note'))]),
      listContainer,
      h('div', { class: 'list-footer' }, [loadMore, footerStatus]),
    ]),
  );

  let sessions: SessionSummary[] = [];
  let cursor: string | null = null;
  let request: AbortController | null = null;
  let tableBody: HTMLTableSectionElement | null = null;

  function describe(): void {
    const range =
      filters.from === undefined && filters.to === undefined
        ? 'Showing sessions by end time (UTC) in the last 7 days.'
        : `Showing sessions by end time (UTC)${filters.from !== undefined ? ` from ${formatDateTimeSeconds(filters.from)}` : ''}${
            filters.to !== undefined ? ` until ${formatDateTimeSeconds(filters.to)}` : ' until now'
          }.`;
    form.rangeHint.textContent = `${range} A session that ends outside the range is not shown, even if it started inside it.`;
    const active = countFilters(filters);
    filterCount.textContent = active > 0 ? `${plural(active, 'filter')} applied` : '';
  }

  function updateCount(): void {
    if (sessions.length === 0) {
      count.textContent = '';
    } else {
      const more = cursor ? '+' : '';
      count.textContent = `${sessions.length}${more} ${sessions.length === 1 && !cursor ? 'session' : 'sessions'}`;
    }
  }

  async function load(append: boolean): Promise<void> {
    request?.abort();
    const problem = filtersProblem(filters);
    if (problem !== null) {
      sessions = [];
      cursor = null;
      updateCount();
      loadMore.hidden = true;
      listContainer.replaceChildren(notice('error', problem, 'range-error'));
      return;
    }
    const controller = new AbortController();
    request = controller;
    context.signal.addEventListener('abort', () => controller.abort(), { once: true });

    if (append) {
      loadMore.disabled = true;
      loadMore.textContent = 'Loading…';
      footerStatus.replaceChildren();
    } else {
      sessions = [];
      cursor = null;
      tableBody = null;
      loadMore.hidden = true;
      updateCount();
      listContainer.setAttribute('aria-busy', 'true');
      listContainer.dataset.state = 'loading';
      listContainer.replaceChildren(notice('loading', 'Loading sessions…'));
    }

    try {
      const page = await listSessions(
        filtersToQuery(filters),
        { limit: PAGE_SIZE, cursor: append ? cursor : null },
        controller.signal,
      );
      if (controller.signal.aborted) return;
      sessions = sessions.concat(page.sessions);
      cursor = page.next_cursor;
      if (append && tableBody) {
        for (const session of page.sessions) tableBody.append(sessionRow(session, context));
      } else {
        renderTable();
      }
      updateCount();
      loadMore.hidden = cursor === null;
      listContainer.dataset.state = 'ready';
    } catch (error) {
      if (controller.signal.aborted) return;
      const message = `Could not load sessions: ${errorMessage(error)}`;
      const retry = h('button', {
        class: 'button',
        text: 'Try again',
        testid: 'retry',
        attrs: { type: 'button' },
        on: { click: () => void load(append) },
      });
      const block = h('div', { class: 'error-block' }, [notice('error', message, 'list-error'), retry]);
      listContainer.dataset.state = 'error';
      if (append) footerStatus.replaceChildren(block);
      else listContainer.replaceChildren(block);
    } finally {
      if (request === controller) {
        listContainer.removeAttribute('aria-busy');
        loadMore.disabled = false;
        loadMore.textContent = 'Load more';
      }
    }
  }

  function renderTable(): void {
    if (sessions.length === 0) {
      listContainer.replaceChildren(emptyState());
      return;
    }
    tableBody = h('tbody', {}, sessions.map((session) => sessionRow(session, context)));
    listContainer.replaceChildren(
      h('table', { class: 'session-table' }, [
        h('thead', {}, [
          h('tr', {}, [
            h('th', { text: 'Ended (UTC)', title: 'When the last event arrived; "Live" sessions may still grow' }),
            h('th', { text: 'User' }),
            h('th', { class: 'num', text: 'Score' }),
            h('th', { class: 'num', text: 'Duration' }),
            h('th', { class: 'num', text: 'Active' }),
            h('th', { class: 'num', text: 'Pages' }),
            h('th', { text: 'Timeline' }),
            h('th', { text: 'Device' }),
            h('th', { text: 'Entry URL' }),
          ]),
        ]),
        tableBody,
      ]),
    );
  }

  /** The empty list: how to start recording, or that nothing matches (with a way out). */
  function emptyState(): HTMLElement {
    const filtered = countFilters(filters) > 0;
    const ranged = filters.from !== undefined || filters.to !== undefined;
    if (!filtered && !ranged) return renderOnboarding(context.signal);
    const message = filtered ? 'No session in this time range matches these filters.' : 'No sessions ended in this time range.';
    const way = filtered
      ? h('button', {
          class: 'button button-small',
          testid: 'empty-clear-filters',
          text: 'Clear filters',
          attrs: { type: 'button' },
          on: { click: () => form.element.querySelector<HTMLButtonElement>('#clear-filters')?.click() },
        })
      : h('button', {
          class: 'button button-small',
          testid: 'empty-last-7-days',
          text: 'Show the last 7 days',
          attrs: { type: 'button' },
          on: { click: () => form.element.querySelector<HTMLButtonElement>('#clear-dates')?.click() },
        });
    return h('div', { class: 'notice notice-empty', testid: 'empty-state', attrs: { role: 'status' } }, [
      h('p', { class: 'empty-title', text: message }),
      way,
    ]);
  }

  function applyFilters(next: ListFilters): void {
    const href = listHref(next);
    filters = next;
    form.set(next);
    saved.refresh();
    describe();
    if (href === window.location.pathname + window.location.search) return;
    window.history.pushState(null, '', href);
    rememberListHref(href);
    void load(false);
  }

  loadMore.addEventListener('click', () => void load(true));
  describe();
  void load(false);
}

function sessionRow(session: SessionSummary, context: RouteContext): HTMLTableRowElement {
  const href = sessionHref(session.session_id);
  const userId = session.user_id ?? '';
  const userLink = h('a', {
    class: userId ? 'session-link' : 'session-link anonymous',
    testid: 'row-user',
    text: userLabel(userId),
    title: userId ? undefined : `Watch session ${session.session_id}`,
    attrs: { href },
  });
  if (userId) attachUserCard(userLink, userId);

  const score = scoreBadge(session.score);
  score.tabIndex = 0;
  score.setAttribute('aria-label', `Score ${formatScore(session.score)}; hover for the breakdown`);
  attachHoverCard(score, {
    testid: 'score-popover',
    label: 'Score breakdown',
    load: async () => {
      const detail = await cached(details, session.session_id, () => getSession(session.session_id));
      return breakdownTable(detail.score, detail.score_breakdown ?? []);
    },
  });

  const screen =
    session.screen_width > 0 && session.screen_height > 0 ? `${session.screen_width}×${session.screen_height}` : '';
  const deviceTitle = [
    `${session.browser} ${session.browser_version}`.trim(),
    `${session.os} ${session.os_version}`.trim(),
    session.device_type,
    screen,
  ]
    .filter(Boolean)
    .join(' · ');

  return h(
    'tr',
    {
      class: 'session-row',
      testid: 'session-row',
      dataset: { sessionId: session.session_id, endTime: String(session.end_time), score: String(session.score), userId },
      on: {
        click: (event) => {
          const target = event.target as Element;
          if (target.closest('a, button, [data-testid=mark-bar], .score')) return;
          if (event.metaKey || event.ctrlKey) {
            window.open(href, '_blank', 'noopener');
            return;
          }
          context.navigate(href);
        },
      },
    },
    [
      h('td', { dataset: { col: 'end', label: 'Ended (UTC)' }, class: 'cell-end nowrap' }, [
        h('time', {
          testid: 'end-time',
          text: formatDateTime(session.end_time),
          title: `Ended ${formatDateTimeSeconds(session.end_time)} UTC`,
          attrs: { datetime: new Date(session.end_time).toISOString() },
        }),
        session.closed ? null : liveBadge(),
      ]),
      h('td', { dataset: { col: 'user' }, class: 'cell-user' }, [userLink]),
      h('td', { dataset: { col: 'score' }, class: 'num cell-score' }, [score]),
      cell('duration', formatDuration(session.duration_ms), { class: 'num', label: 'Duration' }),
      cell('active', formatDuration(session.active_ms), { class: 'num', label: 'Active' }),
      cell('page-views', String(session.page_views), { class: 'num', label: 'Pages' }),
      h('td', { dataset: { col: 'timeline' }, class: 'cell-timeline' }, [
        renderRowTimeline(session, (target) => context.navigate(target)),
      ]),
      h('td', { dataset: { col: 'device' }, class: 'cell-device', title: deviceTitle }, [
        h('span', { class: 'device-main', text: deviceLabel({ ...session, device_type: '' }) }),
        h('span', { class: 'device-sub', text: [capitalize(session.device_type), screen].filter(Boolean).join(' · ') }),
      ]),
      cell('entry-url', shortUrl(session.entry_url), { class: 'cell-url', title: session.entry_url }),
    ],
  );
}

/** A session still open (`closed: false`): more events may arrive. */
function liveBadge(): HTMLElement {
  return h('span', {
    class: 'live-badge',
    testid: 'live-badge',
    text: 'Live',
    title: 'Still open: more events may arrive',
  });
}

function cell(col: string, text: string, options: { class?: string; title?: string; label?: string } = {}): HTMLTableCellElement {
  const dataset: Record<string, string> = { col };
  if (options.label) dataset.label = options.label;
  return h('td', { dataset, text, class: options.class, title: options.title });
}

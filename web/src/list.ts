/**
 * The session list: `GET /v1/sessions` with sort, an end-time range in UTC
 * days, and keyset paging through `next_cursor`. The controls' state lives in
 * the query string (`?sort=score&from=2025-11-01&to=2025-11-28`), so reload
 * and the back button keep it.
 */
import { listSessions, type SessionSummary, type SortOrder } from './api';
import { errorMessage, scoreBadge } from './components';
import { h, notice } from './dom';
import {
  deviceLabel,
  formatDateTime,
  formatDuration,
  shortUrl,
  userLabel,
  utcDayEnd,
  utcDayStart,
} from './format';
import { sessionHref, type RouteContext } from './router';

const PAGE_SIZE = 50;

interface Filters {
  sort: SortOrder;
  /** `YYYY-MM-DD` of the first UTC day included, or '' for the API default. */
  from: string;
  /** `YYYY-MM-DD` of the last UTC day included, or '' for the API default. */
  to: string;
}

function filtersFromQuery(query: URLSearchParams): Filters {
  const sort = query.get('sort') === 'score' ? 'score' : 'recent';
  const from = utcDayStart(query.get('from') ?? '') === undefined ? '' : (query.get('from') ?? '');
  const to = utcDayStart(query.get('to') ?? '') === undefined ? '' : (query.get('to') ?? '');
  return { sort, from, to };
}

function writeFiltersToUrl(filters: Filters): void {
  const query = new URLSearchParams();
  if (filters.sort !== 'recent') query.set('sort', filters.sort);
  if (filters.from) query.set('from', filters.from);
  if (filters.to) query.set('to', filters.to);
  const search = query.toString();
  const url = window.location.pathname + (search ? `?${search}` : '');
  window.history.replaceState(null, '', url);
}

export function renderSessionList(root: HTMLElement, context: RouteContext): void {
  document.title = 'Sessions · Playback';
  const filters = filtersFromQuery(context.query);

  const sortSelect = h('select', { id: 'sort', testid: 'sort', attrs: { name: 'sort' } }, [
    h('option', { text: 'Most recent', attrs: { value: 'recent' } }),
    h('option', { text: 'Highest score', attrs: { value: 'score' } }),
  ]);
  sortSelect.value = filters.sort;

  const fromInput = h('input', {
    id: 'from',
    testid: 'date-from',
    attrs: { type: 'date', name: 'from', 'aria-label': 'Session end from (UTC)' },
  });
  fromInput.value = filters.from;
  const toInput = h('input', {
    id: 'to',
    testid: 'date-to',
    attrs: { type: 'date', name: 'to', 'aria-label': 'Session end to (UTC), inclusive' },
  });
  toInput.value = filters.to;
  const clearDates = h('button', {
    id: 'clear-dates',
    testid: 'clear-dates',
    class: 'button button-quiet',
    text: 'Last 7 days',
    title: 'Clear the dates: sessions that ended in the last 7 days',
    attrs: { type: 'button' },
  });
  const rangeHint = h('span', { class: 'field-hint', testid: 'range-hint' });

  const count = h('span', { class: 'page-meta', testid: 'session-count' });
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
      h('div', { class: 'page-head' }, [h('h1', { text: 'Sessions' }), count]),
      h('form', { class: 'filters', testid: 'filters', on: { submit: (event) => event.preventDefault() } }, [
        h('label', { class: 'field' }, [h('span', { class: 'field-label', text: 'Sort' }), sortSelect]),
        h('fieldset', { class: 'field date-range' }, [
          h('legend', { class: 'field-label', text: 'Session end (UTC)' }),
          h('div', { class: 'date-range-inputs' }, [
            fromInput,
            h('span', { class: 'date-range-sep', text: '–', attrs: { 'aria-hidden': 'true' } }),
            toInput,
            clearDates,
          ]),
        ]),
        rangeHint,
      ]),
      listContainer,
      h('div', { class: 'list-footer' }, [loadMore, footerStatus]),
    ]),
  );

  let sessions: SessionSummary[] = [];
  let cursor: string | null = null;
  let request: AbortController | null = null;
  let tableBody: HTMLTableSectionElement | null = null;

  function describeRange(): void {
    if (!filters.from && !filters.to) {
      rangeHint.textContent = 'Showing sessions that ended in the last 7 days.';
    } else {
      rangeHint.textContent = '';
    }
  }

  function rangeParams(): { from?: number; to?: number } | 'invalid' {
    const from = utcDayStart(filters.from);
    const to = utcDayEnd(filters.to);
    if (from !== undefined && to !== undefined && from >= to) return 'invalid';
    return { from, to };
  }

  function updateCount(): void {
    if (sessions.length === 0) {
      count.textContent = '';
    } else {
      const more = cursor ? '+' : '';
      count.textContent = `${sessions.length}${more} session${sessions.length === 1 && !cursor ? '' : 's'}`;
    }
  }

  async function load(append: boolean): Promise<void> {
    request?.abort();
    const range = rangeParams();
    if (range === 'invalid') {
      sessions = [];
      cursor = null;
      updateCount();
      loadMore.hidden = true;
      listContainer.replaceChildren(
        notice('error', 'The first day of the range is after the last day.', 'range-error'),
      );
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
      listContainer.replaceChildren(notice('loading', 'Loading sessions…'));
    }

    try {
      const page = await listSessions(
        { ...range, sort: filters.sort, limit: PAGE_SIZE, cursor: append ? cursor : null },
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
      listContainer.replaceChildren(
        notice('empty', 'No sessions ended in this time range.', 'empty-state'),
      );
      return;
    }
    tableBody = h('tbody', {}, sessions.map((session) => sessionRow(session, context)));
    listContainer.replaceChildren(
      h('table', { class: 'session-table' }, [
        h('thead', {}, [
          h('tr', {}, [
            h('th', { text: 'Ended (UTC)' }),
            h('th', { text: 'User' }),
            h('th', { class: 'num', text: 'Score' }),
            h('th', { class: 'num', text: 'Duration' }),
            h('th', { class: 'num', text: 'Active' }),
            h('th', { class: 'num', text: 'Pages' }),
            h('th', { class: 'num', text: 'Clicks' }),
            h('th', { class: 'num', text: 'Errors' }),
            h('th', { text: 'Device' }),
            h('th', { text: 'Entry URL' }),
          ]),
        ]),
        tableBody,
      ]),
    );
  }

  function applyFilters(): void {
    filters.sort = sortSelect.value === 'score' ? 'score' : 'recent';
    filters.from = fromInput.value;
    filters.to = toInput.value;
    writeFiltersToUrl(filters);
    describeRange();
    void load(false);
  }

  sortSelect.addEventListener('change', applyFilters);
  fromInput.addEventListener('change', applyFilters);
  toInput.addEventListener('change', applyFilters);
  clearDates.addEventListener('click', () => {
    fromInput.value = '';
    toInput.value = '';
    applyFilters();
  });
  loadMore.addEventListener('click', () => void load(true));

  describeRange();
  void load(false);
}

function sessionRow(session: SessionSummary, context: RouteContext): HTMLTableRowElement {
  const href = sessionHref(session.session_id);
  const user = userLabel(session.user_id);
  const row = h(
    'tr',
    {
      class: 'session-row',
      testid: 'session-row',
      dataset: { sessionId: session.session_id },
      on: {
        click: (event) => {
          if ((event.target as Element).closest('a')) return;
          if (event.metaKey || event.ctrlKey) {
            window.open(href, '_blank', 'noopener');
            return;
          }
          context.navigate(href);
        },
      },
    },
    [
      cell('end', formatDateTime(session.end_time), { class: 'nowrap' }),
      h('td', { dataset: { col: 'user' }, class: 'cell-user' }, [
        h('a', {
          class: session.user_id ? 'session-link' : 'session-link anonymous',
          text: user,
          title: `Watch session ${session.session_id}`,
          attrs: { href },
        }),
      ]),
      h('td', { dataset: { col: 'score' }, class: 'num' }, [scoreBadge(session.score)]),
      cell('duration', formatDuration(session.duration_ms), { class: 'num' }),
      cell('active', formatDuration(session.active_ms), { class: 'num' }),
      cell('page-views', String(session.page_views), { class: 'num' }),
      cell('clicks', String(session.clicks), { class: 'num' }),
      cell('errors', String(session.errors), { class: session.errors > 0 ? 'num has-errors' : 'num muted' }),
      cell('device', deviceLabel(session), { class: 'nowrap' }),
      cell('entry-url', shortUrl(session.entry_url), { class: 'cell-url', title: session.entry_url }),
    ],
  );
  return row;
}

function cell(col: string, text: string, options: { class?: string; title?: string } = {}): HTMLTableCellElement {
  return h('td', { dataset: { col }, text, class: options.class, title: options.title });
}

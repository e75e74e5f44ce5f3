/**
 * The saved filters menu of the filter bar (`/v1/saved-filters`): choose one
 * to apply its query, delete one (click twice), or save the current filters
 * under a name, with or without the date range. The button names the saved
 * filter that the list shows, if any.
 */
import { deleteSavedFilter, listSavedFilters, saveFilter, type SavedFilter } from './api';
import { errorMessage } from './components';
import { h } from './dom';
import { dropdown } from './filter-form';
import { filtersToQuery, parseFilters, type ListFilters } from './filters';
import { formatDateTime } from './format';

export interface SavedFiltersOptions {
  /** The filters the list shows now. */
  current: () => ListFilters;
  /** Shows the list with these filters. */
  apply: (filters: ListFilters) => void;
  signal: AbortSignal;
}

/** The query string a saved filter stores: the list's, without `cursor` (and the range unless asked). */
function savedQuery(filters: ListFilters, withRange: boolean): string {
  return filtersToQuery(filters, { range: withRange }).toString();
}

/** Saved filter queries compare as parameter sets, whatever their order. */
function sameQuery(a: string, b: string): boolean {
  const normalize = (query: string): string => {
    const params = new URLSearchParams(query);
    params.sort();
    return params.toString();
  };
  return normalize(a) === normalize(b);
}

function hasRange(query: string): boolean {
  return /(^|&)(from|to)=/.test(query);
}

export function renderSavedFilters(options: SavedFiltersOptions): { element: HTMLElement; refresh: () => void } {
  const list = h('ul', { class: 'saved-filter-list', testid: 'saved-filter-list' });
  const status = h('span', { class: 'saved-filters-status', testid: 'saved-filters-status', attrs: { role: 'status' } });

  const nameInput = h('input', {
    id: 'save-filter-name',
    testid: 'save-filter-name',
    attrs: { type: 'text', maxlength: '200', placeholder: 'Name, e.g. Errors on checkout', 'aria-label': 'Name of the saved filter', required: '' },
  });
  const withDates = h('input', { id: 'save-filter-dates', testid: 'save-filter-dates', attrs: { type: 'checkbox' } });
  const saveForm = h(
    'form',
    {
      class: 'save-filter-form',
      testid: 'save-filter-form',
      on: {
        submit: (event) => {
          event.preventDefault();
          void save();
        },
      },
    },
    [
      nameInput,
      h('label', { class: 'check', title: 'Otherwise the filter applies to whatever range is chosen' }, [
        withDates,
        h('span', { text: 'Include the date range' }),
      ]),
      h('button', { class: 'button button-primary button-small', testid: 'save-filter-submit', text: 'Save', attrs: { type: 'submit' } }),
      h('button', {
        class: 'button button-quiet button-small',
        text: 'Cancel',
        attrs: { type: 'button' },
        on: { click: () => toggleForm(false) },
      }),
    ],
  );
  saveForm.hidden = true;
  const saveButton = h('button', {
    id: 'save-filter',
    testid: 'save-filter',
    class: 'button button-small save-filter-button',
    text: '+ Save current filters…',
    attrs: { type: 'button' },
    on: { click: () => toggleForm(saveForm.hidden) },
  });

  function toggleForm(show: boolean): void {
    saveForm.hidden = !show;
    saveButton.hidden = show;
    if (show) {
      nameInput.value = '';
      nameInput.focus();
    }
  }

  let filters: SavedFilter[] = [];
  const buttonLabel = h('span', { class: 'saved-menu-label', testid: 'saved-filters-label', text: 'Saved filters' });
  const countBadge = h('span', { class: 'menu-count', testid: 'saved-filters-count' });

  function render(): void {
    const current = options.current();
    const activeFilter = filters.find((filter) => sameQuery(filter.query, savedQuery(current, hasRange(filter.query))));
    buttonLabel.textContent = activeFilter ? activeFilter.name : 'Saved filters';
    countBadge.textContent = filters.length > 0 ? String(filters.length) : '';
    countBadge.hidden = filters.length === 0;
    list.replaceChildren(
      ...filters.map((filter) => {
        const active = sameQuery(filter.query, savedQuery(current, hasRange(filter.query)));
        const remove = h('button', {
          class: 'saved-filter-delete',
          testid: 'saved-filter-delete',
          text: '×',
          title: `Delete “${filter.name}”`,
          attrs: { type: 'button', 'aria-label': `Delete saved filter ${filter.name}` },
        });
        remove.addEventListener('click', () => {
          if (remove.dataset.confirm !== 'true') {
            remove.dataset.confirm = 'true';
            remove.textContent = 'Delete?';
            window.setTimeout(() => {
              remove.dataset.confirm = 'false';
              remove.textContent = '×';
            }, 4000);
            return;
          }
          void remove_(filter);
        });
        return h('li', { class: active ? 'saved-filter is-active' : 'saved-filter', testid: 'saved-filter', dataset: { filterId: filter.filter_id, query: filter.query } }, [
          h('button', {
            class: 'saved-filter-apply',
            testid: 'saved-filter-apply',
            text: filter.name,
            title: `${filter.query || 'no filters'}\nsaved by ${filter.author} on ${formatDateTime(filter.created_at)} UTC`,
            attrs: { type: 'button', 'aria-pressed': String(active) },
            on: { click: () => choose(filter) },
          }),
          remove,
        ]);
      }),
    );
    if (filters.length === 0) {
      list.append(h('li', { class: 'saved-filter-empty', text: 'No saved filters yet. Set some filters, then save them here.' }));
    }
  }

  function choose(filter: SavedFilter): void {
    const chosen = parseFilters(new URLSearchParams(filter.query));
    const current = options.current();
    if (!hasRange(filter.query)) {
      chosen.from = current.from;
      chosen.to = current.to;
    }
    options.apply(chosen);
  }

  async function load(): Promise<void> {
    try {
      filters = await listSavedFilters(options.signal);
      status.textContent = '';
      render();
    } catch (error) {
      if (options.signal.aborted) return;
      status.textContent = `Saved filters unavailable: ${errorMessage(error)}`;
    }
  }

  async function save(): Promise<void> {
    const name = nameInput.value.trim();
    if (name === '') return;
    const query = savedQuery(options.current(), withDates.checked);
    try {
      const saved = await saveFilter({ name, query });
      filters = [saved, ...filters.filter((filter) => filter.filter_id !== saved.filter_id)];
      status.textContent = `Saved “${saved.name}”.`;
      toggleForm(false);
      render();
    } catch (error) {
      status.textContent = `Could not save: ${errorMessage(error)}`;
    }
  }

  async function remove_(filter: SavedFilter): Promise<void> {
    try {
      await deleteSavedFilter(filter.filter_id);
      filters = filters.filter((candidate) => candidate.filter_id !== filter.filter_id);
      status.textContent = `Deleted “${filter.name}”.`;
      render();
    } catch (error) {
      status.textContent = `Could not delete: ${errorMessage(error)}`;
    }
  }

  void load();
  render();
  const panel = h('section', { class: 'saved-filters', testid: 'saved-filters', attrs: { 'aria-label': 'Saved filters' } }, [
    h('div', { class: 'menu-group-label', text: 'Saved filters' }),
    list,
    h('div', { class: 'saved-filters-actions' }, [saveButton, saveForm]),
    status,
  ]);
  const menu = dropdown({
    summary: [h('span', { class: 'star', text: '★', attrs: { 'aria-hidden': 'true' } }), buttonLabel, countBadge, h('span', { class: 'caret', attrs: { 'aria-hidden': 'true' } })],
    testid: 'saved-filters-menu',
    panel,
    signal: options.signal,
    class: 'saved-menu',
    title: 'Saved filters: apply, save or delete',
  });
  return { element: menu, refresh: render };
}

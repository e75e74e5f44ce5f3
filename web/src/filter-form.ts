/**
 * The list's filter bar: sort, the end-time range (UTC, typed as
 * `YYYY-MM-DD HH:MM`, with presets), and one removable chip per active filter
 * of `GET /v1/sessions`, added from the "+ Filter" menu. A change applies at
 * once (text fields on Enter or when they lose focus).
 *
 * The bar is a view of the list's filters, never a second copy of them: after
 * every change the list writes the filters back with `set`, so what the
 * controls show is what the URL holds ("Clear filters" resets every control).
 */
import { h } from './dom';
import { buildChips, type Chip } from './filter-chips';
import { emptyFilters, type ListFilters } from './filters';
import { DATE_TIME_PATTERN, parseUtcDateTime, utcDateTimeValue } from './format';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Presets of the range: the sessions that ended in the last 24 h, 7 or 30 days. */
const PRESETS: { id: string; label: string; title: string; ms: number | null }[] = [
  { id: '24h', label: '24 h', title: 'Sessions that ended in the last 24 hours', ms: DAY_MS },
  { id: '7d', label: '7 days', title: 'Sessions that ended in the last 7 days (the default)', ms: null },
  { id: '30d', label: '30 days', title: 'Sessions that ended in the last 30 days', ms: 30 * DAY_MS },
];

/** Browser and OS names as the gateway's user-agent parser writes them. */
const BROWSERS = ['Chrome', 'Edge', 'Firefox', 'Safari', 'Opera', 'Samsung Internet', 'Android WebView'];
const OPERATING_SYSTEMS = ['Windows', 'macOS', 'Linux', 'iOS', 'Android', 'ChromeOS'];

export interface FilterForm {
  element: HTMLElement;
  /** Shown under the bar: what the range means. */
  rangeHint: HTMLElement;
  /**
   * Shows `filters` in every control. `reset` also closes the chips of the
   * filters that are not set (otherwise a chip just added stays open, empty).
   */
  set: (filters: ListFilters, reset?: boolean) => void;
}

function datalist(id: string, values: string[]): HTMLDataListElement {
  return h('datalist', { id }, values.map((value) => h('option', { attrs: { value } })));
}

/**
 * A menu button with a panel (`<details>`), closed by a click outside it, by
 * Escape, or by `close()`.
 */
export function dropdown(options: {
  summary: (Node | string)[];
  testid: string;
  panel: HTMLElement;
  signal: AbortSignal;
  class?: string;
  title?: string;
}): HTMLDetailsElement {
  const summary = h('summary', { class: 'button dropdown-button', testid: options.testid, title: options.title }, options.summary);
  const menu = h('details', { class: `dropdown ${options.class ?? ''}`.trim() }, [summary, options.panel]);
  options.panel.classList.add('dropdown-panel');
  document.addEventListener(
    'click',
    (event) => {
      if (menu.open && !menu.contains(event.target as Node)) menu.open = false;
    },
    { signal: options.signal },
  );
  // Under its button; when that crosses the window's right edge, right-aligned with the
  // button, or as far left as it must be.
  menu.addEventListener('toggle', () => {
    if (!menu.open) return;
    options.panel.style.left = '';
    const panel = options.panel.getBoundingClientRect();
    const limit = document.documentElement.clientWidth - 8;
    if (panel.right <= limit) return;
    const underButton = summary.getBoundingClientRect().right - panel.width;
    const left = underButton >= 8 ? underButton : limit - panel.width;
    options.panel.style.left = `${left - menu.getBoundingClientRect().left}px`;
  });
  menu.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && menu.open) {
      menu.open = false;
      summary.focus();
    }
  });
  return menu;
}

/** A date text input of the range, with a calendar button that fills in the day. */
function dateInput(id: string, testid: string, label: string, onPick: () => void): { input: HTMLInputElement; element: HTMLElement } {
  const input = h('input', {
    id,
    testid,
    class: 'date-input',
    attrs: {
      type: 'text',
      name: id,
      placeholder: 'YYYY-MM-DD HH:MM',
      pattern: DATE_TIME_PATTERN,
      inputmode: 'numeric',
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-label': label,
      'aria-describedby': 'date-error',
    },
  });
  // The browser's date picker only supplies the day; what is shown is our text.
  const picker = h('input', { class: 'date-picker', attrs: { type: 'date', tabindex: '-1', 'aria-hidden': 'true' } });
  picker.addEventListener('change', (event) => {
    event.stopPropagation();
    if (!/^\d{4}-\d{2}-\d{2}$/.test(picker.value)) return;
    const time = /\d{2}:\d{2}(:\d{2})?$/.exec(input.value.trim())?.[0] ?? '00:00';
    input.value = `${picker.value} ${time}`;
    onPick();
  });
  const button = h('button', {
    class: 'date-calendar',
    testid: `${testid}-calendar`,
    title: 'Pick a day',
    attrs: { type: 'button', 'aria-label': `${label}: pick a day` },
    on: {
      click: () => {
        const day = /^\d{4}-\d{2}-\d{2}/.exec(input.value.trim())?.[0];
        picker.value = day ?? new Date().toISOString().slice(0, 10);
        try {
          picker.showPicker();
        } catch {
          picker.focus();
        }
      },
    },
  });
  return { input, element: h('span', { class: 'date-field' }, [input, button, picker]) };
}

export function renderFilterForm(
  initial: ListFilters,
  onChange: (filters: ListFilters) => void,
  options: { signal: AbortSignal; saved?: HTMLElement },
): FilterForm {
  let current = initial;

  const sort = h('select', { id: 'sort', testid: 'sort', attrs: { name: 'sort', 'aria-label': 'Sort' } }, [
    h('option', { text: 'Most recent', attrs: { value: 'recent' } }),
    h('option', { text: 'Highest score', attrs: { value: 'score' } }),
  ]);

  const dateError = h('p', { id: 'date-error', class: 'field-error', testid: 'date-error', attrs: { role: 'alert' } });
  const from = dateInput('from', 'date-from', 'Ended from (UTC)', () => apply());
  const to = dateInput('to', 'date-to', 'Ended before (UTC)', () => apply());

  const presetButtons = PRESETS.map((preset) =>
    h('button', {
      id: preset.ms === null ? 'clear-dates' : undefined,
      class: 'segment',
      testid: 'range-preset',
      text: preset.label,
      title: preset.title,
      dataset: { preset: preset.id },
      attrs: { type: 'button' },
      on: {
        click: () => {
          from.input.value = preset.ms === null ? '' : utcDateTimeValue(Math.floor((Date.now() - preset.ms) / 60_000) * 60_000);
          to.input.value = '';
          apply();
        },
      },
    }),
  );

  const rangeHint = h('p', { class: 'field-hint', testid: 'range-hint' });

  const chips = buildChips((chip) => {
    chip.write(emptyFilters());
    chip.open = false;
    chip.element.hidden = true;
    syncMenu();
    onChange(read());
  });

  /** The bound a date input names, `previous` while its text is not a date, and whether it is one. */
  function readBound(input: HTMLInputElement, previous: number | undefined): { value: number | undefined; valid: boolean } {
    const text = input.value.trim();
    if (text === '') return { value: undefined, valid: true };
    const parsed = parseUtcDateTime(text);
    return parsed === undefined ? { value: previous, valid: false } : { value: parsed, valid: true };
  }

  function checkDates(): boolean {
    const problems: string[] = [];
    for (const [input, name] of [
      [from.input, 'start'],
      [to.input, 'end'],
    ] as const) {
      const text = input.value.trim();
      const valid = text === '' || parseUtcDateTime(text) !== undefined;
      input.setAttribute('aria-invalid', String(!valid));
      if (!valid) problems.push(`The ${name} “${text}” is not a date.`);
    }
    dateError.textContent =
      problems.length > 0 ? `${problems.join(' ')} Write YYYY-MM-DD HH:MM, 24-hour UTC, e.g. 2026-12-03 17:05.` : '';
    dateError.hidden = problems.length === 0;
    return problems.length === 0;
  }

  function read(): ListFilters {
    const filters = emptyFilters();
    filters.sort = sort.value === 'score' ? 'score' : 'recent';
    filters.from = readBound(from.input, current.from).value;
    filters.to = readBound(to.input, current.to).value;
    for (const chip of chips) chip.read(filters);
    return filters;
  }

  function apply(): void {
    checkDates();
    onChange(read());
  }

  const menuPanel = h('div', { class: 'filter-menu', testid: 'add-filter-menu', attrs: { role: 'menu' } });
  const addMenu = dropdown({
    summary: [h('span', { class: 'plus', text: '+', attrs: { 'aria-hidden': 'true' } }), ' Filter'],
    testid: 'add-filter',
    panel: menuPanel,
    signal: options.signal,
    class: 'add-filter',
    title: 'Add a filter',
  });
  const groups = new Map<string, Chip[]>();
  for (const chip of chips) groups.set(chip.group, [...(groups.get(chip.group) ?? []), chip]);
  for (const [group, members] of groups) {
    menuPanel.append(h('div', { class: 'menu-group-label', text: group }));
    for (const chip of members) {
      menuPanel.append(
        h('button', {
          class: 'menu-item',
          testid: 'add-filter-option',
          text: chip.label,
          dataset: { filter: chip.key },
          attrs: { type: 'button', role: 'menuitem' },
          on: {
            click: () => {
              addMenu.open = false;
              chip.open = true;
              chip.element.hidden = false;
              syncMenu();
              if (chip.flag) {
                // Writes this chip's flag only: every flag is true in what it is given.
                chip.write({ ...emptyFilters(), hasErrors: true, hasRageClicks: true, hasDeadClicks: true });
                onChange(read());
              } else {
                chip.focus();
              }
            },
          },
        }),
      );
    }
  }

  const clear = h('button', {
    id: 'clear-filters',
    testid: 'clear-filters',
    class: 'button button-quiet button-small',
    text: 'Clear filters',
    title: 'Remove every filter; keep the sort and the date range',
    attrs: { type: 'button' },
    on: {
      click: () => {
        const kept = read();
        const cleared = { ...emptyFilters(), sort: kept.sort, from: kept.from, to: kept.to };
        set(cleared, true);
        onChange(cleared);
      },
    },
  });

  function syncMenu(): void {
    for (const item of Array.from(menuPanel.querySelectorAll<HTMLElement>('[data-testid=add-filter-option]'))) {
      const chip = chips.find((candidate) => candidate.key === item.dataset.filter);
      item.hidden = chip !== undefined && !chip.element.hidden;
    }
    clear.hidden = chips.every((chip) => chip.element.hidden);
  }

  function syncPresets(filters: ListFilters): void {
    for (const button of presetButtons) {
      const preset = PRESETS.find((candidate) => candidate.id === button.dataset.preset);
      const pressed =
        preset !== undefined &&
        filters.to === undefined &&
        (preset.ms === null ? filters.from === undefined : filters.from !== undefined && Math.abs(Date.now() - preset.ms - filters.from) < 5 * 60_000);
      button.setAttribute('aria-pressed', String(pressed));
    }
  }

  function set(filters: ListFilters, reset = false): void {
    current = filters;
    sort.value = filters.sort;
    const fromValid = readBound(from.input, undefined);
    const toValid = readBound(to.input, undefined);
    // A bound being typed (not a date yet) stays as typed, with its error.
    if (fromValid.valid) from.input.value = filters.from === undefined ? '' : utcDateTimeValue(filters.from);
    if (toValid.valid) to.input.value = filters.to === undefined ? '' : utcDateTimeValue(filters.to);
    if (reset) {
      from.input.value = filters.from === undefined ? '' : utcDateTimeValue(filters.from);
      to.input.value = filters.to === undefined ? '' : utcDateTimeValue(filters.to);
    }
    checkDates();
    for (const chip of chips) {
      chip.write(filters);
      chip.open = chip.active(filters) || (!reset && chip.open);
      chip.element.hidden = !chip.open;
    }
    syncMenu();
    syncPresets(filters);
  }

  const form = h(
    'form',
    {
      class: 'filters',
      testid: 'filters',
      attrs: { autocomplete: 'off' },
      on: {
        submit: (submitEvent) => {
          submitEvent.preventDefault();
          apply();
        },
        change: (changeEvent) => {
          if ((changeEvent.target as Element).closest('.date-picker')) return;
          apply();
        },
      },
    },
    [
      h('div', { class: 'filters-bar' }, [
        h('label', { class: 'bar-field' }, [h('span', { class: 'bar-label', text: 'Sort' }), sort]),
        h('fieldset', { class: 'bar-field date-range', testid: 'date-range' }, [
          h('legend', { class: 'bar-label', text: 'Ended (UTC)' }),
          h('div', { class: 'date-range-inputs' }, [
            from.element,
            h('span', { class: 'date-range-sep', text: '→', attrs: { 'aria-hidden': 'true' } }),
            to.element,
          ]),
          h('span', { class: 'segmented', attrs: { role: 'group', 'aria-label': 'Last' } }, presetButtons),
        ]),
      ]),
      dateError,
      h('div', { class: 'filter-chips', testid: 'filter-chips' }, [
        h('fieldset', { class: 'chip-list', testid: 'filter-grid' }, [
          h('legend', { class: 'visually-hidden', text: 'Filters' }),
          ...chips.map((chip) => chip.element),
        ]),
        addMenu,
        clear,
        h('span', { class: 'bar-spacer' }),
        options.saved ?? null,
      ]),
      rangeHint,
      datalist('known-browsers', BROWSERS),
      datalist('known-os', OPERATING_SYSTEMS),
      h('button', { id: 'apply-filters', testid: 'apply-filters', class: 'visually-hidden', text: 'Apply', attrs: { type: 'submit', tabindex: '-1' } }),
    ],
  );

  set(initial, true);
  return { element: form, rangeHint, set };
}


/**
 * The list's controls: sort, the end-time range (UTC) with presets, and one
 * control per filter parameter of `GET /v1/sessions`. A change applies at
 * once (text fields on Enter or when they lose focus).
 */
import { h } from './dom';
import { DEVICE_TYPES, emptyFilters, type ListFilters } from './filters';
import { parseUtcDateTime, utcDateTimeValue } from './format';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Presets of the range: the sessions that ended in the last 24 h, 7 or 30 days. */
const PRESETS: { id: string; label: string; title: string; ms: number | null }[] = [
  { id: '24h', label: '24 h', title: 'Sessions that ended in the last 24 hours', ms: DAY_MS },
  { id: '7d', label: '7 days', title: 'Sessions that ended in the last 7 days (the default)', ms: null },
  { id: '30d', label: '30 days', title: 'Sessions that ended in the last 30 days', ms: 30 * DAY_MS },
];

/** Browser and OS names as the gateway's user-agent parser writes them. */
const BROWSERS = ['Chrome', 'Firefox', 'Safari', 'Edge', 'Opera', 'Samsung Internet'];
const OPERATING_SYSTEMS = ['Windows 10', 'Mac OSX', 'Linux', 'iPhone', 'iPad', 'Android', 'ChromeOS'];

export interface FilterForm {
  element: HTMLElement;
  /** Shown under the range: what it means, or that nothing matched. */
  rangeHint: HTMLElement;
}

function textInput(id: string, label: string, value: string, placeholder: string, extra: Record<string, string> = {}): HTMLInputElement {
  const input = h('input', {
    id,
    testid: id,
    attrs: { type: 'text', name: id, placeholder, 'aria-label': label, autocomplete: 'off', spellcheck: 'false', ...extra },
  });
  input.value = value;
  return input;
}

function numberInput(id: string, label: string, value: number | undefined, step = '1'): HTMLInputElement {
  const input = h('input', {
    id,
    testid: id,
    class: 'input-number',
    attrs: { type: 'number', name: id, min: '0', step, inputmode: 'decimal', 'aria-label': label },
  });
  input.value = value === undefined ? '' : String(value);
  return input;
}

function checkbox(id: string, label: string, checked: boolean): HTMLLabelElement {
  const input = h('input', { id, testid: id, attrs: { type: 'checkbox', name: id } });
  input.checked = checked;
  return h('label', { class: 'check' }, [input, h('span', { text: label })]);
}

function field(label: string, controls: (Node | string)[], options: { class?: string; title?: string } = {}): HTMLElement {
  return h('div', { class: `field ${options.class ?? ''}`.trim(), title: options.title }, [
    h('span', { class: 'field-label', text: label }),
    h('div', { class: 'field-controls' }, controls),
  ]);
}

function datalist(id: string, values: string[]): HTMLDataListElement {
  return h('datalist', { id }, values.map((value) => h('option', { attrs: { value } })));
}

/** Seconds in a number input → ms, or undefined when empty or invalid. */
function secondsToMs(input: HTMLInputElement): number | undefined {
  const text = input.value.trim();
  if (text === '') return undefined;
  const seconds = Number(text);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds * 1000) : undefined;
}

function msToSeconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : ms / 1000;
}

function integerOf(input: HTMLInputElement): number | undefined {
  const text = input.value.trim();
  if (text === '') return undefined;
  const value = Number(text);
  return Number.isInteger(value) && value >= 0 ? value : undefined;
}

function decimalOf(input: HTMLInputElement): number | undefined {
  const text = input.value.trim();
  if (text === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

export function renderFilterForm(initial: ListFilters, onChange: (filters: ListFilters) => void): FilterForm {
  const sort = h('select', { id: 'sort', testid: 'sort', attrs: { name: 'sort', 'aria-label': 'Sort' } }, [
    h('option', { text: 'Most recent', attrs: { value: 'recent' } }),
    h('option', { text: 'Highest score', attrs: { value: 'score' } }),
  ]);
  sort.value = initial.sort;

  const from = h('input', {
    id: 'from',
    testid: 'date-from',
    attrs: { type: 'datetime-local', name: 'from', step: '1', 'aria-label': 'Session end from (UTC)' },
  });
  from.value = initial.from === undefined ? '' : utcDateTimeValue(initial.from);
  const to = h('input', {
    id: 'to',
    testid: 'date-to',
    attrs: { type: 'datetime-local', name: 'to', step: '1', 'aria-label': 'Session end before (UTC)' },
  });
  to.value = initial.to === undefined ? '' : utcDateTimeValue(initial.to);

  const presetButtons = PRESETS.map((preset) =>
    h('button', {
      id: preset.ms === null ? 'clear-dates' : undefined,
      class: 'button button-small preset',
      testid: 'range-preset',
      text: preset.label,
      title: preset.title,
      dataset: { preset: preset.id },
      attrs: { type: 'button' },
      on: {
        click: () => {
          from.value = preset.ms === null ? '' : utcDateTimeValue(Math.floor((Date.now() - preset.ms) / 1000) * 1000);
          to.value = '';
          apply();
        },
      },
    }),
  );

  const rangeHint = h('p', { class: 'field-hint', testid: 'range-hint' });

  const event = textInput('filter-event', 'Event name', initial.event, 'event name');
  const eventProp = textInput('filter-event-prop', 'Event property', initial.eventProp, 'key=value');
  const user = textInput('filter-user', 'User id or email', initial.user, 'id or email');
  const userProps = h('div', { class: 'user-props', testid: 'user-props' });
  const addUserProp = (value: string): HTMLInputElement => {
    const first = userProps.children.length === 0;
    const input = textInput(first ? 'filter-user-prop' : '', 'User property', value, 'key=value');
    input.classList.add('filter-user-prop');
    if (!first) input.removeAttribute('id');
    if (!first) delete input.dataset.testid;
    userProps.append(input);
    return input;
  };
  for (const pair of initial.userProps) addUserProp(pair);
  if (initial.userProps.length === 0) addUserProp('');
  const morePropsButton = h('button', {
    class: 'button button-small button-quiet',
    testid: 'add-user-prop',
    text: '+',
    title: 'Another user property (all must hold)',
    attrs: { type: 'button', 'aria-label': 'Add a user property' },
    on: { click: () => addUserProp('').focus() },
  });

  const urlMatch = h('select', { id: 'filter-url-match', testid: 'filter-url-match', attrs: { name: 'url_match', 'aria-label': 'URL match' } }, [
    h('option', { text: 'contains', attrs: { value: 'contains' } }),
    h('option', { text: 'is exactly', attrs: { value: 'exact' } }),
  ]);
  urlMatch.value = initial.urlMatch;
  const url = textInput('filter-url', 'Visited URL', initial.url, '/checkout');
  const browser = textInput('filter-browser', 'Browser', initial.browser, 'any', { list: 'known-browsers' });
  const os = textInput('filter-os', 'OS', initial.os, 'any', { list: 'known-os' });
  const deviceType = h('select', { id: 'filter-device-type', testid: 'filter-device-type', attrs: { name: 'device_type', 'aria-label': 'Device type' } }, [
    h('option', { text: 'any', attrs: { value: '' } }),
    ...DEVICE_TYPES.map((type) => h('option', { text: type, attrs: { value: type } })),
  ]);
  deviceType.value = initial.deviceType;

  const minDuration = numberInput('filter-min-duration', 'Minimum duration (seconds)', msToSeconds(initial.minDurationMs), 'any');
  const maxDuration = numberInput('filter-max-duration', 'Maximum duration (seconds)', msToSeconds(initial.maxDurationMs), 'any');
  const minActive = numberInput('filter-min-active', 'Minimum active time (seconds)', msToSeconds(initial.minActiveMs), 'any');
  const maxActive = numberInput('filter-max-active', 'Maximum active time (seconds)', msToSeconds(initial.maxActiveMs), 'any');
  const minScore = numberInput('filter-min-score', 'Minimum score', initial.minScore, 'any');
  const minPages = numberInput('filter-min-pages', 'Minimum pages viewed', initial.minPages);
  const maxPages = numberInput('filter-max-pages', 'Maximum pages viewed', initial.maxPages);

  const hasErrors = checkbox('filter-has-errors', 'JS errors', initial.hasErrors);
  const hasRage = checkbox('filter-has-rage-clicks', 'Rage clicks', initial.hasRageClicks);
  const hasDead = checkbox('filter-has-dead-clicks', 'Dead clicks', initial.hasDeadClicks);

  function read(): ListFilters {
    const filters = emptyFilters();
    filters.sort = sort.value === 'score' ? 'score' : 'recent';
    filters.from = parseUtcDateTime(from.value);
    filters.to = parseUtcDateTime(to.value);
    filters.event = event.value.trim();
    filters.eventProp = filters.event && eventProp.value.includes('=') ? eventProp.value.trim() : '';
    filters.userProps = Array.from(userProps.querySelectorAll('input'))
      .map((input) => input.value.trim())
      .filter((pair) => /^[^=]+=/.test(pair));
    filters.user = user.value.trim();
    filters.url = url.value.trim();
    filters.urlMatch = urlMatch.value === 'exact' ? 'exact' : 'contains';
    filters.browser = browser.value.trim();
    filters.os = os.value.trim();
    filters.deviceType = deviceType.value;
    filters.minDurationMs = secondsToMs(minDuration);
    filters.maxDurationMs = secondsToMs(maxDuration);
    filters.minActiveMs = secondsToMs(minActive);
    filters.maxActiveMs = secondsToMs(maxActive);
    filters.minScore = decimalOf(minScore);
    filters.minPages = integerOf(minPages);
    filters.maxPages = integerOf(maxPages);
    filters.hasErrors = (hasErrors.querySelector('input') as HTMLInputElement).checked;
    filters.hasRageClicks = (hasRage.querySelector('input') as HTMLInputElement).checked;
    filters.hasDeadClicks = (hasDead.querySelector('input') as HTMLInputElement).checked;
    return filters;
  }

  function apply(): void {
    onChange(read());
  }

  const clear = h('button', {
    id: 'clear-filters',
    testid: 'clear-filters',
    class: 'button button-quiet',
    text: 'Clear filters',
    title: 'Remove every filter; keep the sort and the date range',
    attrs: { type: 'button' },
    on: {
      click: () => {
        const kept = read();
        onChange({ ...emptyFilters(), sort: kept.sort, from: kept.from, to: kept.to });
      },
    },
  });

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
        change: apply,
      },
    },
    [
      h('div', { class: 'filters-bar' }, [
        h('label', { class: 'field' }, [h('span', { class: 'field-label', text: 'Sort' }), sort]),
        h('fieldset', { class: 'field date-range', testid: 'date-range' }, [
          h('legend', { class: 'field-label', text: 'Session end (UTC)' }),
          h('div', { class: 'date-range-inputs' }, [
            from,
            h('span', { class: 'date-range-sep', text: '→', attrs: { 'aria-hidden': 'true' } }),
            to,
            h('span', { class: 'preset-group', attrs: { role: 'group', 'aria-label': 'Last' } }, [
              h('span', { class: 'preset-label', text: 'Last' }),
              ...presetButtons,
            ]),
          ]),
        ]),
      ]),
      rangeHint,
      h('fieldset', { class: 'filter-grid', testid: 'filter-grid' }, [
        h('legend', { class: 'visually-hidden', text: 'Filters' }),
        field('Event', [event, h('span', { class: 'field-join', text: 'with' }), eventProp], {
          title: 'A custom or tracked event with this name occurred; optionally with a property key=value',
        }),
        field('User', [user], { title: 'The user id, or the email trait, equals this' }),
        field('User property', [userProps, morePropsButton], { title: 'key=value on the user traits; all must hold' }),
        field('Visited URL', [urlMatch, url], { class: 'field-wide' }),
        field('Browser', [browser]),
        field('OS', [os]),
        field('Device', [deviceType]),
        field('Duration (s)', [minDuration, h('span', { class: 'field-join', text: '–' }), maxDuration], { class: 'field-range' }),
        field('Active time (s)', [minActive, h('span', { class: 'field-join', text: '–' }), maxActive], { class: 'field-range' }),
        field('Pages viewed', [minPages, h('span', { class: 'field-join', text: '–' }), maxPages], { class: 'field-range' }),
        field('Min score', [minScore]),
        field('Has', [hasErrors, hasRage, hasDead], { class: 'field-checks' }),
        h('div', { class: 'filter-actions' }, [
          h('button', { id: 'apply-filters', testid: 'apply-filters', class: 'button button-primary', text: 'Apply', attrs: { type: 'submit' } }),
          clear,
        ]),
      ]),
      datalist('known-browsers', BROWSERS),
      datalist('known-os', OPERATING_SYSTEMS),
    ],
  );

  return { element: form, rangeHint };
}

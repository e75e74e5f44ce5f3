/**
 * The chips of the filter bar: one per filter of `GET /v1/sessions`, each
 * with its controls, and how it reads and writes its part of the filters.
 * The bar (src/filter-form.ts) shows a chip while its filter is set, or just
 * after it was added from the "+ Filter" menu.
 */
import { h } from './dom';
import { DEVICE_TYPES, type ListFilters } from './filters';

/** One filter of the bar: its chip, and how it reads and writes its part of the filters. */
export interface Chip {
  key: string;
  label: string;
  group: string;
  element: HTMLElement;
  /** Whether `filters` set this filter. */
  active: (filters: ListFilters) => boolean;
  write: (filters: ListFilters) => void;
  read: (into: ListFilters) => void;
  /** A flag applies as soon as it is added; the others wait for a value. */
  flag: boolean;
  focus: () => void;
  open: boolean;
}

function textInput(id: string, label: string, placeholder: string, extra: Record<string, string> = {}): HTMLInputElement {
  return h('input', {
    id,
    testid: id,
    attrs: { type: 'text', name: id, placeholder, 'aria-label': label, autocomplete: 'off', spellcheck: 'false', ...extra },
  });
}

function numberInput(id: string, label: string, step = '1', placeholder = ''): HTMLInputElement {
  return h('input', {
    id,
    testid: id,
    class: 'input-number',
    attrs: { type: 'number', name: id, min: '0', step, inputmode: 'decimal', 'aria-label': label, placeholder },
  });
}

/** Seconds in a number input → ms, or undefined when empty or invalid. */
function secondsToMs(input: HTMLInputElement): number | undefined {
  const text = input.value.trim();
  if (text === '') return undefined;
  const seconds = Number(text);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds * 1000) : undefined;
}

function msToSeconds(ms: number | undefined): string {
  return ms === undefined ? '' : String(ms / 1000);
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

function optional(value: number | undefined): string {
  return value === undefined ? '' : String(value);
}

function join(text: string): HTMLElement {
  return h('span', { class: 'chip-join', text });
}

function chipElement(key: string, label: string, controls: Node[], onRemove: () => void): HTMLElement {
  return h('div', { class: 'chip', testid: 'filter-chip', dataset: { filter: key } }, [
    h('span', { class: 'chip-label', text: label }),
    ...controls,
    h('button', {
      class: 'chip-remove',
      testid: 'filter-chip-remove',
      text: '×',
      title: `Remove the ${label} filter`,
      attrs: { type: 'button', 'aria-label': `Remove the ${label} filter` },
      on: { click: onRemove },
    }),
  ]);
}

/** The chips, in the order they are shown, each with its controls. */
export function buildChips(remove: (chip: Chip) => void): Chip[] {
  const chips: Chip[] = [];
  const add = (spec: Omit<Chip, 'element' | 'open'> & { controls: Node[] }): void => {
    const chip: Chip = { ...spec, element: h('div'), open: false };
    chip.element = chipElement(spec.key, spec.label, spec.controls, () => remove(chip));
    chips.push(chip);
  };

  const user = textInput('filter-user', 'User id or email', 'id or email');
  add({
    key: 'user', label: 'User', group: 'User', flag: false, controls: [user],
    active: (f) => f.user !== '', write: (f) => (user.value = f.user), read: (f) => (f.user = user.value.trim()), focus: () => user.focus(),
  });

  const userProps = h('span', { class: 'user-props', testid: 'user-props' });
  const addUserProp = (value: string): HTMLInputElement => {
    const first = userProps.children.length === 0;
    const input = textInput(first ? 'filter-user-prop' : '', 'User property', 'key=value');
    input.classList.add('filter-user-prop');
    if (!first) input.removeAttribute('id');
    if (!first) delete input.dataset.testid;
    input.value = value;
    userProps.append(input);
    return input;
  };
  const moreProps = h('button', {
    class: 'chip-more',
    testid: 'add-user-prop',
    text: '+ and',
    title: 'Another user property (all must hold)',
    attrs: { type: 'button', 'aria-label': 'Add a user property' },
    on: { click: () => addUserProp('').focus() },
  });
  add({
    key: 'user_prop', label: 'User property', group: 'User', flag: false, controls: [userProps, moreProps],
    active: (f) => f.userProps.length > 0,
    write: (f) => {
      userProps.replaceChildren();
      for (const pair of f.userProps) addUserProp(pair);
      if (f.userProps.length === 0) addUserProp('');
    },
    read: (f) => {
      f.userProps = Array.from(userProps.querySelectorAll('input'))
        .map((input) => input.value.trim())
        .filter((pair) => /^[^=]+=/.test(pair));
    },
    focus: () => userProps.querySelector('input')?.focus(),
  });

  const event = textInput('filter-event', 'Event name', 'event name');
  const eventProp = textInput('filter-event-prop', 'Event property', 'key=value (optional)');
  add({
    key: 'event', label: 'Event', group: 'Behaviour', flag: false, controls: [event, join('with'), eventProp],
    active: (f) => f.event !== '',
    write: (f) => {
      event.value = f.event;
      eventProp.value = f.eventProp;
    },
    read: (f) => {
      f.event = event.value.trim();
      f.eventProp = f.event && eventProp.value.includes('=') ? eventProp.value.trim() : '';
    },
    focus: () => event.focus(),
  });

  const urlMatch = h('select', { id: 'filter-url-match', testid: 'filter-url-match', attrs: { name: 'url_match', 'aria-label': 'URL match' } }, [
    h('option', { text: 'contains', attrs: { value: 'contains' } }),
    h('option', { text: 'is exactly', attrs: { value: 'exact' } }),
  ]);
  const url = textInput('filter-url', 'Visited URL', '/checkout');
  add({
    key: 'url', label: 'Visited URL', group: 'Behaviour', flag: false, controls: [urlMatch, url],
    active: (f) => f.url !== '',
    write: (f) => {
      url.value = f.url;
      urlMatch.value = f.urlMatch;
    },
    read: (f) => {
      f.url = url.value.trim();
      f.urlMatch = urlMatch.value === 'exact' ? 'exact' : 'contains';
    },
    focus: () => url.focus(),
  });

  const flags: [string, string, 'hasErrors' | 'hasRageClicks' | 'hasDeadClicks'][] = [
    ['has-errors', 'JS errors', 'hasErrors'],
    ['has-rage-clicks', 'rage clicks', 'hasRageClicks'],
    ['has-dead-clicks', 'dead clicks', 'hasDeadClicks'],
  ];
  for (const [id, label, field] of flags) {
    const input = h('input', { id: `filter-${id}`, testid: `filter-${id}`, attrs: { type: 'checkbox', name: id, 'aria-label': `Has ${label}` } });
    add({
      key: id.replace(/-/g, '_'), label: `Has ${label}`, group: 'Behaviour', flag: true, controls: [input],
      active: (f) => f[field], write: (f) => (input.checked = f[field]), read: (f) => (f[field] = input.checked), focus: () => input.focus(),
    });
  }

  const browser = textInput('filter-browser', 'Browser', 'Chrome', { list: 'known-browsers' });
  add({
    key: 'browser', label: 'Browser', group: 'Device', flag: false, controls: [browser],
    active: (f) => f.browser !== '', write: (f) => (browser.value = f.browser), read: (f) => (f.browser = browser.value.trim()), focus: () => browser.focus(),
  });
  const os = textInput('filter-os', 'OS', 'iOS', { list: 'known-os' });
  add({
    key: 'os', label: 'OS', group: 'Device', flag: false, controls: [os],
    active: (f) => f.os !== '', write: (f) => (os.value = f.os), read: (f) => (f.os = os.value.trim()), focus: () => os.focus(),
  });
  const deviceType = h('select', { id: 'filter-device-type', testid: 'filter-device-type', attrs: { name: 'device_type', 'aria-label': 'Device type' } }, [
    h('option', { text: 'any', attrs: { value: '' } }),
    ...DEVICE_TYPES.map((type) => h('option', { text: type, attrs: { value: type } })),
  ]);
  add({
    key: 'device_type', label: 'Device', group: 'Device', flag: false, controls: [deviceType],
    active: (f) => f.deviceType !== '', write: (f) => (deviceType.value = f.deviceType), read: (f) => (f.deviceType = deviceType.value), focus: () => deviceType.focus(),
  });

  const ranges: [string, string, string, 'DurationMs' | 'ActiveMs'][] = [
    ['duration', 'Duration', 'duration', 'DurationMs'],
    ['active', 'Active time', 'active time', 'ActiveMs'],
  ];
  for (const [id, label, noun, field] of ranges) {
    const minKey = `min${field}` as const;
    const maxKey = `max${field}` as const;
    const min = numberInput(`filter-min-${id}`, `Minimum ${noun} (seconds)`, 'any', 'min');
    const max = numberInput(`filter-max-${id}`, `Maximum ${noun} (seconds)`, 'any', 'max');
    add({
      key: id, label, group: 'Numbers', flag: false, controls: [min, join('–'), max, join('s')],
      active: (f) => f[minKey] !== undefined || f[maxKey] !== undefined,
      write: (f) => {
        min.value = msToSeconds(f[minKey]);
        max.value = msToSeconds(f[maxKey]);
      },
      read: (f) => {
        f[minKey] = secondsToMs(min);
        f[maxKey] = secondsToMs(max);
      },
      focus: () => min.focus(),
    });
  }
  const minPages = numberInput('filter-min-pages', 'Minimum pages viewed', '1', 'min');
  const maxPages = numberInput('filter-max-pages', 'Maximum pages viewed', '1', 'max');
  add({
    key: 'pages', label: 'Pages viewed', group: 'Numbers', flag: false, controls: [minPages, join('–'), maxPages],
    active: (f) => f.minPages !== undefined || f.maxPages !== undefined,
    write: (f) => {
      minPages.value = optional(f.minPages);
      maxPages.value = optional(f.maxPages);
    },
    read: (f) => {
      f.minPages = integerOf(minPages);
      f.maxPages = integerOf(maxPages);
    },
    focus: () => minPages.focus(),
  });
  const minScore = numberInput('filter-min-score', 'Minimum score', 'any', '0–100');
  add({
    key: 'score', label: 'Score at least', group: 'Numbers', flag: false, controls: [minScore],
    active: (f) => f.minScore !== undefined, write: (f) => (minScore.value = optional(f.minScore)), read: (f) => (f.minScore = decimalOf(minScore)), focus: () => minScore.focus(),
  });
  return chips;
}

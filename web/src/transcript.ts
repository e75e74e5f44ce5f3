/**
 * The transcript beside the player: page views and actions counted at the
 * top, then one tile per `/events` row with an icon, a title, a subtitle, the
 * time, and an "i" button that shows the details (properties, target, URL,
 * time). A tile seeks the player to its moment; the tile of the moment being
 * played is marked and kept in view.
 */
import type { TranscriptEvent } from './api';
import { h } from './dom';
import { formatClock, formatDateTimeSeconds, plural, urlPath } from './format';
import { kindIcon } from './icons';
import { kindLabel } from './kinds';

/** Kinds that count as actions: what the person did, apart from moving between pages. */
const ACTION_KINDS = new Set(['click', 'input', 'custom']);

/** A one-line description, e.g. `Clicked button "Save"` or `Viewed /demo/page2.html`. */
export function transcriptTitle(event: TranscriptEvent): string {
  switch (event.kind) {
    case 'page_view':
      return `Viewed ${urlPath(event.url) || event.url}`;
    case 'click':
      return event.target ? `Clicked ${event.target}` : 'Clicked';
    case 'input':
      return event.target ? `Changed ${event.target}` : 'Changed an input';
    case 'exception':
      return `JS error: ${exceptionMessage(event)}`;
    case 'custom':
      return event.name || 'Custom event';
    case 'rage_click':
      return event.target ? `Rage click on ${event.target}` : 'Rage click';
    case 'dead_click':
      return event.target ? `Dead click on ${event.target}` : 'Dead click';
    default:
      return kindLabel(event.kind);
  }
}

function exceptionMessage(event: TranscriptEvent): string {
  const message = event.props.message;
  if (typeof message === 'string' && message !== '') return message;
  return event.name || 'unknown error';
}

/** A second line with what the title leaves out: the properties, the page. */
function transcriptSubtitle(event: TranscriptEvent): string {
  if (event.kind === 'custom') {
    const entries = Object.entries(event.props);
    if (entries.length > 0) {
      return entries.map(([key, value]) => `${key}: ${stringifyProp(value)}`).join(', ');
    }
  }
  if (event.kind === 'page_view') {
    try {
      return new URL(event.url).host;
    } catch {
      return '';
    }
  }
  if (event.kind === 'rage_click') {
    const clicks = event.props.clicks;
    return typeof clicks === 'number' ? `${clicks} clicks in a second` : '';
  }
  return event.url ? urlPath(event.url) : '';
}

function stringifyProp(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

export interface TranscriptCounts {
  pageViews: number;
  actions: number;
}

export function countTranscript(events: TranscriptEvent[]): TranscriptCounts {
  let pageViews = 0;
  let actions = 0;
  for (const event of events) {
    if (event.kind === 'page_view') pageViews++;
    else if (ACTION_KINDS.has(event.kind)) actions++;
  }
  return { pageViews, actions };
}

export interface TranscriptOptions {
  events: TranscriptEvent[];
  /** Labels windows ("Tab 2") when the session has more than one. */
  windowLabel: (windowId: string) => string | null;
  onSelect: (event: TranscriptEvent) => void;
}

export interface TranscriptView {
  element: HTMLElement;
  /** Marks the last tile at or before `sessionOffset` in `windowId`. */
  setCurrent: (windowId: string, sessionOffset: number) => void;
}

function details(event: TranscriptEvent, windowLabel: string | null): HTMLElement {
  const rows: [string, string][] = [
    ['Kind', kindLabel(event.kind)],
    ['Time', `${formatClock(event.offset_ms)} into the session · ${formatDateTimeSeconds(event.ts)} UTC`],
  ];
  if (event.name) rows.push(['Name', event.name]);
  if (event.target) rows.push(['Target', event.target]);
  if (event.url) rows.push(['URL', event.url]);
  if (windowLabel) rows.push(['Tab', windowLabel]);
  const props = Object.keys(event.props).length > 0 ? JSON.stringify(event.props, null, 2) : '';
  return h('div', { class: 'tile-details', testid: 'tile-details' }, [
    h('dl', {}, rows.flatMap(([label, value]) => [h('dt', { text: label }), h('dd', { text: value })])),
    props ? h('pre', { class: 'tile-props', testid: 'tile-props', text: props }) : null,
  ]);
}

export function renderTranscript(options: TranscriptOptions): TranscriptView {
  const tiles: { event: TranscriptEvent; tile: HTMLElement }[] = [];
  const list = h('ol', { class: 'transcript-list', testid: 'transcript-list' });
  options.events.forEach((event, index) => {
    const windowLabel = options.windowLabel(event.window_id);
    const subtitle = transcriptSubtitle(event);
    const title = transcriptTitle(event);
    let detailBlock: HTMLElement | null = null;
    const info = h('button', {
      class: 'tile-info',
      testid: 'tile-info',
      text: 'i',
      title: 'Details',
      attrs: { type: 'button', 'aria-expanded': 'false', 'aria-label': `Details of ${title}` },
    });
    const tile = h(
      'li',
      {
        class: `transcript-tile kind-${event.kind}`,
        testid: 'transcript-event',
        dataset: {
          index: String(index),
          kind: event.kind,
          offsetMs: String(event.offset_ms),
          windowId: event.window_id,
        },
      },
      [
        h(
          'button',
          {
            class: 'tile-main',
            testid: 'tile-main',
            title: `${kindLabel(event.kind)} · click to watch from here`,
            attrs: { type: 'button' },
            on: { click: () => options.onSelect(event) },
          },
          [
            kindIcon(event.kind),
            h('span', { class: 'transcript-body' }, [
              h('span', { class: 'transcript-title', text: title, testid: 'transcript-title' }),
              subtitle ? h('span', { class: 'transcript-detail', testid: 'transcript-subtitle', text: subtitle }) : null,
              windowLabel ? h('span', { class: 'transcript-window', text: windowLabel }) : null,
            ]),
            h('time', { class: 'transcript-time', text: formatClock(event.offset_ms), testid: 'transcript-time' }),
          ],
        ),
        info,
      ],
    );
    info.addEventListener('click', () => {
      if (detailBlock) {
        detailBlock.remove();
        detailBlock = null;
        info.setAttribute('aria-expanded', 'false');
      } else {
        detailBlock = details(event, windowLabel);
        tile.append(detailBlock);
        info.setAttribute('aria-expanded', 'true');
      }
    });
    tiles.push({ event, tile });
    list.append(tile);
  });

  const counts = countTranscript(options.events);
  const element = h('section', { class: 'transcript', id: 'transcript', testid: 'transcript' }, [
    h('h2', { class: 'panel-title' }, [
      'Transcript',
      h('span', {
        class: 'panel-count',
        testid: 'transcript-counts',
        title: 'Actions are clicks, input changes and custom events',
        dataset: { pageViews: String(counts.pageViews), actions: String(counts.actions) },
        text: `${plural(counts.pageViews, 'page view')} · ${plural(counts.actions, 'action')}`,
      }),
    ]),
    options.events.length > 0
      ? list
      : h('p', { class: 'panel-empty', text: 'No events were classified in this session.' }),
  ]);

  let current: HTMLElement | null = null;
  function setCurrent(windowId: string, sessionOffset: number): void {
    let next: HTMLElement | null = null;
    for (const { event, tile } of tiles) {
      if (event.window_id !== windowId) continue;
      if (event.offset_ms > sessionOffset) break;
      next = tile;
    }
    if (next === current) return;
    current?.classList.remove('is-current');
    current?.removeAttribute('aria-current');
    next?.classList.add('is-current');
    next?.setAttribute('aria-current', 'true');
    current = next;
    if (next) keepVisible(list, next);
  }

  return { element, setCurrent };
}

/** Scrolls the list, and only the list, so that `tile` is in view. */
function keepVisible(list: HTMLElement, tile: HTMLElement): void {
  const listBox = list.getBoundingClientRect();
  const tileBox = tile.getBoundingClientRect();
  if (tileBox.top < listBox.top) {
    list.scrollTop -= listBox.top - tileBox.top + 8;
  } else if (tileBox.bottom > listBox.bottom) {
    list.scrollTop += tileBox.bottom - listBox.bottom + 8;
  }
}

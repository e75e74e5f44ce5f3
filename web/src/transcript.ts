/**
 * The transcript beside the player: one tile per `/events` row. A tile seeks
 * the player to its moment; the tile of the moment being played is marked.
 */
import type { TranscriptEvent, TranscriptKind } from './api';
import { h } from './dom';
import { formatClock, urlPath } from './format';
import { kindIcon } from './icons';

const KIND_LABELS: Record<TranscriptKind, string> = {
  page_view: 'Page view',
  click: 'Click',
  input: 'Input',
  exception: 'JS error',
  custom: 'Custom event',
  rage_click: 'Rage click',
  dead_click: 'Dead click',
};

/** A one-line description, e.g. `Clicked button "Save"` or `Viewed /demo/page2.html`. */
export function transcriptTitle(event: TranscriptEvent): string {
  switch (event.kind) {
    case 'page_view':
      return `Viewed ${urlPath(event.url) || event.url}`;
    case 'click':
      return event.target ? `Clicked ${event.target}` : 'Clicked';
    case 'input':
      return 'Changed input';
    case 'exception':
      return `JS error: ${exceptionMessage(event)}`;
    case 'custom':
      return event.name || 'Custom event';
    case 'rage_click':
      return event.target ? `Rage click on ${event.target}` : 'Rage click';
    case 'dead_click':
      return event.target ? `Dead click on ${event.target}` : 'Dead click';
    default:
      return KIND_LABELS[event.kind as TranscriptKind] ?? String(event.kind);
  }
}

function exceptionMessage(event: TranscriptEvent): string {
  const message = event.props.message;
  if (typeof message === 'string' && message !== '') return message;
  return event.name || 'unknown error';
}

/** A second line with what the title leaves out: the field, the properties, the page. */
function transcriptDetail(event: TranscriptEvent): string {
  if (event.kind === 'input' && event.target) return event.target;
  if (event.kind === 'custom') {
    const entries = Object.entries(event.props);
    if (entries.length > 0) {
      return entries.map(([key, value]) => `${key}: ${stringifyProp(value)}`).join(', ');
    }
  }
  if (event.kind === 'page_view') return '';
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

export function renderTranscript(options: TranscriptOptions): TranscriptView {
  const tiles: { event: TranscriptEvent; tile: HTMLElement }[] = [];
  const list = h('ol', { class: 'transcript-list', testid: 'transcript-list' });
  options.events.forEach((event, index) => {
    const windowLabel = options.windowLabel(event.window_id);
    const detail = transcriptDetail(event);
    const tile = h(
      'button',
      {
        class: `transcript-tile kind-${event.kind}`,
        testid: 'transcript-event',
        title: KIND_LABELS[event.kind],
        attrs: { type: 'button' },
        dataset: {
          index: String(index),
          kind: event.kind,
          offsetMs: String(event.offset_ms),
          windowId: event.window_id,
        },
        on: { click: () => options.onSelect(event) },
      },
      [
        kindIcon(event.kind),
        h('span', { class: 'transcript-body' }, [
          h('span', { class: 'transcript-title', text: transcriptTitle(event), testid: 'transcript-title' }),
          detail ? h('span', { class: 'transcript-detail', text: detail }) : null,
          windowLabel ? h('span', { class: 'transcript-window', text: windowLabel }) : null,
        ]),
        h('time', { class: 'transcript-time', text: formatClock(event.offset_ms), testid: 'transcript-time' }),
      ],
    );
    tiles.push({ event, tile });
    list.append(h('li', {}, [tile]));
  });

  const element = h('section', { class: 'transcript', id: 'transcript', testid: 'transcript' }, [
    h('h2', { class: 'panel-title' }, [
      'Transcript',
      h('span', { class: 'panel-count', text: String(options.events.length) }),
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

/**
 * The transcript beside the player: page views and actions counted at the
 * top, then one tile per `/events` row with an icon, a title (the server's
 * human `title` when it sends one), a subtitle, the time, and an "i" button
 * that shows the details (properties, selector, URL, time). A tile seeks the
 * player to its moment; the tile of the moment being played is marked and
 * kept in view inside the panel, which scrolls on its own. Scrolling the panel
 * by hand stops that following; a "Follow" button brings it back.
 */
import type { TranscriptEvent } from './api';
import { h } from './dom';
import { formatClock, formatDateTimeSeconds, plural, urlPath } from './format';
import { kindIcon } from './icons';
import { kindLabel } from './kinds';

/** Kinds that count as actions: what the person did, apart from moving between pages. */
const ACTION_KINDS = new Set(['click', 'input', 'custom']);

/** The page title a page view carries in `props.page_title`, or ''. */
export function pageTitle(event: TranscriptEvent): string {
  const title = event.props.page_title;
  return typeof title === 'string' ? title.trim() : '';
}

/**
 * A one-line description, e.g. `Clicked "Save"` or `Viewed "Checkout · Demo
 * shop"`: the server's `title` (docs/transcript.md), or the kind's label when
 * a row has none.
 */
export function transcriptTitle(event: TranscriptEvent): string {
  return event.title.trim() || kindLabel(event.kind);
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
    // With a page title in the title, the path says where; without, the host.
    if (pageTitle(event) !== '' || event.title.trim() !== '') return urlPath(event.url);
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
  /** The event of the current tile's neighbour (`step` -1 or +1), for `j`/`k`. */
  neighbour: (step: -1 | 1) => TranscriptEvent | null;
}

function details(event: TranscriptEvent, windowLabel: string | null): HTMLElement {
  const rows: [string, string][] = [
    ['Kind', kindLabel(event.kind)],
    ['Time', `${formatClock(event.offset_ms)} into the session · ${formatDateTimeSeconds(event.ts)} UTC`],
  ];
  if (event.name) rows.push(['Name', event.name]);
  if (event.target) rows.push(['Selector', event.target]);
  const page = pageTitle(event);
  if (page) rows.push(['Page title', page]);
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
            on: {
              click: () => {
                follow(true);
                options.onSelect(event);
              },
            },
          },
          [
            kindIcon(event.kind),
            h('span', { class: 'transcript-body' }, [
              h('span', { class: 'transcript-title', testid: 'transcript-title', text: title }),
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

  const followButton = h('button', {
    class: 'transcript-follow',
    testid: 'transcript-follow',
    text: 'Follow',
    title: 'Keep the moment being played in view again',
    attrs: { type: 'button' },
  });
  followButton.hidden = true;
  /** Whether the list keeps the current tile in view; a scroll by hand turns it off. */
  let following = true;
  /** The scrollTop the list was last scrolled to by the transcript itself. */
  let autoScrollTop: number | null = null;
  const follow = (on: boolean): void => {
    following = on;
    followButton.hidden = on;
    list.dataset.following = String(on);
  };
  follow(true);
  list.addEventListener('scroll', () => {
    if (autoScrollTop !== null && Math.abs(list.scrollTop - autoScrollTop) <= 2) return;
    autoScrollTop = null;
    if (following) follow(false);
  });
  followButton.addEventListener('click', () => {
    follow(true);
    if (current) scrollToTile(current, true);
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
      ? h('div', { class: 'transcript-scroll' }, [list, followButton])
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
    if (next && following) scrollToTile(next, false);
  }

  /** Scrolls the list, and only the list, so that `tile` is in view (centred when `center`). */
  function scrollToTile(tile: HTMLElement, center: boolean): void {
    const listBox = list.getBoundingClientRect();
    const tileBox = tile.getBoundingClientRect();
    let delta = 0;
    if (center) {
      delta = tileBox.top + tileBox.height / 2 - (listBox.top + listBox.height / 2);
    } else if (tileBox.top < listBox.top) {
      delta = tileBox.top - listBox.top - 8;
    } else if (tileBox.bottom > listBox.bottom) {
      delta = tileBox.bottom - listBox.bottom + 8;
    }
    if (delta === 0) return;
    list.scrollTop += delta;
    autoScrollTop = list.scrollTop;
  }

  function neighbour(step: -1 | 1): TranscriptEvent | null {
    if (tiles.length === 0) return null;
    const index = current ? tiles.findIndex((entry) => entry.tile === current) : -1;
    const next = index < 0 ? (step > 0 ? 0 : -1) : index + step;
    return next >= 0 && next < tiles.length ? tiles[next].event : null;
  }

  return { element, setCurrent, neighbour };
}

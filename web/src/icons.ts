/**
 * Transcript kind icons as inline SVG (16×16, drawn with `currentColor`), so
 * they look the same on every system whatever its emoji font.
 */
import type { TranscriptKind } from './api';

const PATHS: Record<TranscriptKind, string> = {
  page_view: '<path d="M4 1.5h5l3 3v10H4z"/><path d="M9 1.5v3h3M6 8h4M6 10.5h4"/>',
  click: '<path d="M3.5 2.5l9 4.2-3.8 1.2 2.6 3.9-1.6 1.1-2.6-3.9-2.6 2.9z"/>',
  input: '<rect x="1.5" y="4" width="13" height="8" rx="1.5"/><path d="M4 6.8h1M7 6.8h1M10 6.8h2M4.5 9.4h7"/>',
  exception: '<path d="M8 2l6.5 11.5h-13z"/><path d="M8 6.2v3.3M8 11.4v.2"/>',
  custom: '<path d="M8 1.8l1.9 3.9 4.3.6-3.1 3 .7 4.3L8 11.6l-3.8 2 .7-4.3-3.1-3 4.3-.6z"/>',
  rage_click: '<path d="M9 1.5L3.5 9H8l-1 5.5L12.5 7H8z"/>',
  dead_click: '<circle cx="8" cy="8" r="6"/><path d="M3.8 3.8l8.4 8.4"/>',
  identify: '<circle cx="8" cy="5.5" r="3"/><path d="M2.5 14.5c.6-3 2.8-4.5 5.5-4.5s4.9 1.5 5.5 4.5"/>',
};

export function kindIcon(kind: TranscriptKind): HTMLElement {
  const wrapper = document.createElement('span');
  wrapper.className = 'transcript-icon';
  wrapper.setAttribute('aria-hidden', 'true');
  const paths = PATHS[kind] ?? '<circle cx="8" cy="8" r="2.5"/>';
  wrapper.innerHTML =
    '<svg viewBox="0 0 16 16" width="16" height="16" fill="none" stroke="currentColor" ' +
    `stroke-width="1.4" stroke-linecap="round" stroke-linejoin="round">${paths}</svg>`;
  return wrapper;
}

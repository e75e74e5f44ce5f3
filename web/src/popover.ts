/**
 * Hover cards: a floating panel next to an element, shown after a short hover
 * (or on keyboard focus) and filled by a loader that may fetch. One card is
 * open at a time; it stays open while the pointer is over it.
 */
import { errorMessage } from './components';
import { h } from './dom';

const SHOW_DELAY_MS = 250;
const HIDE_DELAY_MS = 200;

export interface HoverCardOptions {
  /** `data-testid` of the card. */
  testid: string;
  /** Builds the card's content; runs each time the card opens, so it should cache. */
  load: (signal: AbortSignal) => Promise<HTMLElement>;
  /** Accessible name of the card. */
  label: string;
}

interface OpenCard {
  anchor: HTMLElement;
  card: HTMLElement;
  controller: AbortController;
  watch: number;
}

let open: OpenCard | null = null;
let hideTimer: number | undefined;

function close(): void {
  window.clearTimeout(hideTimer);
  if (!open) return;
  open.controller.abort();
  window.clearInterval(open.watch);
  open.anchor.removeAttribute('aria-describedby');
  open.card.remove();
  open = null;
}

function scheduleClose(): void {
  window.clearTimeout(hideTimer);
  hideTimer = window.setTimeout(close, HIDE_DELAY_MS);
}

function place(anchor: HTMLElement, card: HTMLElement): void {
  const box = anchor.getBoundingClientRect();
  const width = card.offsetWidth;
  const height = card.offsetHeight;
  let left = box.left;
  if (left + width > window.innerWidth - 8) left = Math.max(8, window.innerWidth - 8 - width);
  let top = box.bottom + 6;
  if (top + height > window.innerHeight - 8 && box.top - 6 - height > 8) top = box.top - 6 - height;
  card.style.left = `${Math.round(left)}px`;
  card.style.top = `${Math.round(top)}px`;
}

async function show(anchor: HTMLElement, options: HoverCardOptions): Promise<void> {
  if (open?.anchor === anchor) return;
  close();
  const controller = new AbortController();
  const id = `hovercard-${Math.random().toString(36).slice(2)}`;
  const card = h('div', {
    id,
    class: 'hovercard',
    testid: options.testid,
    attrs: { role: 'tooltip', 'aria-label': options.label },
    on: {
      mouseenter: () => window.clearTimeout(hideTimer),
      mouseleave: scheduleClose,
    },
  });
  card.append(h('div', { class: 'hovercard-loading', text: 'Loading…' }));
  document.body.append(card);
  anchor.setAttribute('aria-describedby', id);
  // Closes the card when its anchor leaves the page (a new view was rendered).
  const watch = window.setInterval(() => {
    if (!anchor.isConnected) close();
  }, 300);
  open = { anchor, card, controller, watch };
  place(anchor, card);
  try {
    const content = await options.load(controller.signal);
    if (controller.signal.aborted) return;
    card.replaceChildren(content);
    card.dataset.state = 'ready';
  } catch (error) {
    if (controller.signal.aborted) return;
    card.replaceChildren(h('div', { class: 'hovercard-error', text: errorMessage(error) }));
    card.dataset.state = 'error';
  }
  place(anchor, card);
}

/** Opens a card for `anchor` on hover and focus. */
export function attachHoverCard(anchor: HTMLElement, options: HoverCardOptions): void {
  let showTimer: number | undefined;
  const enter = (): void => {
    window.clearTimeout(hideTimer);
    window.clearTimeout(showTimer);
    showTimer = window.setTimeout(() => void show(anchor, options), SHOW_DELAY_MS);
  };
  const leave = (): void => {
    window.clearTimeout(showTimer);
    if (open?.anchor === anchor) scheduleClose();
  };
  anchor.addEventListener('mouseenter', enter);
  anchor.addEventListener('mouseleave', leave);
  anchor.addEventListener('focus', enter);
  anchor.addEventListener('blur', leave);
  anchor.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') close();
  });
}

export function closeHoverCard(): void {
  close();
}

/** Caches one promise per key, forgetting failures so that a later hover retries. */
export function cached<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let entry = cache.get(key);
  if (!entry) {
    entry = load();
    cache.set(key, entry);
    entry.catch(() => cache.delete(key));
  }
  return entry;
}

/**
 * A list row's timeline bar: the session's `marks`, colored by kind, along
 * its duration. A mark opens the player at its moment
 * (`/sessions/{id}?t=<offset_ms>`); elsewhere on the bar opens it at that
 * point of the session.
 */
import type { Mark, SessionSummary } from './api';
import { h } from './dom';
import { formatClock } from './format';
import { kindLabel, kindLayer } from './kinds';
import { sessionHref } from './router';

export function sessionAtHref(sessionId: string, offsetMs: number): string {
  return `${sessionHref(sessionId)}?t=${Math.max(0, Math.round(offsetMs))}`;
}

export function renderRowTimeline(session: SessionSummary, navigate: (href: string) => void): HTMLElement {
  const duration = Math.max(1, session.duration_ms);
  const marks: Mark[] = [...(session.marks ?? [])].sort((a, b) => kindLayer(a.kind) - kindLayer(b.kind));
  const bar = h('div', {
    class: 'mark-bar',
    testid: 'mark-bar',
    title: 'Click to watch from this moment',
    on: {
      click: (event) => {
        event.stopPropagation();
        const box = bar.getBoundingClientRect();
        const fraction = Math.min(1, Math.max(0, (event.clientX - box.left) / Math.max(1, box.width)));
        navigate(sessionAtHref(session.session_id, fraction * duration));
      },
    },
  });
  for (const mark of marks) {
    const position = Math.min(100, Math.max(0, (mark.offset_ms / duration) * 100));
    const label = `${kindLabel(mark.kind)} at ${formatClock(mark.offset_ms)}`;
    bar.append(
      h('a', {
        class: `row-mark mark-${mark.kind}`,
        testid: 'row-mark',
        title: label,
        attrs: {
          href: sessionAtHref(session.session_id, mark.offset_ms),
          'aria-label': label,
          style: `left: ${position.toFixed(3)}%; z-index: ${kindLayer(mark.kind)}`,
        },
        dataset: { kind: mark.kind, offsetMs: String(mark.offset_ms) },
        on: {
          click: (event) => {
            event.stopPropagation();
            if (event.metaKey || event.ctrlKey || event.shiftKey) return;
            event.preventDefault();
            navigate(sessionAtHref(session.session_id, mark.offset_ms));
          },
        },
      }),
    );
  }
  return bar;
}

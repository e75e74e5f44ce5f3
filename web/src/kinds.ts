/**
 * Transcript kinds as people read them: a label, a color (`--kind-<kind>` in
 * app.css) and a legend, shared by the list's timeline bars, the player's
 * timeline and the transcript.
 */
import type { TranscriptKind } from './api';
import { h } from './dom';

/** A timeline mark: a transcript kind, or a note (player only). */
export type MarkKind = TranscriptKind | 'note';

export const KIND_LABELS: Record<MarkKind, string> = {
  page_view: 'Page view',
  click: 'Click',
  input: 'Input change',
  exception: 'JS error',
  custom: 'Custom event',
  rage_click: 'Rage click',
  dead_click: 'Dead click',
  identify: 'Identified',
  note: 'Note',
};

/** Drawing order: later kinds are drawn over earlier ones where marks overlap. */
export const KIND_ORDER: MarkKind[] = [
  'click',
  'input',
  'custom',
  'identify',
  'dead_click',
  'rage_click',
  'page_view',
  'exception',
  'note',
];

export function kindLabel(kind: string): string {
  return KIND_LABELS[kind as MarkKind] ?? kind;
}

export function kindLayer(kind: string): number {
  const index = KIND_ORDER.indexOf(kind as MarkKind);
  return index < 0 ? 0 : index + 1;
}

/** One swatch per kind, for the list's and the player's timelines. */
export function renderLegend(kinds: MarkKind[], testid = 'mark-legend'): HTMLElement {
  return h(
    'ul',
    { class: 'legend', testid, attrs: { 'aria-label': 'Timeline colors' } },
    kinds.map((kind) =>
      h('li', { class: 'legend-item', dataset: { kind } }, [
        h('span', { class: `legend-swatch mark-${kind}`, attrs: { 'aria-hidden': 'true' } }),
        KIND_LABELS[kind],
      ]),
    ),
  );
}

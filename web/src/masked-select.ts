/**
 * An rrweb Replayer plugin that makes a masked `<select>` look masked.
 *
 * The recorder masks every input value (recorder/README.md), selects
 * included: the snapshot's `value` attribute and each Input event carry the
 * mask (`********`) and no option is marked selected. Replayed as is, the
 * select shows its first option (a value the visitor may never have chosen)
 * or, after an Input event sets a value no option has, nothing at all. Both
 * read as a broken replay. Here a select whose recorded value matches none of
 * its options gets an extra option holding that value, shown as `••••••••`,
 * and selected; a later value that matches a real option selects that one.
 *
 * The extra option is not in rrweb's mirror: a seek (which rebuilds or diffs
 * the document) may drop it, so it is put back after every event and every
 * flush of the virtual DOM.
 */
import { EventType, IncrementalSource, type eventWithTime } from '@rrweb/types';

/** What a masked select shows. */
export const MASKED_SELECT_TEXT = '••••••••';
const MASK_ATTRIBUTE = 'data-playback-mask';

interface ReplayerLike {
  getMirror(): { getNode(id: number): Node | null };
  iframe: HTMLIFrameElement;
  on(event: string, handler: () => void): unknown;
}

/** The masked value of each select that has one (the recorded value no option has). */
const maskedValues = new WeakMap<HTMLSelectElement, string>();

function isSelect(node: unknown): node is HTMLSelectElement {
  return typeof node === 'object' && node !== null && (node as { nodeName?: unknown }).nodeName === 'SELECT' && 'options' in node;
}

function realOptions(select: HTMLSelectElement): HTMLOptionElement[] {
  return Array.from(select.options).filter((option) => !option.hasAttribute(MASK_ATTRIBUTE));
}

/** Records the value the replay gave `select`: masked when no real option has it. */
function noteValue(select: HTMLSelectElement, value: string): void {
  if (value === '' || realOptions(select).some((option) => option.value === value)) maskedValues.delete(select);
  else maskedValues.set(select, value);
}

/** Shows the select's masked value as the selected `••••••••` option, or removes that option. */
function apply(select: HTMLSelectElement): void {
  const masked = maskedValues.get(select);
  let option = select.querySelector<HTMLOptionElement>(`option[${MASK_ATTRIBUTE}]`);
  if (masked === undefined) {
    option?.remove();
    return;
  }
  if (!option) {
    option = select.ownerDocument.createElement('option');
    option.setAttribute(MASK_ATTRIBUTE, '');
    option.textContent = MASKED_SELECT_TEXT;
    select.prepend(option);
  }
  option.value = masked;
  if (select.selectedIndex !== option.index) option.selected = true;
}

/** Every select of the replayed document (and its same-origin frames). */
function sweep(doc: Document | null | undefined): void {
  if (!doc) return;
  for (const select of Array.from(doc.querySelectorAll('select'))) {
    // A value applied through rrweb's virtual DOM lands as an unmatched value: nothing selected.
    if (!maskedValues.has(select) && select.selectedIndex === -1 && realOptions(select).length > 0) {
      maskedValues.set(select, select.value);
    }
    apply(select);
  }
  for (const frame of Array.from(doc.querySelectorAll('iframe'))) {
    try {
      sweep(frame.contentDocument);
    } catch {
      // A cross-origin frame: not ours to fix.
    }
  }
}

/** The plugin; one per Replayer. */
export function maskedSelectPlugin(): {
  onBuild(node: unknown, context: { id: number; replayer: unknown }): void;
  handler(event: eventWithTime, isSync: boolean, context: { replayer: unknown }): void;
} {
  let hooked = false;
  const hook = (replayer: ReplayerLike): void => {
    if (hooked) return;
    hooked = true;
    // After a seek's virtual DOM is written into the document.
    replayer.on('flush', () => sweep(replayer.iframe.contentDocument));
  };
  return {
    onBuild(node, context) {
      hook(context.replayer as ReplayerLike);
      if (!isSelect(node)) return;
      const recorded = node.getAttribute('value');
      if (recorded !== null) noteValue(node, recorded);
      apply(node);
    },
    handler(event, isSync, context) {
      const replayer = context.replayer as ReplayerLike;
      hook(replayer);
      if (isSync) return;
      if (event.type === EventType.FullSnapshot) {
        sweep(replayer.iframe.contentDocument);
        return;
      }
      if (event.type !== EventType.IncrementalSnapshot) return;
      const data = event.data as { source?: number; id?: number; text?: unknown };
      if (data.source !== IncrementalSource.Input || typeof data.id !== 'number') return;
      const node = replayer.getMirror().getNode(data.id);
      if (!isSelect(node)) return;
      noteValue(node, typeof data.text === 'string' ? data.text : '');
      apply(node);
    },
  };
}

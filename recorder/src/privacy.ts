/**
 * What the recorder keeps out of a recording before it leaves the page. The gateway applies
 * the same rules again; both follow the shared vectors in `schemas/privacy/vectors.json`.
 *
 * - URL parameters on the project's deny list (`scrub_params`) get the value `redacted`,
 *   wherever they appear in an event's JSON text.
 * - Text patterns: e-mail addresses and long digit runs (unless `mask_text` is `none`) and the
 *   project's own `text_patterns`; every non-whitespace character of a match becomes `*`.
 * - The checked state of radio buttons and checkboxes is removed from snapshots and input events,
 *   and so is the value of a hidden input.
 *   Hidden inputs are blocked by the recorder; they keep their `type` so that the replay does
 *   not draw them as empty text boxes.
 */
import { EventType, IncrementalSource, NodeType, type eventWithTime } from '@rrweb/types';
import type { ProjectConfig } from './config';

/** The value a scrubbed URL parameter gets. */
export const REDACTED = 'redacted';

/**
 * A query (`?`, `&`), matrix (`;`) or fragment (`#`) parameter with a value. Names and values
 * stop at quotes, angle brackets, backslashes and whitespace, so the same expression finds the
 * same parameters in a string and in its JSON text.
 */
const URL_PARAM = /([?&;#])([^=&#?;\s"'<>\\]+)=([^&#;?\s"'<>\\]+)/g;
/** An e-mail address. */
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/gu;
/**
 * Nine digits or more, with up to two spaces, dashes or parentheses between them: card
 * numbers, IBANs, phone numbers. Dates and amounts stay readable.
 */
const DIGITS = /\+?[0-9](?:[\s()\-]{0,2}[0-9]){8,}/gu;
const NON_WHITESPACE = /\S/gu;

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/** `text` with the value of every URL parameter whose name contains one of `params` redacted. */
export function scrubUrls(text: string, params: readonly string[]): string {
  if (params.length === 0 || !text.includes('=')) {
    return text;
  }
  return text.replace(URL_PARAM, (match: string, separator: string, name: string) => {
    const lowered = decodedName(name).toLowerCase();
    for (const param of params) {
      if (lowered.includes(param)) {
        return `${separator}${name}=${REDACTED}`;
      }
    }
    return match;
  });
}

export interface CompiledPatterns {
  /** In the order they are applied. */
  patterns: RegExp[];
  /** The `text_patterns` entries that are not valid regular expressions (they are skipped). */
  invalid: string[];
}

/** The text patterns a project's config asks for. */
export function compilePatterns(config: Pick<ProjectConfig, 'mask_text' | 'text_patterns'>): CompiledPatterns {
  const patterns: RegExp[] = [];
  const invalid: string[] = [];
  if (config.mask_text === 'sensitive' || config.mask_text === 'all') {
    patterns.push(EMAIL, DIGITS);
  }
  for (const source of config.text_patterns) {
    try {
      patterns.push(new RegExp(source, 'gu'));
    } catch {
      invalid.push(source);
    }
  }
  return { patterns, invalid };
}

/** Every non-whitespace character of `text` replaced by `*`. */
export function maskAll(text: string): string {
  return text.replace(NON_WHITESPACE, '*');
}

/** `text` with every match of `patterns` (global expressions, applied in order) masked. */
export function maskMatches(text: string, patterns: readonly RegExp[]): string {
  let masked = text;
  for (const pattern of patterns) {
    // A pattern that can match the empty string has nothing to mask there.
    masked = masked.replace(pattern, (match: string) => (match === '' ? match : maskAll(match)));
  }
  return masked;
}

/** The live DOM node recorded under an rrweb id (`record.mirror.getNode`). */
export type NodeLookup = (id: number) => Node | null;

function isToggleType(type: unknown): boolean {
  if (typeof type !== 'string') {
    return false;
  }
  const lowered = type.toLowerCase();
  return lowered === 'radio' || lowered === 'checkbox';
}

function isToggleInput(node: Node | null): boolean {
  return node !== null && node.nodeName.toLowerCase() === 'input' && isToggleType((node as HTMLInputElement).type);
}

function isHiddenInput(node: Node | null): boolean {
  return node !== null && node.nodeName.toLowerCase() === 'input' && (node as HTMLInputElement).type === 'hidden';
}

/** A serialized node as far as the walk needs it; rrweb's types say more. */
interface SerializedNode {
  type: NodeType;
  id: number;
  tagName?: string;
  attributes?: Record<string, unknown>;
  childNodes?: SerializedNode[];
}

/**
 * Removes `checked` from every radio and checkbox in a serialized tree, and gives blocked
 * hidden inputs (which rrweb keeps as a box with `rr_width` and `rr_height`) back their type.
 */
function clearFormStateInTree(root: SerializedNode, lookup: NodeLookup): void {
  // An explicit stack: pages can nest deeper than the call stack allows.
  const stack: SerializedNode[] = [root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    const attributes = node.attributes;
    if (node.type === NodeType.Element && node.tagName?.toLowerCase() === 'input' && attributes !== undefined) {
      if (isToggleType(attributes.type)) {
        delete attributes.checked;
      } else if (typeof attributes.type === 'string' && attributes.type.toLowerCase() === 'hidden') {
        delete attributes.value;
      } else if ('rr_width' in attributes && attributes.type === undefined && isHiddenInput(lookup(node.id))) {
        attributes.type = 'hidden';
      }
    }
    if (node.childNodes !== undefined) {
      for (const child of node.childNodes) {
        stack.push(child);
      }
    }
  }
}

/**
 * Removes the checked state of radio buttons and checkboxes from `event`, in place:
 * `checked` in FullSnapshot and added nodes, `checked` attribute changes, and `isChecked`
 * of input events. An input event whose node is no longer known is masked too. Blocked hidden
 * inputs in FullSnapshot and added nodes get `type: 'hidden'` back.
 */
export function maskFormState(event: eventWithTime, lookup: NodeLookup): void {
  if (event.type === EventType.FullSnapshot) {
    clearFormStateInTree(event.data.node as SerializedNode, lookup);
    return;
  }
  if (event.type !== EventType.IncrementalSnapshot) {
    return;
  }
  const data = event.data;
  if (data.source === IncrementalSource.Input) {
    const node = lookup(data.id);
    if (node === null || isToggleInput(node)) {
      data.isChecked = false;
    }
    return;
  }
  if (data.source !== IncrementalSource.Mutation) {
    return;
  }
  for (const add of data.adds) {
    clearFormStateInTree(add.node as SerializedNode, lookup);
  }
  for (const change of data.attributes) {
    if ('checked' in change.attributes && (isToggleInput(lookup(change.id)) || isToggleType(change.attributes.type))) {
      delete change.attributes.checked;
    }
  }
}

/** Keys (lowercased) whose strings are markup, CSS, geometry or identifiers, not text. */
const NOT_TEXT = new Set([
  '_csstext',
  'csstext',
  'rule',
  'style',
  'class',
  'id',
  'd',
  'points',
  'viewbox',
  'transform',
  'sizes',
  'coords',
  'base64',
  'tagname',
  'type',
  'rel',
  'lang',
  'dir',
  'for',
  'name',
  'role',
  'target',
  'method',
  'enctype',
  'autocomplete',
  'width',
  'height',
  'integrity',
  'nonce',
  'crossorigin',
  'media',
  'charset',
  'http-equiv',
  'tag',
]);

/** Keys (lowercased) whose strings are URLs: only `mailto:` and `tel:` links are text. */
const URL_KEYS = new Set([
  'href',
  'src',
  'srcset',
  'action',
  'formaction',
  'poster',
  'data',
  'background',
  'xlink:href',
  'cite',
  'ping',
  'manifest',
  'referrer',
  'url',
  'fontsource',
]);

function holdsText(key: string | null, value: string): boolean {
  if (value.startsWith('data:')) {
    return false;
  }
  if (key === null) {
    return true;
  }
  if (key.startsWith('rr_') || NOT_TEXT.has(key)) {
    return false;
  }
  if (URL_KEYS.has(key)) {
    const scheme = value.slice(0, 7).toLowerCase();
    return scheme.startsWith('mailto:') || scheme.startsWith('tel:');
  }
  return true;
}

/**
 * Masks the text patterns in every string of `event` that holds text, in place, by the rules
 * the gateway applies: attribute values, typed values, text changes and custom or plugin
 * payloads, not CSS, SVG geometry, identifiers, URLs or data URIs. An `$identify` keeps its user.
 * Page text was masked already by rrweb's `maskTextFn`; masking it again changes nothing.
 */
export function maskEventText(event: eventWithTime, patterns: readonly RegExp[]): void {
  if (patterns.length === 0) {
    return;
  }
  if (event.type === EventType.Custom && event.data.tag === '$identify') {
    return;
  }
  type Slot = { holder: Record<string, unknown> | unknown[]; field: string | number; key: string | null };
  const stack: Slot[] = [{ holder: event as unknown as Record<string, unknown>, field: 'data', key: 'data' }];
  for (let slot = stack.pop(); slot !== undefined; slot = stack.pop()) {
    const { holder, field, key } = slot;
    const value = (holder as Record<string | number, unknown>)[field];
    if (typeof value === 'string') {
      if (holdsText(key, value)) {
        const masked = maskMatches(value, patterns);
        if (masked !== value) {
          (holder as Record<string | number, unknown>)[field] = masked;
        }
      }
    } else if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) {
        stack.push({ holder: value, field: index, key });
      }
    } else if (typeof value === 'object' && value !== null) {
      const object = value as Record<string, unknown>;
      const isStyle = object.isStyle === true;
      for (const name of Object.keys(object)) {
        const lowered = name.toLowerCase();
        stack.push({ holder: object, field: name, key: isStyle && lowered === 'textcontent' ? '_csstext' : lowered });
      }
    }
  }
}

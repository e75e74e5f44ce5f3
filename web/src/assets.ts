/**
 * Playback's copies of a recorded page's assets (docs/api.md, "Assets"): the
 * rewriting of rrweb events so that a replay loads stylesheets, fonts, images,
 * posters and icons from Playback and from nowhere else.
 *
 * The URLs rewritten are exactly those the asset stage collects: `link` hrefs
 * of stylesheets, icons and preloads of styles, fonts and images; `img` `src`
 * and `srcset`; `source` `srcset` (and `src` of an image type); `input
 * type=image` `src`; `video` `poster`; SVG `image` and `use` hrefs; and the
 * `url(...)` and `@import` targets of CSS in style attributes, `_cssText`,
 * `<style>` text and the style sheet events. Each is resolved against the
 * window's document base (its latest Meta `href`, or the snapshot's `<base
 * href>`); its key is the resolved URL without the fragment.
 *
 * An archived asset is pointed at `base + hash` (its fragment kept, for SVG
 * sprites); any other one is removed (the attribute, the srcset candidate,
 * the `@import`; a CSS `url()` becomes `url("data:,")`), or, when the viewer
 * asked for live assets, keeps its resolved original URL. Input events are
 * never changed: whatever is rewritten is copied.
 */
import { EventType, IncrementalSource, type eventWithTime } from '@rrweb/types';
import { cssUrl, scanCss } from './css-refs';
import type { components } from './generated/api';

type Schemas = components['schemas'];

/** An asset's state on the server; `pending` was seen but not fetched yet. */
export type AssetStatus = 'archived' | 'failed' | 'refused' | 'pending';

/** One asset of the listing: `hash`, `content_type` and `bytes` are set only when archived. */
export type ListedAsset = Omit<Schemas['AssetEntry'], 'status'> & { status: AssetStatus };

/**
 * `GET /v1/sessions/{id}/assets` and `GET /v1/shared/{token}/assets`: `base`
 * is the path prefix an archived asset's hash is appended to, carrying its
 * own capability.
 */
export type AssetListing = Omit<Schemas['AssetListing'], 'assets'> & { assets: ListedAsset[] };

/** What an older server (or one with the asset stage off) amounts to: nothing archived. */
export const EMPTY_LISTING: AssetListing = { base: '', assets: [] };

/** The listing and the viewer's choice, shared by the rewriters of every window. */
export interface AssetPolicy {
  /** By asset key (resolved URL without fragment). */
  readonly assets: ReadonlyMap<string, ListedAsset>;
  readonly base: string;
  /** Keep the original URL of an asset that is not archived (`live_assets=1`). */
  readonly live: boolean;
}

export function assetPolicy(listing: AssetListing, live: boolean): AssetPolicy {
  const assets = new Map<string, ListedAsset>();
  for (const asset of listing.assets) assets.set(asset.url, asset);
  return { assets, base: listing.base, live };
}

/** The result of rewriting a list of events at once. */
export interface Rewritten {
  events: eventWithTime[];
  /** Keys of every asset URL found in the events. */
  found: Set<string>;
}

/** Rewrites the events of one window, in order, from a fresh state. */
export function rewriteEvents(events: readonly eventWithTime[], listing: AssetListing, live: boolean): Rewritten {
  const found = new Set<string>();
  const rewriter = new AssetRewriter(assetPolicy(listing, live), found);
  const rewritten: eventWithTime[] = [];
  for (const event of events) rewritten.push(rewriter.rewrite(event));
  return { events: rewritten, found };
}

/** What is remembered of a node, to know which of its attributes are asset URLs. */
interface NodeFacts {
  /** Lowercase tag name; "" for a text node. */
  tag: string;
  /** `rel`, `as` and `type`, as recorded; whether `_cssText` carries the stylesheet. */
  rel?: string;
  as?: string;
  type?: string;
  inlined?: boolean;
  /** A text node whose text is CSS. */
  styleText?: boolean;
}

type SerializedNode = {
  type: number;
  id: number;
  tagName?: string;
  attributes?: Record<string, unknown>;
  childNodes?: SerializedNode[];
  textContent?: string;
  isStyle?: boolean;
};

type StyleValue = string | [string, string] | false;

const NODE_ELEMENT = 2;
const NODE_TEXT = 3;
const LINK_RELS = new Set(['stylesheet', 'icon', 'apple-touch-icon', 'mask-icon']);
const PRELOAD_AS = new Set(['style', 'font', 'image']);
/**
 * The rewriter of one window: it follows the window's document base and its
 * nodes from event to event, so events must come in recorded order. One
 * FullSnapshot (with the Meta before it) is a fresh start.
 */
export class AssetRewriter {
  private readonly policy: AssetPolicy;
  private readonly found: Set<string>;
  /** The latest Meta `href` of the window. */
  private documentUrl = '';
  /** The snapshot's `<base href>`, resolved, when it has one. */
  private baseElementUrl = '';
  private readonly nodes = new Map<number, NodeFacts>();

  constructor(policy: AssetPolicy, found: Set<string>) {
    this.policy = policy;
    this.found = found;
  }

  /** The event with its asset URLs rewritten; the event itself when nothing changes. */
  rewrite(event: eventWithTime): eventWithTime {
    switch (event.type) {
      case EventType.Meta:
        this.documentUrl = event.data.href;
        this.baseElementUrl = '';
        return event;
      case EventType.FullSnapshot: {
        this.nodes.clear();
        const root = event.data.node as unknown as SerializedNode;
        this.baseElementUrl = this.findBaseElement(root) ?? '';
        const node = this.rewriteNode(root, null);
        if (node === root) return event;
        return { ...event, data: { ...event.data, node: node as never } } as eventWithTime;
      }
      case EventType.IncrementalSnapshot:
        return this.rewriteIncremental(event);
      default:
        return event;
    }
  }

  private get base(): string {
    return this.baseElementUrl || this.documentUrl;
  }

  private rewriteIncremental(event: eventWithTime & { type: EventType.IncrementalSnapshot }): eventWithTime {
    const data = event.data as unknown as Record<string, unknown> & { source: IncrementalSource };
    let changed: Record<string, unknown> | null = null;
    switch (data.source) {
      case IncrementalSource.Mutation:
        changed = this.rewriteMutation(data);
        break;
      case IncrementalSource.StyleSheetRule:
        changed = this.rewriteStyleSheetRule(data);
        break;
      case IncrementalSource.StyleDeclaration:
        changed = this.rewriteStyleDeclaration(data);
        break;
      case IncrementalSource.AdoptedStyleSheet:
        changed = this.rewriteAdoptedStyleSheet(data);
        break;
      default:
        return event;
    }
    if (changed === null) return event;
    return { ...event, data: changed } as unknown as eventWithTime;
  }

  private rewriteMutation(data: Record<string, unknown>): Record<string, unknown> | null {
    let result: Record<string, unknown> | null = null;
    const adds = data.adds as { parentId: number; node: SerializedNode }[] | undefined;
    if (Array.isArray(adds)) {
      // A `<base href>` added later moves the base of what follows it.
      // rrweb may list a child before its parent: every added element is known before any is rewritten.
      for (const add of adds) {
        const baseHref = this.findBaseElement(add.node);
        if (baseHref !== null) this.baseElementUrl = baseHref;
        if (add.node.type === NODE_ELEMENT) {
          this.nodes.set(add.node.id, { tag: (add.node.tagName ?? '').toLowerCase() });
        }
      }
      const rewritten = mapCopy(adds, (add) => {
        const parent = this.nodes.get(add.parentId) ?? null;
        const node = this.rewriteNode(add.node, parent);
        return node === add.node ? add : { ...add, node };
      });
      if (rewritten !== adds) result = { ...data, adds: rewritten };
    }
    const attributes = data.attributes as { id: number; attributes: Record<string, unknown> }[] | undefined;
    if (Array.isArray(attributes)) {
      const rewritten = mapCopy(attributes, (mutation) => {
        const facts = this.nodes.get(mutation.id) ?? { tag: '' };
        const updated = this.rememberAttributes(facts, mutation.attributes);
        this.nodes.set(mutation.id, updated);
        const changed = this.rewriteAttributes(updated, mutation.attributes, true);
        return changed === mutation.attributes ? mutation : { ...mutation, attributes: changed };
      });
      if (rewritten !== attributes) result = { ...(result ?? data), attributes: rewritten };
    }
    const texts = data.texts as { id: number; value: string | null }[] | undefined;
    if (Array.isArray(texts)) {
      const rewritten = mapCopy(texts, (text) => {
        if (typeof text.value !== 'string' || !this.nodes.get(text.id)?.styleText) return text;
        const value = this.rewriteCss(text.value);
        return value === text.value ? text : { ...text, value };
      });
      if (rewritten !== texts) result = { ...(result ?? data), texts: rewritten };
    }
    return result;
  }

  private rewriteStyleSheetRule(data: Record<string, unknown>): Record<string, unknown> | null {
    let result: Record<string, unknown> | null = null;
    const adds = data.adds as { rule: string }[] | undefined;
    if (Array.isArray(adds)) {
      const rewritten = mapCopy(adds, (add) => {
        if (typeof add.rule !== 'string') return add;
        const rule = this.rewriteCss(add.rule);
        return rule === add.rule ? add : { ...add, rule };
      });
      if (rewritten !== adds) result = { ...data, adds: rewritten };
    }
    // `replace` / `replaceSync` carry a whole sheet's text, which would load its URLs just the same.
    for (const key of ['replace', 'replaceSync']) {
      const text = data[key];
      if (typeof text !== 'string') continue;
      const rewritten = this.rewriteCss(text);
      if (rewritten !== text) result = { ...(result ?? data), [key]: rewritten };
    }
    return result;
  }

  private rewriteStyleDeclaration(data: Record<string, unknown>): Record<string, unknown> | null {
    const set = data.set as { value: string | null } | undefined;
    if (!set || typeof set.value !== 'string') return null;
    const value = this.rewriteCss(set.value);
    return value === set.value ? null : { ...data, set: { ...set, value } };
  }

  private rewriteAdoptedStyleSheet(data: Record<string, unknown>): Record<string, unknown> | null {
    const styles = data.styles as { rules: { rule: string }[] }[] | undefined;
    if (!Array.isArray(styles)) return null;
    const rewritten = mapCopy(styles, (style) => {
      if (!Array.isArray(style.rules)) return style;
      const rules = mapCopy(style.rules, (entry) => {
        if (typeof entry.rule !== 'string') return entry;
        const rule = this.rewriteCss(entry.rule);
        return rule === entry.rule ? entry : { ...entry, rule };
      });
      return rules === style.rules ? style : { ...style, rules };
    });
    return rewritten === styles ? null : { ...data, styles: rewritten };
  }

  /** Remembers the node and its subtree, and rewrites them; the node itself when nothing changes. */
  private rewriteNode(node: SerializedNode, parent: NodeFacts | null): SerializedNode {
    if (node.type === NODE_TEXT) {
      const styleText = node.isStyle === true || parent?.tag === 'style';
      this.nodes.set(node.id, { tag: '', styleText });
      if (!styleText || typeof node.textContent !== 'string') return node;
      const textContent = this.rewriteCss(node.textContent);
      return textContent === node.textContent ? node : { ...node, textContent };
    }
    let facts: NodeFacts | null = null;
    let result = node;
    if (node.type === NODE_ELEMENT) {
      const attributes = node.attributes ?? {};
      facts = this.rememberAttributes({ tag: (node.tagName ?? '').toLowerCase() }, attributes);
      this.nodes.set(node.id, facts);
      const rewritten = this.rewriteAttributes(facts, attributes, false);
      if (rewritten !== attributes) result = { ...node, attributes: rewritten };
    } else {
      this.nodes.set(node.id, { tag: '' });
    }
    if (Array.isArray(node.childNodes)) {
      const childParent = facts;
      const children = mapCopy(node.childNodes, (child) => this.rewriteNode(child, childParent));
      if (children !== node.childNodes) result = { ...result, childNodes: children };
    }
    return result;
  }

  private rememberAttributes(facts: NodeFacts, attributes: Record<string, unknown>): NodeFacts {
    const next = { ...facts };
    for (const name of ['rel', 'as', 'type'] as const) {
      if (!(name in attributes)) continue;
      const value = attributes[name];
      next[name] = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
    }
    if ('_cssText' in attributes) next.inlined = typeof attributes._cssText === 'string';
    return next;
  }

  /**
   * The element's attributes with asset URLs rewritten. A removed URL drops
   * the attribute from a snapshot node; in a mutation (`asMutation`) it is set
   * to null, which removes it from the replayed element.
   */
  private rewriteAttributes(
    facts: NodeFacts,
    attributes: Record<string, unknown>,
    asMutation: boolean,
  ): Record<string, unknown> {
    let result = attributes;
    const set = (name: string, value: string | null): void => {
      if (value === attributes[name]) return;
      if (result === attributes) result = { ...attributes };
      if (value === null && !asMutation) delete result[name];
      else result[name] = value;
    };
    for (const [name, value] of Object.entries(attributes)) {
      if (name === 'style') {
        if (typeof value === 'string') set(name, this.rewriteCss(value));
        else if (value && typeof value === 'object') {
          const diff = this.rewriteStyleDiff(value as Record<string, StyleValue>);
          if (diff !== value) {
            if (result === attributes) result = { ...attributes };
            result[name] = diff;
          }
        }
        continue;
      }
      if (typeof value !== 'string') continue;
      if (name === '_cssText') {
        set(name, this.rewriteCss(value));
      } else if (name === 'srcset' && isSrcsetAttribute(facts.tag)) {
        set(name, this.rewriteSrcset(value));
      } else if (isUrlAttribute(facts, name, value)) {
        set(name, this.rewriteUrl(value));
      }
    }
    return result;
  }

  private rewriteStyleDiff(diff: Record<string, StyleValue>): Record<string, StyleValue> {
    let result = diff;
    for (const [property, value] of Object.entries(diff)) {
      let rewritten: StyleValue = value;
      if (typeof value === 'string') {
        const css = this.rewriteCss(value);
        if (css !== value) rewritten = css;
      } else if (Array.isArray(value) && typeof value[0] === 'string') {
        const css = this.rewriteCss(value[0]);
        if (css !== value[0]) rewritten = [css, value[1]];
      }
      if (rewritten === value) continue;
      if (result === diff) result = { ...diff };
      result[property] = rewritten;
    }
    return result;
  }

  /** The new value of a URL attribute; null to remove it. Not an asset URL (data:, #x): as is. */
  private rewriteUrl(raw: string): string | null {
    const target = this.target(raw);
    return target === undefined ? raw : target;
  }

  /**
   * What an asset reference becomes: the Playback copy, the live URL, or null
   * (removed); undefined when `raw` is no asset URL at all.
   */
  private target(raw: string): string | null | undefined {
    const value = raw.trim();
    if (value === '' || value.startsWith('#')) return undefined;
    let url: URL;
    try {
      url = this.base === '' ? new URL(value) : new URL(value, this.base);
    } catch {
      return undefined;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    const fragment = url.hash;
    url.hash = '';
    const key = url.href;
    this.found.add(key);
    const asset = this.policy.assets.get(key);
    if (asset && asset.status === 'archived' && asset.hash !== '') return `${this.policy.base}${asset.hash}${fragment}`;
    return this.policy.live ? `${key}${fragment}` : null;
  }

  private rewriteSrcset(value: string): string | null {
    const candidates = parseSrcset(value);
    const kept: string[] = [];
    let changed = false;
    for (const candidate of candidates) {
      const target = this.target(candidate.url);
      if (target === undefined) {
        kept.push(candidate.text);
        continue;
      }
      changed = true;
      if (target !== null) kept.push(candidate.descriptors ? `${target} ${candidate.descriptors}` : target);
    }
    if (!changed) return value;
    return kept.length === 0 ? null : kept.join(', ');
  }

  /**
   * CSS text with its `url()` and `@import` targets rewritten (found as the
   * stage finds them); the same string when nothing changes. A removed
   * `@import` goes with its whole rule; a removed `url()` is `url("data:,")`.
   */
  private rewriteCss(css: string): string {
    if (!/url\(|@import/i.test(css)) return css;
    let out = '';
    let copied = 0;
    for (const ref of scanCss(css)) {
      const target = this.target(ref.value);
      if (target === undefined) continue;
      if (target === null && ref.rule) {
        out += css.slice(copied, ref.rule.start);
        copied = ref.rule.end;
        continue;
      }
      out += css.slice(copied, ref.start) + cssUrl(target ?? 'data:,');
      copied = ref.end;
    }
    return copied === 0 ? css : out + css.slice(copied);
  }

  /** The resolved href of the first `<base href>` in the subtree, if any. */
  private findBaseElement(node: SerializedNode): string | null {
    if (node.type === NODE_ELEMENT && (node.tagName ?? '').toLowerCase() === 'base') {
      const href = node.attributes?.href;
      if (typeof href === 'string' && href.trim() !== '') {
        try {
          return new URL(href.trim(), this.documentUrl || undefined).href;
        } catch {
          return null;
        }
      }
    }
    for (const child of node.childNodes ?? []) {
      const found = this.findBaseElement(child);
      if (found !== null) return found;
    }
    return null;
  }
}

function isSrcsetAttribute(tag: string): boolean {
  return tag === 'img' || tag === 'source';
}

/** Whether the attribute of an element with these facts holds an asset URL. */
function isUrlAttribute(facts: NodeFacts, name: string, value: string): boolean {
  switch (facts.tag) {
    case 'link': {
      if (name !== 'href' || facts.inlined) return false;
      const rels = (facts.rel ?? '').split(/\s+/);
      if (rels.some((rel) => LINK_RELS.has(rel))) return true;
      return rels.includes('preload') && PRELOAD_AS.has(facts.as ?? '');
    }
    case 'img':
      return name === 'src';
    case 'source':
      return name === 'src' && (facts.type ?? '').startsWith('image/');
    case 'input':
      return name === 'src' && facts.type === 'image';
    case 'video':
      return name === 'poster';
    case 'image':
      return name === 'href' || name === 'xlink:href';
    case 'use':
      return (name === 'href' || name === 'xlink:href') && !value.trim().startsWith('#');
    default:
      return false;
  }
}

interface SrcsetCandidate {
  url: string;
  descriptors: string;
  /** The candidate as written. */
  text: string;
}

/** Splits a srcset as the HTML parser does: a URL (trailing commas end it), then descriptors up to a comma. */
export function parseSrcset(value: string): SrcsetCandidate[] {
  const candidates: SrcsetCandidate[] = [];
  let position = 0;
  while (position < value.length) {
    while (position < value.length && /[\s,]/.test(value[position])) position++;
    if (position >= value.length) break;
    const start = position;
    while (position < value.length && !/\s/.test(value[position])) position++;
    let url = value.slice(start, position);
    let descriptors = '';
    if (url.endsWith(',')) {
      url = url.replace(/,+$/, '');
    } else {
      const descriptorStart = position;
      let depth = 0;
      while (position < value.length) {
        const char = value[position];
        if (char === '(') depth++;
        else if (char === ')') depth = Math.max(0, depth - 1);
        else if (char === ',' && depth === 0) break;
        position++;
      }
      descriptors = value.slice(descriptorStart, position).trim();
      position++;
    }
    candidates.push({ url, descriptors, text: descriptors ? `${url} ${descriptors}` : url });
  }
  return candidates;
}

/** Maps a list, returning the list itself when every item comes back unchanged. */
function mapCopy<T>(items: T[], map: (item: T) => T): T[] {
  let result: T[] | null = null;
  for (let index = 0; index < items.length; index++) {
    const item = items[index];
    const mapped = map(item);
    if (result === null && mapped !== item) result = items.slice(0, index);
    if (result !== null) result.push(mapped);
  }
  return result ?? items;
}

/** The fidelity of a replay: how many of the assets it uses are archived, and why the others are not. */
export interface AssetFidelity {
  used: number;
  missing: MissingAsset[];
  /** Reasons with their counts, the most frequent first. */
  reasons: { reason: string; count: number }[];
}

export interface MissingAsset {
  url: string;
  reason: string;
}

/** Reasons a replay says for an asset it has no copy of. */
export const NOT_ARCHIVED = 'not archived';
export const NOT_ARCHIVED_YET = 'not archived yet';

/** The assets used (the listing's and those found in the events) and why each missing one is missing. */
export function assetFidelity(listing: AssetListing, found: Iterable<string>): AssetFidelity {
  const byUrl = new Map<string, ListedAsset | null>();
  for (const asset of listing.assets) byUrl.set(asset.url, asset);
  for (const url of found) if (!byUrl.has(url)) byUrl.set(url, null);
  const missing: MissingAsset[] = [];
  for (const [url, asset] of byUrl) {
    if (asset && asset.status === 'archived' && asset.hash !== '') continue;
    missing.push({ url, reason: missingReason(asset) });
  }
  missing.sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  const counts = new Map<string, number>();
  for (const asset of missing) counts.set(asset.reason, (counts.get(asset.reason) ?? 0) + 1);
  const reasons = [...counts].map(([reason, count]) => ({ reason, count }));
  reasons.sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
  return { used: byUrl.size, missing, reasons };
}

function missingReason(asset: ListedAsset | null): string {
  if (asset === null) return NOT_ARCHIVED;
  if (asset.status === 'pending') return NOT_ARCHIVED_YET;
  if (asset.error.trim() !== '') return asset.error.trim();
  return asset.status === 'archived' ? NOT_ARCHIVED : asset.status;
}

/** "All 41 assets archived", "3 of 41 assets missing: 403 from cdn.example.com (2), not archived (1)". */
export function fidelitySummary(fidelity: AssetFidelity): string {
  const noun = fidelity.used === 1 ? 'asset' : 'assets';
  if (fidelity.used === 0) return 'No assets to archive';
  if (fidelity.missing.length === 0) {
    return fidelity.used === 1 ? 'The 1 asset is archived' : `All ${fidelity.used} ${noun} archived`;
  }
  const reasons = fidelity.reasons.map(({ reason, count }) => `${reason} (${count})`).join(', ');
  return `${fidelity.missing.length} of ${fidelity.used} ${noun} missing: ${reasons}`;
}

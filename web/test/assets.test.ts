import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { EventType, IncrementalSource, type eventWithTime } from '@rrweb/types';
import {
  assetFidelity,
  fidelitySummary,
  parseSrcset,
  rewriteEvents,
  type AssetListing,
  type ListedAsset,
} from '../src/assets';
import { liveAssetsRequested, liveAssetsUrl } from '../src/asset-fidelity';
import { meta } from './events';

const PAGE = 'https://shop.test/catalog/index.html';
const BASE = 'https://playback.test/v1/asset-grants/g1/';

function archived(url: string, hash: string): ListedAsset {
  return { url, status: 'archived', hash, content_type: 'image/png', bytes: 10, error: '' };
}

function failed(url: string, error: string, status: ListedAsset['status'] = 'failed'): ListedAsset {
  return { url, status, hash: '', content_type: '', bytes: 0, error };
}

const LISTING: AssetListing = {
  base: BASE,
  assets: [
    archived('https://cdn.test/site.css', 'aa01'),
    archived('https://shop.test/catalog/logo.png', 'aa02'),
    archived('https://shop.test/catalog/logo@2x.png', 'aa03'),
    archived('https://cdn.test/bg.png', 'aa04'),
    archived('https://cdn.test/sprite.svg', 'aa05'),
    archived('https://cdn.test/font.woff2', 'aa06'),
    archived('https://shop.test/poster.jpg', 'aa07'),
    failed('https://cdn.test/hero.png', '403 from cdn.test'),
    failed('https://evil.test/x.png', 'refused: 127.0.0.1 is a loopback address', 'refused'),
    failed('https://cdn.test/later.png', '', 'pending'),
  ],
};

let nextId = 1;
function el(tagName: string, attributes: Record<string, unknown>, childNodes: unknown[] = [], extra = {}): Record<string, unknown> {
  return { type: 2, tagName, attributes, childNodes, id: nextId++, ...extra };
}
function text(textContent: string): Record<string, unknown> {
  return { type: 3, textContent, id: nextId++ };
}

/** A FullSnapshot in rrweb 2.2.2's shape: a document, its doctype and an html element. */
function snapshot(timestamp: number, head: unknown[], body: unknown[]): eventWithTime {
  const node = {
    type: 0,
    id: nextId++,
    childNodes: [
      { type: 1, name: 'html', publicId: '', systemId: '', id: nextId++ },
      el('html', { lang: 'en' }, [el('head', {}, head), el('body', {}, body)]),
    ],
  };
  return { type: EventType.FullSnapshot, timestamp, data: { node, initialOffset: { top: 0, left: 0 } } } as eventWithTime;
}

function incremental(timestamp: number, data: Record<string, unknown>): eventWithTime {
  return { type: EventType.IncrementalSnapshot, timestamp, data } as unknown as eventWithTime;
}

/** Every element of a snapshot tree, by tag name, in document order. */
function elements(event: eventWithTime, tagName: string): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  const walk = (node: Record<string, unknown>): void => {
    if (node.tagName === tagName) found.push(node);
    for (const child of (node.childNodes as Record<string, unknown>[] | undefined) ?? []) walk(child);
  };
  walk((event.data as { node: Record<string, unknown> }).node);
  return found;
}

function attrs(node: Record<string, unknown>): Record<string, unknown> {
  return node.attributes as Record<string, unknown>;
}

function textOf(node: Record<string, unknown>): string {
  return ((node.childNodes as Record<string, unknown>[])[0].textContent as string) ?? '';
}

function pageEvents(): eventWithTime[] {
  return [
    meta(1, PAGE),
    snapshot(
      2,
      [
        el('link', { rel: 'stylesheet', href: 'https://cdn.test/site.css' }),
        el('link', { rel: 'shortcut icon', href: '/favicon.ico' }),
        el('link', { rel: 'preload', as: 'script', href: 'https://cdn.test/app.js' }),
        el('link', { rel: 'preload', as: ' Font ', href: 'https://cdn.test/font.woff2', crossorigin: '' }),
        el('link', { rel: 'canonical', href: 'https://shop.test/catalog/' }),
        el('link', { _cssText: '.hero { background: url("https://cdn.test/bg.png"); }' }),
        el('style', { _cssText: '@import url("https://cdn.test/site.css") screen;\n.x { background: url(https://cdn.test/hero.png) }' }, [text('')]),
        el('style', {}, [text("@import 'missing.css'; .y { background-image: url('logo.png#frag'), url(data:image/png;base64,AA==) }")]),
      ],
      [
        el('img', { src: 'logo.png', srcset: 'logo.png 1x, logo@2x.png 2x, https://cdn.test/hero.png 3x', alt: 'Logo' }),
        el('img', { src: 'data:image/gif;base64,R0lGOD', alt: 'inline' }),
        el('video', { poster: '/poster.jpg', src: 'https://cdn.test/clip.mp4' }),
        el('picture', {}, [
          el('source', { srcset: 'https://cdn.test/hero.png', type: 'image/webp' }),
          el('source', { src: 'https://cdn.test/bg.png', type: 'image/png' }),
        ]),
        el('input', { type: 'IMAGE ', src: 'https://evil.test/x.png' }),
        el('svg', {}, [
          el('use', { href: 'https://cdn.test/sprite.svg#cart' }, [], { isSVG: true }),
          el('use', { href: '#local' }, [], { isSVG: true }),
          el('image', { 'xlink:href': 'https://cdn.test/later.png' }, [], { isSVG: true }),
        ], { isSVG: true }),
        el('div', { style: 'background: url("https://cdn.test/bg.png") no-repeat; color: red' }),
        el('a', { href: 'https://shop.test/cart' }),
        el('script', { src: 'https://cdn.test/app.js' }),
      ],
    ),
  ];
}

test('archived assets point at the copies, the others are removed, and the rest of the page is as recorded', () => {
  const input = pageEvents();
  const before = JSON.stringify(input);
  const { events, found } = rewriteEvents(input, LISTING, false);
  assert.equal(JSON.stringify(input), before, 'the input events are not changed');
  assert.equal(events[0], input[0], 'Meta is passed as is');

  const snap = events[1];
  const links = elements(snap, 'link');
  assert.equal(attrs(links[0]).href, `${BASE}aa01`);
  assert.equal('href' in attrs(links[1]), false, 'the icon is not archived: its href goes');
  assert.equal(attrs(links[2]).href, 'https://cdn.test/app.js', 'a script preload is no appearance asset');
  assert.equal(attrs(links[3]).href, `${BASE}aa06`);
  assert.equal(attrs(links[4]).href, 'https://shop.test/catalog/', 'canonical stays');
  assert.equal(attrs(links[5])._cssText, `.hero { background: url("${BASE}aa04"); }`);

  const styles = elements(snap, 'style');
  assert.equal(attrs(styles[0])._cssText, `@import url("${BASE}aa01") screen;\n.x { background: url("data:,") }`);
  assert.equal(
    textOf(styles[1]),
    ` .y { background-image: url("${BASE}aa02#frag"), url(data:image/png;base64,AA==) }`,
    'a removed @import goes whole; a relative url() resolves against the page; data: stays',
  );

  const [logo, inline] = elements(snap, 'img');
  assert.equal(attrs(logo).src, `${BASE}aa02`);
  assert.equal(attrs(logo).srcset, `${BASE}aa02 1x, ${BASE}aa03 2x`);
  assert.equal(attrs(logo).alt, 'Logo');
  assert.equal(attrs(inline).src, 'data:image/gif;base64,R0lGOD');

  const [video] = elements(snap, 'video');
  assert.equal(attrs(video).poster, `${BASE}aa07`);
  assert.equal(attrs(video).src, 'https://cdn.test/clip.mp4', 'media is not an appearance asset');
  const [webp, png] = elements(snap, 'source');
  assert.equal('srcset' in attrs(webp), false, 'every candidate removed: the attribute goes');
  assert.equal(attrs(png).src, `${BASE}aa04`);
  assert.equal('src' in attrs(elements(snap, 'input')[0]), false);
  const [sprite, local] = elements(snap, 'use');
  assert.equal(attrs(sprite).href, `${BASE}aa05#cart`, 'the fragment of a sprite is kept');
  assert.equal(attrs(local).href, '#local');
  assert.equal('xlink:href' in attrs(elements(snap, 'image')[0]), false, 'pending: removed');
  assert.equal(attrs(elements(snap, 'div')[0]).style, `background: url("${BASE}aa04") no-repeat; color: red`);
  assert.equal(attrs(elements(snap, 'a')[0]).href, 'https://shop.test/cart');
  assert.equal(attrs(elements(snap, 'script')[0]).src, 'https://cdn.test/app.js');

  assert.deepEqual([...found].sort(), [
    'https://cdn.test/bg.png',
    'https://cdn.test/font.woff2',
    'https://cdn.test/hero.png',
    'https://cdn.test/later.png',
    'https://cdn.test/site.css',
    'https://cdn.test/sprite.svg',
    'https://evil.test/x.png',
    'https://shop.test/catalog/logo.png',
    'https://shop.test/catalog/logo@2x.png',
    'https://shop.test/catalog/missing.css',
    'https://shop.test/favicon.ico',
    'https://shop.test/poster.jpg',
  ]);
});

test('with live assets the missing ones keep their resolved original URL; archived ones still use the copies', () => {
  const { events } = rewriteEvents(pageEvents(), LISTING, true);
  const snap = events[1];
  assert.equal(attrs(elements(snap, 'link')[1]).href, 'https://shop.test/favicon.ico');
  assert.equal(attrs(elements(snap, 'link')[0]).href, `${BASE}aa01`);
  assert.equal(attrs(elements(snap, 'img')[0]).srcset, `${BASE}aa02 1x, ${BASE}aa03 2x, https://cdn.test/hero.png 3x`);
  assert.match(textOf(elements(snap, 'style')[1]), /^@import url\("https:\/\/shop\.test\/catalog\/missing\.css"\);/);
  assert.equal(attrs(elements(snap, 'source')[0]).srcset, 'https://cdn.test/hero.png');
});

test('mutations: added nodes, attribute changes by the element they belong to, style text and style diffs', () => {
  const input = pageEvents();
  const snap = input[1];
  const imgId = elements(snap, 'img')[0].id as number;
  const anchorId = elements(snap, 'a')[0].id as number;
  const headId = elements(snap, 'head')[0].id as number;
  const divId = elements(snap, 'div')[0].id as number;
  const styleId = nextId++;
  const styleTextId = nextId++;
  const mutation = incremental(3, {
    source: IncrementalSource.Mutation,
    // rrweb lists the text before the style element it goes into.
    adds: [
      { parentId: styleId, nextId: null, node: { type: 3, textContent: '.z { background: url(/poster.jpg) }', id: styleTextId } },
      { parentId: headId, nextId: null, node: { type: 2, tagName: 'style', attributes: {}, childNodes: [], id: styleId } },
    ],
    attributes: [
      { id: imgId, attributes: { src: 'https://cdn.test/hero.png', srcset: null } },
      { id: anchorId, attributes: { href: 'https://cdn.test/bg.png' } },
      { id: divId, attributes: { style: { 'background-image': ['url(https://cdn.test/bg.png)', 'important'], color: 'blue', margin: false } } },
    ],
    texts: [{ id: styleTextId, value: '.z { background: url("https://cdn.test/hero.png") }' }],
    removes: [],
  });
  const before = JSON.stringify(mutation);
  const { events } = rewriteEvents([...input, mutation], LISTING, false);
  assert.equal(JSON.stringify(mutation), before);
  const data = events[2].data as unknown as {
    adds: { node: { textContent?: string } }[];
    attributes: { attributes: Record<string, unknown> }[];
    texts: { value: string }[];
  };
  assert.equal(data.adds[0].node.textContent, `.z { background: url("${BASE}aa07") }`);
  assert.deepEqual(data.attributes[0].attributes, { src: null, srcset: null }, 'a removed src is removed from the element');
  assert.deepEqual(data.attributes[1].attributes, { href: 'https://cdn.test/bg.png' }, 'an anchor is not an asset');
  assert.deepEqual(data.attributes[2].attributes.style, {
    'background-image': [`url("${BASE}aa04")`, 'important'],
    color: 'blue',
    margin: false,
  });
  assert.equal(data.texts[0].value, '.z { background: url("data:,") }');
});

test('style sheet rules, declarations and adopted sheets are rewritten', () => {
  const events = [
    meta(1, PAGE),
    snapshot(2, [], []),
    incremental(3, { source: IncrementalSource.StyleSheetRule, id: 9, adds: [{ rule: '.a { background: url(/poster.jpg) }', index: 0 }] }),
    incremental(4, { source: IncrementalSource.StyleSheetRule, styleId: 1, replaceSync: '.b { background: url(https://cdn.test/hero.png) }' }),
    incremental(5, {
      source: IncrementalSource.StyleDeclaration,
      id: 9,
      index: [0],
      set: { property: 'background', value: 'url("https://cdn.test/bg.png")', priority: undefined },
    }),
    incremental(6, {
      source: IncrementalSource.AdoptedStyleSheet,
      id: 1,
      styleIds: [1],
      styles: [{ styleId: 1, rules: [{ rule: '@font-face { font-family: F; src: url(https://cdn.test/font.woff2) format("woff2") }', index: 0 }] }],
    }),
    incremental(7, { source: IncrementalSource.Scroll, id: 1, x: 0, y: 10 }),
  ];
  const { events: out } = rewriteEvents(events, LISTING, false);
  const data = out.map((event) => event.data as unknown as Record<string, any>);
  assert.equal(data[2].adds[0].rule, `.a { background: url("${BASE}aa07") }`);
  assert.equal(data[2].adds[0].index, 0);
  assert.equal(data[3].replaceSync, '.b { background: url("data:,") }');
  assert.equal(data[4].set.value, `url("${BASE}aa04")`);
  assert.equal(data[5].styles[0].rules[0].rule, `@font-face { font-family: F; src: url("${BASE}aa06") format("woff2") }`);
  assert.equal(out[6], events[6], 'events without assets are the same objects');
});

test('the base is the latest Meta href, and a <base href> in the snapshot overrides it', () => {
  const listing: AssetListing = {
    base: BASE,
    assets: [archived('https://static.test/img/a.png', 'bb01'), archived('https://other.test/a.png', 'bb02')],
  };
  const events = [
    meta(1, 'https://shop.test/one/'),
    snapshot(2, [el('base', { href: 'https://static.test/img/' })], [el('img', { src: 'a.png' })]),
    meta(3, 'https://other.test/'),
    snapshot(4, [], [el('img', { src: 'a.png' })]),
  ];
  const { events: out, found } = rewriteEvents(events, listing, false);
  assert.equal(attrs(elements(out[1], 'img')[0]).src, `${BASE}bb01`);
  assert.equal(attrs(elements(out[3], 'img')[0]).src, `${BASE}bb02`, 'a new page drops the old <base>');
  assert.deepEqual([...found].sort(), ['https://other.test/a.png', 'https://static.test/img/a.png']);
});

test('srcset parsing keeps descriptors and commas inside URLs', () => {
  assert.deepEqual(
    parseSrcset(' a.png 1x,b.png  2x , https://x.test/c,d.png 480w').map(({ url, descriptors }) => [url, descriptors]),
    [['a.png', '1x'], ['b.png', '2x'], ['https://x.test/c,d.png', '480w']],
  );
  assert.deepEqual(parseSrcset('a.png, b.png').map(({ url }) => url), ['a.png', 'b.png']);
});

test('a real recording of the demo page (data: icon, inlined stylesheets) comes through unchanged', () => {
  const fixture = JSON.parse(readFileSync(new URL('../../e2e/fixtures/demo-session-batches.json', import.meta.url), 'utf8')) as {
    batches: { events: eventWithTime[] }[];
  };
  const events = fixture.batches.flatMap((batch) => batch.events);
  const { events: out, found } = rewriteEvents(events, { base: BASE, assets: [] }, false);
  assert.equal(found.size, 0);
  assert.equal(out.length, events.length);
  for (let index = 0; index < events.length; index++) assert.equal(out[index], events[index]);
});

test('the fidelity line counts the listing and the URLs found, and groups the reasons, the most frequent first', () => {
  const listing: AssetListing = {
    base: BASE,
    assets: [
      archived('https://cdn.test/a.css', 'c1'),
      failed('https://cdn.example.com/1.png', '403 from cdn.example.com'),
      failed('https://cdn.example.com/2.png', '403 from cdn.example.com'),
      failed('https://cdn.test/p.png', '', 'pending'),
    ],
  };
  const fidelity = assetFidelity(listing, ['https://cdn.test/a.css', 'https://cdn.test/unknown.png']);
  assert.equal(fidelity.used, 5);
  assert.deepEqual(fidelity.reasons, [
    { reason: '403 from cdn.example.com', count: 2 },
    { reason: 'not archived', count: 1 },
    { reason: 'not archived yet', count: 1 },
  ]);
  assert.equal(fidelitySummary(fidelity), '4 of 5 assets missing: 403 from cdn.example.com (2), not archived (1), not archived yet (1)');
  assert.deepEqual(fidelity.missing.map((asset) => asset.url), [
    'https://cdn.example.com/1.png',
    'https://cdn.example.com/2.png',
    'https://cdn.test/p.png',
    'https://cdn.test/unknown.png',
  ]);
  assert.equal(fidelitySummary(assetFidelity({ base: BASE, assets: [archived('https://a.test/1', 'h')] }, ['https://a.test/1'])), 'The 1 asset is archived');
  const all = Array.from({ length: 41 }, (_, index) => archived(`https://a.test/${index}`, `h${index}`));
  assert.equal(fidelitySummary(assetFidelity({ base: BASE, assets: all }, [])), 'All 41 assets archived');
});

test('the live-assets switch sets or clears live_assets=1 and keeps the moment and the rest of the URL', () => {
  assert.equal(liveAssetsUrl('https://pb.test/sessions/s1?t=5', true, 12_345.6), 'https://pb.test/sessions/s1?t=12346&live_assets=1');
  assert.equal(liveAssetsUrl('https://pb.test/s/tok?live_assets=1&t=9', false, 2_000), 'https://pb.test/s/tok?t=2000');
  assert.equal(liveAssetsUrl('https://pb.test/s/tok', true), 'https://pb.test/s/tok?live_assets=1');
  assert.equal(liveAssetsRequested(new URLSearchParams('live_assets=1')), true);
  assert.equal(liveAssetsRequested(new URLSearchParams('live_assets=0')), false);
  assert.equal(liveAssetsRequested(new URLSearchParams('')), false);
});

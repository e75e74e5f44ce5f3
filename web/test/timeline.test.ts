import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractLocations, playerTimeFor, sessionOffsetFor, syncTimelines, urlAt, viewportOf } from '../src/timeline';
import { click, fullSnapshot, loadedWindow, meta, mutation, pageview } from './events';

const T0 = 1_764_300_000_000;

test('a page load is shown at its FullSnapshot, strictly after it, and a pageview at once', () => {
  const events = [meta(T0, 'https://shop.test/'), fullSnapshot(T0 + 40), click(T0 + 500), pageview(T0 + 3_000, 'https://shop.test/cart')];
  assert.deepEqual(extractLocations(events), [
    { timestamp: T0, href: 'https://shop.test/', shownAt: T0 + 41 },
    { timestamp: T0 + 3_000, href: 'https://shop.test/cart', shownAt: T0 + 3_000 },
  ]);
});

test('a FullSnapshot more than 2 s after the Meta event is not its page load', () => {
  const events = [meta(T0, 'https://shop.test/'), mutation(T0 + 1_000), fullSnapshot(T0 + 2_001)];
  assert.deepEqual(extractLocations(events), [{ timestamp: T0, href: 'https://shop.test/', shownAt: T0 }]);
});

test('events without an href are not navigations', () => {
  const noHref = { type: 4, timestamp: T0, data: { width: 1, height: 1 } } as Parameters<typeof extractLocations>[0][number];
  const otherTag = { type: 5, timestamp: T0, data: { tag: 'checkout', payload: { href: 'https://x.test/' } } } as Parameters<typeof extractLocations>[0][number];
  assert.deepEqual(extractLocations([noHref, otherTag, click(T0 + 1)]), []);
  assert.deepEqual(extractLocations([]), []);
});

test('windows are placed on the session clock from the earliest first timestamp', () => {
  const first = loadedWindow('w1', [meta(T0 + 5_000, 'https://a.test/'), click(T0 + 9_000)]);
  const second = loadedWindow('w2', [meta(T0, 'https://b.test/'), click(T0 + 1_000)]);
  const [one, two] = syncTimelines([], [first, second]);
  assert.equal(one.sessionOffset, 5_000);
  assert.equal(two.sessionOffset, 0);
  assert.equal(one.start, T0 + 5_000);
  assert.equal(one.end, T0 + 9_000);
  // A transcript offset maps to the window's player time and back.
  assert.equal(playerTimeFor(one, 6_000), 1_000);
  assert.equal(sessionOffsetFor(one, 1_000), 6_000);
  // Before the window or after its end, the player time is clamped to the replay.
  assert.equal(playerTimeFor(one, 0), 0);
  assert.equal(playerTimeFor(one, 60_000), 4_000);
});

test('a timeline object is kept as its window grows, and its locations follow the events', () => {
  const window = loadedWindow('w1', [meta(T0, 'https://a.test/')]);
  const [before] = syncTimelines([], [window]);
  assert.equal(before.locations.length, 1);
  const grown = { ...window, last: T0 + 10_000, events: [...window.events, pageview(T0 + 10_000, 'https://a.test/next')] };
  const [after] = syncTimelines([before], [grown]);
  assert.equal(after, before, 'the same object, updated in place');
  assert.equal(after.end, T0 + 10_000);
  assert.deepEqual(
    after.locations.map((location) => location.href),
    ['https://a.test/', 'https://a.test/next'],
  );
});

test('a window with no events yet spans zero time and has no URL or viewport', () => {
  const empty = loadedWindow('w1', [], { first: T0, last: T0 - 5 });
  const [timeline] = syncTimelines([], [empty]);
  assert.equal(timeline.end, timeline.start, 'a last before the first is clamped');
  assert.equal(urlAt(timeline, 0), '');
  assert.equal(playerTimeFor(timeline, 1_000), 0);
  assert.equal(viewportOf(timeline), undefined);
});

test('urlAt gives the page of a moment, the first page before any navigation', () => {
  const events = [meta(T0 + 100, 'https://a.test/'), pageview(T0 + 5_000, 'https://a.test/two')];
  const [timeline] = syncTimelines([], [loadedWindow('w1', events, { first: T0, last: T0 + 9_000 })]);
  assert.equal(urlAt(timeline, 0), 'https://a.test/');
  assert.equal(urlAt(timeline, 4_999), 'https://a.test/');
  assert.equal(urlAt(timeline, 5_000), 'https://a.test/two');
  assert.equal(urlAt(timeline, 9_000), 'https://a.test/two');
});

test('the viewport is the first Meta event that has one', () => {
  const events = [meta(T0, 'https://a.test/', 390, 844), meta(T0 + 10, 'https://a.test/', 1920, 1080)];
  const [timeline] = syncTimelines([], [loadedWindow('w1', events)]);
  assert.deepEqual(viewportOf(timeline), { width: 390, height: 844 });
});

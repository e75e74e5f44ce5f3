import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TranscriptEvent } from '../src/api';
import { clusterMarks } from '../src/player-timeline';
import { unrecordedUrl } from '../src/timeline';
import { transcriptTitle } from '../src/transcript';

function event(kind: string, fields: Partial<TranscriptEvent> = {}): TranscriptEvent {
  return {
    kind: kind as TranscriptEvent['kind'],
    name: '',
    offset_ms: 0,
    props: {},
    target: '',
    title: '',
    ts: 0,
    url: 'https://shop.test/checkout?step=2',
    window_id: 'w',
    ...fields,
  };
}

test('marks closer than the gap on screen are one cluster, chained; farther ones stand alone', () => {
  const marks = [0, 10, 20, 1_000, 1_005].map((playerTime) => ({ playerTime }));
  // 0.5 px per ms: 0, 5, 10 px chain; 500 and 502.5 px pair.
  assert.deepEqual(
    clusterMarks(marks, 0.5).map((cluster) => cluster.map((mark) => mark.playerTime)),
    [[0, 10, 20], [1_000, 1_005]],
  );
  assert.equal(clusterMarks(marks, 1).length, 4, 'at 1 px per ms only 1 000 and 1 005 are close');
});

test('the address link carries the no-record marker, keeping the rest of the URL', () => {
  assert.equal(unrecordedUrl('https://shop.test/cart?x=1#top'), 'https://shop.test/cart?x=1&__playback_no_record=1#top');
  assert.equal(unrecordedUrl(''), '#');
  assert.equal(unrecordedUrl('about:blank'), 'about:blank');
});

test("a tile reads the server's title, and the kind's label when a row has none", () => {
  assert.equal(transcriptTitle(event('click', { title: 'Clicked "Add item"', target: 'button#add' })), 'Clicked "Add item"');
  assert.equal(transcriptTitle(event('identify', { title: ' Identified as ada@example.com ' })), 'Identified as ada@example.com');
  assert.equal(transcriptTitle(event('dead_click')), 'Dead click');
});

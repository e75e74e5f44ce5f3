import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventType, IncrementalSource, type eventWithTime } from '@rrweb/types';
import type { ChunkInfo, RecordingChunk, RecordingManifest, RecordingSource } from '../src/api';
import type { AssetListing } from '../src/assets';
import { RecordingLoader } from '../src/recording';
import { meta } from './events';

// The loader's timers are the browser's `window.setTimeout`; node has the same ones on globalThis.
(globalThis as { window?: unknown }).window ??= globalThis;

const BASE = 'https://playback.test/v1/asset-grants/g/';
const LISTING: AssetListing = {
  base: BASE,
  assets: [
    { url: 'https://shop.test/a.png', status: 'archived', hash: 'h1', content_type: 'image/png', bytes: 1, error: '' },
    { url: 'https://shop.test/b.png', status: 'archived', hash: 'h2', content_type: 'image/png', bytes: 1, error: '' },
  ],
};

function chunkInfo(id: string, first: number, last: number, seq: number, snapshot: boolean): ChunkInfo {
  return { id, first_seq: seq, last_seq: seq, first_ts_ms: first, last_ts_ms: last, snapshot, events: 2, bytes: 1 };
}

/** One window of two chunks: `c0` opens with the snapshot, `c1` continues it. */
function snapshotThenMutations(): RecordingManifest {
  return {
    session_id: 's',
    complete: true,
    session_events: 4,
    archived_events: 4,
    windows: [
      {
        window_id: 'w',
        first_ts_ms: 100,
        last_ts_ms: 400,
        chunks: [chunkInfo('c0', 100, 200, 0, true), chunkInfo('c1', 300, 400, 1, false)],
      },
    ],
  };
}

/** A snapshot with one `<img>` (id 5) whose src is relative to the page. */
function snapshotWithImage(timestamp: number, src: string): eventWithTime {
  const node = {
    type: 0,
    id: 1,
    childNodes: [
      {
        type: 2,
        tagName: 'html',
        attributes: {},
        id: 2,
        childNodes: [{ type: 2, tagName: 'body', attributes: {}, id: 3, childNodes: [{ type: 2, tagName: 'img', attributes: { src }, childNodes: [], id: 5 }] }],
      },
    ],
  };
  return { type: EventType.FullSnapshot, timestamp, data: { node, initialOffset: { top: 0, left: 0 } } } as eventWithTime;
}

function setSrc(timestamp: number, src: string): eventWithTime {
  return {
    type: EventType.IncrementalSnapshot,
    timestamp,
    data: { source: IncrementalSource.Mutation, adds: [], removes: [], texts: [], attributes: [{ id: 5, attributes: { src } }] },
  } as eventWithTime;
}

/** A source whose chunks arrive when the test says so. */
function manualSource(chunks: Record<string, eventWithTime[]>, manifest: RecordingManifest) {
  const waiting = new Map<string, () => void>();
  const requested: string[] = [];
  const source: RecordingSource = {
    manifest: () => Promise.resolve(manifest),
    assets: () => Promise.resolve(LISTING),
    chunk: (id) => {
      requested.push(id);
      return new Promise<RecordingChunk>((resolve) => {
        const seq = Object.keys(chunks).indexOf(id);
        waiting.set(id, () => resolve({ window_id: 'w', batches: [{ seq, events: chunks[id] }] }));
      });
    },
  };
  const deliver = async (id: string): Promise<void> => {
    const resolve = waiting.get(id);
    assert.ok(resolve, `chunk ${id} was asked for`);
    waiting.delete(id);
    resolve();
    // Lets the loader's continuations run.
    for (let turn = 0; turn < 5; turn++) await Promise.resolve();
  };
  return { source, deliver, requested };
}

test('a chunk that arrives before the one it continues waits for it, then is rewritten with its page and nodes', async () => {
  const manifest = snapshotThenMutations();
  const chunks = {
    c0: [meta(100, 'https://shop.test/page'), snapshotWithImage(200, 'a.png')],
    c1: [setSrc(300, 'b.png'), setSrc(400, 'https://elsewhere.test/c.png')],
  };
  const { source, deliver } = manualSource(chunks, manifest);
  const loader = new RecordingLoader(source, manifest, source.assets(), false);
  const given: string[] = [];
  let assetUpdates = 0;
  loader.subscribe({
    events: (_window, added) => given.push(...added.map((event) => String(event.timestamp))),
    assets: () => assetUpdates++,
  });
  const tab = loader.windows.get('w');
  assert.ok(tab);
  const ready = loader.ensure('w', 350);

  await deliver('c1');
  assert.equal(tab.loaded.has('c1'), false, 'held: its img is not known yet');
  assert.equal(tab.events.length, 0);

  await deliver('c0');
  await ready;
  assert.deepEqual([...tab.loaded].sort(), ['c0', 'c1']);
  assert.deepEqual(given, ['100', '200', '300', '400'], 'given out in recorded order');
  const snapshotImg = (tab.events[1].data as any).node.childNodes[0].childNodes[0].childNodes[0];
  assert.equal(snapshotImg.attributes.src, `${BASE}h1`);
  assert.deepEqual((tab.events[2].data as any).attributes[0].attributes, { src: `${BASE}h2` });
  assert.deepEqual((tab.events[3].data as any).attributes[0].attributes, { src: null }, 'not archived: removed');
  assert.deepEqual([...loader.assetsFound].sort(), ['https://elsewhere.test/c.png', 'https://shop.test/a.png', 'https://shop.test/b.png']);
  assert.ok(assetUpdates >= 1, 'the fidelity line heard of the assets found');
  assert.equal((chunks.c1[0].data as any).attributes[0].attributes.src, 'b.png', 'the fetched events are not changed');
  loader.stop();
});

test('a chunk whose previous chunk is not on its way is not held: it goes out with what is known', async () => {
  const manifest = snapshotThenMutations();
  const events = [setSrc(300, 'https://shop.test/b.png')];
  let failures = 0;
  const source: RecordingSource = {
    manifest: () => Promise.resolve(manifest),
    assets: () => Promise.resolve(LISTING),
    // The snapshot chunk cannot be read (a blob retired by a merge), and fails only once the
    // next one arrived: that one waits while it is in flight, then goes out without it.
    chunk: (id) => {
      if (id === 'c0') {
        failures++;
        return new Promise((_, reject) => setTimeout(() => reject(new Error('gone')), 5));
      }
      return Promise.resolve({ window_id: 'w', batches: [{ seq: 1, events }] });
    },
  };
  const loader = new RecordingLoader(source, manifest, source.assets(), false);
  try {
    const tab = loader.windows.get('w');
    assert.ok(tab);
    await loader.ensure('w', 350).catch(() => undefined);
    for (let turn = 0; turn < 10; turn++) await Promise.resolve();
    assert.ok(failures >= 1, 'the snapshot chunk was asked for');
    assert.equal(tab.loaded.has('c1'), true, 'given out without waiting for a chunk that is not coming');
    assert.deepEqual(
      (tab.events[0].data as any).attributes[0].attributes,
      { src: 'https://shop.test/b.png' },
      'an attribute of a node not seen yet stays as recorded (the CSP blocks it)',
    );
  } finally {
    loader.stop();
  }
});

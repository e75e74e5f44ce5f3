import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore } from '../src/storage';
import { uuidv7 } from '../src/uuid';
import { parseWindowState, windowStateFor, WindowSequence } from '../src/window';

const KEY = 'playback.window.pk_test';

test('seq starts at 0 and continues across reloads of the same tab', () => {
  const tab = new MemoryStore();
  const first = new WindowSequence(tab, KEY, () => uuidv7());
  first.bindSession('session-1');
  assert.deepEqual([first.nextSeq(), first.nextSeq(), first.nextSeq()], [0, 1, 2]);

  assert.equal(WindowSequence.hasStored(tab, KEY), true);
  const reloaded = new WindowSequence(tab, KEY, () => uuidv7());
  reloaded.bindSession('session-1');
  assert.equal(reloaded.windowId, first.windowId);
  assert.equal(reloaded.nextSeq(), 3);
});

test('a new session restarts seq at 0 in the same window', () => {
  const tab = new MemoryStore();
  const windows = new WindowSequence(tab, KEY, () => uuidv7());
  windows.bindSession('session-1');
  windows.nextSeq();
  windows.nextSeq();
  const windowId = windows.windowId;
  windows.bindSession('session-2');
  assert.equal(windows.windowId, windowId);
  assert.equal(windows.sessionId, 'session-2');
  assert.equal(windows.nextSeq(), 0);
});

test('separate tabs get separate window ids', () => {
  const a = new WindowSequence(new MemoryStore(), KEY, () => uuidv7());
  const b = new WindowSequence(new MemoryStore(), KEY, () => uuidv7());
  assert.notEqual(a.windowId, b.windowId);
  assert.match(a.windowId, /^[A-Za-z0-9_-]{1,64}$/);
});

test('a copied tab that renews its window id starts its own sequence', () => {
  const original = new MemoryStore();
  const windows = new WindowSequence(original, KEY, () => uuidv7());
  windows.bindSession('session-1');
  windows.nextSeq();
  const copy = new MemoryStore();
  copy.setItem(KEY, original.getItem(KEY) ?? '');
  const copied = new WindowSequence(copy, KEY, () => uuidv7());
  assert.equal(copied.windowId, windows.windowId);
  copied.renewWindowId();
  assert.notEqual(copied.windowId, windows.windowId);
  assert.equal(copied.sessionId, 'session-1');
  assert.equal(copied.nextSeq(), 0);
  assert.equal(windows.nextSeq(), 1);
});

test('windowStateFor and parseWindowState', () => {
  assert.deepEqual(windowStateFor(null, 's', () => 'w'), { window_id: 'w', session_id: 's', next_seq: 0 });
  const stored = { window_id: 'w1', session_id: 's', next_seq: 7 };
  assert.deepEqual(windowStateFor(stored, 's', () => 'w2'), stored);
  assert.deepEqual(windowStateFor(stored, 't', () => 'w2'), { window_id: 'w1', session_id: 't', next_seq: 0 });
  assert.equal(parseWindowState({ window_id: 'bad id!', session_id: 's', next_seq: 0 }), null);
  assert.equal(parseWindowState({ window_id: 'w', session_id: 's', next_seq: -1 }), null);
  assert.deepEqual(parseWindowState(stored), stored);
});

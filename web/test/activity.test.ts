import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACTIVE_IDLE_CAP_MS, activeUntil, computeActivity, idleAt, isUserAction } from '../src/activity';
import { syncTimelines } from '../src/timeline';
import { click, fullSnapshot, loadedWindow, meta, mutation, scroll } from './events';

const T0 = 1_764_300_000_000;

test('only incremental snapshots a person causes are user actions', () => {
  assert.equal(isUserAction(click(T0)), true);
  assert.equal(isUserAction(scroll(T0)), true);
  assert.equal(isUserAction(mutation(T0)), false, 'a DOM mutation is the page, not the person');
  assert.equal(isUserAction(meta(T0, 'https://a.test/')), false);
  assert.equal(isUserAction(fullSnapshot(T0)), false);
});

test('gaps between actions count up to the cap; the rest is idle', () => {
  // Actions at 0, 2 s and 30 s; the recording ends at 40 s.
  const events = [click(T0), click(T0 + 2_000), click(T0 + 30_000), mutation(T0 + 40_000)];
  const activity = computeActivity(syncTimelines([], [loadedWindow('w1', events)]));
  // 0 to 2 s counts whole, the 28 s gap counts 10 s, the last action starts no gap.
  assert.deepEqual(activity.active, [{ start: 0, end: 2_000 + ACTIVE_IDLE_CAP_MS }]);
  assert.equal(activity.total, 2_000 + ACTIVE_IDLE_CAP_MS);
  assert.deepEqual(activity.idle, [{ start: 12_000, end: 40_000 }], 'past the cap and after the last action');
  assert.equal(activity.end, 40_000);
});

test('the activity counter stands still in idle stretches', () => {
  const events = [click(T0), click(T0 + 2_000), click(T0 + 30_000), click(T0 + 31_000)];
  const activity = computeActivity(syncTimelines([], [loadedWindow('w1', events)]));
  assert.equal(activeUntil(activity, 1_000), 1_000);
  assert.equal(activeUntil(activity, 12_000), 12_000);
  assert.equal(activeUntil(activity, 20_000), 12_000, 'idle: no change');
  assert.equal(activeUntil(activity, 30_500), 12_500);
  assert.equal(activeUntil(activity, 99_000), activity.total);
  assert.equal(activity.total, 13_000);
  assert.deepEqual(idleAt(activity, 20_000), { start: 12_000, end: 30_000 });
  assert.equal(idleAt(activity, 5_000), undefined);
  assert.equal(idleAt(activity, 30_000), undefined, 'an idle stretch ends where activity resumes');
});

test('a recording without actions is one idle stretch, and short stretches are not skipped', () => {
  const quiet = computeActivity(syncTimelines([], [loadedWindow('w1', [meta(T0, 'https://a.test/'), mutation(T0 + 5_000)])]));
  assert.deepEqual(quiet.active, []);
  assert.equal(quiet.total, 0);
  assert.deepEqual(quiet.idle, [{ start: 0, end: 5_000 }]);
  assert.equal(activeUntil(quiet, 3_000), 0);

  const busy = computeActivity(syncTimelines([], [loadedWindow('w1', [click(T0), click(T0 + 500), mutation(T0 + 900)])]));
  assert.deepEqual(busy.idle, [], 'idle stretches under a second are not worth a jump');
  assert.equal(busy.total, 500);
});

test('actions of every window count on the session clock', () => {
  const first = loadedWindow('w1', [click(T0), click(T0 + 1_000)]);
  const second = loadedWindow('w2', [click(T0 + 1_500), click(T0 + 4_000)]);
  const activity = computeActivity(syncTimelines([], [first, second]));
  assert.deepEqual(activity.active, [{ start: 0, end: 4_000 }], 'overlapping windows merge into one stretch');
  assert.equal(activity.total, 4_000);
});

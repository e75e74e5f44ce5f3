import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SelectChanges } from '../src/select-changes';

test('a second change of a select that rrweb left out is reported once', () => {
  const changes = new SelectChanges();
  const plan = {};
  // First change: rrweb sent its input event before the change listener ran.
  changes.noteRecorded(77);
  assert.equal(changes.changed(plan, 'pro', 77), false, "rrweb's own");
  // Second change, 500 ms later: rrweb's masked text was the same, so it sent nothing.
  assert.equal(changes.changed(plan, 'team', 77), true);
  // A change event again with the same value is no change.
  assert.equal(changes.changed(plan, 'team', 77), false);
  // Back to the first value is a change too.
  assert.equal(changes.changed(plan, 'pro', 77), true);
});

test('a change rrweb recorded itself is not reported again', () => {
  const changes = new SelectChanges();
  const plan = {};
  changes.noteRecorded(5);
  changes.changed(plan, 'a', 5);
  changes.noteRecorded(5);
  assert.equal(changes.changed(plan, 'b', 5), false);
});

test('a select rrweb does not record gets nothing', () => {
  const changes = new SelectChanges();
  const blocked = {};
  assert.equal(changes.changed(blocked, 'a', -1), false);
  assert.equal(changes.changed(blocked, 'b', -1), false);
  const unseen = {};
  assert.equal(changes.changed(unseen, 'a', 9), false);
  assert.equal(changes.changed(unseen, 'b', 9), false, 'rrweb never sent an input for node 9');
});

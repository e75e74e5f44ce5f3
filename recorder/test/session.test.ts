import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createSession,
  isSampledIn,
  parseSessionState,
  SessionManager,
  sessionExpiry,
  type SessionDeps,
} from '../src/session';
import { MemoryStore } from '../src/storage';
import { isUuidV7, uuidv7 } from '../src/uuid';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const TIMEOUTS = { idleTimeoutMs: 30 * MINUTE, maxSessionMs: 24 * HOUR };
const KEY = 'playback.session.pk_test';
const T0 = Date.UTC(2025, 0, 1);

function deps(draws: number[] = [0.25]): SessionDeps {
  let next = 0;
  return { newId: (now) => uuidv7(now), random: () => draws[next++ % draws.length] };
}

test('sessionExpiry: idle after the idle timeout, max_age after the maximum length', () => {
  const state = createSession(T0, deps());
  assert.equal(sessionExpiry(state, T0 + 29 * MINUTE, TIMEOUTS), null);
  assert.equal(sessionExpiry(state, T0 + 30 * MINUTE, TIMEOUTS), 'idle');
  const active = { ...state, last_activity_at: T0 + 24 * HOUR - 1 };
  assert.equal(sessionExpiry(active, T0 + 24 * HOUR - 1, TIMEOUTS), null);
  assert.equal(sessionExpiry(active, T0 + 24 * HOUR, TIMEOUTS), 'max_age');
});

test('a first touch starts a session and stores it', () => {
  const store = new MemoryStore();
  const sessions = new SessionManager(store, KEY, TIMEOUTS, deps());
  const change = sessions.touch(T0);
  assert.equal(change.changed, 'new');
  assert.ok(isUuidV7(change.state.id));
  assert.equal(change.state.started_at, T0);
  assert.equal(change.state.sample_draw, 0.25);
  assert.deepEqual(parseSessionState(JSON.parse(store.getItem(KEY) ?? 'null')), change.state);
});

test('activity within the idle timeout keeps the session, for 24 hours at most', () => {
  const store = new MemoryStore();
  const sessions = new SessionManager(store, KEY, TIMEOUTS, deps());
  const first = sessions.touch(T0).state.id;
  let now = T0;
  while (now + 20 * MINUTE < T0 + 24 * HOUR) {
    now += 20 * MINUTE;
    const change = sessions.touch(now);
    assert.equal(change.changed, null);
    assert.equal(change.state.id, first);
  }
  const rotated = sessions.touch(T0 + 24 * HOUR);
  assert.equal(rotated.changed, 'max_age');
  assert.notEqual(rotated.state.id, first);
  assert.equal(rotated.state.started_at, T0 + 24 * HOUR);
});

test('30 minutes without activity start a new session with a new sampling draw', () => {
  const store = new MemoryStore();
  const sessions = new SessionManager(store, KEY, TIMEOUTS, deps([0.1, 0.9]));
  const first = sessions.touch(T0).state;
  sessions.touch(T0 + 10 * MINUTE);
  assert.equal(sessions.isExpired(T0 + 39 * MINUTE), false);
  assert.equal(sessions.isExpired(T0 + 40 * MINUTE), true);
  const second = sessions.touch(T0 + 40 * MINUTE);
  assert.equal(second.changed, 'idle');
  assert.notEqual(second.state.id, first.id);
  assert.equal(first.sample_draw, 0.1);
  assert.equal(second.state.sample_draw, 0.9);
});

test('a reload resumes the stored session and its sampling draw', () => {
  const store = new MemoryStore();
  const before = new SessionManager(store, KEY, TIMEOUTS, deps([0.3])).touch(T0).state;
  const after = new SessionManager(store, KEY, TIMEOUTS, deps([0.7])).touch(T0 + 5 * MINUTE);
  assert.equal(after.changed, 'resumed');
  assert.equal(after.state.id, before.id);
  assert.equal(after.state.sample_draw, 0.3);
  assert.equal(after.state.last_activity_at, T0 + 5 * MINUTE);
});

test('a reload after the idle timeout starts a new session', () => {
  const store = new MemoryStore();
  const before = new SessionManager(store, KEY, TIMEOUTS, deps()).touch(T0).state;
  const after = new SessionManager(store, KEY, TIMEOUTS, deps()).touch(T0 + 31 * MINUTE);
  assert.equal(after.changed, 'idle');
  assert.notEqual(after.state.id, before.id);
});

test('tabs share one session: activity in one tab keeps the other alive', () => {
  const store = new MemoryStore();
  const tabA = new SessionManager(store, KEY, TIMEOUTS, deps());
  const tabB = new SessionManager(store, KEY, TIMEOUTS, deps());
  const id = tabA.touch(T0).state.id;
  assert.equal(tabB.touch(T0 + MINUTE).state.id, id);
  tabB.touch(T0 + 25 * MINUTE);
  const a = tabA.touch(T0 + 50 * MINUTE);
  assert.equal(a.changed, null);
  assert.equal(a.state.id, id);
});

test('a tab adopts the session another tab started', () => {
  const store = new MemoryStore();
  const tabA = new SessionManager(store, KEY, TIMEOUTS, deps());
  const tabB = new SessionManager(store, KEY, TIMEOUTS, deps());
  const first = tabA.touch(T0).state.id;
  tabB.touch(T0);
  const rotated = tabB.touch(T0 + 45 * MINUTE).state.id;
  assert.notEqual(rotated, first);
  const synced = tabA.sync(T0 + 45 * MINUTE);
  assert.equal(synced?.changed, 'adopted');
  assert.equal(tabA.current?.id, rotated);
  assert.equal(tabA.isExpired(T0 + 45 * MINUTE), false);
});

test('sync ignores a stored session that has expired', () => {
  const store = new MemoryStore();
  const tab = new SessionManager(store, KEY, TIMEOUTS, deps());
  tab.touch(T0);
  assert.equal(tab.sync(T0 + 31 * MINUTE), null);
});

test('the identified user is stored with the session and carried into the next one', () => {
  const store = new MemoryStore();
  const sessions = new SessionManager(store, KEY, TIMEOUTS, deps());
  sessions.touch(T0);
  const user = { id: 'ada@example.com', traits: { plan: 'pro' } };
  sessions.setUser(user, T0 + 1000);
  const reloaded = new SessionManager(store, KEY, TIMEOUTS, deps()).touch(T0 + 2000);
  assert.deepEqual(reloaded.state.user, user);
  const next = sessions.touch(T0 + 2 * HOUR);
  assert.equal(next.changed, 'idle');
  assert.deepEqual(next.state.user, user);
});

test('malformed stored sessions are replaced', () => {
  const store = new MemoryStore();
  store.setItem(KEY, '{not json');
  const sessions = new SessionManager(store, KEY, TIMEOUTS, deps());
  assert.equal(sessions.touch(T0).changed, 'new');
  assert.equal(parseSessionState({ id: 'x', started_at: 1, last_activity_at: 1, sample_draw: 0 }), null);
  const valid = createSession(T0, deps());
  assert.equal(parseSessionState({ ...valid, sample_draw: 1 }), null);
  assert.deepEqual(parseSessionState(valid), valid);
});

test('sampling: the draw is compared with the project sample rate', () => {
  const state = createSession(T0, deps([0.42]));
  assert.equal(isSampledIn(state, 1), true);
  assert.equal(isSampledIn(state, 0.5), true);
  assert.equal(isSampledIn(state, 0.42), false);
  assert.equal(isSampledIn(state, 0), false);
});

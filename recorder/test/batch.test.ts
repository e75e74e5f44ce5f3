import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeBatch, EventBuffer, jsonArrayBytes, screenSize, utf8Length } from '../src/batch';

function event(size: number, fill = 'a'): string {
  const overhead = JSON.stringify({ type: 3, d: '' }).length;
  return JSON.stringify({ type: 3, d: fill.repeat(Math.max(0, size - overhead)) });
}

test('utf8Length matches the encoded size', () => {
  for (const text of ['', 'abc', 'héllo', '日本語', 'emoji 😀 and 🇫🇷', '\u{10ffff}', 'lone \ud800 surrogate']) {
    assert.equal(utf8Length(text), Buffer.byteLength(text, 'utf8'), text);
  }
});

test('a group is cut before the event that would overflow it', () => {
  const buffer = new EventBuffer({ maxBytes: 1000, maxEvents: 10_000 });
  const groups = [];
  for (let i = 0; i < 10; i++) {
    groups.push(...buffer.add(event(300)));
  }
  const rest = buffer.take();
  if (rest) {
    groups.push(rest);
  }
  assert.deepEqual(
    groups.map((group) => group.events.length),
    [3, 3, 3, 1],
  );
  for (const group of groups) {
    assert.ok(group.bytes <= 1000);
    assert.equal(group.bytes, jsonArrayBytes(group.events));
    assert.equal(group.bytes, Buffer.byteLength(`[${group.events.join(',')}]`));
  }
  assert.equal(buffer.take(), null);
});

test('a group is complete as soon as it reaches the byte limit', () => {
  const buffer = new EventBuffer({ maxBytes: 1000, maxEvents: 10_000 });
  assert.deepEqual(buffer.add(event(499)), []);
  const groups = buffer.add(event(498));
  assert.equal(groups.length, 1);
  assert.equal(groups[0].bytes, 1000);
  assert.equal(buffer.length, 0);
});

test('an event larger than the limit travels alone', () => {
  const buffer = new EventBuffer({ maxBytes: 1000, maxEvents: 10_000 });
  buffer.add(event(100));
  const groups = buffer.add(event(5000));
  assert.deepEqual(
    groups.map((group) => group.events.length),
    [1, 1],
  );
  assert.ok(groups[1].bytes > 1000);
  assert.equal(buffer.length, 0);
});

test('the byte limit counts UTF-8 bytes, not characters', () => {
  const buffer = new EventBuffer({ maxBytes: 1000, maxEvents: 10_000 });
  const wide = event(400, '日');
  assert.ok(utf8Length(wide) > 1000);
  const groups = [...buffer.add(event(100)), ...buffer.add(wide)];
  assert.equal(groups.length, 2);
});

test('a group holds at most maxEvents events', () => {
  const buffer = new EventBuffer({ maxBytes: 10_000_000, maxEvents: 4 });
  const groups = [];
  for (let i = 0; i < 10; i++) {
    groups.push(...buffer.add(event(20)));
  }
  assert.deepEqual(
    groups.map((group) => group.events.length),
    [4, 4],
  );
  assert.equal(buffer.length, 2);
});

test('encodeBatch produces the documented body with events verbatim', () => {
  const events = [JSON.stringify({ type: 4, data: { href: 'https://shop.example/' }, timestamp: 1 })];
  const body = encodeBatch(
    {
      session_id: '0192d3a4-7b1c-7c2e-9f00-3a6b2c1d4e5f',
      window_id: 'w-1',
      seq: 3,
      user: { id: 'ada@example.com', traits: { plan: 'pro' } },
      screen: { width: 390, height: 844 },
      events,
      bytes: jsonArrayBytes(events),
    },
    1764300000000,
  );
  assert.deepEqual(JSON.parse(body), {
    session_id: '0192d3a4-7b1c-7c2e-9f00-3a6b2c1d4e5f',
    window_id: 'w-1',
    seq: 3,
    sent_at: 1764300000000,
    user: { id: 'ada@example.com', traits: { plan: 'pro' } },
    screen: { width: 390, height: 844 },
    events: [{ type: 4, data: { href: 'https://shop.example/' }, timestamp: 1 }],
  });
  const anonymous = JSON.parse(encodeBatch({ session_id: 's', window_id: 'w', seq: 0, events, bytes: 0 }, 5));
  assert.equal('user' in anonymous, false);
  assert.equal('screen' in anonymous, false);
});

test('screenSize takes a usable screen size and nothing else', () => {
  assert.deepEqual(screenSize({ width: 390, height: 844 }), { width: 390, height: 844 });
  assert.deepEqual(screenSize({ width: 1366.4, height: 767.6 }), { width: 1366, height: 768 });
  assert.equal(screenSize({ width: 0, height: 844 }), undefined);
  assert.equal(screenSize({ width: '390', height: 844 }), undefined);
  assert.equal(screenSize({ width: Number.NaN, height: 1 }), undefined);
  assert.equal(screenSize(undefined), undefined);
});

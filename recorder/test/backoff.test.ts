import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, parseRetryAfter } from '../src/backoff';

test('backoff doubles per attempt up to the maximum, with jitter in the upper half', () => {
  assert.equal(backoffDelay(0, () => 0), 500);
  assert.equal(backoffDelay(0, () => 1), 1000);
  assert.equal(backoffDelay(3, () => 0), 4000);
  assert.equal(backoffDelay(3, () => 1), 8000);
  assert.equal(backoffDelay(20, () => 1), 60_000);
  assert.equal(backoffDelay(1000, () => 0.5, 1000, 30_000), 22_500);
  for (let attempt = 0; attempt < 10; attempt++) {
    const delay = backoffDelay(attempt, Math.random);
    const bound = Math.min(60_000, 1000 * 2 ** attempt);
    assert.ok(delay >= bound / 2 && delay <= bound, `${delay} within [${bound / 2}, ${bound}]`);
  }
});

test('Retry-After in seconds or as an HTTP date', () => {
  const now = Date.UTC(2025, 0, 1, 12, 0, 0);
  assert.equal(parseRetryAfter(null, now), null);
  assert.equal(parseRetryAfter('7', now), 7000);
  assert.equal(parseRetryAfter(' 1.5 ', now), 1500);
  assert.equal(parseRetryAfter('Wed, 01 Jan 2025 12:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Wed, 01 Jan 2025 11:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('soon', now), null);
});

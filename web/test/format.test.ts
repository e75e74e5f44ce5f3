import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  deviceLabel,
  formatClock,
  formatDate,
  formatDateTime,
  formatDateTimeSeconds,
  formatDuration,
  parseUtcDateTime,
  plural,
  shortUrl,
  urlPath,
  utcDateTimeValue,
  utcDayEnd,
  utcDayStart,
} from '../src/format';

/** 2025-11-28 23:59:30 UTC: a different day in most time zones east of UTC. */
const LATE = Date.UTC(2025, 10, 28, 23, 59, 30);

test('dates are shown in UTC whatever the time zone of the browser', () => {
  assert.equal(formatDateTime(LATE), '2025-11-28 23:59');
  assert.equal(formatDateTimeSeconds(LATE), '2025-11-28 23:59:30');
  assert.equal(formatDate(LATE), '2025-11-28');
  assert.equal(formatDate(0), '1970-01-01');
});

test('UTC day bounds of a date input', () => {
  assert.equal(utcDayStart('2025-11-28'), Date.UTC(2025, 10, 28));
  assert.equal(utcDayEnd('2025-11-28'), Date.UTC(2025, 10, 29));
  assert.equal(utcDayEnd('2024-02-28'), Date.UTC(2024, 1, 29), 'a leap year has a 29 February');
  assert.equal(utcDayStart(''), undefined);
  assert.equal(utcDayStart('2025-13-01'), undefined);
  assert.equal(utcDayStart('28/11/2025'), undefined);
});

test("a date input's 24-hour text is read and written as UTC", () => {
  assert.equal(utcDateTimeValue(LATE), '2025-11-28 23:59:30');
  assert.equal(utcDateTimeValue(LATE - 30_000), '2025-11-28 23:59', 'no seconds when there are none');
  assert.equal(parseUtcDateTime('2025-11-28 23:59:30'), LATE);
  assert.equal(parseUtcDateTime('2025-11-28 23:59'), LATE - 30_000, 'seconds are optional');
  assert.equal(parseUtcDateTime('2025-11-28T23:59'), LATE - 30_000, 'an ISO T is accepted');
  assert.equal(parseUtcDateTime(' 2025-11-28 23:59:30.250 '), LATE + 250);
  assert.equal(parseUtcDateTime('2025-02-30 10:00'), undefined, 'no 30 February');
  assert.equal(parseUtcDateTime('2025-11-28 24:00'), undefined);
  assert.equal(parseUtcDateTime('11/28/2025 11:59 PM'), undefined, 'no 12-hour locale format');
  assert.equal(parseUtcDateTime(''), undefined);
  assert.equal(parseUtcDateTime(utcDateTimeValue(LATE)), LATE, 'round trip');
});

test('durations and clocks', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(-5_000), '0s', 'never negative');
  assert.equal(formatDuration(42_400), '42s');
  assert.equal(formatDuration(1_500), '1s', 'rounded down, as the player clock');
  assert.equal(formatDuration(59_500), '59s', 'rounded down to the second');
  assert.equal(formatDuration(185_000), '3m 05s');
  assert.equal(formatDuration(3_725_000), '1h 02m');
  assert.equal(formatClock(0), '00:00');
  assert.equal(formatClock(59_999), '00:59', 'a clock does not round up');
  assert.equal(formatClock(3_599_000), '59:59');
  assert.equal(formatClock(3_600_000 + 65_000), '1:01:05');
});

test('labels', () => {
  assert.equal(plural(1, 'session'), '1 session');
  assert.equal(plural(0, 'session'), '0 sessions');
  assert.equal(plural(2, 'match', 'matches'), '2 matches');
  assert.equal(
    deviceLabel({ browser: 'Chrome', browser_version: '156.0.1', os: 'Linux', os_version: '', device_type: 'desktop' }),
    'Chrome 156 · Linux · desktop',
  );
  assert.equal(deviceLabel({ browser: '', browser_version: '', os: '', os_version: '', device_type: '' }), 'Unknown device');
});

test('URLs are shortened without their scheme, and kept when unparseable', () => {
  assert.equal(shortUrl('https://shop.test:8443/cart?x=1#top'), 'shop.test:8443/cart?x=1#top');
  assert.equal(urlPath('https://shop.test/cart?x=1'), '/cart?x=1');
  assert.equal(shortUrl('not a url'), 'not a url');
  assert.equal(urlPath('/relative'), '/relative');
});

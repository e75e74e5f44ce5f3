import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countFilters, emptyFilters, filtersProblem, filtersToQuery, parseFilters, type ListFilters } from '../src/filters';

function parse(query: string): ListFilters {
  return parseFilters(new URLSearchParams(query));
}

test('no query string is the empty filter set, and the empty set writes no query string', () => {
  // JSON drops the bounds that parse as undefined.
  assert.deepEqual(JSON.parse(JSON.stringify(parse(''))), emptyFilters());
  assert.equal(filtersToQuery(emptyFilters()).toString(), '');
  assert.equal(countFilters(emptyFilters()), 0);
});

test('every filter survives a round trip through the query string', () => {
  const filters: ListFilters = {
    sort: 'score',
    from: 1_764_288_000_000,
    to: 1_764_374_400_000,
    event: 'checkout',
    eventProp: 'plan=pro',
    userProps: ['email=ada@example.com', 'team=a&b'],
    user: 'ada',
    url: '/cart?x=1',
    urlMatch: 'exact',
    browser: 'Firefox',
    os: 'Mac OS X',
    deviceType: 'mobile',
    minDurationMs: 1_000,
    maxDurationMs: 60_000,
    minActiveMs: 0,
    maxActiveMs: 30_000,
    minScore: 2.5,
    minPages: 1,
    maxPages: 9,
    hasErrors: true,
    hasRageClicks: true,
    hasDeadClicks: true,
  };
  const query = filtersToQuery(filters).toString();
  assert.deepEqual(parse(query), filters);
  assert.equal(filtersToQuery(parse(query)).toString(), query, 'the query string is stable');
  assert.ok(query.startsWith('sort=score&from=1764288000000&to=1764374400000&event=checkout&event_prop=plan%3Dpro'), query);
  assert.equal(countFilters(filters), 14, 'sort, range, event_prop and url_match do not count; a min–max range or repeated user_prop counts once');
});

test('the range can be left out, for saved filters', () => {
  const filters = { ...emptyFilters(), from: 1, to: 2, user: 'ada' };
  assert.equal(filtersToQuery(filters, { range: false }).toString(), 'user=ada');
});

test('older links with UTC days are read as [start of from, end of to)', () => {
  const filters = parse('from=2025-11-28&to=2025-11-30');
  assert.equal(filters.from, Date.UTC(2025, 10, 28));
  assert.equal(filters.to, Date.UTC(2025, 11, 1), 'to names the last day included');
  assert.equal(parse('from=yesterday').from, undefined);
});

test('values that the API would refuse are dropped while parsing', () => {
  const filters = parse(
    'sort=oldest&device_type=Fridge&min_duration_ms=-5&max_pages=1.5&min_score=abc&event_prop=plan%3Dpro&user_prop=novalue&user_prop=%3Dx&has_errors=1&url_match=regex',
  );
  assert.equal(filters.sort, 'recent');
  assert.equal(filters.deviceType, '');
  assert.equal(filters.minDurationMs, undefined);
  assert.equal(filters.maxPages, undefined);
  assert.equal(filters.minScore, undefined);
  assert.equal(filters.eventProp, '', 'an event property needs an event');
  assert.deepEqual(filters.userProps, [], 'a property needs key=value');
  assert.equal(filters.hasErrors, false, 'only "true" turns a flag on');
  assert.equal(filters.urlMatch, 'contains');
  assert.equal(parse('device_type=%20Tablet%20').deviceType, 'tablet');
  assert.equal(parse('min_duration_ms=99999999999999999999').minDurationMs, undefined, 'beyond a safe integer');
});

test('a range or bounds the wrong way round is a problem to fix before asking', () => {
  assert.equal(filtersProblem(emptyFilters()), null);
  assert.match(filtersProblem({ ...emptyFilters(), from: 10, to: 10 }) ?? '', /date range/);
  assert.match(filtersProblem({ ...emptyFilters(), minActiveMs: 5, maxActiveMs: 4 }) ?? '', /minimum active time/);
  assert.equal(filtersProblem({ ...emptyFilters(), minPages: 3, maxPages: 3 }), null, 'equal bounds are fine');
});

/**
 * The session list's filters, kept in the page's query string.
 *
 * The UI's query string is the API's: every parameter of `GET /v1/sessions`
 * (docs/api.md) has the same name and the same value in the address bar, so a
 * filtered list is a link, a saved filter's `query` is that string without
 * `cursor`, and the list request is the address bar's query plus paging.
 * Times are milliseconds since the epoch, UTC; durations are milliseconds.
 */
import type { SortOrder } from './api';
import { utcDayEnd, utcDayStart } from './format';

export type UrlMatch = 'contains' | 'exact';

export const DEVICE_TYPES = ['desktop', 'mobile', 'tablet', 'bot', 'other'] as const;

export interface ListFilters {
  sort: SortOrder;
  /** End-time range `[from, to)`, ms; undefined for the API's default (last 7 days). */
  from?: number;
  to?: number;
  event: string;
  /** `key=value`, with `event`. */
  eventProp: string;
  /** `key=value` each; all must hold. */
  userProps: string[];
  /** User id or `email` trait. */
  user: string;
  url: string;
  urlMatch: UrlMatch;
  browser: string;
  os: string;
  deviceType: string;
  minDurationMs?: number;
  maxDurationMs?: number;
  minActiveMs?: number;
  maxActiveMs?: number;
  minScore?: number;
  minPages?: number;
  maxPages?: number;
  hasErrors: boolean;
  hasRageClicks: boolean;
  hasDeadClicks: boolean;
}

export function emptyFilters(): ListFilters {
  return {
    sort: 'recent',
    event: '',
    eventProp: '',
    userProps: [],
    user: '',
    url: '',
    urlMatch: 'contains',
    browser: '',
    os: '',
    deviceType: '',
    hasErrors: false,
    hasRageClicks: false,
    hasDeadClicks: false,
  };
}

/** A non-negative integer, or undefined. */
function integer(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  const parsed = Number(value.trim());
  return Number.isSafeInteger(parsed) ? parsed : undefined;
}

function decimal(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const parsed = Number(value.trim());
  return Number.isFinite(parsed) ? parsed : undefined;
}

/**
 * A range bound: milliseconds, or (older links) a `YYYY-MM-DD` UTC day, where
 * `to` names the last day included.
 */
function timeBound(value: string | null, bound: 'from' | 'to'): number | undefined {
  if (value === null) return undefined;
  const ms = integer(value);
  if (ms !== undefined) return ms;
  return bound === 'from' ? utcDayStart(value) : utcDayEnd(value);
}

function keyValue(value: string | null): string {
  const text = (value ?? '').trim();
  return /^[^=]+=/.test(text) ? text : '';
}

export function parseFilters(query: URLSearchParams): ListFilters {
  const filters = emptyFilters();
  filters.sort = query.get('sort') === 'score' ? 'score' : 'recent';
  filters.from = timeBound(query.get('from'), 'from');
  filters.to = timeBound(query.get('to'), 'to');
  filters.event = (query.get('event') ?? '').trim();
  filters.eventProp = filters.event ? keyValue(query.get('event_prop')) : '';
  filters.userProps = query.getAll('user_prop').map(keyValue).filter(Boolean);
  filters.user = (query.get('user') ?? '').trim();
  filters.url = (query.get('url') ?? '').trim();
  filters.urlMatch = query.get('url_match') === 'exact' ? 'exact' : 'contains';
  filters.browser = (query.get('browser') ?? '').trim();
  filters.os = (query.get('os') ?? '').trim();
  const deviceType = (query.get('device_type') ?? '').trim().toLowerCase();
  filters.deviceType = (DEVICE_TYPES as readonly string[]).includes(deviceType) ? deviceType : '';
  filters.minDurationMs = integer(query.get('min_duration_ms'));
  filters.maxDurationMs = integer(query.get('max_duration_ms'));
  filters.minActiveMs = integer(query.get('min_active_ms'));
  filters.maxActiveMs = integer(query.get('max_active_ms'));
  filters.minScore = decimal(query.get('min_score'));
  filters.minPages = integer(query.get('min_pages'));
  filters.maxPages = integer(query.get('max_pages'));
  filters.hasErrors = query.get('has_errors') === 'true';
  filters.hasRageClicks = query.get('has_rage_clicks') === 'true';
  filters.hasDeadClicks = query.get('has_dead_clicks') === 'true';
  return filters;
}

/** The query string of `filters`, in a fixed order, leaving out what is at its default. */
export function filtersToQuery(filters: ListFilters, options: { range?: boolean } = {}): URLSearchParams {
  const query = new URLSearchParams();
  const setNumber = (name: string, value: number | undefined): void => {
    if (value !== undefined) query.set(name, String(value));
  };
  if (filters.sort !== 'recent') query.set('sort', filters.sort);
  if (options.range ?? true) {
    setNumber('from', filters.from);
    setNumber('to', filters.to);
  }
  if (filters.event) {
    query.set('event', filters.event);
    if (filters.eventProp) query.set('event_prop', filters.eventProp);
  }
  for (const pair of filters.userProps) query.append('user_prop', pair);
  if (filters.user) query.set('user', filters.user);
  if (filters.url) {
    query.set('url', filters.url);
    if (filters.urlMatch === 'exact') query.set('url_match', 'exact');
  }
  if (filters.browser) query.set('browser', filters.browser);
  if (filters.os) query.set('os', filters.os);
  if (filters.deviceType) query.set('device_type', filters.deviceType);
  setNumber('min_duration_ms', filters.minDurationMs);
  setNumber('max_duration_ms', filters.maxDurationMs);
  setNumber('min_active_ms', filters.minActiveMs);
  setNumber('max_active_ms', filters.maxActiveMs);
  setNumber('min_score', filters.minScore);
  setNumber('min_pages', filters.minPages);
  setNumber('max_pages', filters.maxPages);
  if (filters.hasErrors) query.set('has_errors', 'true');
  if (filters.hasRageClicks) query.set('has_rage_clicks', 'true');
  if (filters.hasDeadClicks) query.set('has_dead_clicks', 'true');
  return query;
}

/**
 * How many filters narrow the list, the sort and the date range aside: one
 * per chip of the filter bar (a min–max range, or several user properties,
 * count once).
 */
export function countFilters(filters: ListFilters): number {
  const query = filtersToQuery(filters, { range: false });
  query.delete('sort');
  query.delete('event_prop');
  query.delete('url_match');
  const names = new Set(Array.from(query.keys()).map((name) => name.replace(/^(min|max)_/, '')));
  return names.size;
}

/** A problem a person can fix before the API answers 400, or null. */
export function filtersProblem(filters: ListFilters): string | null {
  if (filters.from !== undefined && filters.to !== undefined && filters.from >= filters.to) {
    return 'The start of the date range is not before its end.';
  }
  const ranges: [string, number | undefined, number | undefined][] = [
    ['duration', filters.minDurationMs, filters.maxDurationMs],
    ['active time', filters.minActiveMs, filters.maxActiveMs],
    ['pages viewed', filters.minPages, filters.maxPages],
  ];
  for (const [name, min, max] of ranges) {
    if (min !== undefined && max !== undefined && min > max) {
      return `The minimum ${name} is above the maximum.`;
    }
  }
  return null;
}

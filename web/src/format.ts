/**
 * Display formatting, one formatter per kind of value, used by every view.
 *
 * Dates are UTC, as the API stores them, in one 24-hour format:
 * `2026-12-03 17:05`, with seconds where precision matters. Durations round
 * DOWN to the whole second (1,500 ms is `1s`, and `00:01` on a clock), so two
 * views of one duration always agree.
 */

const DAY_MS = 86_400_000;

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}

/** `2025-11-28 03:20` (UTC). */
export function formatDateTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** `2025-11-28` (UTC). */
export function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** A human duration, rounded down to the second: `42s`, `3m 05s`, `1h 02m`. */
export function formatDuration(ms: number): string {
  const totalSeconds = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${hours}h ${pad2(minutes)}m`;
  if (minutes > 0) return `${minutes}m ${pad2(seconds)}s`;
  return `${seconds}s`;
}

/** A playback clock: `mm:ss`, or `h:mm:ss` past the first hour. */
export function formatClock(ms: number): string {
  const totalSeconds = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${hours}:${pad2(minutes)}:${pad2(seconds)}`;
  return `${pad2(minutes)}:${pad2(seconds)}`;
}

export function formatScore(score: number): string {
  return String(Math.round(score));
}

export function formatNumber(value: number, fractionDigits: number): string {
  return value.toLocaleString('en-US', {
    minimumFractionDigits: 0,
    maximumFractionDigits: fractionDigits,
  });
}

export function userLabel(userId: string | null | undefined): string {
  return userId ? userId : 'Anonymous';
}

/** `Chrome 156 · Linux · desktop`, skipping the parts the user agent did not reveal. */
export function deviceLabel(device: {
  browser: string;
  browser_version: string;
  os: string;
  os_version: string;
  device_type: string;
}): string {
  const majorVersion = device.browser_version.split('.')[0] ?? '';
  const browser = [device.browser, majorVersion].filter(Boolean).join(' ');
  const os = [device.os, device.os_version].filter(Boolean).join(' ');
  const parts = [browser, os, device.device_type].filter(Boolean);
  return parts.length > 0 ? parts.join(' · ') : 'Unknown device';
}

/** Host and path of a URL, without the scheme: what a person scans for in a list. */
export function shortUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}${parsed.search}${parsed.hash}`;
  } catch {
    return url;
  }
}

/** The path of a URL (with query), or the URL itself when it cannot be parsed. */
export function urlPath(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.pathname}${parsed.search}${parsed.hash}`;
  } catch {
    return url;
  }
}

/** Start of the UTC day named by an `<input type="date">` value, or undefined when empty. */
export function utcDayStart(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Exclusive end of the UTC day named by an `<input type="date">` value. */
export function utcDayEnd(value: string): number | undefined {
  const start = utcDayStart(value);
  return start === undefined ? undefined : start + DAY_MS;
}

/** The `<input type="date">` value of the UTC day containing `ms`. */
export function utcDayValue(ms: number): string {
  return formatDate(ms);
}

/**
 * The text of a date input for `ms`, UTC: `2025-11-28 23:59`, with seconds
 * only when `ms` has some (`2025-11-28 23:59:30`).
 */
export function utcDateTimeValue(ms: number): string {
  return ms % 60_000 === 0 ? formatDateTime(ms) : formatDateTimeSeconds(ms);
}

/** What a date input accepts: `YYYY-MM-DD HH:MM`, optionally `:SS` (a `T` for the space too). */
export const DATE_TIME_PATTERN = '\\d{4}-\\d{2}-\\d{2}[ T]\\d{2}:\\d{2}(:\\d{2})?';

/**
 * Milliseconds of a `YYYY-MM-DD HH:MM[:SS[.mmm]]` text read as UTC, or
 * undefined when it is not one, or names no real moment (`2025-02-30`, `24:00`).
 */
export function parseUtcDateTime(value: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/.exec(value.trim());
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? '0'));
  const fraction = Number((match[7] ?? '').padEnd(3, '0'));
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, fraction);
  return new Date(ms).getUTCDate() === day ? ms : undefined;
}

/** `2025-11-28 03:20:15` (UTC). */
export function formatDateTimeSeconds(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** `3 sessions`, `1 session`. */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`;
}

/** `Desktop`, `Mobile`: a device type as a label. */
export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

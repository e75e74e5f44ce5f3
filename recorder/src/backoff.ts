/** Retry timing shared by the config loader and the batch transport. */

export type Sleep = (ms: number) => Promise<void>;

export const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Exponential backoff with jitter: attempt 0 waits about `baseMs`, each next
 * attempt doubles it up to `maxMs`. The wait is drawn uniformly from the
 * upper half of that bound, so clients that failed together spread out.
 */
export function backoffDelay(attempt: number, random: () => number, baseMs = 1_000, maxMs = 60_000): number {
  const exponent = Math.min(Math.max(0, attempt), 30);
  const bound = Math.min(maxMs, baseMs * 2 ** exponent);
  return Math.round(bound / 2 + (bound / 2) * random());
}

/**
 * Parses a Retry-After header (delay in seconds or an HTTP date) into a delay
 * in milliseconds. Returns null when the header is absent or unreadable.
 */
export function parseRetryAfter(header: string | null, nowMs: number): number | null {
  if (header === null) {
    return null;
  }
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) {
    return Math.round(parseFloat(text) * 1000);
  }
  const date = Date.parse(text);
  if (Number.isNaN(date)) {
    return null;
  }
  return Math.max(0, date - nowMs);
}

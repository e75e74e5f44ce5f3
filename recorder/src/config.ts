/**
 * The project config served by `GET {endpoint}/v1/projects/{key}/config`.
 * Nothing is recorded until it has been fetched.
 */
import { backoffDelay, type Sleep } from './backoff';
import { isRecord } from './storage';

export interface ProjectConfig {
  enabled: boolean;
  /** Share of sessions (0 to 1) that are recorded. */
  sample_rate: number;
  flush_interval_ms: number;
  max_batch_bytes: number;
  /** Interval between checkout FullSnapshots. */
  snapshot_interval_ms: number;
  session_idle_timeout_ms: number;
  session_max_ms: number;
  /**
   * Also send copies of images (rrweb `inlineImages`) and the fonts the page loads
   * (`collectFonts`), for assets the server cannot fetch itself, such as ones behind a login.
   */
  inline_assets: boolean;
  /**
   * How much page text is masked: `sensitive` masks e-mail addresses and long digit runs
   * (cards, IBANs, phone numbers) and the whole text of elements marked sensitive, `all`
   * masks all text, `none` only the project's `text_patterns` and the marked elements.
   */
  mask_text: MaskText;
  /**
   * Name parts of URL parameters whose values are replaced by `redacted`: a parameter is
   * scrubbed when its decoded, lowercased name contains one of them. Empty scrubs nothing.
   */
  scrub_params: string[];
  /** Regular expression sources of extra text masked in the page, as with e-mail addresses. */
  text_patterns: string[];
}

export type MaskText = 'none' | 'sensitive' | 'all';

/** Shared with the gateway through `schemas/privacy/vectors.json`. */
export const DEFAULT_SCRUB_PARAMS: readonly string[] = [
  'token',
  'password',
  'passwd',
  'pwd',
  'secret',
  'email',
  'code',
  'reset',
  'auth',
  'session',
  'signature',
  'apikey',
  'api_key',
  'otp',
  'ssn',
  'card',
  'iban',
  'phone',
];

export const DEFAULT_CONFIG: Readonly<ProjectConfig> = {
  enabled: true,
  sample_rate: 1,
  flush_interval_ms: 5_000,
  max_batch_bytes: 512 * 1024,
  snapshot_interval_ms: 5 * 60_000,
  session_idle_timeout_ms: 30 * 60_000,
  session_max_ms: 24 * 60 * 60_000,
  inline_assets: false,
  mask_text: 'sensitive',
  scrub_params: [...DEFAULT_SCRUB_PARAMS],
  text_patterns: [],
};

/** The gateway refuses bodies above 1 MiB; keep room for the envelope. */
const MAX_BATCH_BYTES_LIMIT = 1024 * 1024 - 64 * 1024;

function numberIn(value: unknown, fallback: number, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return fallback;
  }
  return Math.min(max, Math.max(min, value));
}

const MAX_SCRUB_PARAMS = 100;
const MAX_SCRUB_PARAM_LENGTH = 100;
const MAX_TEXT_PATTERNS = 50;
const MAX_TEXT_PATTERN_LENGTH = 500;

function maskTextOf(value: unknown): MaskText {
  return value === 'none' || value === 'all' || value === 'sensitive' ? value : DEFAULT_CONFIG.mask_text;
}

/** Trimmed, lowercased, non-empty name parts; the default list when `value` is not an array. */
function scrubParamsOf(value: unknown): string[] {
  if (!Array.isArray(value)) {
    return [...DEFAULT_SCRUB_PARAMS];
  }
  const params: string[] = [];
  for (const entry of value) {
    if (params.length === MAX_SCRUB_PARAMS) {
      break;
    }
    if (typeof entry !== 'string') {
      continue;
    }
    const param = entry.trim().toLowerCase();
    if (param !== '' && param.length <= MAX_SCRUB_PARAM_LENGTH) {
      params.push(param);
    }
  }
  return params;
}

function textPatternsOf(value: unknown): string[] {
  if (!Array.isArray(value)) {
    return [];
  }
  const patterns: string[] = [];
  for (const entry of value) {
    if (patterns.length === MAX_TEXT_PATTERNS) {
      break;
    }
    if (typeof entry === 'string' && entry !== '' && entry.length <= MAX_TEXT_PATTERN_LENGTH) {
      patterns.push(entry);
    }
  }
  return patterns;
}

/** Validates a config response; missing or invalid fields take their defaults. */
export function parseConfig(raw: unknown): ProjectConfig {
  const source = isRecord(raw) ? raw : {};
  const d = DEFAULT_CONFIG;
  return {
    enabled: typeof source.enabled === 'boolean' ? source.enabled : d.enabled,
    sample_rate: numberIn(source.sample_rate, d.sample_rate, 0, 1),
    flush_interval_ms: numberIn(source.flush_interval_ms, d.flush_interval_ms, 250, 10 * 60_000),
    max_batch_bytes: numberIn(source.max_batch_bytes, d.max_batch_bytes, 1024, MAX_BATCH_BYTES_LIMIT),
    snapshot_interval_ms: numberIn(source.snapshot_interval_ms, d.snapshot_interval_ms, 10_000, 24 * 60 * 60_000),
    session_idle_timeout_ms: numberIn(source.session_idle_timeout_ms, d.session_idle_timeout_ms, 60_000, 7 * 24 * 60 * 60_000),
    session_max_ms: numberIn(source.session_max_ms, d.session_max_ms, 60_000, 7 * 24 * 60 * 60_000),
    inline_assets: typeof source.inline_assets === 'boolean' ? source.inline_assets : d.inline_assets,
    mask_text: maskTextOf(source.mask_text),
    scrub_params: scrubParamsOf(source.scrub_params),
    text_patterns: textPatternsOf(source.text_patterns),
  };
}

export function configUrl(endpoint: string, key: string): string {
  return `${endpoint}/v1/projects/${encodeURIComponent(key)}/config`;
}

export interface LoadConfigDeps {
  fetch: typeof fetch;
  sleep: Sleep;
  random: () => number;
  /** Checked before every attempt; loading stops when it returns true. */
  cancelled: () => boolean;
  warn: (message: string) => void;
}

/**
 * Fetches the project config, retrying network errors, 408, 429 and 5xx with
 * exponential backoff for as long as the page lives. Resolves to null when the
 * key is refused (401, 403, 404) or loading was cancelled.
 */
export async function loadConfig(endpoint: string, key: string, deps: LoadConfigDeps): Promise<ProjectConfig | null> {
  for (let attempt = 0; ; attempt++) {
    if (deps.cancelled()) {
      return null;
    }
    let status = 0;
    try {
      const response = await deps.fetch(configUrl(endpoint, key), { credentials: 'omit', cache: 'no-store' });
      status = response.status;
      if (response.ok) {
        return parseConfig(await response.json());
      }
    } catch {
      status = 0;
    }
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
      deps.warn(`project config refused (${status}); nothing will be recorded`);
      return null;
    }
    await deps.sleep(backoffDelay(attempt, deps.random, 1_000, 5 * 60_000));
  }
}

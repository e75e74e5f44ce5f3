/**
 * Typed client for the Playback query API (docs/api.md, "Query").
 *
 * Every wrapper resolves with the decoded body or rejects with an `ApiError`
 * that carries the HTTP status (0 when the request never got an answer) and
 * the server's `{"error": "<reason>"}` text when there is one.
 */
import type { eventWithTime } from '@rrweb/types';

export type SortOrder = 'recent' | 'score';

export interface SessionSummary {
  session_id: string;
  project_id: string;
  user_id: string;
  user_traits: Record<string, unknown>;
  start_time: number;
  end_time: number;
  duration_ms: number;
  active_ms: number;
  inactive_ms: number;
  page_views: number;
  clicks: number;
  inputs: number;
  errors: number;
  custom_events: number;
  rage_clicks: number;
  dead_clicks: number;
  windows: number;
  events: number;
  entry_url: string;
  exit_url: string;
  browser: string;
  browser_version: string;
  os: string;
  os_version: string;
  device_type: string;
  screen_width: number;
  screen_height: number;
  closed: boolean;
  score: number;
}

export interface ScoreFactor {
  factor: string;
  raw: number;
  normalized: number;
  weight: number;
  points: number;
}

export interface SessionDetail extends SessionSummary {
  urls: string[];
  event_names: string[];
  score_breakdown: ScoreFactor[];
}

export interface SessionPage {
  sessions: SessionSummary[];
  next_cursor: string | null;
}

export type TranscriptKind =
  | 'page_view'
  | 'click'
  | 'input'
  | 'exception'
  | 'custom'
  | 'rage_click'
  | 'dead_click';

export interface TranscriptEvent {
  /** Server time: the client timestamp corrected by the batch's clock offset. */
  ts: number;
  /** Time since the session start. */
  offset_ms: number;
  window_id: string;
  kind: TranscriptKind;
  url: string;
  name: string;
  target: string;
  props: Record<string, unknown>;
}

export interface RecordingWindow {
  window_id: string;
  /** rrweb events exactly as the recorder emitted them, client clock. */
  events: eventWithTime[];
}

export interface Recording {
  session_id: string;
  windows: RecordingWindow[];
}

export interface ListSessionsParams {
  from?: number;
  to?: number;
  sort?: SortOrder;
  limit?: number;
  cursor?: string | null;
}

export class ApiError extends Error {
  /** HTTP status, or 0 when the server could not be reached. */
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { headers: { Accept: 'application/json' }, signal });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'the Playback server could not be reached');
  }
  if (!response.ok) {
    throw new ApiError(response.status, await errorReason(response));
  }
  try {
    return (await response.json()) as T;
  } catch {
    throw new ApiError(response.status, 'the server sent a response that is not valid JSON');
  }
}

async function errorReason(response: Response): Promise<string> {
  const fallback = `request failed with status ${response.status}`;
  try {
    const body: unknown = await response.json();
    if (body && typeof body === 'object' && 'error' in body) {
      const reason = (body as { error: unknown }).error;
      if (typeof reason === 'string' && reason !== '') return reason;
    }
  } catch {
    // The body was not the documented error object.
  }
  return fallback;
}

function sessionPath(id: string): string {
  return `/v1/sessions/${encodeURIComponent(id)}`;
}

export function listSessions(params: ListSessionsParams, signal?: AbortSignal): Promise<SessionPage> {
  const query = new URLSearchParams();
  if (params.from !== undefined) query.set('from', String(params.from));
  if (params.to !== undefined) query.set('to', String(params.to));
  if (params.sort !== undefined) query.set('sort', params.sort);
  if (params.limit !== undefined) query.set('limit', String(params.limit));
  if (params.cursor) query.set('cursor', params.cursor);
  const suffix = query.toString();
  return getJson<SessionPage>(suffix ? `/v1/sessions?${suffix}` : '/v1/sessions', signal);
}

export function getSession(id: string, signal?: AbortSignal): Promise<SessionDetail> {
  return getJson<SessionDetail>(sessionPath(id), signal);
}

export async function getTranscript(id: string, signal?: AbortSignal): Promise<TranscriptEvent[]> {
  const body = await getJson<{ events: TranscriptEvent[] }>(`${sessionPath(id)}/events`, signal);
  return body.events;
}

export function getRecording(id: string, signal?: AbortSignal): Promise<Recording> {
  return getJson<Recording>(`${sessionPath(id)}/recording`, signal);
}

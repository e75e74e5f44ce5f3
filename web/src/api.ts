/**
 * Typed client for the Playback query API (docs/api.md, "Query").
 *
 * Every wrapper resolves with the decoded body or rejects with an `ApiError`
 * that carries the HTTP status (0 when the request never got an answer) and
 * the server's `{"error": "<reason>"}` text when there is one. Calls under
 * `/v1` carry the API token (src/auth.ts); a 401 also reaches the handler set
 * with `onUnauthorized`, which asks for a token. The shared view's calls
 * (`/v1/shared/...`) carry none: the link is the credential.
 */
import type { eventWithTime } from '@rrweb/types';
import type { AssetListing } from './assets';
import { clearToken, getToken } from './auth';
import type { components } from './generated/api';

export type SortOrder = 'recent' | 'score';

type Schemas = components['schemas'];

/** A transcript event's kind (the warehouse's `EventKind`). */
export type TranscriptKind = Schemas['EventKind'];

/** One transcript event on a list row's timeline bar. */
export type Mark = Schemas['Mark'];

/** What every view of a session shows, without the user. */
export type SessionFacts = Omit<Schemas['SessionFields'], 'user_id' | 'user_traits'> & { marks?: Mark[] };

/** A listed session; the identified user is null for an anonymous visitor. */
export type SessionSummary = SessionFacts & {
  user_id?: string | null;
  user_traits?: Record<string, unknown> | null;
};

export type ScoreFactor = Schemas['Factor'];

/** The session's place among its user's sessions. */
export type SessionUser = Schemas['SessionUser'];

export type SessionDetail = SessionSummary & Omit<Schemas['SessionDetail'], keyof Schemas['SessionFields']>;

/** `GET /v1/shared/{token}`: the session without who it was. */
export type SharedSession = SessionFacts & Pick<Schemas['SessionDetail'], 'urls' | 'event_names' | 'score_breakdown'>;

export interface SessionPage {
  sessions: SessionSummary[];
  next_cursor: string | null;
}

export type TranscriptEvent = Omit<Schemas['TranscriptEvent'], 'props'> & { props: Record<string, unknown> };

export interface RecordingWindow {
  window_id: string;
  /** rrweb events exactly as the recorder emitted them, client clock. */
  events: eventWithTime[];
}

export interface Recording {
  session_id: string;
  windows: RecordingWindow[];
}

/** One stored chunk of a window's recording, as the manifest lists it. */
export interface ChunkInfo {
  /** Opaque and URL-safe. */
  id: string;
  first_seq: number;
  last_seq: number;
  /** Client clock, as the replayer uses it. */
  first_ts_ms: number;
  last_ts_ms: number;
  /** The chunk starts with a Meta event and a FullSnapshot: replay can start there. */
  snapshot: boolean;
  events: number;
  /** Stored (compressed) size. */
  bytes: number;
}

export interface ManifestWindow {
  window_id: string;
  first_ts_ms: number;
  last_ts_ms: number;
  /** Ordered by (first_ts_ms, first_seq). */
  chunks: ChunkInfo[];
}

/** `GET …/recording/manifest`: what is stored of a recording, without the events. */
export interface RecordingManifest {
  session_id: string;
  /** Every batch the session counted is in a chunk. */
  complete: boolean;
  session_events: number;
  archived_events: number;
  /** Ordered by first_ts_ms; empty while nothing is archived yet. */
  windows: ManifestWindow[];
}

/** `GET …/recording/chunks/{id}`: one chunk's batches, in seq order. */
export interface RecordingChunk {
  window_id: string;
  batches: { seq: number; events: eventWithTime[] }[];
}

/** Where a recording is read from: the session's own routes or a share link's. */
export interface RecordingSource {
  manifest(signal?: AbortSignal): Promise<RecordingManifest>;
  chunk(chunkId: string, signal?: AbortSignal): Promise<RecordingChunk>;
  /** The session's assets, with `base` made absolute (the replay frame has a base of its own). */
  assets(signal?: AbortSignal): Promise<AssetListing>;
}

export type SimilarSession = SessionSummary & Omit<Schemas['SimilarSession'], keyof Schemas['SessionFields']>;

export interface Note {
  note_id: string;
  session_id: string;
  offset_ms: number;
  author: string;
  text: string;
  created_at: number;
}

export interface SavedFilter {
  filter_id: string;
  name: string;
  query: string;
  author: string;
  created_at: number;
}

export interface UserCard {
  user_id: string;
  traits: Record<string, unknown>;
  session_count: number;
  first_seen: number;
  last_seen: number;
}

export interface Share {
  share_id: string;
  session_id: string;
  /** `/s/<token>`; only in the answer that created the share. */
  url?: string;
  created_at: number;
  expires_at: number;
  revoked: boolean;
  author: string;
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

export function statusOf(error: unknown): number | undefined {
  return error instanceof ApiError ? error.status : undefined;
}

type UnauthorizedHandler = (rejectedToken: boolean) => void;
let unauthorizedHandler: UnauthorizedHandler | null = null;

/** Called on every 401 of an authenticated call, with whether a token was sent. */
export function onUnauthorized(handler: UnauthorizedHandler): void {
  unauthorizedHandler = handler;
}

interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
  /** Send the API token (default); false for the shared view. */
  auth?: boolean;
}

async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const auth = options.auth ?? true;
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = auth ? getToken() : null;
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(path, { method: options.method ?? 'GET', headers, body, signal: options.signal });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'the Playback server could not be reached');
  }
  if (!response.ok) {
    const reason = await errorReason(response);
    if (response.status === 401 && auth) {
      if (token) clearToken();
      unauthorizedHandler?.(token !== null);
    }
    throw new ApiError(response.status, reason);
  }
  if (response.status === 204) return undefined as T;
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

/**
 * `GET /v1/sessions` with the list's parameters (src/filters.ts builds them),
 * plus paging.
 */
export function listSessions(
  query: URLSearchParams,
  paging: { limit: number; cursor: string | null },
  signal?: AbortSignal,
): Promise<SessionPage> {
  const params = new URLSearchParams(query);
  params.set('limit', String(paging.limit));
  if (paging.cursor) params.set('cursor', paging.cursor);
  return request<SessionPage>(`/v1/sessions?${params}`, { signal });
}

export function getSession(id: string, signal?: AbortSignal): Promise<SessionDetail> {
  return request<SessionDetail>(sessionPath(id), { signal });
}

export async function getTranscript(id: string, signal?: AbortSignal): Promise<TranscriptEvent[]> {
  const body = await request<{ events: TranscriptEvent[] }>(`${sessionPath(id)}/events`, { signal });
  return body.events;
}

export function getRecording(id: string, signal?: AbortSignal): Promise<Recording> {
  return request<Recording>(`${sessionPath(id)}/recording`, { signal });
}

export function sessionRecording(id: string): RecordingSource {
  const base = `${sessionPath(id)}/recording`;
  return {
    manifest: (signal) => request<RecordingManifest>(`${base}/manifest`, { signal }),
    chunk: (chunkId, signal) => request<RecordingChunk>(`${base}/chunks/${encodeURIComponent(chunkId)}`, { signal }),
    assets: async (signal) => absoluteBase(await request<AssetListing>(`${sessionPath(id)}/assets`, { signal })),
  };
}

/**
 * The listing with its base resolved against the page: the copies are loaded
 * from inside the replay frame, where a recorded `<base href>` may stand.
 */
function absoluteBase(listing: AssetListing): AssetListing {
  const base = listing.base ? new URL(listing.base, window.location.href).href : '';
  return { base, assets: Array.isArray(listing.assets) ? listing.assets : [] };
}

export async function getSimilar(id: string, limit: number, signal?: AbortSignal): Promise<SimilarSession[]> {
  const body = await request<{ sessions: SimilarSession[] }>(`${sessionPath(id)}/similar?limit=${limit}`, { signal });
  return body.sessions;
}

export async function listNotes(id: string, signal?: AbortSignal): Promise<Note[]> {
  const body = await request<{ notes: Note[] }>(`${sessionPath(id)}/notes`, { signal });
  return body.notes;
}

export function addNote(id: string, note: { offset_ms: number; text: string }): Promise<Note> {
  return request<Note>(`${sessionPath(id)}/notes`, { method: 'POST', body: note });
}

export function deleteNote(id: string, noteId: string): Promise<void> {
  return request<void>(`${sessionPath(id)}/notes/${encodeURIComponent(noteId)}`, { method: 'DELETE' });
}

/** The token's project: the public key its recorders send, and where (`GET /v1/project`). */
export type ProjectInfo = Schemas['ProjectInfo'];

export function getProject(signal?: AbortSignal): Promise<ProjectInfo> {
  return request<ProjectInfo>('/v1/project', { signal });
}

export async function listSavedFilters(signal?: AbortSignal): Promise<SavedFilter[]> {
  const body = await request<{ filters: SavedFilter[] }>('/v1/saved-filters', { signal });
  return body.filters;
}

export function saveFilter(filter: { name: string; query: string }): Promise<SavedFilter> {
  return request<SavedFilter>('/v1/saved-filters', { method: 'POST', body: filter });
}

export function deleteSavedFilter(filterId: string): Promise<void> {
  return request<void>(`/v1/saved-filters/${encodeURIComponent(filterId)}`, { method: 'DELETE' });
}

export function getUser(userId: string, signal?: AbortSignal): Promise<UserCard> {
  return request<UserCard>(`/v1/users/${encodeURIComponent(userId)}`, { signal });
}

export async function listShares(id: string, signal?: AbortSignal): Promise<Share[]> {
  const body = await request<{ shares: Share[] }>(`${sessionPath(id)}/shares`, { signal });
  return body.shares;
}

export function createShare(id: string, expiresInHours: number | null): Promise<Share> {
  const body = expiresInHours === null ? {} : { expires_in_hours: expiresInHours };
  return request<Share>(`${sessionPath(id)}/shares`, { method: 'POST', body });
}

export function revokeShare(shareId: string): Promise<void> {
  return request<void>(`/v1/shares/${encodeURIComponent(shareId)}`, { method: 'DELETE' });
}

function sharedPath(token: string): string {
  return `/v1/shared/${encodeURIComponent(token)}`;
}

export function getSharedSession(token: string, signal?: AbortSignal): Promise<SharedSession> {
  return request<SharedSession>(sharedPath(token), { signal, auth: false });
}

export async function getSharedTranscript(token: string, signal?: AbortSignal): Promise<TranscriptEvent[]> {
  const body = await request<{ events: TranscriptEvent[] }>(`${sharedPath(token)}/events`, { signal, auth: false });
  return body.events;
}

export function getSharedRecording(token: string, signal?: AbortSignal): Promise<Recording> {
  return request<Recording>(`${sharedPath(token)}/recording`, { signal, auth: false });
}

export function sharedRecording(token: string): RecordingSource {
  const base = `${sharedPath(token)}/recording`;
  return {
    manifest: (signal) => request<RecordingManifest>(`${base}/manifest`, { signal, auth: false }),
    chunk: (chunkId, signal) =>
      request<RecordingChunk>(`${base}/chunks/${encodeURIComponent(chunkId)}`, { signal, auth: false }),
    assets: async (signal) =>
      absoluteBase(await request<AssetListing>(`${sharedPath(token)}/assets`, { signal, auth: false })),
  };
}

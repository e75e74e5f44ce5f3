/**
 * Manifest-first loading of a recording. The manifest (`…/recording/manifest`)
 * lists each window's chunks with their time ranges; the player asks for the
 * moment it wants to show and gets, per window:
 *
 * 1. the chunk that starts with the FullSnapshot at or before that moment,
 *    plus the chunks from there up to the moment (`ensure`);
 * 2. behind it, streamed: the later chunks in order, then the earlier ones,
 *    nearest first, then the other windows (`focus` sets what comes first).
 *
 * Batches are taken once per (window, seq), whichever chunk brings them, so a
 * batch that a crash left in two chunks is replayed once. While the manifest
 * says the recording is not complete, it is fetched again by itself (every 2 s,
 * slower while nothing changes, at most every 15 s) until it is complete or
 * the loader is stopped.
 *
 * Every event is rewritten before anyone sees it, so that the replay loads the
 * page's assets from Playback's copies (src/assets.ts), with the asset listing
 * fetched beside the manifest. The rewriting follows a window's document in
 * order, so a chunk that arrives before the chunk it continues waits for it;
 * a snapshot chunk starts afresh.
 */
import type { eventWithTime } from '@rrweb/types';
import type { ChunkInfo, ManifestWindow, RecordingManifest, RecordingSource } from './api';
import { AssetRewriter, assetPolicy, EMPTY_LISTING, type AssetListing, type AssetPolicy } from './assets';

/** Chunks fetched at once behind the first frame. */
const STREAM_CONCURRENCY = 2;
const POLL_FIRST_MS = 2_000;
const POLL_BACKOFF = 1.5;
const POLL_MAX_MS = 15_000;
/** A chunk that failed is tried again after this, doubling, up to POLL_MAX_MS. */
const RETRY_FIRST_MS = 1_000;

export interface LoadedWindow {
  windowId: string;
  /** Client clock bounds of the whole window, from the manifest. */
  first: number;
  last: number;
  chunks: ChunkInfo[];
  /** Events loaded so far, sorted by timestamp. */
  events: eventWithTime[];
  /** Batch seqs loaded so far. */
  seqs: Set<number>;
  /** Ids of the chunks loaded so far. */
  loaded: Set<string>;
  /** Events the manifest counts for the window (duplicates across chunks included). */
  listedEvents: number;
}

export interface LoaderListener {
  /** New events of a window, sorted by timestamp; `window.events` already holds them. */
  events?(window: LoadedWindow, added: eventWithTime[]): void;
  /** The manifest changed: new windows, chunks or bounds, or completeness. */
  manifest?(manifest: RecordingManifest): void;
  /** A background fetch failed (it is tried again later). */
  error?(error: unknown): void;
  /** The asset listing arrived, or events brought asset URLs not seen before. */
  assets?(): void;
}

export class RecordingLoader {
  manifest: RecordingManifest;
  readonly windows = new Map<string, LoadedWindow>();
  private readonly source: RecordingSource;
  private readonly abort = new AbortController();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly retryAt = new Map<string, { at: number; wait: number }>();
  private readonly listeners = new Set<LoaderListener>();
  private focusWindow: string | null = null;
  private focusTs = 0;
  private streaming = 0;
  /** `ensure` calls under way. */
  private urgent = 0;
  private pollTimer: number | undefined;
  private pollDelay = POLL_FIRST_MS;
  private retryTimer: number | undefined;
  private stopped = false;
  /** The asset listing, empty until it arrived (and for good when it could not be had). */
  assetListing: AssetListing = EMPTY_LISTING;
  /** Whether the listing arrived, or failed and counts as empty. */
  assetsListed = false;
  /** Keys of the asset URLs found in the events loaded so far. */
  readonly assetsFound = new Set<string>();
  private readonly assetPolicy: Promise<AssetPolicy>;
  /** Events of fetched chunks that wait for the chunk before them, by chunk id. */
  private readonly held = new Map<string, eventWithTime[]>();
  /** The rewriter as it stands after each chunk given out, by chunk id. */
  private readonly rewriters = new Map<string, AssetRewriter>();

  /**
   * `assets` is the asset listing on its way (`EMPTY_LISTING` when it fails);
   * `liveAssets` keeps the original URL of an asset with no copy.
   */
  constructor(
    source: RecordingSource,
    manifest: RecordingManifest,
    assets: Promise<AssetListing> = Promise.resolve(EMPTY_LISTING),
    liveAssets = false,
  ) {
    this.source = source;
    this.manifest = manifest;
    this.applyManifest(manifest);
    this.assetPolicy = assets.then((listing) => {
      this.assetListing = listing;
      this.assetsListed = true;
      if (!this.stopped) for (const listener of this.listeners) listener.assets?.();
      return assetPolicy(listing, liveAssets);
    });
  }

  get complete(): boolean {
    return this.manifest.complete;
  }

  /** Windows in the manifest's order (by first timestamp). */
  orderedWindows(): LoadedWindow[] {
    const ordered: LoadedWindow[] = [];
    for (const window of this.manifest.windows) {
      const loaded = this.windows.get(window.window_id);
      if (loaded) ordered.push(loaded);
    }
    return ordered;
  }

  subscribe(listener: LoaderListener): void {
    this.listeners.add(listener);
  }

  /** Stops polling and every fetch; nothing is reported afterwards. */
  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.pollTimer);
    window.clearTimeout(this.retryTimer);
    this.abort.abort();
    this.listeners.clear();
  }

  /** The chunks a frame at client time `ts` needs: the snapshot chunk at or before it up to the one holding it. */
  chunksFor(windowId: string, ts: number): ChunkInfo[] {
    const chunks = this.windows.get(windowId)?.chunks ?? [];
    if (chunks.length === 0) return [];
    let holding = 0;
    for (let index = 0; index < chunks.length; index++) {
      if (chunks[index].first_ts_ms <= ts) holding = index;
      else break;
    }
    let snapshot = 0;
    for (let index = holding; index >= 0; index--) {
      if (chunks[index].snapshot) {
        snapshot = index;
        break;
      }
    }
    return chunks.slice(snapshot, holding + 1);
  }

  /** Whether everything a frame at `ts` needs is loaded. */
  isReady(windowId: string, ts: number): boolean {
    const window = this.windows.get(windowId);
    if (!window) return false;
    return this.chunksFor(windowId, ts).every((chunk) => window.loaded.has(chunk.id));
  }

  /** Whether every chunk overlapping [fromTs, toTs] of the window is loaded. */
  isLoadedBetween(windowId: string, fromTs: number, toTs: number): boolean {
    const window = this.windows.get(windowId);
    if (!window) return false;
    for (const chunk of window.chunks) {
      if (chunk.last_ts_ms < fromTs || chunk.first_ts_ms > toTs) continue;
      if (!window.loaded.has(chunk.id)) return false;
    }
    return true;
  }

  /** Fetches what a frame at `ts` needs, first; resolves once it is loaded. */
  async ensure(windowId: string, ts: number): Promise<void> {
    const window = this.windows.get(windowId);
    if (!window) return;
    // The streaming behind waits, so these chunks have the connection to themselves.
    this.urgent++;
    try {
      await Promise.all(this.chunksFor(windowId, ts).map((chunk) => this.load(window, chunk)));
    } finally {
      this.urgent--;
      this.pump();
    }
  }

  /** What to stream first behind the frame: the window and client time being watched. */
  focus(windowId: string, ts: number): void {
    this.focusWindow = windowId;
    this.focusTs = ts;
    this.pump();
  }

  /** Fetches the manifest again now; merges what is new. */
  async refresh(): Promise<boolean> {
    const manifest = await this.source.manifest(this.abort.signal);
    if (this.stopped) return false;
    const changed = manifestChanged(this.manifest, manifest);
    if (changed) {
      this.manifest = manifest;
      this.applyManifest(manifest);
      for (const listener of this.listeners) listener.manifest?.(manifest);
      this.pump();
    }
    return changed;
  }

  /** Polls the manifest until the recording is complete or the loader is stopped. */
  startPolling(): void {
    if (this.stopped || this.complete || this.pollTimer !== undefined) return;
    const tick = async (): Promise<void> => {
      let changed = false;
      try {
        changed = await this.refresh();
      } catch (error) {
        if (this.stopped) return;
        for (const listener of this.listeners) listener.error?.(error);
      }
      if (this.stopped || this.complete) {
        this.pollTimer = undefined;
        return;
      }
      this.pollDelay = changed ? POLL_FIRST_MS : Math.min(POLL_MAX_MS, Math.round(this.pollDelay * POLL_BACKOFF));
      this.pollTimer = window.setTimeout(() => void tick(), this.pollDelay);
    };
    this.pollDelay = POLL_FIRST_MS;
    this.pollTimer = window.setTimeout(() => void tick(), this.pollDelay);
  }

  private applyManifest(manifest: RecordingManifest): void {
    for (const listed of manifest.windows) {
      const known = this.windows.get(listed.window_id);
      if (known) {
        known.first = listed.first_ts_ms;
        known.last = listed.last_ts_ms;
        known.chunks = listed.chunks;
        known.listedEvents = countEvents(listed);
      } else {
        this.windows.set(listed.window_id, {
          windowId: listed.window_id,
          first: listed.first_ts_ms,
          last: listed.last_ts_ms,
          chunks: listed.chunks,
          events: [],
          seqs: new Set(),
          loaded: new Set(),
          listedEvents: countEvents(listed),
        });
      }
    }
  }

  private load(tab: LoadedWindow, chunk: ChunkInfo): Promise<void> {
    if (tab.loaded.has(chunk.id) || this.held.has(chunk.id)) return Promise.resolve();
    const running = this.inflight.get(chunk.id);
    if (running) return running;
    const loading = (async () => {
      try {
        const body = await this.source.chunk(chunk.id, this.abort.signal);
        const policy = await this.assetPolicy;
        if (this.stopped) return;
        this.retryAt.delete(chunk.id);
        const fresh: eventWithTime[] = [];
        for (const batch of body.batches) {
          if (tab.seqs.has(batch.seq)) continue;
          tab.seqs.add(batch.seq);
          for (const event of batch.events) fresh.push(event);
        }
        // Stable: events of one timestamp keep their recorded order.
        fresh.sort((a, b) => a.timestamp - b.timestamp);
        this.held.set(chunk.id, fresh);
        this.release(tab, policy);
      } catch (error) {
        const previous = this.retryAt.get(chunk.id);
        const wait = previous ? Math.min(POLL_MAX_MS, previous.wait * 2) : RETRY_FIRST_MS;
        this.retryAt.set(chunk.id, { at: Date.now() + wait, wait });
        // Once it is no longer in flight, the chunks waiting for it go out without it.
        void this.assetPolicy.then((policy) => {
          if (!this.stopped) this.release(tab, policy);
        });
        throw error;
      } finally {
        this.inflight.delete(chunk.id);
      }
    })();
    this.inflight.set(chunk.id, loading);
    return loading;
  }

  /**
   * Rewrites and gives out, in chunk order, every held chunk whose start is
   * known: a snapshot chunk, the window's first, or one whose previous chunk
   * was given out. A chunk waits only while the chunk before it is on its way
   * (in flight or waiting itself); otherwise, as when that chunk was retired
   * by a merge or is not asked for, it goes out with what is known of the
   * window so far, and the page's CSP blocks any URL this leaves unrewritten.
   */
  private release(tab: LoadedWindow, policy: AssetPolicy): void {
    const foundBefore = this.assetsFound.size;
    for (let index = 0; index < tab.chunks.length; index++) {
      const chunk = tab.chunks[index];
      const events = this.held.get(chunk.id);
      if (events === undefined) continue;
      const before = index > 0 ? tab.chunks[index - 1].id : undefined;
      const previous = before === undefined ? undefined : this.rewriters.get(before);
      const coming = before !== undefined && (this.inflight.has(before) || this.held.has(before));
      if (!chunk.snapshot && previous === undefined && coming) continue;
      const rewriter = chunk.snapshot
        ? new AssetRewriter(policy, this.assetsFound)
        : (previous ?? this.nearestRewriter(tab, index) ?? new AssetRewriter(policy, this.assetsFound));
      this.rewriters.set(chunk.id, rewriter);
      this.held.delete(chunk.id);
      tab.loaded.add(chunk.id);
      const fresh: eventWithTime[] = [];
      for (const event of events) fresh.push(rewriteOrKeep(rewriter, event));
      if (fresh.length === 0) continue;
      tab.events = mergeSorted(tab.events, fresh);
      for (const listener of this.listeners) listener.events?.(tab, fresh);
    }
    if (this.assetsFound.size !== foundBefore) for (const listener of this.listeners) listener.assets?.();
  }

  /** The rewriter of the nearest chunk before `index` that was given out. */
  private nearestRewriter(tab: LoadedWindow, index: number): AssetRewriter | undefined {
    for (let earlier = index - 1; earlier >= 0; earlier--) {
      const rewriter = this.rewriters.get(tab.chunks[earlier].id);
      if (rewriter !== undefined) return rewriter;
    }
    return undefined;
  }

  /** Keeps up to STREAM_CONCURRENCY background fetches going, in the order of `nextChunks`. */
  private pump(): void {
    if (this.stopped || this.urgent > 0) return;
    while (this.streaming < STREAM_CONCURRENCY) {
      const next = this.nextChunk();
      if (!next) {
        this.scheduleRetry();
        return;
      }
      this.streaming++;
      this.load(next.window, next.chunk)
        .catch((error: unknown) => {
          if (!this.stopped) for (const listener of this.listeners) listener.error?.(error);
        })
        .finally(() => {
          this.streaming--;
          this.pump();
        });
    }
  }

  private scheduleRetry(): void {
    if (this.retryAt.size === 0 || this.retryTimer !== undefined) return;
    let soonest = Infinity;
    for (const { at } of this.retryAt.values()) soonest = Math.min(soonest, at);
    this.retryTimer = window.setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, Math.max(0, soonest - Date.now()));
  }

  private nextChunk(): { window: LoadedWindow; chunk: ChunkInfo } | null {
    const now = Date.now();
    const wanted = (window: LoadedWindow, chunk: ChunkInfo): boolean => {
      if (window.loaded.has(chunk.id) || this.held.has(chunk.id) || this.inflight.has(chunk.id)) return false;
      const retry = this.retryAt.get(chunk.id);
      return !retry || retry.at <= now;
    };
    const ordered = this.orderedWindows();
    const focused = ordered.find((window) => window.windowId === this.focusWindow);
    if (focused) {
      const needed = this.chunksFor(focused.windowId, this.focusTs);
      const from = needed.length > 0 ? focused.chunks.indexOf(needed[0]) : 0;
      // What the frame needs, then the later chunks in order, then the earlier ones, nearest first.
      for (let index = Math.max(0, from); index < focused.chunks.length; index++) {
        const chunk = focused.chunks[index];
        if (wanted(focused, chunk)) return { window: focused, chunk };
      }
      for (let index = from - 1; index >= 0; index--) {
        const chunk = focused.chunks[index];
        if (wanted(focused, chunk)) return { window: focused, chunk };
      }
    }
    for (const window of ordered) {
      if (window === focused) continue;
      for (const chunk of window.chunks) {
        if (wanted(window, chunk)) return { window, chunk };
      }
    }
    return null;
  }
}

/**
 * `event` with its asset URLs rewritten; the event as recorded when it has a
 * shape the rewriting does not know (it is never lost, and the page's CSP
 * blocks any URL it names).
 */
function rewriteOrKeep(rewriter: AssetRewriter, event: eventWithTime): eventWithTime {
  try {
    return rewriter.rewrite(event);
  } catch (error) {
    console.warn('playback: an event kept its asset URLs', error);
    return event;
  }
}

/**
 * Fetches the manifest and the asset listing, and at once the chunks of the
 * frame at `startAt` (a session offset; the first window's start when
 * undefined), so they load while the rest of the page (session, transcript)
 * is still on its way. A listing that cannot be had (an older server) is an
 * empty one: the replay then loads no asset at all, unless `liveAssets`.
 */
export async function openRecording(
  source: RecordingSource,
  startAt: number | undefined,
  signal?: AbortSignal,
  liveAssets = false,
): Promise<RecordingLoader> {
  const assets = source.assets(signal).catch(() => EMPTY_LISTING);
  const manifest = await source.manifest(signal);
  const loader = new RecordingLoader(source, manifest, assets, liveAssets);
  signal?.addEventListener('abort', () => loader.stop());
  const windows = loader.orderedWindows();
  if (windows.length > 0) {
    const recordingStart = Math.min(...windows.map((window) => window.first));
    const offset = startAt ?? 0;
    let best = windows[0];
    let bestDistance = Infinity;
    for (const window of windows) {
      const start = window.first - recordingStart;
      const end = window.last - recordingStart;
      const distance = offset < start ? start - offset : offset > end ? offset - end : 0;
      if (distance < bestDistance) {
        best = window;
        bestDistance = distance;
      }
    }
    const ts = Math.min(Math.max(recordingStart + offset, best.first), best.last);
    // A failure shows when the stage asks for the same chunks.
    loader.ensure(best.windowId, ts).catch(() => undefined);
  }
  return loader;
}

function countEvents(window: ManifestWindow): number {
  let total = 0;
  for (const chunk of window.chunks) total += chunk.events;
  return total;
}

function manifestChanged(before: RecordingManifest, after: RecordingManifest): boolean {
  if (before.complete !== after.complete || before.archived_events !== after.archived_events) return true;
  if (before.windows.length !== after.windows.length) return true;
  for (let index = 0; index < after.windows.length; index++) {
    const a = before.windows[index];
    const b = after.windows[index];
    if (a.window_id !== b.window_id || a.last_ts_ms !== b.last_ts_ms || a.chunks.length !== b.chunks.length) return true;
  }
  return false;
}

/** Merges two timestamp-sorted lists; of equal timestamps, `existing` comes first. */
export function mergeSorted(existing: eventWithTime[], incoming: eventWithTime[]): eventWithTime[] {
  if (existing.length === 0) return incoming;
  if (existing[existing.length - 1].timestamp <= incoming[0].timestamp) {
    const joined = existing.slice();
    for (const event of incoming) joined.push(event);
    return joined;
  }
  const merged: eventWithTime[] = new Array<eventWithTime>(existing.length + incoming.length);
  let a = 0;
  let b = 0;
  let out = 0;
  while (a < existing.length && b < incoming.length) {
    if (existing[a].timestamp <= incoming[b].timestamp) merged[out++] = existing[a++];
    else merged[out++] = incoming[b++];
  }
  while (a < existing.length) merged[out++] = existing[a++];
  while (b < incoming.length) merged[out++] = incoming[b++];
  return merged;
}

/**
 * Mapping between the transcript's clock and the replayer's clock.
 *
 * The transcript (`/events`) is in server time: each event's `ts` is its client
 * timestamp corrected by the clock offset of the batch that carried it, and
 * `offset_ms` is `ts` minus the session start. The recording keeps the raw
 * client timestamps, and the replayer's time 0 is the earliest timestamp of
 * the window it plays.
 *
 * We take the earliest client timestamp across all windows of the recording
 * (the manifest's first timestamps, known before any event is loaded) as the
 * session start on the client clock. Then, for a window whose first
 * event is `windowStart`:
 *
 *     playerTime = offset_ms - (windowStart - recordingStart)
 *
 * Only differences between client timestamps and differences between server
 * times are used, so the clock offset cancels out and never has to be
 * guessed. The residual error is the variation of the clock offset between
 * batches (network latency jitter), which is well below what a person sees.
 */
import { EventType, type eventWithTime } from '@rrweb/types';
import type { LoadedWindow } from './recording';

/** A page load's FullSnapshot follows its Meta event within this. */
const SNAPSHOT_AFTER_META_MS = 2_000;

/** The custom event tag the recorder emits on client-side navigations. */
export const PAGEVIEW_TAG = '$pageview';

export interface WindowTimeline {
  windowId: string;
  events: eventWithTime[];
  /** Earliest client timestamp of this window: the replayer's time 0. */
  start: number;
  /** Latest client timestamp of this window. */
  end: number;
  /** How long after the session's first recorded event this window starts. */
  sessionOffset: number;
  /** Navigations seen in the recording, sorted by time. */
  locations: Location[];
}

export interface Location {
  timestamp: number;
  href: string;
  /**
   * When the page is drawn: the FullSnapshot that follows a Meta event, or
   * the navigation itself (`$pageview` of a single-page app).
   */
  shownAt: number;
}

/**
 * The timelines of the windows as loaded so far, in the manifest's order.
 * A window's timeline object stays the same as it grows, so views that hold
 * it see the new events and bounds.
 */
export function syncTimelines(previous: WindowTimeline[], windows: LoadedWindow[]): WindowTimeline[] {
  let recordingStart = Infinity;
  for (const window of windows) recordingStart = Math.min(recordingStart, window.first);
  const known = new Map(previous.map((timeline) => [timeline.windowId, timeline]));
  return windows.map((window) => {
    const timeline = known.get(window.windowId) ?? {
      windowId: window.windowId,
      events: [],
      start: window.first,
      end: window.last,
      sessionOffset: 0,
      locations: [],
    };
    timeline.start = window.first;
    timeline.end = Math.max(window.last, window.first);
    timeline.sessionOffset = window.first - recordingStart;
    if (timeline.events !== window.events) {
      timeline.events = window.events;
      timeline.locations = extractLocations(window.events);
    }
    return timeline;
  });
}

/** Navigations from Meta events (`data.href`) and `$pageview` custom events (`data.payload.href`). */
export function extractLocations(events: eventWithTime[]): Location[] {
  const locations: Location[] = [];
  events.forEach((event, index) => {
    const href = locationHref(event);
    if (href === undefined) return;
    let shownAt = event.timestamp;
    if (event.type === EventType.Meta) {
      for (let next = index + 1; next < events.length; next++) {
        const candidate = events[next];
        if (candidate.timestamp - event.timestamp > SNAPSHOT_AFTER_META_MS) break;
        if (candidate.type === EventType.FullSnapshot) {
          // rrweb's seek applies the events strictly before the target time.
          shownAt = Math.max(event.timestamp, candidate.timestamp + 1);
          break;
        }
      }
    }
    locations.push({ timestamp: event.timestamp, href, shownAt });
  });
  locations.sort((a, b) => a.timestamp - b.timestamp);
  return locations;
}

function locationHref(event: eventWithTime): string | undefined {
  const data: unknown = event.data;
  if (!isRecord(data)) return undefined;
  if (event.type === EventType.Meta) {
    return typeof data.href === 'string' ? data.href : undefined;
  }
  if (event.type === EventType.Custom && data.tag === PAGEVIEW_TAG && isRecord(data.payload)) {
    return typeof data.payload.href === 'string' ? data.payload.href : undefined;
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The URL shown at `playerTime` ms into the window's replay. */
export function urlAt(timeline: WindowTimeline, playerTime: number): string {
  const absolute = timeline.start + playerTime;
  let current = timeline.locations[0]?.href ?? '';
  for (const location of timeline.locations) {
    if (location.timestamp > absolute) break;
    current = location.href;
  }
  return current;
}

/** The replayer time of a transcript event, clamped to the window's replay. */
export function playerTimeFor(timeline: WindowTimeline, offsetMs: number): number {
  const duration = timeline.end - timeline.start;
  const time = offsetMs - timeline.sessionOffset;
  return Math.min(Math.max(time, 0), duration);
}

/** The session offset (transcript clock) of a moment in the window's replay. */
export function sessionOffsetFor(timeline: WindowTimeline, playerTime: number): number {
  return playerTime + timeline.sessionOffset;
}

/** The recorded viewport of a window, from its first Meta event that has one. */
export function viewportOf(timeline: WindowTimeline): { width: number; height: number } | undefined {
  for (const event of timeline.events) {
    if (event.type !== EventType.Meta) continue;
    const data: unknown = event.data;
    if (isRecord(data) && typeof data.width === 'number' && typeof data.height === 'number') {
      return { width: data.width, height: data.height };
    }
  }
  return undefined;
}

/** The query parameter our recorder honours by not recording the tab it is in (contract 4). */
export const NO_RECORD_PARAM = '__playback_no_record';

/** The recorded URL with the marker that keeps our recorder from recording the tab it opens. */
export function unrecordedUrl(url: string): string {
  if (!url) return '#';
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return url;
    parsed.searchParams.set(NO_RECORD_PARAM, '1');
    return parsed.href;
  } catch {
    return url;
  }
}

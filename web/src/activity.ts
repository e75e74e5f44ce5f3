/**
 * Active and idle time in a recording, defined as the sessionizer defines the
 * session's `active_ms` (docs/architecture.md): each gap between consecutive
 * user actions counts up to `ACTIVE_IDLE_CAP_MS` (10 s). User actions are the
 * incremental snapshots a person causes directly (schemas' `is_user_action`):
 * mouse moves and interactions, scrolls, viewport resizes, inputs, touch
 * moves, media interactions, drags and selections.
 *
 * Everything here is on the session clock of the recording: client
 * milliseconds since the earliest event of any window, the clock
 * `sessionOffsetFor` (src/timeline.ts) gives for a moment of a replay. At the
 * end of the recording the active time is the session's `active_ms`, up to the
 * clock-offset jitter between batches.
 *
 * The stretches that do not count (before the first action, past the cap in a
 * long gap, after the last action) are the idle periods: the activity counter
 * stands still in them, the timeline shades them and "skip idle" jumps over
 * them.
 */
import { EventType, IncrementalSource, type eventWithTime } from '@rrweb/types';
import type { WindowTimeline } from './timeline';

export const ACTIVE_IDLE_CAP_MS = 10_000;
/** Idle stretches shorter than this are not worth a jump. */
export const MIN_SKIP_MS = 1_000;

/** The incremental sources that are user actions (schemas/src/rrweb.rs `is_user_action`). */
const USER_ACTION_SOURCES: ReadonlySet<number> = new Set([
  IncrementalSource.MouseMove,
  IncrementalSource.MouseInteraction,
  IncrementalSource.Scroll,
  IncrementalSource.ViewportResize,
  IncrementalSource.Input,
  IncrementalSource.TouchMove,
  IncrementalSource.MediaInteraction,
  IncrementalSource.Drag,
  IncrementalSource.Selection,
]);

export interface Segment {
  start: number;
  end: number;
}

export interface Activity {
  /** Active stretches, sorted and disjoint. */
  active: Segment[];
  /** Active time before each active stretch, for lookups. */
  before: number[];
  /** Idle stretches of at least MIN_SKIP_MS, sorted. */
  idle: Segment[];
  /** Total active time: the session's `active_ms`. */
  total: number;
  /** Session clock of the last event of any window. */
  end: number;
}

export function isUserAction(event: eventWithTime): boolean {
  if (event.type !== EventType.IncrementalSnapshot) return false;
  const data = event.data as { source?: unknown } | undefined;
  return typeof data?.source === 'number' && USER_ACTION_SOURCES.has(data.source);
}

export function computeActivity(timelines: WindowTimeline[], cap = ACTIVE_IDLE_CAP_MS): Activity {
  const recordingStart = Math.min(...timelines.map((timeline) => timeline.start - timeline.sessionOffset));
  const actions: number[] = [];
  let end = 0;
  for (const timeline of timelines) {
    end = Math.max(end, timeline.end - recordingStart);
    for (const event of timeline.events) {
      if (isUserAction(event)) actions.push(event.timestamp - recordingStart);
    }
  }
  actions.sort((a, b) => a - b);

  const active: Segment[] = [];
  for (let index = 0; index + 1 < actions.length; index++) {
    const start = actions[index];
    const stop = Math.min(actions[index + 1], start + cap);
    if (stop <= start) continue;
    const last = active[active.length - 1];
    if (last && start <= last.end) last.end = Math.max(last.end, stop);
    else active.push({ start, end: stop });
  }

  const before: number[] = [];
  let total = 0;
  for (const segment of active) {
    before.push(total);
    total += segment.end - segment.start;
  }

  const idle: Segment[] = [];
  let cursor = 0;
  for (const segment of active) {
    if (segment.start - cursor >= MIN_SKIP_MS) idle.push({ start: cursor, end: segment.start });
    cursor = segment.end;
  }
  if (end - cursor >= MIN_SKIP_MS) idle.push({ start: cursor, end });

  return { active, before, idle, total, end };
}

/** Active time from the start of the recording up to `offset` on the session clock. */
export function activeUntil(activity: Activity, offset: number): number {
  const { active, before } = activity;
  // The last stretch that starts at or before `offset`.
  let low = 0;
  let high = active.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (active[middle].start <= offset) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  if (found < 0) return 0;
  const segment = active[found];
  return before[found] + Math.min(offset, segment.end) - segment.start;
}

/** The idle stretch that holds `offset`, if any. */
export function idleAt(activity: Activity, offset: number): Segment | undefined {
  for (const segment of activity.idle) {
    if (segment.start > offset) return undefined;
    if (offset < segment.end) return segment;
  }
  return undefined;
}

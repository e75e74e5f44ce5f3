/**
 * Batching of recorded events. Events are serialized once, when they are
 * buffered, and a batch body is assembled from those strings at send time.
 */
import type { UserIdentity } from './session';

/** The gateway accepts at most this many events in one batch. */
export const MAX_EVENTS_PER_BATCH = 10_000;

export interface Batch {
  session_id: string;
  window_id: string;
  seq: number;
  user?: UserIdentity;
  /** The device's screen (`screen.width/height`); the viewport is in rrweb's Meta event. */
  screen?: ScreenSize;
  /** Each event as JSON text, in emission order. */
  events: string[];
  /** UTF-8 size of the events array as JSON. */
  bytes: number;
}

export interface ScreenSize {
  width: number;
  height: number;
}

/** The screen of `source` in CSS pixels, or undefined when it has no usable size. */
export function screenSize(source: { width?: unknown; height?: unknown } | undefined): ScreenSize | undefined {
  const width = source?.width;
  const height = source?.height;
  if (typeof width !== 'number' || typeof height !== 'number' || !(width > 0) || !(height > 0)) {
    return undefined;
  }
  return { width: Math.round(width), height: Math.round(height) };
}

/** UTF-8 byte length of a string, without allocating the encoded bytes. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) {
      bytes += 1;
    } else if (code < 0x800) {
      bytes += 2;
    } else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    } else {
      bytes += 3;
    }
  }
  return bytes;
}

/** The JSON size of an array of already serialized items: brackets and commas included. */
export function jsonArrayBytes(items: readonly string[]): number {
  let bytes = 2 + Math.max(0, items.length - 1);
  for (const item of items) {
    bytes += utf8Length(item);
  }
  return bytes;
}

export interface BufferLimits {
  maxBytes: number;
  maxEvents: number;
}

export interface EventGroup {
  events: string[];
  bytes: number;
}

/**
 * Collects serialized events and cuts them into groups that stay within
 * `maxBytes` (as a JSON array) and `maxEvents`. A group is cut before the
 * event that would overflow it; an event larger than `maxBytes` on its own
 * forms a group by itself.
 */
export class EventBuffer {
  private events: string[] = [];
  private bytes = 2;

  constructor(private readonly limits: BufferLimits) {}

  get length(): number {
    return this.events.length;
  }

  /** The JSON size of the buffered events as an array. */
  get size(): number {
    return this.bytes;
  }

  /** Buffers one event; returns the groups that became complete. */
  add(eventJson: string): EventGroup[] {
    const complete: EventGroup[] = [];
    const eventBytes = utf8Length(eventJson);
    if (this.events.length > 0 && this.bytes + 1 + eventBytes > this.limits.maxBytes) {
      complete.push(this.cut());
    }
    this.bytes += (this.events.length === 0 ? 0 : 1) + eventBytes;
    this.events.push(eventJson);
    if (this.bytes >= this.limits.maxBytes || this.events.length >= this.limits.maxEvents) {
      complete.push(this.cut());
    }
    return complete;
  }

  /** Removes and returns everything buffered, or null when empty. */
  take(): EventGroup | null {
    return this.events.length === 0 ? null : this.cut();
  }

  private cut(): EventGroup {
    const group = { events: this.events, bytes: this.bytes };
    this.events = [];
    this.bytes = 2;
    return group;
  }
}

/** The request body of `POST /v1/batches` (docs/api.md). */
export function encodeBatch(batch: Batch, sentAt: number): string {
  let body =
    '{"session_id":' + JSON.stringify(batch.session_id) +
    ',"window_id":' + JSON.stringify(batch.window_id) +
    ',"seq":' + String(batch.seq) +
    ',"sent_at":' + String(Math.round(sentAt));
  if (batch.user) {
    body += ',"user":' + JSON.stringify(batch.user);
  }
  if (batch.screen) {
    body += ',"screen":' + JSON.stringify({ width: batch.screen.width, height: batch.screen.height });
  }
  return body + ',"events":[' + batch.events.join(',') + ']}';
}

/** rrweb events for the tests, built with rrweb's own enums. */
import { EventType, IncrementalSource, MouseInteractions, type eventWithTime } from '@rrweb/types';
import type { LoadedWindow } from '../src/recording';

export function meta(timestamp: number, href: string, width = 1280, height = 720): eventWithTime {
  return { type: EventType.Meta, timestamp, data: { href, width, height } };
}

export function fullSnapshot(timestamp: number): eventWithTime {
  return { type: EventType.FullSnapshot, timestamp, data: { node: { type: 0, childNodes: [], id: 1 }, initialOffset: { top: 0, left: 0 } } } as eventWithTime;
}

export function pageview(timestamp: number, href: string): eventWithTime {
  return { type: EventType.Custom, timestamp, data: { tag: '$pageview', payload: { href } } };
}

export function click(timestamp: number): eventWithTime {
  return {
    type: EventType.IncrementalSnapshot,
    timestamp,
    data: { source: IncrementalSource.MouseInteraction, type: MouseInteractions.Click, id: 5, x: 10, y: 10 },
  } as eventWithTime;
}

export function mutation(timestamp: number): eventWithTime {
  return {
    type: EventType.IncrementalSnapshot,
    timestamp,
    data: { source: IncrementalSource.Mutation, texts: [], attributes: [], removes: [], adds: [] },
  } as eventWithTime;
}

export function scroll(timestamp: number): eventWithTime {
  return { type: EventType.IncrementalSnapshot, timestamp, data: { source: IncrementalSource.Scroll, id: 1, x: 0, y: 100 } } as eventWithTime;
}

/** A window as the recording loader holds it once every chunk is in. */
export function loadedWindow(windowId: string, events: eventWithTime[], bounds?: { first: number; last: number }): LoadedWindow {
  const times = events.map((event) => event.timestamp);
  return {
    windowId,
    first: bounds?.first ?? Math.min(...times),
    last: bounds?.last ?? Math.max(...times),
    chunks: [],
    events,
    seqs: new Set([0]),
    loaded: new Set(),
    listedEvents: events.length,
  };
}

/**
 * One rrweb-player instance replaying one window (tab) of a recording, sized
 * to its container and kept sized when the browser window changes. Its own
 * controller is hidden: the page draws its controls (src/controls.ts) and
 * drives the player through this wrapper. Skipping idle time is done by the
 * page too (src/activity.ts), so rrweb's own `skipInactive` is off.
 *
 * The replay is built from part of a window's events (src/recording.ts loads
 * them chunk by chunk) and grows as more arrive. Two custom events mark the
 * window's first and last timestamps from the manifest, so the replayer's
 * time 0 and total length are the whole window's from the first frame on.
 * While playing, events later than the moment shown go through rrweb's
 * `addEvent`, so its timer plays them; the others (all of them while paused)
 * are merged into the replayer's event list without being applied (rrweb's
 * `addEvent` applies an event before the current time at once, on top of the
 * frame), and a seek reaches them through the snapshot before its target.
 */
import rrwebPlayer from 'rrweb-player';
import { EventType, type eventWithTime } from '@rrweb/types';
import { SPEEDS, type Speed } from './controls';
import { maskedSelectPlugin } from './masked-select';
import { mergeSorted } from './recording';

/** Height of the page's timeline and control bar below the frame, when it cannot be measured. */
const CONTROLS_HEIGHT = 84;
const MIN_FRAME_HEIGHT = 200;
const MIN_FRAME_WIDTH = 200;
/** Space kept below the controls, so the player ends above the fold. */
const BOTTOM_MARGIN = 24;

declare global {
  interface Window {
    /** The rrweb-player instance on the session page; end-to-end tests drive it. */
    __playbackPlayer?: rrwebPlayer;
  }
}

/** The rrweb-player surface used here; Svelte's own methods are not in its typings. */
interface SvelteLifecycle {
  $set(props: { width?: number; height?: number }): void;
  $destroy(): void;
}

/** The tag of the custom events that hold a window's bounds in the replayer. */
export const BOUNDS_TAG = 'playback.bounds';

export interface Replay {
  player: rrwebPlayer;
  /** Length of the replay, ms. */
  duration(): number;
  /** Adds events of the window, sorted by timestamp. */
  addEvents(events: eventWithTime[]): void;
  /** Moves the end of the window (the recording grew). */
  setEnd(timestamp: number): void;
  /**
   * Moves to `playerTime` ms; keeps playing if it was playing. With `drawAt`,
   * the frame drawn is the one at `drawAt` (a page drawn a moment later than
   * asked) while the time reported stays `playerTime`.
   */
  seek(playerTime: number, drawAt?: number): void;
  play(): void;
  pause(): void;
  isPlaying(): boolean;
  currentTime(): number;
  setSpeed(speed: Speed): void;
  /** Fits the frame to the container again (after a resize or fullscreen change). */
  fit(): void;
  destroy(): void;
}

export interface ReplayOptions {
  target: HTMLElement;
  /** The events loaded so far, sorted by timestamp. */
  events: eventWithTime[];
  /** The window's first and last client timestamps. */
  start: number;
  end: number;
  /** Recorded viewport, for the aspect ratio of the frame. */
  viewport: { width: number; height: number };
  speed: Speed;
  /** Height kept below the frame for the page's own seek bar and controls. */
  reserve?: () => number;
  onTime: (playerTime: number) => void;
  onState: (playing: boolean) => void;
}

export function mountReplay(options: ReplayOptions): Replay {
  const reserve = options.reserve ?? ((): number => CONTROLS_HEIGHT);
  const size = frameSize(options.target, options.viewport, reserve());
  const player = new rrwebPlayer({
    target: options.target,
    props: {
      events: [boundary(options.start), ...options.events, boundary(Math.max(options.end, options.start + 1))],
      width: size.width,
      height: size.height,
      autoPlay: false,
      skipInactive: false,
      showController: false,
      speedOption: [...SPEEDS],
      speed: options.speed,
      // Replayed focus events would move the page's focus into the frame, and with it the
      // keyboard shortcuts.
      triggerFocus: false,
      mouseTail: { strokeStyle: 'rgba(37, 99, 235, 0.6)' },
      plugins: [maskedSelectPlugin()],
    },
  });
  const lifecycle = player as unknown as SvelteLifecycle;
  window.__playbackPlayer = player;
  const replayer = player.getReplayer();
  const replayEvents = (): eventWithTime[] =>
    (replayer as unknown as { service: { state: { context: { events: eventWithTime[] } } } }).service.state.context
      .events;
  const totalTime = (): number => player.getMetaData().totalTime;
  const firstSnapshotTime = (): number => {
    const snapshot = replayEvents().find((event) => event.type === EventType.FullSnapshot);
    return snapshot ? snapshot.timestamp + 1 - options.start : 0;
  };
  let playing = false;
  let time = 0;

  /** A seek to the very start goes a little further (see `seek`); it is reported as asked. */
  let startSeek: { reached: number; asked: number } | null = null;
  player.addEventListener('ui-update-current-time', (detail) => {
    const payload = (detail as { payload?: unknown } | undefined)?.payload;
    if (typeof payload === 'number') {
      const reported = startSeek !== null && payload === startSeek.reached ? startSeek.asked : payload;
      if (reported === payload) startSeek = null;
      time = reported;
      options.onTime(reported);
    }
  });
  player.addEventListener('ui-update-player-state', (detail) => {
    const payload = (detail as { payload?: unknown } | undefined)?.payload;
    if (payload === 'playing' || payload === 'paused') {
      playing = payload === 'playing';
      options.onState(playing);
    }
  });

  const fit = (): void => {
    lifecycle.$set(frameSize(options.target, options.viewport, reserve()));
    player.triggerResize();
  };
  let resizeTimer: number | undefined;
  const onResize = (): void => {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(fit, 150);
  };
  window.addEventListener('resize', onResize);

  const addEvents = (events: eventWithTime[]): void => {
    const list = replayEvents();
    const now = options.start + time;
    // The Meta event that starts the frame being shown: earlier events do not change it.
    let frameStart = -Infinity;
    for (let index = list.length - 1; index >= 0; index--) {
      if (list[index].timestamp <= now && list[index].type === EventType.Meta) {
        frameStart = list[index].timestamp;
        break;
      }
    }
    // While playing, rrweb's timer must hear of the events still to come; the rest (all of
    // them while paused) are merged into the list in one pass.
    const quiet: eventWithTime[] = [];
    let touchesFrame = false;
    for (const event of events) {
      if (playing && event.timestamp >= now) {
        replayer.addEvent(event);
        continue;
      }
      if (event.timestamp >= frameStart && event.timestamp < now) touchesFrame = true;
      quiet.push(event);
    }
    if (quiet.length > 0) mergeInto(list, quiet);
    // Events that arrived after the replay played past them: draw the frame again with them.
    if (touchesFrame) player.goto(time, playing);
  };

  return {
    player,
    duration: totalTime,
    addEvents,
    setEnd(timestamp: number): void {
      if (timestamp > options.start + totalTime()) player.addEvent(boundary(timestamp));
    },
    seek(playerTime: number, drawAt?: number): void {
      const target = Math.min(Math.max(0, Math.round(playerTime)), totalTime());
      time = target;
      // rrweb draws the events strictly before the time it goes to: at the very start that
      // would be none, so it goes to just after the first snapshot instead.
      const drawn = drawAt === undefined ? target : Math.min(Math.max(0, Math.round(drawAt)), totalTime());
      const reached = Math.max(drawn, firstSnapshotTime());
      startSeek = reached === target ? null : { reached, asked: target };
      player.goto(reached);
    },
    play(): void {
      // At the end, play from the start again.
      if (time >= totalTime() - 50) player.goto(0, true);
      else player.play();
    },
    pause(): void {
      player.pause();
    },
    isPlaying: () => playing,
    currentTime: () => time,
    setSpeed(speed: Speed): void {
      player.setSpeed(speed);
    },
    fit,
    destroy(): void {
      window.removeEventListener('resize', onResize);
      window.clearTimeout(resizeTimer);
      player.pause();
      lifecycle.$destroy();
      if (window.__playbackPlayer === player) delete window.__playbackPlayer;
      options.target.replaceChildren();
    },
  };
}

function boundary(timestamp: number): eventWithTime {
  return { type: EventType.Custom, timestamp, data: { tag: BOUNDS_TAG, payload: {} } } as eventWithTime;
}

/** Merges sorted `incoming` into the sorted `list` in place; of equal timestamps, the listed come first. */
function mergeInto(list: eventWithTime[], incoming: eventWithTime[]): void {
  const merged = mergeSorted(list, incoming);
  list.length = merged.length;
  for (let index = 0; index < merged.length; index++) list[index] = merged[index];
}

/**
 * The largest frame that fits the container's width and, together with the
 * controls, the viewport's height below the container's top; in fullscreen,
 * the container's own box.
 */
function frameSize(
  container: HTMLElement,
  viewport: { width: number; height: number },
  reserved: number,
): { width: number; height: number } {
  const width = Math.max(MIN_FRAME_WIDTH, Math.floor(container.clientWidth));
  const ratio = viewport.width > 0 && viewport.height > 0 ? viewport.height / viewport.width : 10 / 16;
  if (document.fullscreenElement?.contains(container)) {
    return { width, height: Math.max(MIN_FRAME_HEIGHT, Math.floor(container.clientHeight)) };
  }
  const top = container.getBoundingClientRect().top + window.scrollY;
  const maxHeight = window.innerHeight - top - reserved - BOTTOM_MARGIN;
  const height = Math.max(MIN_FRAME_HEIGHT, Math.min(Math.round(width * ratio), maxHeight));
  return { width, height };
}

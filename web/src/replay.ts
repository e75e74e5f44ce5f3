/**
 * One rrweb-player instance replaying one window (tab) of a recording, sized
 * to its container and kept sized when the browser window changes.
 */
import rrwebPlayer from 'rrweb-player';
import type { eventWithTime } from '@rrweb/types';

/** Height of rrweb-player's controller bar, added below the replay frame. */
const CONTROLLER_HEIGHT = 80;
const MIN_FRAME_HEIGHT = 240;
/** Space kept below the controller, so the player ends above the fold. */
const BOTTOM_MARGIN = 24;

export type PlayerState = 'playing' | 'paused' | 'live';

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

export interface Replay {
  player: rrwebPlayer;
  /** Moves to `playerTime` ms; keeps playing if it was playing. */
  seek(playerTime: number): void;
  destroy(): void;
}

export interface ReplayOptions {
  target: HTMLElement;
  events: eventWithTime[];
  /** Recorded viewport, for the aspect ratio of the frame. */
  viewport: { width: number; height: number };
  onTime: (playerTime: number) => void;
}

export function mountReplay(options: ReplayOptions): Replay {
  const size = frameSize(options.target, options.viewport);
  const player = new rrwebPlayer({
    target: options.target,
    props: {
      events: options.events,
      width: size.width,
      height: size.height,
      autoPlay: false,
      skipInactive: true,
      showController: true,
      mouseTail: { strokeStyle: 'rgba(37, 99, 235, 0.6)' },
    },
  });
  const lifecycle = player as unknown as SvelteLifecycle;
  window.__playbackPlayer = player;

  player.addEventListener('ui-update-current-time', (detail) => {
    const payload = (detail as { payload?: unknown } | undefined)?.payload;
    if (typeof payload === 'number') options.onTime(payload);
  });

  let resizeTimer: number | undefined;
  const onResize = (): void => {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => {
      lifecycle.$set(frameSize(options.target, options.viewport));
      player.triggerResize();
    }, 150);
  };
  window.addEventListener('resize', onResize);

  return {
    player,
    seek(playerTime: number): void {
      player.goto(Math.max(0, Math.round(playerTime)));
    },
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

/**
 * The largest frame that fits the container's width and, together with the
 * controller, the viewport's height below the container's top.
 */
function frameSize(
  container: HTMLElement,
  viewport: { width: number; height: number },
): { width: number; height: number } {
  const width = Math.max(320, Math.floor(container.clientWidth));
  const ratio = viewport.width > 0 && viewport.height > 0 ? viewport.height / viewport.width : 10 / 16;
  const top = container.getBoundingClientRect().top + window.scrollY;
  const maxHeight = window.innerHeight - top - CONTROLLER_HEIGHT - BOTTOM_MARGIN;
  const height = Math.max(MIN_FRAME_HEIGHT, Math.min(Math.round(width * ratio), maxHeight));
  return { width, height };
}

/**
 * One rrweb-player instance replaying one window (tab) of a recording, sized
 * to its container and kept sized when the browser window changes. Its own
 * controller is hidden: the page draws its controls (src/controls.ts) and
 * drives the player through this wrapper. Skipping idle time is done by the
 * page too (src/activity.ts), so rrweb's own `skipInactive` is off.
 */
import rrwebPlayer from 'rrweb-player';
import type { eventWithTime } from '@rrweb/types';
import { SPEEDS, type Speed } from './controls';

/** Height of the page's timeline and control bar below the frame. */
const CONTROLS_HEIGHT = 84;
const MIN_FRAME_HEIGHT = 240;
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

export interface Replay {
  player: rrwebPlayer;
  /** Length of the replay, ms. */
  duration: number;
  /** Moves to `playerTime` ms; keeps playing if it was playing. */
  seek(playerTime: number): void;
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
  events: eventWithTime[];
  /** Recorded viewport, for the aspect ratio of the frame. */
  viewport: { width: number; height: number };
  speed: Speed;
  onTime: (playerTime: number) => void;
  onState: (playing: boolean) => void;
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
      skipInactive: false,
      showController: false,
      speedOption: [...SPEEDS],
      speed: options.speed,
      // Replayed focus events would move the page's focus into the frame, and with it the
      // keyboard shortcuts.
      triggerFocus: false,
      mouseTail: { strokeStyle: 'rgba(37, 99, 235, 0.6)' },
    },
  });
  const lifecycle = player as unknown as SvelteLifecycle;
  window.__playbackPlayer = player;
  const meta = player.getMetaData();
  let playing = false;
  let time = 0;

  player.addEventListener('ui-update-current-time', (detail) => {
    const payload = (detail as { payload?: unknown } | undefined)?.payload;
    if (typeof payload === 'number') {
      time = payload;
      options.onTime(payload);
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
    lifecycle.$set(frameSize(options.target, options.viewport));
    player.triggerResize();
  };
  let resizeTimer: number | undefined;
  const onResize = (): void => {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(fit, 150);
  };
  window.addEventListener('resize', onResize);

  return {
    player,
    duration: meta.totalTime,
    seek(playerTime: number): void {
      const target = Math.min(Math.max(0, Math.round(playerTime)), meta.totalTime);
      time = target;
      player.goto(target);
    },
    play(): void {
      // At the end, play from the start again.
      if (time >= meta.totalTime - 50) player.goto(0, true);
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

/**
 * The largest frame that fits the container's width and, together with the
 * controls, the viewport's height below the container's top; in fullscreen,
 * the container's own box.
 */
function frameSize(
  container: HTMLElement,
  viewport: { width: number; height: number },
): { width: number; height: number } {
  const width = Math.max(320, Math.floor(container.clientWidth));
  const ratio = viewport.width > 0 && viewport.height > 0 ? viewport.height / viewport.width : 10 / 16;
  if (document.fullscreenElement?.contains(container)) {
    return { width, height: Math.max(MIN_FRAME_HEIGHT, Math.floor(container.clientHeight)) };
  }
  const top = container.getBoundingClientRect().top + window.scrollY;
  const maxHeight = window.innerHeight - top - CONTROLS_HEIGHT - BOTTOM_MARGIN;
  const height = Math.max(MIN_FRAME_HEIGHT, Math.min(Math.round(width * ratio), maxHeight));
  return { width, height };
}

/**
 * The player's control bar (play/pause, clock, activity counter, speed, skip
 * idle, fullscreen, shortcuts) and the keyboard shortcuts with their help.
 */
import { h } from './dom';
import { formatClock } from './format';

export const SPEEDS = [1, 2, 4, 8] as const;
export type Speed = (typeof SPEEDS)[number];

export const SHORTCUTS: [string, string][] = [
  ['Space', 'Play / pause'],
  ['← / →', 'Back / forward 5 s'],
  ['Home / End', 'Start / end'],
  ['J / K', 'Next / previous transcript entry'],
  ['1 2 4 8', 'Speed 1× 2× 4× 8×'],
  ['S', 'Skip idle on / off'],
  ['F', 'Fullscreen'],
  ['?', 'Show / hide these shortcuts'],
  ['Esc', 'Close this help'],
];

export interface ControlActions {
  toggle(): void;
  setSpeed(speed: Speed): void;
  toggleSkipIdle(): void;
  toggleFullscreen(): void;
  toggleHelp(): void;
}

export interface Controls {
  element: HTMLElement;
  setPlaying(playing: boolean): void;
  setSpeed(speed: Speed): void;
  setSkipIdle(on: boolean): void;
  setClock(playerTime: number, duration: number): void;
  /** Active time so far and in total, ms. */
  setActivity(activeMs: number, totalMs: number): void;
  setFullscreen(on: boolean): void;
  /** Says something briefly (e.g. that an idle stretch was skipped); `key` names it for `clearFlash`. */
  flash(message: string, key?: string): void;
  /** Takes the message away now, if it is still the one flashed with `key`. */
  clearFlash(key: string): void;
}

const ICON_PLAY = '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path d="M4 2.5v11l9-5.5z" fill="currentColor"/></svg>';
const ICON_PAUSE = '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path d="M4 2.5h3v11H4zM9 2.5h3v11H9z" fill="currentColor"/></svg>';
const ICON_FULLSCREEN = '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="1.6"><path d="M2 6V2h4M10 2h4v4M14 10v4h-4M6 14H2v-4"/></svg>';

function iconButton(testid: string, label: string, svg: string, onClick: () => void, shortcut: string): HTMLButtonElement {
  const button = h('button', {
    class: 'control-button',
    testid,
    title: `${label} (${shortcut})`,
    attrs: { type: 'button', 'aria-label': label, 'aria-keyshortcuts': shortcut },
    on: { click: onClick },
  });
  button.innerHTML = svg;
  return button;
}

export function renderControls(actions: ControlActions): Controls {
  const play = iconButton('play-toggle', 'Play', ICON_PLAY, () => actions.toggle(), 'Space');
  play.dataset.state = 'paused';
  const clock = h('span', { class: 'control-clock', testid: 'player-clock', text: '00:00 / 00:00' });
  const activity = h('span', {
    class: 'control-activity',
    testid: 'activity-time',
    title: 'Active time so far: gaps between user actions count up to 10 s, as in the session’s active time',
  });
  const speedButtons = SPEEDS.map((speed) =>
    h('button', {
      class: 'speed-button',
      testid: 'speed',
      text: `${speed}×`,
      title: `Speed ${speed}× (${speed})`,
      dataset: { speed: String(speed) },
      attrs: { type: 'button', 'aria-pressed': 'false', 'aria-keyshortcuts': String(speed) },
      on: { click: () => actions.setSpeed(speed) },
    }),
  );
  const skip = h('button', {
    class: 'toggle-button',
    testid: 'skip-idle',
    text: 'Skip idle',
    title: 'Jump over the idle stretches, which the activity counter does not count (S)',
    attrs: { type: 'button', 'aria-pressed': 'false', 'aria-keyshortcuts': 'S' },
    on: { click: () => actions.toggleSkipIdle() },
  });
  const fullscreen = iconButton('fullscreen', 'Fullscreen', ICON_FULLSCREEN, () => actions.toggleFullscreen(), 'F');
  const help = h('button', {
    class: 'control-button control-help',
    testid: 'shortcuts-button',
    text: '?',
    title: 'Keyboard shortcuts (?)',
    attrs: { type: 'button', 'aria-label': 'Keyboard shortcuts', 'aria-keyshortcuts': '?' },
    on: { click: () => actions.toggleHelp() },
  });
  const toast = h('span', { class: 'control-toast', testid: 'player-toast', attrs: { role: 'status', 'aria-live': 'polite' } });
  toast.hidden = true;
  let toastTimer: number | undefined;
  const hideToast = (): void => {
    toast.textContent = '';
    toast.dataset.key = '';
    toast.hidden = true;
  };

  const element = h('div', { class: 'player-controls', testid: 'player-controls' }, [
    h('span', { class: 'control-group control-time' }, [play, clock, activity]),
    h('span', { class: 'control-spacer' }),
    h('span', { class: 'control-group control-options' }, [
      h('span', { class: 'speed-group', attrs: { role: 'group', 'aria-label': 'Speed' } }, speedButtons),
      skip,
      fullscreen,
      help,
    ]),
    toast,
  ]);

  return {
    element,
    setPlaying(playing: boolean): void {
      play.dataset.state = playing ? 'playing' : 'paused';
      play.setAttribute('aria-label', playing ? 'Pause' : 'Play');
      play.title = `${playing ? 'Pause' : 'Play'} (Space)`;
      play.innerHTML = playing ? ICON_PAUSE : ICON_PLAY;
    },
    setSpeed(speed: Speed): void {
      for (const button of speedButtons) {
        button.setAttribute('aria-pressed', String(button.dataset.speed === String(speed)));
      }
      element.dataset.speed = String(speed);
    },
    setSkipIdle(on: boolean): void {
      skip.setAttribute('aria-pressed', String(on));
      element.dataset.skipIdle = String(on);
    },
    setClock(playerTime: number, duration: number): void {
      const text = `${formatClock(playerTime)} / ${formatClock(duration)}`;
      if (clock.textContent !== text) clock.textContent = text;
    },
    setActivity(activeMs: number, totalMs: number): void {
      const text = `Active ${formatClock(activeMs)} / ${formatClock(totalMs)}`;
      if (activity.textContent !== text) activity.textContent = text;
      activity.dataset.activeMs = String(Math.round(activeMs));
      activity.dataset.totalMs = String(Math.round(totalMs));
    },
    setFullscreen(on: boolean): void {
      fullscreen.setAttribute('aria-pressed', String(on));
      fullscreen.setAttribute('aria-label', on ? 'Exit fullscreen' : 'Fullscreen');
    },
    flash(message: string, key = ''): void {
      toast.textContent = message;
      toast.dataset.key = key;
      toast.hidden = false;
      window.clearTimeout(toastTimer);
      toastTimer = window.setTimeout(() => hideToast(), 2500);
    },
    clearFlash(key: string): void {
      if (toast.dataset.key === key && !toast.hidden) {
        window.clearTimeout(toastTimer);
        hideToast();
      }
    },
  };
}

/** The "?" overlay listing the shortcuts. */
export function renderShortcutsHelp(onClose: () => void): HTMLElement {
  const overlay = h('div', {
    class: 'shortcuts-help',
    testid: 'shortcuts-help',
    attrs: { role: 'dialog', 'aria-label': 'Keyboard shortcuts', 'aria-modal': 'false' },
    on: {
      click: (event) => {
        if (event.target === overlay) onClose();
      },
    },
  }, [
    h('div', { class: 'shortcuts-card' }, [
      h('div', { class: 'shortcuts-head' }, [
        h('h2', { text: 'Keyboard shortcuts' }),
        h('button', { class: 'button button-quiet button-small', testid: 'shortcuts-close', text: 'Close', attrs: { type: 'button' }, on: { click: onClose } }),
      ]),
      h(
        'dl',
        { class: 'shortcuts-list' },
        SHORTCUTS.flatMap(([keys, what]) => [h('dt', {}, [h('kbd', { text: keys })]), h('dd', { text: what })]),
      ),
    ]),
  ]);
  overlay.hidden = true;
  return overlay;
}

/**
 * The player's remembered preferences (speed, skip idle) in local storage,
 * and whether a key press is typing rather than a shortcut.
 */
import { SPEEDS, type Speed } from './controls';

const PREFERENCES_KEY = 'playback.player';

export interface Preferences {
  speed: Speed;
  skipIdle: boolean;
}

export function loadPreferences(): Preferences {
  const defaults: Preferences = { speed: 1, skipIdle: true };
  try {
    const stored: unknown = JSON.parse(window.localStorage.getItem(PREFERENCES_KEY) ?? 'null');
    if (stored && typeof stored === 'object') {
      const { speed, skipIdle } = stored as Partial<Preferences>;
      return {
        speed: (SPEEDS as readonly number[]).includes(speed as number) ? (speed as Speed) : defaults.speed,
        skipIdle: typeof skipIdle === 'boolean' ? skipIdle : defaults.skipIdle,
      };
    }
  } catch {
    // Unreadable preferences: the defaults.
  }
  return defaults;
}

export function savePreferences(preferences: Preferences): void {
  try {
    window.localStorage.setItem(PREFERENCES_KEY, JSON.stringify(preferences));
  } catch {
    // Not kept; fine.
  }
}

/** Whether a key press goes to a field the user types in (no shortcut then). */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range'].includes(target.type);
  }
  return false;
}

/**
 * The device of a session as the player shows it: a badge beside the address
 * bar ("Mobile · iOS 17.4 · Safari 17.4") and, on hover or focus, a styled
 * popover with the OS, the browser, the screen and the viewport kept apart.
 *
 * The screen is the device's (`screen_width`/`screen_height`, 0 when the
 * recorder did not send it) and the viewport the page's (`viewport_width`/
 * `viewport_height`, the recording's Meta size). Where the session has no
 * viewport (rows stored before it was kept), the recording's own Meta size
 * stands in.
 */
import type { SessionFacts } from './api';
import { h } from './dom';
import { capitalize } from './format';
import { attachHoverCard } from './popover';

function size(width: number | undefined, height: number | undefined): string {
  return (width ?? 0) > 0 && (height ?? 0) > 0 ? `${width}×${height}` : '';
}

/** `iOS 17.4`, `Windows 10`: the OS name and version, as far as known. */
export function osLabel(session: SessionFacts): string {
  return [session.os, session.os_version].filter(Boolean).join(' ');
}

/** `Safari 17.4`, `Chrome 131`: the browser and its version (major only for long versions). */
export function browserLabel(session: SessionFacts): string {
  const parts = session.browser_version.split('.');
  const version = parts.length > 2 ? parts[0] : session.browser_version;
  return [session.browser, version].filter(Boolean).join(' ');
}

/** The badge text: device type, OS and browser. */
export function deviceSummary(session: SessionFacts): string {
  const parts = [capitalize(session.device_type || ''), osLabel(session), browserLabel(session)].filter(Boolean);
  return parts.length > 0 ? parts.join(' · ') : 'Unknown device';
}

function deviceCard(session: SessionFacts, recordedViewport: { width: number; height: number } | undefined): HTMLElement {
  const viewport =
    size(session.viewport_width, session.viewport_height) || size(recordedViewport?.width, recordedViewport?.height);
  const rows: [string, string, string][] = [
    ['device-type', 'Device', capitalize(session.device_type || 'unknown')],
    ['device-os', 'OS', osLabel(session) || 'Unknown'],
    ['device-browser', 'Browser', [session.browser || 'Unknown', session.browser_version].filter(Boolean).join(' ')],
    ['device-screen', 'Screen', size(session.screen_width, session.screen_height) || 'Not reported'],
    ['device-viewport', 'Viewport', viewport || 'Not reported'],
  ];
  return h('div', { class: 'device-card' }, [
    h('div', { class: 'device-card-title', text: deviceSummary(session) }),
    h(
      'dl',
      { class: 'device-card-facts' },
      rows.flatMap(([testid, label, value]) => [h('dt', { text: label }), h('dd', { testid, text: value })]),
    ),
  ]);
}

/** The badge with its popover; `recordedViewport` gives the recording's Meta size when asked. */
export function renderDeviceBadge(
  session: SessionFacts,
  recordedViewport: () => { width: number; height: number } | undefined,
): HTMLElement {
  const screen = size(session.screen_width, session.screen_height);
  const badge = h('span', {
    class: 'player-device',
    testid: 'player-device',
    text: deviceSummary(session),
    attrs: {
      tabindex: '0',
      role: 'button',
      'aria-label': `Device: ${deviceSummary(session)}. Hover or focus for details.`,
    },
    dataset: { screen, browserVersion: session.browser_version },
  });
  attachHoverCard(badge, {
    testid: 'device-popover',
    label: 'Device details',
    load: async () => deviceCard(session, recordedViewport()),
  });
  return badge;
}

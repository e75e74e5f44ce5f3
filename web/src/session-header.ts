/**
 * The session page's header: who (with "N of M sessions" and a link to all of
 * their sessions), when it started and ended (UTC, labelled), on what, for how
 * long, and the score with its breakdown. A session still open is marked
 * live. The shared view shows the same facts without who.
 */
import type { ScoreFactor, SessionDetail, SessionFacts } from './api';
import { scoreBadge } from './components';
import { h } from './dom';
import { deviceSummary } from './device';
import {
  formatDateTime,
  formatDuration,
  formatNumber,
  formatScore,
  plural,
  userLabel,
} from './format';
import { attachHoverCard } from './popover';
import { attachUserCard, userSessionsHref } from './user-card';

export interface HeaderOptions {
  /** Buttons placed at the right (Share). */
  actions?: HTMLElement[];
}

/** The header of a session seen with a token: with its user. */
export function renderSessionHeader(session: SessionDetail, options: HeaderOptions = {}): HTMLElement {
  return header(session, identity(session), session.score_breakdown ?? [], options);
}

/** The header of the shared view: no user. */
export function renderSharedHeader(session: SessionFacts): HTMLElement {
  const title = h('div', { class: 'session-who' }, [
    h('h1', { class: 'session-user', testid: 'shared-title', text: 'Shared session' }),
    h('span', { class: 'badge', text: 'Read-only' }),
  ]);
  return header(session, title, [], {});
}

function identity(session: SessionDetail): HTMLElement {
  const userId = session.user_id ?? '';
  const name = userId === ''
    ? h('h1', { class: 'session-user anonymous', testid: 'session-user', text: userLabel(session.user_id) })
    : h('h1', { class: 'session-user' }, [
        h('a', {
          testid: 'session-user',
          class: 'session-user-link',
          text: userId,
          title: `All sessions of ${userId}`,
          attrs: { href: userSessionsHref(userId) },
        }),
      ]);
  const link = name.querySelector('a');
  if (link) attachUserCard(link, userId);
  const user = session.user;
  const position =
    user && user.session_count > 0
      ? h('a', {
          class: 'session-position',
          testid: 'user-session-number',
          text: `Session ${user.session_number} of ${user.session_count}`,
          title: `First seen ${formatDateTime(user.first_seen)} UTC · all of this user's sessions`,
          attrs: { href: userSessionsHref(user.user_id) },
          dataset: { sessionNumber: String(user.session_number), sessionCount: String(user.session_count) },
        })
      : null;
  return h('div', { class: 'session-who' }, [name, position]);
}

function header(
  session: SessionFacts,
  who: HTMLElement,
  breakdown: ScoreFactor[],
  options: HeaderOptions,
): HTMLElement {
  const live = session.closed
    ? null
    : h('span', { class: 'badge badge-live', testid: 'session-live', text: 'Live', title: 'This session is still open: more may arrive' });
  if (live) who.append(live);
  return h('header', { class: 'session-header', testid: 'session-header' }, [
    h('div', { class: 'session-identity' }, [
      who,
      h('div', { class: 'session-facts' }, [
        fact('session-date', 'Started', `${formatDateTime(session.start_time)} UTC`),
        fact('session-end', 'Ended', `${formatDateTime(session.end_time)} UTC`),
        fact('session-device', 'Device', deviceSummary(session)),
        fact('session-duration', 'Duration', formatDuration(session.duration_ms)),
        fact('session-active', 'Active', formatDuration(session.active_ms)),
        fact('session-counts', 'Activity', activitySummary(session)),
      ]),
    ]),
    h('div', { class: 'session-side' }, [
      ...(options.actions ?? []),
      h('div', { class: 'session-score' }, [
        h('span', { class: 'fact-label', text: 'Score' }),
        scoreWithBreakdown(session.score, breakdown),
        breakdown.length > 0 ? renderBreakdown(session.score, breakdown) : null,
      ]),
    ]),
  ]);
}

/** The score badge; hovering it shows the per-factor breakdown. */
export function scoreWithBreakdown(score: number, breakdown: ScoreFactor[]): HTMLElement {
  if (breakdown.length === 0) return scoreBadge(score, `Score ${formatScore(score)}`);
  const badge = scoreBadge(score);
  badge.tabIndex = 0;
  badge.setAttribute('aria-label', breakdownTooltip(score, breakdown).replace(/\n/g, '; '));
  attachHoverCard(badge, {
    testid: 'score-popover',
    label: 'Score breakdown',
    load: async () => breakdownTable(score, breakdown),
  });
  return badge;
}

function fact(testid: string, label: string, value: string): HTMLElement {
  return h('span', { class: 'fact', testid }, [
    h('span', { class: 'fact-label', text: label }),
    h('span', { class: 'fact-value', text: value }),
  ]);
}

function activitySummary(session: SessionFacts): string {
  const parts = [
    plural(session.page_views, 'page view'),
    plural(session.clicks, 'click'),
    plural(session.errors, 'error'),
  ];
  if (session.windows > 1) parts.push(plural(session.windows, 'tab'));
  return parts.join(' · ');
}

export function factorLabel(factor: string): string {
  const words = factor.replace(/_/g, ' ').replace(/\burls?\b/g, (word) => (word === 'urls' ? 'URLs' : 'URL'));
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function signedPoints(points: number): string {
  const text = formatNumber(points, 1);
  return points > 0 ? `+${text}` : text;
}

/** The tooltip on the score: one line per factor. */
export function breakdownTooltip(score: number, breakdown: ScoreFactor[]): string {
  const lines = [`Score ${formatScore(score)}`];
  for (const factor of breakdown) {
    lines.push(`${factorLabel(factor.factor)}: ${signedPoints(factor.points)} pts (raw ${formatNumber(factor.raw, 2)})`);
  }
  return lines.join('\n');
}

/** The per-factor table: raw value, normalized, weight, points, and the total. */
export function breakdownTable(score: number, breakdown: ScoreFactor[]): HTMLElement {
  if (breakdown.length === 0) return h('p', { class: 'panel-empty', text: 'No breakdown for this score.' });
  const rows = breakdown.map((factor) =>
    h('tr', { dataset: { factor: factor.factor } }, [
      h('th', { attrs: { scope: 'row' }, text: factorLabel(factor.factor) }),
      h('td', { class: 'num', text: formatNumber(factor.raw, 2) }),
      h('td', { class: 'num', text: formatNumber(factor.normalized, 2) }),
      h('td', { class: 'num', text: formatNumber(factor.weight, 2) }),
      h('td', { class: 'num', text: signedPoints(factor.points) }),
    ]),
  );
  return h('table', { class: 'breakdown-table', testid: 'breakdown-table' }, [
    h('thead', {}, [
      h('tr', {}, [
        h('th', { text: 'Factor' }),
        h('th', { class: 'num', text: 'Raw' }),
        h('th', { class: 'num', text: 'Normalized' }),
        h('th', { class: 'num', text: 'Weight' }),
        h('th', { class: 'num', text: 'Points' }),
      ]),
    ]),
    h('tbody', {}, rows),
    h('tfoot', {}, [
      h('tr', {}, [
        h('th', { attrs: { scope: 'row', colspan: '4' }, text: 'Score' }),
        h('td', { class: 'num', text: formatNumber(score, 1) }),
      ]),
    ]),
  ]);
}

function renderBreakdown(score: number, breakdown: ScoreFactor[]): HTMLElement {
  return h('details', { id: 'score-breakdown', class: 'breakdown', testid: 'score-breakdown' }, [
    h('summary', { text: 'Breakdown' }),
    h('div', { class: 'breakdown-popover' }, [breakdownTable(score, breakdown)]),
  ]);
}

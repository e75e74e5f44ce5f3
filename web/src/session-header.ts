/** The session page's header: who, when, on what, for how long, and the score. */
import type { ScoreFactor, SessionDetail } from './api';
import { scoreBadge } from './components';
import { h } from './dom';
import { deviceLabel, formatDateTime, formatDuration, formatNumber, formatScore, userLabel } from './format';

export function renderSessionHeader(session: SessionDetail): HTMLElement {
  const device = deviceLabel(session);
  const screen =
    session.screen_width > 0 && session.screen_height > 0
      ? `${session.screen_width}×${session.screen_height}`
      : '';
  return h('header', { class: 'session-header', testid: 'session-header' }, [
    h('div', { class: 'session-identity' }, [
      h('h1', {
        class: session.user_id ? 'session-user' : 'session-user anonymous',
        testid: 'session-user',
        text: userLabel(session.user_id),
      }),
      h('div', { class: 'session-facts' }, [
        fact('session-date', 'Started', `${formatDateTime(session.start_time)} UTC`),
        fact('session-device', 'Device', screen ? `${device} · ${screen}` : device),
        fact('session-duration', 'Duration', formatDuration(session.duration_ms)),
        fact('session-active', 'Active', formatDuration(session.active_ms)),
        fact('session-counts', 'Activity', activitySummary(session)),
      ]),
    ]),
    h('div', { class: 'session-score' }, [
      h('span', { class: 'fact-label', text: 'Score' }),
      scoreBadge(session.score, breakdownTooltip(session)),
      renderBreakdown(session),
    ]),
  ]);
}

function fact(testid: string, label: string, value: string): HTMLElement {
  return h('span', { class: 'fact', testid }, [
    h('span', { class: 'fact-label', text: label }),
    h('span', { class: 'fact-value', text: value }),
  ]);
}

function activitySummary(session: SessionDetail): string {
  const parts = [
    plural(session.page_views, 'page view'),
    plural(session.clicks, 'click'),
    plural(session.errors, 'error'),
  ];
  if (session.windows > 1) parts.push(plural(session.windows, 'tab'));
  return parts.join(' · ');
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
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
function breakdownTooltip(session: SessionDetail): string {
  const lines = [`Score ${formatScore(session.score)}`];
  for (const factor of session.score_breakdown) {
    lines.push(`${factorLabel(factor.factor)}: ${signedPoints(factor.points)} pts (raw ${formatNumber(factor.raw, 2)})`);
  }
  return lines.join('\n');
}

function renderBreakdown(session: SessionDetail): HTMLElement {
  const rows = session.score_breakdown.map((factor: ScoreFactor) =>
    h('tr', { dataset: { factor: factor.factor } }, [
      h('th', { attrs: { scope: 'row' }, text: factorLabel(factor.factor) }),
      h('td', { class: 'num', text: formatNumber(factor.raw, 2) }),
      h('td', { class: 'num', text: formatNumber(factor.normalized, 2) }),
      h('td', { class: 'num', text: formatNumber(factor.weight, 2) }),
      h('td', { class: 'num', text: signedPoints(factor.points) }),
    ]),
  );
  const body =
    rows.length > 0
      ? h('table', { class: 'breakdown-table' }, [
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
              h('td', { class: 'num', text: formatNumber(session.score, 1) }),
            ]),
          ]),
        ])
      : h('p', { class: 'panel-empty', text: 'No breakdown for this score.' });
  return h('details', { id: 'score-breakdown', class: 'breakdown', testid: 'score-breakdown' }, [
    h('summary', { text: 'Breakdown' }),
    h('div', { class: 'breakdown-popover' }, [body]),
  ]);
}

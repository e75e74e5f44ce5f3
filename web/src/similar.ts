/**
 * Sessions like this one (`GET /v1/sessions/{id}/similar`): each with its
 * similarity, the reasons the API gives, and a link to watch it.
 */
import { getSimilar, type SimilarSession } from './api';
import { errorMessage, scoreBadge } from './components';
import { h } from './dom';
import { deviceLabel, formatDateTime, formatDuration, userLabel } from './format';
import { sessionHref } from './router';

const LIMIT = 5;

function renderItem(session: SimilarSession): HTMLElement {
  const percent = Math.round(session.similarity * 100);
  return h('li', { class: 'similar-session', testid: 'similar-session', dataset: { sessionId: session.session_id, similarity: String(session.similarity) } }, [
    h('div', { class: 'similar-head' }, [
      h('span', { class: 'similarity', testid: 'similarity', text: `${percent}%`, title: 'Similarity' }),
      h('a', {
        class: session.user_id ? 'similar-link' : 'similar-link anonymous',
        testid: 'similar-link',
        text: userLabel(session.user_id),
        title: `Watch session ${session.session_id}`,
        attrs: { href: sessionHref(session.session_id) },
      }),
      scoreBadge(session.score, `Score ${Math.round(session.score)}`),
    ]),
    h('div', { class: 'similar-meta', text: `${formatDateTime(session.end_time)} UTC · ${formatDuration(session.duration_ms)} · ${deviceLabel(session)}` }),
    h('ul', { class: 'similar-reasons', testid: 'similar-reasons' }, session.reasons.map((reason) => h('li', { text: reason }))),
  ]);
}

export function renderSimilar(sessionId: string, signal: AbortSignal): HTMLElement {
  const body = h('div', { class: 'similar-body' }, [h('p', { class: 'panel-empty', text: 'Looking for similar sessions…' })]);
  const element = h('section', { class: 'panel similar', testid: 'similar' }, [
    h('h2', { class: 'panel-title', text: 'Similar sessions' }),
    body,
  ]);
  void (async () => {
    try {
      const sessions = await getSimilar(sessionId, LIMIT, signal);
      if (signal.aborted) return;
      element.dataset.state = 'ready';
      body.replaceChildren(
        sessions.length > 0
          ? h('ol', { class: 'similar-list', testid: 'similar-list' }, sessions.map(renderItem))
          : h('p', { class: 'panel-empty', testid: 'similar-empty', text: 'No session of this project shares pages and actions with this one.' }),
      );
    } catch (error) {
      if (signal.aborted) return;
      element.dataset.state = 'error';
      body.replaceChildren(h('p', { class: 'panel-status', testid: 'similar-error', text: `Could not find similar sessions: ${errorMessage(error)}` }));
    }
  })();
  return element;
}

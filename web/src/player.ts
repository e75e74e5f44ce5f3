/**
 * The session page (`/sessions/{id}`, `?t=<offset_ms>` to open at a moment):
 * the header with the user, the replay with its transcript, the notes and the
 * similar sessions. The three API calls for the replay (the session, the
 * transcript and the recording's manifest, with the chunks of the moment it
 * opens at right behind it) run in parallel; the page shows whatever arrived
 * and a clear message for whatever did not.
 */
import { getSession, getTranscript, sessionRecording, statusOf } from './api';
import { liveAssetsRequested } from './asset-fidelity';
import { errorMessage } from './components';
import { openRecording } from './recording';
import { h, notice } from './dom';
import { userLabel } from './format';
import { renderNotes } from './notes';
import { listReturnHref, type RouteContext } from './router';
import { renderShareButton } from './share';
import { renderSessionHeader } from './session-header';
import { renderSimilar } from './similar';
import { SessionStage } from './stage';

/** `?t=` of the page: a session offset in ms, or undefined. */
export function startOffset(query: URLSearchParams): number | undefined {
  const value = query.get('t');
  if (value === null || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

export function renderSessionPage(root: HTMLElement, context: RouteContext, sessionId: string): () => void {
  document.title = 'Session · Playback';
  const content = h('div', { class: 'session-content' }, [notice('loading', 'Loading session…')]);
  root.append(
    h('section', { class: 'page page-session', testid: 'session-page', dataset: { sessionId } }, [
      h('nav', { class: 'breadcrumb', attrs: { 'aria-label': 'Breadcrumb' } }, [
        h('a', { id: 'home', testid: 'home', class: 'back-link', text: '← All sessions', attrs: { href: listReturnHref() } }),
      ]),
      content,
    ]),
  );

  let stage: SessionStage | null = null;
  void load();

  async function load(): Promise<void> {
    const { signal } = context;
    const [session, transcript, recording] = await Promise.allSettled([
      getSession(sessionId, signal),
      getTranscript(sessionId, signal),
      openRecording(sessionRecording(sessionId), startOffset(context.query), signal, liveAssetsRequested(context.query)),
    ]);
    if (signal.aborted) return;

    if (session.status === 'rejected') {
      if (statusOf(session.reason) === 401) return;
      content.replaceChildren(sessionError(session.reason));
      return;
    }
    document.title = `${userLabel(session.value.user_id)} · Session · Playback`;
    stage = new SessionStage({
      session: session.value,
      transcript,
      recording,
      startAt: startOffset(context.query),
      liveAssets: liveAssetsRequested(context.query),
    });
    content.replaceChildren(
      renderSessionHeader(session.value, { actions: [renderShareButton(sessionId)] }),
      h('div', { class: 'session-body' }, [
        h('div', { class: 'session-main' }, [stage.element]),
        h('aside', { class: 'side' }, [stage.transcriptPanel]),
        h('div', { class: 'session-panels' }, [
          renderNotes(sessionId, stage, signal),
          renderSimilar(sessionId, signal),
        ]),
      ]),
    );
    stage.start();
  }

  return () => stage?.destroy();
}

function sessionError(reason: unknown): HTMLElement {
  if (statusOf(reason) === 404) {
    return h('div', { class: 'error-page', testid: 'session-not-found' }, [
      notice('error', 'Session not found', 'not-found'),
      h('p', {
        class: 'muted',
        text: 'It may have expired under the retention policy, or the link may be mistyped.',
      }),
    ]);
  }
  return h('div', { class: 'error-page' }, [
    notice('error', `Could not load this session: ${errorMessage(reason)}`, 'session-error'),
  ]);
}

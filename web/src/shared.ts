/**
 * The shared view (`/s/{token}`): one session through a share link, read-only,
 * with no token: player and transcript only, no user, no way to other
 * sessions. An expired or revoked link (410) or a wrong one (404) says so.
 */
import { getSharedSession, getSharedTranscript, sharedRecording, statusOf } from './api';
import { errorMessage } from './components';
import { openRecording } from './recording';
import { h, notice } from './dom';
import { startOffset } from './player';
import type { RouteContext } from './router';
import { renderSharedHeader } from './session-header';
import { SessionStage } from './stage';

export function renderSharedPage(root: HTMLElement, context: RouteContext, token: string): () => void {
  document.title = 'Shared session · Playback';
  const content = h('div', { class: 'session-content' }, [notice('loading', 'Loading the shared session…')]);
  root.append(h('section', { class: 'page page-session page-shared', testid: 'shared-page' }, [content]));

  let stage: SessionStage | null = null;
  void load();

  async function load(): Promise<void> {
    const { signal } = context;
    const [session, transcript, recording] = await Promise.allSettled([
      getSharedSession(token, signal),
      getSharedTranscript(token, signal),
      openRecording(sharedRecording(token), startOffset(context.query), signal),
    ]);
    if (signal.aborted) return;
    if (session.status === 'rejected') {
      content.replaceChildren(unavailable(session.reason));
      return;
    }
    stage = new SessionStage({
      session: session.value,
      transcript,
      recording,
      startAt: startOffset(context.query),
    });
    content.replaceChildren(
      renderSharedHeader(session.value),
      h('div', { class: 'session-body' }, [
        h('div', { class: 'session-main' }, [stage.element]),
        h('aside', { class: 'side' }, [stage.transcriptPanel]),
      ]),
    );
    stage.start();
  }

  return () => stage?.destroy();
}

function unavailable(reason: unknown): HTMLElement {
  const status = statusOf(reason);
  const message =
    status === 410
      ? 'This link has expired or was revoked. Ask the person who shared it for a new one.'
      : status === 404
        ? 'This link is not valid. Check that it was copied whole.'
        : `This shared session cannot be shown: ${errorMessage(reason)}`;
  return h('div', { class: 'error-page', testid: 'share-unavailable', dataset: { status: String(status ?? 0) } }, [
    notice('error', status === 410 ? 'Link expired or revoked' : 'Link unavailable', 'share-unavailable-title'),
    h('p', { class: 'muted', text: message }),
  ]);
}

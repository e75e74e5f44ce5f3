/**
 * The shared view (`/s/{token}`): one session through a share link, read-only,
 * with no token: player and transcript only, no user, no way to other
 * sessions. A revoked or an expired link (410, the server says which) or a
 * wrong one (404) says so.
 */
import { getSharedSession, getSharedTranscript, sharedRecording, statusOf } from './api';
import { liveAssetsRequested } from './asset-fidelity';
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
      openRecording(sharedRecording(token), startOffset(context.query), signal, liveAssetsRequested(context.query)),
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
      liveAssets: liveAssetsRequested(context.query),
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
  // The server says which of the two a 410 is: "this share link was revoked" or "… expired".
  const gone = status === 410 ? (/revoked/i.test(errorMessage(reason)) ? 'revoked' : 'expired') : null;
  const title = gone === 'revoked' ? 'Link revoked' : gone === 'expired' ? 'Link expired' : 'Link unavailable';
  const message =
    gone === 'revoked'
      ? 'This link was revoked and no longer opens the session. Ask the person who shared it for a new one.'
      : gone === 'expired'
        ? 'This link has expired. Ask the person who shared it for a new one.'
        : status === 404
          ? 'This link is not valid. Check that it was copied whole.'
          : `This shared session cannot be shown: ${errorMessage(reason)}`;
  return h(
    'div',
    { class: 'error-page', testid: 'share-unavailable', dataset: { status: String(status ?? 0), reason: gone ?? '' } },
    [notice(gone ? 'empty' : 'error', title, 'share-unavailable-title'), h('p', { class: 'muted', text: message })],
  );
}

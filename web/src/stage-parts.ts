/**
 * Pieces of the replay stage that hold no state: the processing card, the
 * message for a recording that could not be opened, and the session's
 * viewport.
 */
import type { SessionFacts } from './api';
import { errorMessage } from './components';
import { h } from './dom';
import type { RecordingLoader } from './recording';

/**
 * The viewport the session reports, else its screen: rows stored before the
 * viewport was kept carry the Meta size as their screen.
 */
export function sessionViewport(session: SessionFacts): { width: number; height: number } {
  if (session.viewport_width > 0 && session.viewport_height > 0) {
    return { width: session.viewport_width, height: session.viewport_height };
  }
  return { width: session.screen_width, height: session.screen_height };
}

/** The calm card shown in the player while nothing of the recording is archived yet. */
export function processingCard(): HTMLElement {
  return h('div', { class: 'processing-card', testid: 'recording-processing-card', attrs: { role: 'status' } }, [
    h('span', { class: 'processing-spinner', attrs: { 'aria-hidden': 'true' } }),
    h('strong', { text: 'Processing recording…' }),
    h('span', {
      class: 'muted',
      text: 'This session just ended. The replay starts by itself as soon as its first part is archived, usually within seconds.',
    }),
  ]);
}

export function describeRecordingProblem(recording: PromiseSettledResult<RecordingLoader>): string | null {
  if (recording.status === 'rejected') {
    const status = (recording.reason as { status?: unknown } | null)?.status;
    if (status === 404) return 'No recording is stored for this session.';
    return `Could not load the recording: ${errorMessage(recording.reason)}`;
  }
  return null;
}

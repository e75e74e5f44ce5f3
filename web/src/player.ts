/**
 * The session page: header, replay of one window at a time with an address
 * bar, and the transcript beside it. The three API calls run in parallel; the
 * page shows whatever arrived and a clear message for whatever did not.
 */
import {
  getRecording,
  getSession,
  getTranscript,
  type Recording,
  type SessionDetail,
  type TranscriptEvent,
} from './api';
import { errorMessage } from './components';
import { h, notice } from './dom';
import { shortUrl, userLabel } from './format';
import { mountReplay, type Replay } from './replay';
import type { RouteContext } from './router';
import { renderSessionHeader } from './session-header';
import {
  buildTimelines,
  playerTimeFor,
  sessionOffsetFor,
  urlAt,
  viewportOf,
  type WindowTimeline,
} from './timeline';
import { renderTranscript, type TranscriptView } from './transcript';

/** rrweb's Replayer needs at least this many events to build a timeline. */
const MIN_REPLAY_EVENTS = 2;

export function renderSessionPage(root: HTMLElement, context: RouteContext, sessionId: string): () => void {
  document.title = 'Session · Playback';
  const content = h('div', { class: 'session-content' }, [notice('loading', 'Loading session…')]);
  root.append(
    h('section', { class: 'page page-session', testid: 'session-page', dataset: { sessionId } }, [
      h('nav', { class: 'breadcrumb', attrs: { 'aria-label': 'Breadcrumb' } }, [
        h('a', { id: 'home', testid: 'home', class: 'back-link', text: '← All sessions', attrs: { href: '/' } }),
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
      getRecording(sessionId, signal),
    ]);
    if (signal.aborted) return;

    if (session.status === 'rejected') {
      content.replaceChildren(sessionError(session.reason));
      return;
    }
    document.title = `${userLabel(session.value.user_id)} · Session · Playback`;
    stage = new SessionStage(session.value, transcript, recording);
    content.replaceChildren(renderSessionHeader(session.value), stage.element);
    stage.start();
  }

  return () => stage?.destroy();
}

function sessionError(reason: unknown): HTMLElement {
  if (isNotFound(reason)) {
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

function isNotFound(reason: unknown): boolean {
  return typeof reason === 'object' && reason !== null && (reason as { status?: unknown }).status === 404;
}

/** The replay area (tabs, address bar, player) and the transcript, kept in sync. */
class SessionStage {
  readonly element: HTMLElement;
  private readonly session: SessionDetail;
  private readonly timelines: WindowTimeline[];
  private readonly tabs: HTMLElement;
  private readonly addressBar: HTMLElement;
  private readonly playerMount: HTMLElement;
  private readonly transcript: TranscriptView | null;
  private readonly recordingProblem: string | null;
  private active: WindowTimeline | null = null;
  private replay: Replay | null = null;

  constructor(
    session: SessionDetail,
    transcript: PromiseSettledResult<TranscriptEvent[]>,
    recording: PromiseSettledResult<Recording>,
  ) {
    this.session = session;
    this.timelines = recording.status === 'fulfilled' ? buildTimelines(recording.value) : [];
    this.recordingProblem = describeRecordingProblem(recording, this.timelines);

    this.tabs = h('div', {
      id: 'window-tabs',
      testid: 'window-tabs',
      class: 'window-tabs',
      attrs: { role: 'tablist', 'aria-label': 'Browser tabs' },
    });
    this.addressBar = h('div', {
      id: 'address-bar',
      testid: 'address-bar',
      class: 'address-bar',
      attrs: { 'aria-label': 'Address at the current moment', 'aria-live': 'polite' },
    });
    this.playerMount = h('div', { id: 'player', testid: 'player', class: 'player-mount' });

    let transcriptPanel: HTMLElement;
    if (transcript.status === 'fulfilled') {
      this.transcript = renderTranscript({
        events: transcript.value,
        windowLabel: (windowId) => this.windowLabel(windowId),
        onSelect: (event) => this.seekToEvent(event),
      });
      transcriptPanel = this.transcript.element;
    } else {
      this.transcript = null;
      transcriptPanel = h('section', { class: 'transcript', id: 'transcript', testid: 'transcript' }, [
        h('h2', { class: 'panel-title', text: 'Transcript' }),
        notice('error', `Could not load the transcript: ${errorMessage(transcript.reason)}`, 'transcript-error'),
      ]);
    }

    this.element = h('div', { class: 'session-body' }, [
      h('div', { class: 'stage', testid: 'stage' }, [this.tabs, this.addressBar, this.playerMount]),
      h('aside', { class: 'side' }, [transcriptPanel]),
    ]);
  }

  /** Mounts the player; called once the element is in the document, so it can be measured. */
  start(): void {
    if (this.recordingProblem !== null) {
      this.addressBar.hidden = true;
      this.playerMount.replaceChildren(notice('error', this.recordingProblem, 'recording-error'));
      return;
    }
    this.renderTabs();
    this.selectWindow(this.timelines[0], 0);
  }

  destroy(): void {
    this.replay?.destroy();
    this.replay = null;
  }

  private windowLabel(windowId: string): string | null {
    if (this.timelines.length < 2) return null;
    const index = this.timelines.findIndex((timeline) => timeline.windowId === windowId);
    return index >= 0 ? `Tab ${index + 1}` : null;
  }

  private renderTabs(): void {
    this.tabs.hidden = this.timelines.length < 2;
    if (this.tabs.hidden) return;
    const buttons = this.timelines.map((timeline, index) => {
      const firstUrl = timeline.locations[0]?.href ?? '';
      return h(
        'button',
        {
          class: 'window-tab',
          testid: 'window-tab',
          title: firstUrl,
          attrs: { type: 'button', role: 'tab', 'aria-selected': 'false' },
          dataset: { windowId: timeline.windowId },
          on: { click: () => this.selectWindow(timeline, 0) },
        },
        [
          h('span', { class: 'window-tab-name', text: `Tab ${index + 1}` }),
          firstUrl ? h('span', { class: 'window-tab-url', text: shortUrl(firstUrl) }) : null,
        ],
      );
    });
    this.tabs.replaceChildren(...buttons);
  }

  private selectWindow(timeline: WindowTimeline, playerTime: number): void {
    this.replay?.destroy();
    this.replay = null;
    this.active = timeline;
    for (const tab of Array.from(this.tabs.children)) {
      const selected = (tab as HTMLElement).dataset.windowId === timeline.windowId;
      tab.setAttribute('aria-selected', String(selected));
      tab.classList.toggle('is-selected', selected);
    }
    this.playerMount.dataset.windowId = timeline.windowId;
    this.showTime(timeline, playerTime);

    if (timeline.events.length < MIN_REPLAY_EVENTS) {
      this.playerMount.replaceChildren(
        notice('empty', 'This tab recorded too little to replay.', 'recording-too-short'),
      );
      return;
    }
    this.replay = mountReplay({
      target: this.playerMount,
      events: timeline.events,
      viewport: viewportOf(timeline) ?? {
        width: this.session.screen_width,
        height: this.session.screen_height,
      },
      onTime: (time) => {
        if (this.active === timeline) this.showTime(timeline, time);
      },
    });
    if (playerTime > 0) this.replay.seek(playerTime);
  }

  private seekToEvent(event: TranscriptEvent): void {
    const timeline =
      this.timelines.find((candidate) => candidate.windowId === event.window_id) ?? this.active;
    if (!timeline) return;
    const playerTime = playerTimeFor(timeline, event.offset_ms);
    if (timeline !== this.active) {
      this.selectWindow(timeline, playerTime);
    } else {
      this.replay?.seek(playerTime);
      this.showTime(timeline, playerTime);
    }
  }

  private showTime(timeline: WindowTimeline, playerTime: number): void {
    const url = urlAt(timeline, playerTime);
    if (this.addressBar.textContent !== url) {
      this.addressBar.textContent = url;
      this.addressBar.title = url;
    }
    this.addressBar.dataset.playerTime = String(Math.round(playerTime));
    this.transcript?.setCurrent(timeline.windowId, sessionOffsetFor(timeline, playerTime));
  }
}

function describeRecordingProblem(
  recording: PromiseSettledResult<Recording>,
  timelines: WindowTimeline[],
): string | null {
  if (recording.status === 'rejected') {
    if (isNotFound(recording.reason)) return 'No recording is stored for this session.';
    return `Could not load the recording: ${errorMessage(recording.reason)}`;
  }
  if (timelines.length === 0) return 'This session has no recorded events yet.';
  return null;
}

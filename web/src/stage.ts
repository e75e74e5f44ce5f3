/**
 * The replay area of a session, shared by the session page and the shared
 * view: window tabs, the address bar (the URL at the moment being played),
 * the device, the player, the seek bar with the transcript's and the notes'
 * marks, the controls and keyboard shortcuts; and the transcript, kept in
 * step with the player.
 *
 * The recording is loaded manifest first (src/recording.ts): the frame asked
 * for is drawn from the snapshot chunk before it, the rest streams in behind
 * it, and a seek into a part not loaded yet waits for its chunks. While the
 * recording is still being archived the stage says so calmly, plays what has
 * arrived and adds what comes; a page opened before anything was archived
 * shows "Processing recording…" and starts playing by itself once the first
 * part arrives.
 */
import type { eventWithTime } from '@rrweb/types';
import type { Note, SessionFacts, TranscriptEvent } from './api';
import { activeUntil, computeActivity, idleAt, type Activity } from './activity';
import { renderFidelityLine } from './asset-fidelity';
import { errorMessage } from './components';
import { renderControls, renderShortcutsHelp, type Controls, type Speed } from './controls';
import { h, notice } from './dom';
import { renderDeviceBadge } from './device';
import { isTyping, loadPreferences, savePreferences, type Preferences } from './player-prefs';
import { describeRecordingProblem, processingCard, sessionViewport } from './stage-parts';
import { formatDuration, shortUrl } from './format';
import { renderPlayerTimeline, type PlayerTimeline, type TimelineMark } from './player-timeline';
import type { RecordingLoader } from './recording';
import { mountReplay, type Replay } from './replay';
import {
  playerTimeFor,
  sessionOffsetFor,
  syncTimelines,
  unrecordedUrl,
  urlAt,
  viewportOf,
  type WindowTimeline,
} from './timeline';
import { renderTranscript, transcriptTitle, type TranscriptView } from './transcript';

/** rrweb's Replayer needs at least this many events to build a timeline. */
const MIN_REPLAY_EVENTS = 2;
const SEEK_STEP_MS = 5_000;
/** A skip lands this long before the next action, so the action is seen. */
const SKIP_LEAD_MS = 300;
/** "Skipped … idle" stays until playback is this far past the idle stretch (or 2.5 s have passed). */
const SKIP_MESSAGE_AFTER_MS = 2_000;
/**
 * A page view's transcript time maps to the replay within the clock-offset
 * jitter between batches; it is snapped to the moment the page it names is
 * drawn when that is this close, so seeking to it shows that page.
 */
const PAGE_VIEW_SNAP_MS = 2_000;

export interface StageOptions {
  session: SessionFacts;
  transcript: PromiseSettledResult<TranscriptEvent[]>;
  /** The recording, opened at its manifest together with the session (src/recording.ts `openRecording`). */
  recording: PromiseSettledResult<RecordingLoader>;
  /** Session offset to open at (`?t=` of the page). */
  startAt?: number;
  /** The page asked to load missing assets from the live site (`live_assets=1`). */
  liveAssets?: boolean;
}

export class SessionStage {
  readonly element: HTMLElement;
  readonly transcriptPanel: HTMLElement;
  private readonly session: SessionFacts;
  private timelines: WindowTimeline[] = [];
  private activity: Activity | null = null;
  private readonly loader: RecordingLoader | null;
  private readonly processing: HTMLElement;
  /** Whether the player was opened at the page's start moment (once the first chunks are listed). */
  private opened = false;
  /** The page opened before anything was archived: play as soon as the first part is there. */
  private playWhenOpened = false;
  /** Where the first mount draws, when that is not where it reports (`?t=` on a page view). */
  private drawAt: number | undefined;
  /** The idle stretch just skipped, while its message is shown. */
  private skipped: { end: number } | null = null;
  /** Counts window selections and seeks, so a load that finishes late does not move the player. */
  private generation = 0;
  private seekCount = 0;
  private readonly events: TranscriptEvent[];
  private readonly tabs: HTMLElement;
  private readonly addressBar: HTMLElement;
  private readonly addressLink: HTMLAnchorElement;
  private readonly playerMount: HTMLElement;
  private readonly seekBar: PlayerTimeline;
  private readonly controls: Controls;
  private readonly help: HTMLElement;
  private readonly transcript: TranscriptView | null;
  private readonly recordingProblem: string | null;
  private readonly startAt: number | undefined;
  private readonly preferences: Preferences;
  private readonly timeListeners = new Set<(sessionOffset: number) => void>();
  private notes: Note[] = [];
  private active: WindowTimeline | null = null;
  private replay: Replay | null = null;
  private readonly onKey = (event: KeyboardEvent): void => this.handleKey(event);
  /** Space on a focused button would click it on key up, on top of play/pause. */
  private readonly onKeyUp = (event: KeyboardEvent): void => {
    if (event.key === ' ' && !isTyping(event.target) && this.element.isConnected) event.preventDefault();
  };
  private readonly onFullscreen = (): void => this.fullscreenChanged();

  constructor(options: StageOptions) {
    this.session = options.session;
    this.startAt = options.startAt;
    this.preferences = loadPreferences();
    const recording = options.recording;
    this.loader = recording.status === 'fulfilled' ? recording.value : null;
    this.syncTimelines();
    this.recordingProblem = describeRecordingProblem(recording);
    this.processing = notice('loading', '', 'recording-processing');
    this.processing.hidden = true;
    this.events = options.transcript.status === 'fulfilled' ? options.transcript.value : [];

    this.tabs = h('div', {
      id: 'window-tabs',
      testid: 'window-tabs',
      class: 'window-tabs',
      attrs: { role: 'tablist', 'aria-label': 'Browser tabs' },
    });
    this.addressLink = h('a', {
      class: 'address-link',
      testid: 'address-link',
      attrs: {
        target: '_blank',
        rel: 'noopener noreferrer',
        title: 'Open this address in a new tab (not recorded by Playback)',
      },
    });
    this.addressBar = h('div', {
      id: 'address-bar',
      testid: 'address-bar',
      class: 'address-bar',
      attrs: { 'aria-label': 'Address at the current moment', 'aria-live': 'polite' },
    }, [this.addressLink]);
    this.playerMount = h('div', { id: 'player', testid: 'player', class: 'player-mount' });
    this.seekBar = renderPlayerTimeline((playerTime) => this.seek(playerTime));
    this.controls = renderControls({
      toggle: () => this.toggle(),
      setSpeed: (speed) => this.setSpeed(speed),
      toggleSkipIdle: () => this.setSkipIdle(!this.preferences.skipIdle),
      toggleFullscreen: () => void this.toggleFullscreen(),
      toggleHelp: () => this.toggleHelp(),
    });
    this.controls.setSpeed(this.preferences.speed);
    this.controls.setSkipIdle(this.preferences.skipIdle);
    this.help = renderShortcutsHelp(() => this.toggleHelp(false));

    if (options.transcript.status === 'fulfilled') {
      this.transcript = renderTranscript({
        events: options.transcript.value,
        windowLabel: (windowId) => this.windowLabel(windowId),
        onSelect: (event) => this.seekToEvent(event),
      });
      this.transcriptPanel = this.transcript.element;
    } else {
      this.transcript = null;
      this.transcriptPanel = h('section', { class: 'transcript', id: 'transcript', testid: 'transcript' }, [
        h('h2', { class: 'panel-title', text: 'Transcript' }),
        notice('error', `Could not load the transcript: ${errorMessage(options.transcript.reason)}`, 'transcript-error'),
      ]);
    }

    this.element = h('div', { class: 'stage', testid: 'stage' }, [
      this.tabs,
      h('div', { class: 'address-row' }, [
        this.addressBar,
        renderDeviceBadge(this.session, () => (this.active ? viewportOf(this.active) : undefined)),
      ]),
      this.processing,
      this.playerMount,
      h('div', { class: 'player-bottom' }, [this.seekBar.element, this.controls.element]),
      this.loader
        ? renderFidelityLine(this.loader, options.liveAssets ?? false, () => (this.active ? this.currentOffset() : undefined)).element
        : null,
      this.help,
    ]);
  }

  /** Mounts the player; called once the element is in the document, so it can be measured. */
  start(): void {
    document.addEventListener('keydown', this.onKey);
    document.addEventListener('keyup', this.onKeyUp);
    document.addEventListener('fullscreenchange', this.onFullscreen);
    const loader = this.loader;
    if (this.recordingProblem !== null || loader === null) {
      this.hidePlayer(true);
      this.playerMount.replaceChildren(notice('error', this.recordingProblem ?? 'No recording.', 'recording-error'));
      return;
    }
    loader.subscribe({
      events: (window, added) => this.onEvents(window.windowId, added),
      manifest: () => this.onManifest(),
      error: (error) => {
        if (this.active) this.controls.flash(`Could not load part of the recording: ${errorMessage(error)}`);
      },
    });
    loader.startPolling();
    // Chunks may have arrived since the stage was made (the frame's are fetched with the manifest).
    this.syncTimelines();
    this.refreshActivity();
    this.renderProcessing();
    this.openAtStart();
  }

  /** Opens the player at the page's start moment, once the manifest lists a window. */
  private openAtStart(): void {
    if (this.opened) return;
    if (this.timelines.length === 0) {
      this.hidePlayer(true);
      if (this.loader?.complete) {
        this.playerMount.replaceChildren(notice('empty', 'This session has no recorded events.', 'recording-empty'));
      } else {
        this.playWhenOpened = true;
        this.playerMount.replaceChildren(processingCard());
      }
      return;
    }
    this.opened = true;
    this.hidePlayer(false);
    this.renderTabs();
    const startAt = this.startAt;
    const startEvent = startAt === undefined ? undefined : this.events.find((event) => event.offset_ms === startAt);
    if (startEvent && startAt !== undefined) {
      // Exactly the moment asked for; a page view's page is drawn, which may come a moment later.
      const timeline = this.timelines.find((candidate) => candidate.windowId === startEvent.window_id) ?? this.timelineAt(startAt);
      const asked = playerTimeFor(timeline, startAt);
      const drawn = this.playerTimeOf(timeline, startEvent);
      this.drawAt = drawn > asked ? drawn : undefined;
      this.selectWindow(timeline, asked);
    } else if (startAt !== undefined) {
      const timeline = this.timelineAt(startAt);
      this.selectWindow(timeline, playerTimeFor(timeline, startAt));
    } else {
      this.selectWindow(this.timelines[0], 0);
    }
  }

  private hidePlayer(hidden: boolean): void {
    this.addressBar.hidden = hidden;
    this.seekBar.element.hidden = hidden;
    this.controls.element.hidden = hidden;
  }

  /** The calm note shown while the recording is still being archived. */
  private renderProcessing(): void {
    const loader = this.loader;
    if (!loader || loader.complete) {
      this.processing.hidden = true;
      return;
    }
    // Before anything arrived, the card in the player says it.
    this.processing.hidden = this.timelines.length === 0;
    this.processing.textContent =
      'Processing recording: what has arrived can be played, the rest is added as it is archived.';
  }

  private syncTimelines(): void {
    this.timelines = syncTimelines(this.timelines, this.loader?.orderedWindows() ?? []);
  }

  /** New chunks' events: into the timeline, and into the replay if it plays that window. */
  private onEvents(windowId: string, added: eventWithTime[]): void {
    this.syncTimelines();
    const timeline = this.timelines.find((candidate) => candidate.windowId === windowId);
    if (timeline && timeline === this.active) {
      // Page-view marks land where their page is drawn, which the new events may tell.
      this.renderMarks();
      if (this.replay) {
        this.replay.addEvents(added);
        this.showTime(timeline, this.replay.currentTime());
      }
    }
    this.refreshActivity();
  }

  /** A newer manifest: new windows, chunks or bounds, or the recording is complete. */
  private onManifest(): void {
    this.syncTimelines();
    this.renderProcessing();
    if (!this.opened) {
      this.openAtStart();
      return;
    }
    this.renderTabs();
    const timeline = this.active;
    if (timeline) {
      this.seekBar.setDuration(timeline.end - timeline.start);
      this.replay?.setEnd(timeline.end);
      this.renderMarks();
    }
    this.refreshActivity();
  }

  /** Folds the events loaded so far into the activity: idle shading, skip idle, the counter. */
  private refreshActivity(): void {
    const loadedAny = this.timelines.some((timeline) => timeline.events.length > 0);
    this.activity = loadedAny ? computeActivity(this.timelines) : null;
    this.renderIdle();
    if (this.active && this.activity) {
      const offset = sessionOffsetFor(this.active, this.replay?.currentTime() ?? 0);
      this.showActivity(offset);
    }
  }

  /**
   * The activity counter at `offset`. Once the whole recording is loaded, its
   * total is the session's `active_ms` (the header's figure, to the
   * millisecond); the count so far is scaled to it, which takes out the
   * clock-offset jitter between the recording and the server's clock.
   */
  private showActivity(offset: number): void {
    const activity = this.activity;
    if (!activity) return;
    const counted = activeUntil(activity, offset);
    const loadedAll =
      this.loader?.complete === true &&
      this.timelines.every((timeline) => this.loader?.isLoadedBetween(timeline.windowId, timeline.start, timeline.end));
    const sessionTotal = this.session.active_ms;
    if (loadedAll && activity.total > 0 && sessionTotal > 0) {
      this.controls.setActivity((counted * sessionTotal) / activity.total, sessionTotal);
    } else {
      this.controls.setActivity(counted, activity.total);
    }
  }

  destroy(): void {
    this.loader?.stop();
    document.removeEventListener('keydown', this.onKey);
    document.removeEventListener('keyup', this.onKeyUp);
    document.removeEventListener('fullscreenchange', this.onFullscreen);
    if (document.fullscreenElement === this.element) void document.exitFullscreen().catch(() => undefined);
    this.replay?.destroy();
    this.replay = null;
  }

  /** The session offset (transcript clock) of the moment being played. */
  currentOffset(): number {
    if (!this.active) return 0;
    return sessionOffsetFor(this.active, this.replay?.currentTime() ?? 0);
  }

  /** Called with the session offset whenever the moment being played changes. */
  onTimeChange(listener: (sessionOffset: number) => void): void {
    this.timeListeners.add(listener);
  }

  /** Notes to mark on the seek bar. */
  setNotes(notes: Note[]): void {
    this.notes = notes;
    this.renderMarks();
  }

  /** Plays from a session offset, in the given window or the one that was playing then. */
  seekToOffset(offset: number, windowId?: string): void {
    const timeline =
      (windowId ? this.timelines.find((candidate) => candidate.windowId === windowId) : undefined) ??
      this.active ??
      this.timelineAt(offset);
    if (!timeline) return;
    const playerTime = playerTimeFor(timeline, offset);
    if (timeline !== this.active) {
      this.selectWindow(timeline, playerTime);
    } else {
      this.seek(playerTime);
    }
  }

  /** Plays from a transcript event, in its window. */
  seekToEvent(event: TranscriptEvent): void {
    const timeline = this.timelines.find((candidate) => candidate.windowId === event.window_id) ?? this.active;
    if (!timeline) return;
    const loader = this.loader;
    if (event.kind === 'page_view' && loader) {
      // A page view lands where its page is drawn: the events around it are needed to know where.
      const ts = timeline.start + playerTimeFor(timeline, event.offset_ms);
      if (!loader.isLoadedBetween(timeline.windowId, ts - PAGE_VIEW_SNAP_MS, ts + PAGE_VIEW_SNAP_MS)) {
        const seekId = ++this.seekCount;
        const around = [
          loader.ensure(timeline.windowId, ts - PAGE_VIEW_SNAP_MS),
          loader.ensure(timeline.windowId, ts + PAGE_VIEW_SNAP_MS),
        ];
        const go = (): void => {
          if (seekId === this.seekCount) this.seekToEventIn(timeline, event);
        };
        Promise.all(around).then(go, go);
        return;
      }
    }
    this.seekToEventIn(timeline, event);
  }

  private seekToEventIn(timeline: WindowTimeline, event: TranscriptEvent): void {
    const playerTime = this.playerTimeOf(timeline, event);
    if (timeline !== this.active) this.selectWindow(timeline, playerTime);
    else this.seek(playerTime);
  }

  /** The replay time of a transcript event; a page view lands where its page is drawn. */
  private playerTimeOf(timeline: WindowTimeline, event: TranscriptEvent): number {
    const mapped = playerTimeFor(timeline, event.offset_ms);
    if (event.kind !== 'page_view' || !event.url) return mapped;
    let best = mapped;
    let bestDistance = PAGE_VIEW_SNAP_MS;
    for (const location of timeline.locations) {
      if (location.href !== event.url) continue;
      const time = location.shownAt - timeline.start;
      const distance = Math.abs(time - mapped);
      if (distance <= bestDistance) {
        best = time;
        bestDistance = distance;
      }
    }
    return best;
  }

  /** The window holding `offset`, or the one that starts nearest. */
  private timelineAt(offset: number): WindowTimeline {
    let best = this.timelines[0];
    let bestDistance = Infinity;
    for (const timeline of this.timelines) {
      const start = timeline.sessionOffset;
      const end = start + (timeline.end - timeline.start);
      const distance = offset < start ? start - offset : offset > end ? offset - end : 0;
      if (distance < bestDistance) {
        best = timeline;
        bestDistance = distance;
      }
    }
    return best;
  }

  private windowLabel(windowId: string): string | null {
    if (this.timelines.length < 2) return null;
    const index = this.timelines.findIndex((timeline) => timeline.windowId === windowId);
    return index >= 0 ? `Tab ${index + 1}` : null;
  }

  private renderTabs(): void {
    this.tabs.hidden = this.timelines.length < 2;
    if (this.tabs.hidden) return;
    const shown = Array.from(this.tabs.children).map((tab) => (tab as HTMLElement).dataset.windowId);
    if (shown.join('\n') === this.timelines.map((timeline) => timeline.windowId).join('\n')) return;
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
    this.markSelectedTab();
  }

  private markSelectedTab(): void {
    for (const tab of Array.from(this.tabs.children)) {
      const selected = (tab as HTMLElement).dataset.windowId === this.active?.windowId;
      tab.setAttribute('aria-selected', String(selected));
      tab.classList.toggle('is-selected', selected);
    }
  }

  private selectWindow(timeline: WindowTimeline, playerTime: number): void {
    this.replay?.destroy();
    this.replay = null;
    this.active = timeline;
    const generation = ++this.generation;
    this.markSelectedTab();
    this.playerMount.dataset.windowId = timeline.windowId;
    const duration = timeline.end - timeline.start;
    this.seekBar.setDuration(duration);
    this.renderMarks();
    this.renderIdle();
    this.controls.setPlaying(false);
    this.showTime(timeline, playerTime);

    const loader = this.loader;
    const loaded = loader?.windows.get(timeline.windowId);
    if (!loader || !loaded) return;
    if (loader.complete && loaded.listedEvents < MIN_REPLAY_EVENTS) {
      this.playerMount.replaceChildren(
        notice('empty', 'This tab recorded too little to replay.', 'recording-too-short'),
      );
      return;
    }
    const ts = timeline.start + playerTime;
    if (loader.isReady(timeline.windowId, ts) && timeline.events.length > 0) {
      loader.focus(timeline.windowId, ts);
      this.mount(timeline, playerTime);
      return;
    }
    this.playerMount.replaceChildren(notice('loading', 'Loading the recording…', 'recording-loading'));
    // The chunks of the frame are asked for before the streaming behind them starts.
    const needed = loader.ensure(timeline.windowId, ts);
    loader.focus(timeline.windowId, ts);
    needed.then(
      () => {
        if (generation !== this.generation) return;
        if (timeline.events.length === 0) {
          this.playerMount.replaceChildren(notice('loading', 'Processing the recording…', 'recording-loading'));
          return;
        }
        this.mount(timeline, playerTime);
      },
      (error: unknown) => {
        if (generation !== this.generation) return;
        this.playerMount.replaceChildren(
          notice('error', `Could not load the recording: ${errorMessage(error)}`, 'recording-error'),
        );
      },
    );
  }

  private mount(timeline: WindowTimeline, playerTime: number): void {
    this.playerMount.replaceChildren();
    this.replay = mountReplay({
      target: this.playerMount,
      events: timeline.events,
      start: timeline.start,
      end: timeline.end,
      viewport: viewportOf(timeline) ?? sessionViewport(this.session),
      speed: this.preferences.speed,
      reserve: () => this.reservedBelow(),
      onTime: (time) => {
        if (this.active === timeline) this.onPlayerTime(timeline, time);
      },
      onState: (playing) => {
        if (this.active === timeline) this.controls.setPlaying(playing);
      },
    });
    const drawAt = this.drawAt;
    this.drawAt = undefined;
    if (playerTime > 0 || drawAt !== undefined) this.replay.seek(playerTime, drawAt);
    this.showTime(timeline, playerTime);
    if (this.playWhenOpened) {
      this.playWhenOpened = false;
      this.replay.play();
    }
  }

  /** Height of the seek bar and controls below the frame (they wrap on narrow screens). */
  private reservedBelow(): number {
    const bottom = this.element.querySelector<HTMLElement>('.player-bottom');
    const measured = bottom?.offsetHeight ?? 0;
    return (measured > 0 ? measured : 84) + this.fidelityRowHeight();
  }

  /**
   * One row of the asset line, whatever it says: the player keeps its size
   * when the line's text changes, wraps or opens its list (the page moves).
   */
  private fidelityRowHeight(): number {
    const line = this.element.querySelector<HTMLElement>('.asset-fidelity');
    const summary = line?.querySelector<HTMLElement>('.asset-fidelity-summary');
    if (!line || !summary || line.hidden) return 0;
    const style = getComputedStyle(line);
    const frame = ['paddingTop', 'paddingBottom', 'borderTopWidth', 'borderBottomWidth'] as const;
    let height = summary.offsetHeight;
    for (const side of frame) height += parseFloat(style[side]) || 0;
    return Math.round(height);
  }

  private renderMarks(): void {
    const timeline = this.active;
    if (!timeline) return;
    const marks: TimelineMark[] = [];
    for (const event of this.events) {
      if (event.window_id !== timeline.windowId) continue;
      marks.push({
        kind: event.kind,
        playerTime: this.playerTimeOf(timeline, event),
        offsetMs: event.offset_ms,
        title: transcriptTitle(event),
      });
    }
    for (const note of this.notes) {
      marks.push({
        kind: 'note',
        playerTime: playerTimeFor(timeline, note.offset_ms),
        offsetMs: note.offset_ms,
        title: note.text,
        id: note.note_id,
      });
    }
    this.seekBar.setMarks(marks);
  }

  private renderIdle(): void {
    const timeline = this.active;
    if (!timeline || !this.activity) return;
    const duration = timeline.end - timeline.start;
    const segments = [];
    for (const idle of this.activity.idle) {
      const start = idle.start - timeline.sessionOffset;
      const end = idle.end - timeline.sessionOffset;
      if (end <= 0 || start >= duration) continue;
      segments.push({ start: Math.max(0, start), end: Math.min(duration, end) });
    }
    this.seekBar.setIdle(segments);
  }

  private seek(playerTime: number): void {
    const timeline = this.active;
    if (!timeline) return;
    const duration = timeline.end - timeline.start;
    const time = Math.min(Math.max(0, playerTime), duration);
    const seekId = ++this.seekCount;
    const loader = this.loader;
    if (this.skipped) {
      this.skipped = null;
      this.controls.clearFlash('skip');
    }
    if (!this.replay || !loader) {
      // The window's first chunks are still on their way: open it at the new moment instead.
      this.selectWindow(timeline, time);
      return;
    }
    const ts = timeline.start + time;
    this.showTime(timeline, time);
    if (loader.isReady(timeline.windowId, ts)) {
      loader.focus(timeline.windowId, ts);
      this.replay.seek(time);
      delete this.element.dataset.loading;
      return;
    }
    // A part not loaded yet: its chunks first, then the seek (unless another one came since).
    this.element.dataset.loading = 'true';
    const generation = this.generation;
    const needed = loader.ensure(timeline.windowId, ts);
    loader.focus(timeline.windowId, ts);
    needed.then(
      () => {
        if (generation !== this.generation || seekId !== this.seekCount) return;
        delete this.element.dataset.loading;
        this.replay?.seek(time);
        this.showTime(timeline, time);
      },
      (error: unknown) => {
        if (generation !== this.generation || seekId !== this.seekCount) return;
        delete this.element.dataset.loading;
        this.controls.flash(`Could not load this part of the recording: ${errorMessage(error)}`);
      },
    );
  }

  private onPlayerTime(timeline: WindowTimeline, playerTime: number): void {
    if (this.preferences.skipIdle && this.activity && this.replay?.isPlaying()) {
      const offset = sessionOffsetFor(timeline, playerTime);
      const idle = idleAt(this.activity, offset);
      if (idle) {
        const duration = timeline.end - timeline.start;
        const target = Math.min(duration, Math.max(playerTime, idle.end - timeline.sessionOffset - SKIP_LEAD_MS));
        // A stretch not loaded yet only looks idle: it is not skipped.
        const loaded = this.loader?.isLoadedBetween(timeline.windowId, timeline.start + playerTime, timeline.start + target);
        if (target - playerTime > SKIP_LEAD_MS && loaded) {
          this.replay.seek(target);
          this.controls.flash(`Skipped ${formatDuration(target - playerTime)} idle`, 'skip');
          this.skipped = { end: idle.end - timeline.sessionOffset };
          this.showTime(timeline, target);
          return;
        }
      }
    }
    // The message about a skip goes once playback has left the idle stretch well behind.
    if (this.skipped && (playerTime > this.skipped.end + SKIP_MESSAGE_AFTER_MS)) {
      this.skipped = null;
      this.controls.clearFlash('skip');
    }
    this.showTime(timeline, playerTime);
  }

  private showTime(timeline: WindowTimeline, playerTime: number): void {
    const url = urlAt(timeline, playerTime);
    if (this.addressLink.textContent !== url) {
      this.addressLink.textContent = url;
      this.addressLink.href = unrecordedUrl(url);
      this.addressBar.title = url;
    }
    this.addressBar.dataset.playerTime = String(Math.round(playerTime));
    // Whole milliseconds, as event offsets are: the tile marked current and the
    // offset published on the stage are then the same moment.
    const offset = Math.round(sessionOffsetFor(timeline, playerTime));
    this.element.dataset.sessionOffset = String(offset);
    this.transcript?.setCurrent(timeline.windowId, offset);
    this.seekBar.setTime(playerTime);
    this.controls.setClock(playerTime, timeline.end - timeline.start);
    this.showActivity(offset);
    for (const listener of this.timeListeners) listener(offset);
  }

  private toggle(): void {
    const replay = this.replay;
    if (!replay) return;
    if (replay.isPlaying()) replay.pause();
    else replay.play();
  }

  private setSpeed(speed: Speed): void {
    this.preferences.speed = speed;
    savePreferences(this.preferences);
    this.controls.setSpeed(speed);
    this.replay?.setSpeed(speed);
  }

  private setSkipIdle(on: boolean): void {
    this.preferences.skipIdle = on;
    savePreferences(this.preferences);
    this.controls.setSkipIdle(on);
    this.controls.flash(on ? 'Skipping idle time' : 'Playing idle time');
  }

  private async toggleFullscreen(): Promise<void> {
    try {
      if (document.fullscreenElement) await document.exitFullscreen();
      else await this.element.requestFullscreen();
    } catch (error) {
      this.controls.flash(`Fullscreen is not available: ${errorMessage(error)}`);
    }
  }

  private fullscreenChanged(): void {
    const on = document.fullscreenElement === this.element;
    this.element.classList.toggle('is-fullscreen', on);
    this.controls.setFullscreen(on);
    window.requestAnimationFrame(() => this.replay?.fit());
  }

  private toggleHelp(show = this.help.hidden): void {
    this.help.hidden = !show;
    if (show) this.help.querySelector<HTMLElement>('[data-testid=shortcuts-close]')?.focus();
  }

  /** `j`/`k`: plays from the next or the previous transcript entry. */
  private stepTranscript(step: -1 | 1): void {
    const next = this.transcript?.neighbour(step);
    if (next) this.seekToEvent(next);
  }

  private handleKey(event: KeyboardEvent): void {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) return;
    if (!this.element.isConnected) return;
    const replay = this.replay;
    let handled = true;
    switch (event.key) {
      case ' ':
      case 'Spacebar':
        this.toggle();
        break;
      case 'ArrowLeft':
        if (replay) this.seek(replay.currentTime() - SEEK_STEP_MS);
        break;
      case 'ArrowRight':
        if (replay) this.seek(replay.currentTime() + SEEK_STEP_MS);
        break;
      case 'Home':
        this.seek(0);
        break;
      case 'End':
        if (this.active) this.seek(this.active.end - this.active.start);
        break;
      case '1':
      case '2':
      case '4':
      case '8':
        this.setSpeed(Number(event.key) as Speed);
        break;
      case 'f':
      case 'F':
        void this.toggleFullscreen();
        break;
      case 's':
      case 'S':
        this.setSkipIdle(!this.preferences.skipIdle);
        break;
      case '?':
        this.toggleHelp();
        break;
      case 'j':
      case 'J':
        this.stepTranscript(1);
        break;
      case 'k':
      case 'K':
        this.stepTranscript(-1);
        break;
      case 'Escape':
        if (this.help.hidden) handled = false;
        else this.toggleHelp(false);
        break;
      default:
        handled = false;
    }
    if (handled) event.preventDefault();
  }
}

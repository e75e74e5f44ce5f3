/**
 * The player's seek bar: progress, idle stretches shaded, one colored mark per
 * transcript event and per note. A click seeks (to a mark's exact moment when
 * on a mark); hovering shows the event and its time.
 *
 * Marks closer than `CLUSTER_GAP_PX` on screen form a cluster: its marks are
 * spread side by side around the cluster's moment, so each one can be
 * hovered and clicked, and hovering any of them lists the whole cluster
 * ("6 events here"). Clusters are laid out again when the bar changes width.
 */
import { h } from './dom';
import { formatClock } from './format';
import { kindLabel, kindLayer, type MarkKind } from './kinds';

export interface TimelineMark {
  kind: MarkKind;
  /** Replayer time of the mark in the window being played. */
  playerTime: number;
  /** Session offset, as the transcript and the notes give it. */
  offsetMs: number;
  /** What the mark is, e.g. `Clicked button "Save"`. */
  title: string;
  /** The note's or event's id, when it has one. */
  id?: string;
}

/** Marks closer than this on screen are a cluster, and are spread this far apart. */
const CLUSTER_GAP_PX = 7;

interface PlacedMark {
  mark: TimelineMark;
  element: HTMLElement;
}

/** Groups marks (sorted by time) whose screen positions are closer than the gap, chained. */
export function clusterMarks<T extends { playerTime: number }>(marks: T[], pxPerMs: number, gap = CLUSTER_GAP_PX): T[][] {
  const clusters: T[][] = [];
  let last = -Infinity;
  for (const mark of marks) {
    const x = mark.playerTime * pxPerMs;
    const open = clusters[clusters.length - 1];
    if (open && x - last < gap) open.push(mark);
    else clusters.push([mark]);
    last = x;
  }
  return clusters;
}

export interface PlayerTimeline {
  element: HTMLElement;
  setDuration(duration: number): void;
  setMarks(marks: TimelineMark[]): void;
  /** Idle stretches in replayer time. */
  setIdle(segments: { start: number; end: number }[]): void;
  setTime(playerTime: number): void;
}

export function renderPlayerTimeline(onSeek: (playerTime: number) => void): PlayerTimeline {
  let duration = 1;
  const progress = h('div', { class: 'timeline-progress', testid: 'timeline-progress' });
  const playhead = h('div', { class: 'timeline-playhead', attrs: { 'aria-hidden': 'true' } });
  const idleLayer = h('div', { class: 'timeline-idle-layer', attrs: { 'aria-hidden': 'true' } });
  const markLayer = h('div', { class: 'timeline-marks' });
  const tooltip = h('div', { class: 'timeline-tooltip', testid: 'timeline-tooltip', attrs: { role: 'status' } });
  tooltip.hidden = true;
  const track = h(
    'div',
    {
      class: 'timeline-track',
      testid: 'timeline-track',
      attrs: {
        role: 'slider',
        tabindex: '0',
        'aria-label': 'Seek',
        'aria-valuemin': '0',
        'aria-valuemax': '0',
        'aria-valuenow': '0',
      },
    },
    [idleLayer, progress, markLayer, playhead],
  );
  const element = h('div', { class: 'player-timeline', testid: 'player-timeline' }, [track, tooltip]);

  const timeAt = (clientX: number): number => {
    const box = track.getBoundingClientRect();
    const fraction = Math.min(1, Math.max(0, (clientX - box.left) / Math.max(1, box.width)));
    return fraction * duration;
  };
  const percent = (time: number): string => `${((Math.min(Math.max(time, 0), duration) / duration) * 100).toFixed(3)}%`;

  /** Shows `heading` (and a second line) above `time`, kept inside the bar; `keep` only moves it. */
  function showTooltip(heading: string, detail: string, time: number, keep = false): void {
    if (!keep) {
      tooltip.replaceChildren(h('strong', { text: heading }), detail ? h('span', { class: 'timeline-tooltip-detail', text: detail }) : '');
    }
    tooltip.hidden = false;
    const trackWidth = track.clientWidth;
    const half = tooltip.offsetWidth / 2;
    const x = (Math.min(Math.max(time, 0), duration) / duration) * trackWidth;
    tooltip.style.left = `${Math.round(Math.min(Math.max(x, half), Math.max(half, trackWidth - half)))}px`;
  }

  track.addEventListener('click', (event) => {
    const mark = (event.target as Element).closest<HTMLElement>('[data-testid=timeline-mark]');
    const time = mark ? Number(mark.dataset.playerTime) : timeAt(event.clientX);
    onSeek(time);
  });
  track.addEventListener('mousemove', (event) => {
    const mark = (event.target as Element).closest<HTMLElement>('[data-testid=timeline-mark]');
    if (mark) {
      const time = Number(mark.dataset.playerTime);
      showTooltip(`${kindLabel(mark.dataset.kind ?? '')} · ${formatClock(Number(mark.dataset.offsetMs))}`, mark.dataset.title ?? '', time);
      tooltip.dataset.kind = mark.dataset.kind ?? '';
      const cluster = clusterOf.get(mark);
      if (cluster && cluster.length > 1) {
        tooltip.append(
          h('span', { class: 'timeline-tooltip-count', testid: 'timeline-cluster-count', text: `${cluster.length} events here` }),
          h(
            'ul',
            { class: 'timeline-tooltip-list' },
            cluster.map((placed) =>
              h('li', {
                class: placed.element === mark ? 'is-hovered' : '',
                text: `${kindLabel(placed.mark.kind)} · ${formatClock(placed.mark.offsetMs)}  ${placed.mark.title}`,
              }),
            ),
          ),
        );
        showTooltip(tooltip.firstElementChild?.textContent ?? '', '', time, true);
      }
    } else {
      const time = timeAt(event.clientX);
      showTooltip(formatClock(time), '', time);
      tooltip.dataset.kind = '';
    }
  });
  track.addEventListener('mouseleave', () => {
    tooltip.hidden = true;
  });

  let placed: PlacedMark[] = [];
  const clusterOf = new Map<HTMLElement, PlacedMark[]>();
  /** Puts each mark at its moment, spreading the marks of a cluster side by side. */
  function layout(): void {
    clusterOf.clear();
    const width = track.clientWidth;
    if (width <= 0) {
      for (const { mark, element } of placed) element.style.left = percent(mark.playerTime);
      return;
    }
    const pxPerMs = width / duration;
    for (const cluster of clusterMarks(placed.map((entry) => ({ ...entry, playerTime: entry.mark.playerTime })), pxPerMs)) {
      if (cluster.length === 1) {
        const only = cluster[0];
        only.element.style.left = percent(only.mark.playerTime);
        delete only.element.dataset.clusterSize;
        continue;
      }
      const first = cluster[0].mark.playerTime * pxPerMs;
      const last = cluster[cluster.length - 1].mark.playerTime * pxPerMs;
      const span = (cluster.length - 1) * CLUSTER_GAP_PX;
      const start = Math.min(Math.max((first + last) / 2 - span / 2, 3), Math.max(3, width - 3 - span));
      const members = cluster.map(({ mark, element }) => ({ mark, element }));
      cluster.forEach(({ element }, index) => {
        element.style.left = `${(start + index * CLUSTER_GAP_PX).toFixed(1)}px`;
        element.dataset.clusterSize = String(cluster.length);
        clusterOf.set(element, members);
      });
    }
  }
  new ResizeObserver(() => layout()).observe(track);

  return {
    element,
    setDuration(next: number): void {
      const changed = Math.max(1, next) !== duration;
      duration = Math.max(1, next);
      track.setAttribute('aria-valuemax', String(Math.round(duration)));
      if (changed) layout();
    },
    setMarks(marks: TimelineMark[]): void {
      const sorted = [...marks].sort((a, b) => a.playerTime - b.playerTime || kindLayer(a.kind) - kindLayer(b.kind));
      placed = sorted.map((mark) => ({
        mark,
        element: h('span', {
            class: `timeline-mark mark-${mark.kind}`,
            testid: 'timeline-mark',
            attrs: {
              style: `left: ${percent(mark.playerTime)}; z-index: ${kindLayer(mark.kind)}`,
              'aria-label': `${kindLabel(mark.kind)} at ${formatClock(mark.offsetMs)}: ${mark.title}`,
            },
            dataset: {
              kind: mark.kind,
              offsetMs: String(mark.offsetMs),
              playerTime: String(Math.round(mark.playerTime)),
              title: mark.title,
              ...(mark.id ? { id: mark.id } : {}),
            },
          }),
      }));
      markLayer.replaceChildren(...placed.map((entry) => entry.element));
      layout();
    },
    setIdle(segments): void {
      idleLayer.replaceChildren(
        ...segments.map((segment) =>
          h('span', {
            class: 'timeline-idle',
            testid: 'timeline-idle',
            title: `Idle ${formatClock(segment.end - segment.start)}`,
            dataset: { start: String(Math.round(segment.start)), end: String(Math.round(segment.end)) },
            attrs: {
              style: `left: ${percent(segment.start)}; width: ${(((Math.min(segment.end, duration) - Math.max(segment.start, 0)) / duration) * 100).toFixed(3)}%`,
            },
          }),
        ),
      );
    },
    setTime(playerTime: number): void {
      const at = percent(playerTime);
      progress.style.width = at;
      playhead.style.left = at;
      track.setAttribute('aria-valuenow', String(Math.round(playerTime)));
      track.setAttribute('aria-valuetext', formatClock(playerTime));
    },
  };
}

/**
 * A session's notes (`/v1/sessions/{id}/notes`): the list (a note's time seeks
 * the player), a form that adds one at the moment being played, and delete.
 * The notes are also marked on the player's seek bar.
 */
import { addNote, deleteNote, listNotes, type Note } from './api';
import { errorMessage } from './components';
import { h } from './dom';
import { formatClock, formatDateTime } from './format';
import type { SessionStage } from './stage';

const MAX_NOTE_CHARS = 2000;

export function renderNotes(sessionId: string, stage: SessionStage, signal: AbortSignal): HTMLElement {
  let notes: Note[] = [];
  const list = h('ol', { class: 'notes-list', testid: 'notes-list' });
  const status = h('p', { class: 'panel-status', testid: 'notes-status', attrs: { role: 'status' } });
  const count = h('span', { class: 'panel-count', testid: 'notes-count', text: '0' });

  const text = h('textarea', {
    id: 'note-text',
    testid: 'note-text',
    attrs: {
      rows: '2',
      maxlength: String(MAX_NOTE_CHARS),
      placeholder: 'What happens here?',
      'aria-label': 'Note text',
    },
  });
  const submit = h('button', { class: 'button button-primary', testid: 'note-add', text: 'Add note at 00:00', attrs: { type: 'submit' } });
  const form = h(
    'form',
    {
      class: 'note-form',
      testid: 'note-form',
      on: {
        submit: (event) => {
          event.preventDefault();
          void add();
        },
      },
    },
    [text, h('div', { class: 'note-form-actions' }, [submit])],
  );
  text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void add();
    }
  });
  stage.onTimeChange((offset) => {
    const label = `Add note at ${formatClock(offset)}`;
    if (submit.textContent !== label) submit.textContent = label;
  });

  function render(): void {
    count.textContent = String(notes.length);
    stage.setNotes(notes);
    if (notes.length === 0) {
      list.replaceChildren(h('li', { class: 'panel-empty', text: 'No notes yet. Pause where something happens and describe it.' }));
      return;
    }
    list.replaceChildren(
      ...notes.map((note) =>
        h('li', { class: 'note', testid: 'note', dataset: { noteId: note.note_id, offsetMs: String(note.offset_ms) } }, [
          h('button', {
            class: 'note-time',
            testid: 'note-time',
            text: formatClock(note.offset_ms),
            title: 'Watch from here',
            attrs: { type: 'button' },
            on: { click: () => stage.seekToOffset(note.offset_ms) },
          }),
          h('div', { class: 'note-body' }, [
            h('p', { class: 'note-text', testid: 'note-body', text: note.text }),
            h('span', { class: 'note-meta', text: `${note.author} · ${formatDateTime(note.created_at)} UTC` }),
          ]),
          h('button', {
            class: 'button button-quiet button-small',
            testid: 'note-delete',
            text: 'Delete',
            attrs: { type: 'button', 'aria-label': `Delete the note at ${formatClock(note.offset_ms)}` },
            on: { click: () => void remove(note) },
          }),
        ]),
      ),
    );
  }

  async function load(): Promise<void> {
    try {
      notes = await listNotes(sessionId, signal);
      status.textContent = '';
      render();
    } catch (error) {
      if (signal.aborted) return;
      status.textContent = `Could not load the notes: ${errorMessage(error)}`;
    }
  }

  async function add(): Promise<void> {
    const body = text.value.trim();
    if (body === '') {
      text.focus();
      return;
    }
    submit.disabled = true;
    try {
      const note = await addNote(sessionId, { offset_ms: Math.max(0, Math.round(stage.currentOffset())), text: body });
      notes = [...notes, note].sort((a, b) => a.offset_ms - b.offset_ms);
      text.value = '';
      status.textContent = `Note added at ${formatClock(note.offset_ms)}.`;
      render();
    } catch (error) {
      status.textContent = `Could not add the note: ${errorMessage(error)}`;
    } finally {
      submit.disabled = false;
    }
  }

  async function remove(note: Note): Promise<void> {
    try {
      await deleteNote(sessionId, note.note_id);
      notes = notes.filter((candidate) => candidate.note_id !== note.note_id);
      status.textContent = 'Note deleted.';
      render();
    } catch (error) {
      status.textContent = `Could not delete the note: ${errorMessage(error)}`;
    }
  }

  render();
  void load();
  return h('section', { class: 'panel notes', testid: 'notes' }, [
    h('h2', { class: 'panel-title' }, ['Notes', count]),
    list,
    form,
    status,
  ]);
}

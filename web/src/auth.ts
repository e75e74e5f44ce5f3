/**
 * The API token (docs/api.md, "Authentication").
 *
 * `playback up` prints a UI link that carries the token in the hash
 * (`/#token=...`): on load the UI moves it to local storage and removes it from
 * the address bar, so it is not left in the history or in a copied link. Every
 * `/v1` call sends it as `Authorization: Bearer <token>`; the shared view
 * (`/s/<token>`) never does.
 */
import { h } from './dom';

const STORAGE_KEY = 'playback.token';

let memoryToken: string | null = null;

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export function getToken(): string | null {
  return storage()?.getItem(STORAGE_KEY) ?? memoryToken;
}

export function setToken(token: string): void {
  memoryToken = token;
  try {
    storage()?.setItem(STORAGE_KEY, token);
  } catch {
    // Storage full or disabled: the token lives for this page only.
  }
}

export function clearToken(): void {
  memoryToken = null;
  try {
    storage()?.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored.
  }
}

/** Takes `#token=...` from the address bar into storage and removes it from the URL. */
export function adoptTokenFromHash(): void {
  const hash = window.location.hash.replace(/^#/, '');
  if (!hash) return;
  const params = new URLSearchParams(hash);
  const token = params.get('token');
  if (token === null) return;
  if (token.trim() !== '') setToken(token.trim());
  params.delete('token');
  const rest = params.toString();
  const url = window.location.pathname + window.location.search + (rest ? `#${rest}` : '');
  window.history.replaceState(window.history.state, '', url);
}

/**
 * The form shown when the API answers 401: paste a token, which is stored and
 * the page loaded again.
 */
export function renderTokenForm(options: { rejected: boolean; onToken: () => void }): HTMLElement {
  const input = h('input', {
    id: 'token-input',
    testid: 'token-input',
    attrs: {
      type: 'password',
      name: 'token',
      autocomplete: 'off',
      spellcheck: 'false',
      placeholder: 'pb_...',
      'aria-label': 'API token',
      required: '',
    },
  });
  const form = h(
    'form',
    {
      class: 'token-form',
      testid: 'token-form',
      on: {
        submit: (event) => {
          event.preventDefault();
          const token = input.value.trim();
          if (token === '') return;
          setToken(token);
          options.onToken();
        },
      },
    },
    [
      h('h1', { text: 'Paste an API token' }),
      h('p', {
        class: 'muted',
        text: options.rejected
          ? 'The server did not accept the token this browser had. Paste a valid one.'
          : 'This Playback server needs an API token to show sessions.',
      }),
      h('p', { class: 'muted', testid: 'token-help' }, [
        h('code', { text: 'playback up' }),
        ' prints one for each project (',
        h('code', { text: 'admin token (project …)' }),
        ') with a UI link that carries it. The token is kept in this browser only.',
      ]),
      h('div', { class: 'token-form-row' }, [
        input,
        h('button', { class: 'button button-primary', text: 'Use token', testid: 'token-submit', attrs: { type: 'submit' } }),
      ]),
    ],
  );
  queueMicrotask(() => input.focus());
  return h('section', { class: 'page token-page', testid: 'token-page' }, [form]);
}

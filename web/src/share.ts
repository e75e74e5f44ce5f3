/**
 * Share links (admin): the "Share" button opens a panel that creates a link
 * (`POST /v1/sessions/{id}/shares`, with an expiry), shows and copies its
 * absolute URL, and lists the session's links with "Revoke". A token whose
 * role may not share gets 403, shown as "only admins can share".
 */
import { createShare, listShares, revokeShare, statusOf, type Share } from './api';
import { errorMessage } from './components';
import { h } from './dom';
import { formatDateTime } from './format';

const EXPIRY_CHOICES: { hours: number; label: string }[] = [
  { hours: 1, label: '1 hour' },
  { hours: 24, label: '24 hours' },
  { hours: 168, label: '7 days' },
  { hours: 720, label: '30 days' },
];
const DEFAULT_HOURS = 168;

function shareState(share: Share, now: number): 'active' | 'expired' | 'revoked' {
  if (share.revoked) return 'revoked';
  return share.expires_at <= now ? 'expired' : 'active';
}

/** `by ada · created 2026-12-03 17:05 UTC · expires 2026-12-10 17:05 UTC`; a revoked link says so instead. */
function shareMeta(share: Share, state: 'active' | 'expired' | 'revoked'): string {
  const created = `by ${share.author} · created ${formatDateTime(share.created_at)} UTC`;
  if (state === 'revoked') return `${created} · revoked, no longer opens the session`;
  return `${created} · ${state === 'active' ? 'expires' : 'expired'} ${formatDateTime(share.expires_at)} UTC`;
}

async function copyText(text: string, fallbackInput: HTMLInputElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    fallbackInput.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}

export function renderShareButton(sessionId: string): HTMLElement {
  const panel = h('div', { class: 'share-panel', testid: 'share-panel', attrs: { role: 'dialog', 'aria-label': 'Share this session' } });
  panel.hidden = true;
  const button = h('button', {
    class: 'button',
    testid: 'share-button',
    text: 'Share',
    title: 'Create a read-only link to this session (admins)',
    attrs: { type: 'button', 'aria-expanded': 'false', 'aria-haspopup': 'dialog' },
    on: {
      click: () => {
        const open = panel.hidden;
        panel.hidden = !open;
        button.setAttribute('aria-expanded', String(open));
        if (open) void refresh();
      },
    },
  });

  const expiry = h(
    'select',
    { id: 'share-expiry', testid: 'share-expiry', attrs: { 'aria-label': 'Link expires after' } },
    EXPIRY_CHOICES.map((choice) => h('option', { text: choice.label, attrs: { value: String(choice.hours) } })),
  );
  expiry.value = String(DEFAULT_HOURS);
  const create = h('button', { class: 'button button-primary', testid: 'share-create', text: 'Create link', attrs: { type: 'button' } });
  const urlInput = h('input', {
    testid: 'share-url',
    class: 'share-url',
    attrs: { type: 'text', readonly: '', 'aria-label': 'Share link', spellcheck: 'false' },
  });
  const copy = h('button', { class: 'button', testid: 'share-copy', text: 'Copy', attrs: { type: 'button' } });
  const created = h('div', { class: 'share-created', testid: 'share-created' }, [urlInput, copy]);
  created.hidden = true;
  const status = h('p', { class: 'panel-status', testid: 'share-status', attrs: { role: 'status' } });
  const list = h('ul', { class: 'share-list', testid: 'share-list' });

  const forbidden = (): void => {
    panel.replaceChildren(
      h('p', {
        class: 'notice notice-error',
        testid: 'share-forbidden',
        text: 'Only admins can share sessions. Ask an admin of this project for a link.',
      }),
    );
  };

  function renderList(shares: Share[]): void {
    const now = Date.now();
    if (shares.length === 0) {
      list.replaceChildren(h('li', { class: 'panel-empty', text: 'No links to this session yet.' }));
      return;
    }
    list.replaceChildren(
      ...shares.map((share) => {
        const state = shareState(share, now);
        const revoke = h('button', {
          class: 'button button-small',
          testid: 'share-revoke',
          text: 'Revoke',
          attrs: { type: 'button' },
          on: {
            click: async () => {
              revoke.disabled = true;
              try {
                await revokeShare(share.share_id);
                status.textContent = 'Link revoked: it no longer opens the session.';
                await refresh();
              } catch (error) {
                revoke.disabled = false;
                status.textContent = `Could not revoke: ${errorMessage(error)}`;
              }
            },
          },
        });
        revoke.hidden = state !== 'active';
        return h('li', { class: `share-row share-${state}`, testid: 'share-row', dataset: { shareId: share.share_id, state } }, [
          h('span', { class: 'share-state', text: state === 'active' ? 'Active' : state === 'expired' ? 'Expired' : 'Revoked' }),
          h('span', { class: 'share-meta', testid: 'share-meta', text: shareMeta(share, state) }),
          revoke,
        ]);
      }),
    );
  }

  async function refresh(): Promise<void> {
    try {
      renderList(await listShares(sessionId));
    } catch (error) {
      if (statusOf(error) === 403) forbidden();
      else status.textContent = `Could not list the links: ${errorMessage(error)}`;
    }
  }

  create.addEventListener('click', async () => {
    create.disabled = true;
    try {
      const share = await createShare(sessionId, Number(expiry.value));
      const url = new URL(share.url ?? '', window.location.origin).href;
      urlInput.value = url;
      created.hidden = false;
      urlInput.focus();
      urlInput.select();
      status.textContent = `Anyone with this link can watch this session until ${formatDateTime(share.expires_at)} UTC.`;
      await refresh();
    } catch (error) {
      if (statusOf(error) === 403) forbidden();
      else status.textContent = `Could not create a link: ${errorMessage(error)}`;
    } finally {
      create.disabled = false;
    }
  });
  copy.addEventListener('click', async () => {
    const copied = await copyText(urlInput.value, urlInput);
    copy.textContent = copied ? 'Copied' : 'Copy failed';
    window.setTimeout(() => {
      copy.textContent = 'Copy';
    }, 2000);
  });

  panel.append(
    h('h2', { class: 'share-title', text: 'Share a read-only link' }),
    h('p', { class: 'muted', text: 'The link opens this session only: player and transcript, without who the user is.' }),
    h('div', { class: 'share-create-row' }, [h('label', { class: 'field-label', text: 'Expires after', attrs: { for: 'share-expiry' } }), expiry, create]),
    created,
    status,
    h('h3', { class: 'share-list-title', text: 'Links to this session' }),
    list,
  );
  return h('div', { class: 'share' }, [button, panel]);
}

/**
 * The empty list's onboarding: the recorder snippet with this project's public
 * key (`GET /v1/project`) and the gateway's URL (the configured
 * `query.ingest_url`, else this page's origin, as with `playback up`), a link
 * to the demo site, and what to expect.
 */
import { getProject } from './api';
import { errorMessage } from './components';
import { h } from './dom';

/** The `<script>` tag that starts recording on a site. */
export function recorderSnippet(ingestUrl: string, publicKey: string): string {
  return `<script src="${ingestUrl.replace(/\/+$/, '')}/recorder.js" data-key="${publicKey}" async></script>`;
}

export function renderOnboarding(signal: AbortSignal): HTMLElement {
  const code = h('code', { testid: 'recorder-snippet', text: 'Loading the project key…' });
  const copy = h('button', {
    class: 'button button-small copy-button',
    testid: 'copy-snippet',
    text: 'Copy',
    attrs: { type: 'button' },
    on: {
      click: () => {
        void navigator.clipboard?.writeText(code.textContent ?? '').then(
          () => (copy.textContent = 'Copied'),
          () => (copy.textContent = 'Select and copy'),
        );
      },
    },
  });
  copy.disabled = true;
  const status = h('p', { class: 'onboarding-status', testid: 'onboarding-status' });

  void getProject(signal).then(
    (project) => {
      const ingest = project.ingest_url ?? window.location.origin;
      if (!project.public_key) {
        code.textContent = recorderSnippet(ingest, 'YOUR_PROJECT_KEY');
        status.textContent = `No public key is configured for project “${project.project_id}”: add one under [[projects]].`;
        return;
      }
      code.textContent = recorderSnippet(ingest, project.public_key);
      copy.disabled = false;
    },
    (error: unknown) => {
      if (signal.aborted) return;
      code.textContent = recorderSnippet(window.location.origin, 'YOUR_PROJECT_KEY');
      status.textContent = `The project key is unavailable: ${errorMessage(error)}`;
    },
  );

  return h('div', { class: 'onboarding', testid: 'empty-state', attrs: { role: 'status' } }, [
    h('div', { class: 'onboarding-body', testid: 'onboarding' }, [
      h('h2', { text: 'No sessions in the last 7 days' }),
      h('p', { class: 'muted', text: 'Record your first session in two steps.' }),
      h('ol', { class: 'onboarding-steps' }, [
        h('li', {}, [
          h('strong', { text: 'Add the recorder to your site. ' }),
          'Paste this tag into the ',
          h('code', { text: '<head>' }),
          ' of every page:',
          h('div', { class: 'snippet' }, [h('pre', {}, [code]), copy]),
        ]),
        h('li', {}, [
          h('strong', { text: 'Visit a page. ' }),
          'Sessions appear here a few seconds after a visit. No site at hand? Open the ',
          h('a', { testid: 'demo-link', text: 'demo shop', attrs: { href: '/demo/', target: '_blank', rel: 'noopener' } }),
          ', click around, then come back.',
        ]),
      ]),
      status,
    ]),
  ]);
}

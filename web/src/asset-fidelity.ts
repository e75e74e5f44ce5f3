/**
 * The line under the player that says how faithful the replay's appearance
 * is: "All 41 assets archived", or "3 of 41 assets missing: 403 from
 * cdn.example.com (2), not archived (1)", with the missing assets listed on
 * expand. Its "Load missing assets from the live site" switch sets or clears
 * `live_assets=1` on the page URL and reloads: the page's CSP then lets the
 * replay fetch what Playback has no copy of from the site itself.
 */
import { assetFidelity, fidelitySummary, type AssetFidelity } from './assets';
import { h } from './dom';
import type { RecordingLoader } from './recording';

/** The page URL's parameter that lets a replay load missing assets from the live site. */
export const LIVE_ASSETS_PARAM = 'live_assets';

export function liveAssetsRequested(query: URLSearchParams): boolean {
  return query.get(LIVE_ASSETS_PARAM) === '1';
}

/** The page URL with live assets switched on or off, at `offset` (ms into the session) when given. */
export function liveAssetsUrl(href: string, live: boolean, offset?: number): string {
  const url = new URL(href);
  if (live) url.searchParams.set(LIVE_ASSETS_PARAM, '1');
  else url.searchParams.delete(LIVE_ASSETS_PARAM);
  if (offset !== undefined) url.searchParams.set('t', String(Math.max(0, Math.round(offset))));
  return url.href;
}

export interface FidelityLine {
  element: HTMLElement;
}

/**
 * The fidelity line of a recording, kept current as its chunks arrive.
 * `currentOffset` gives the moment being played, so the reload lands there.
 */
export function renderFidelityLine(
  loader: RecordingLoader,
  live: boolean,
  currentOffset: () => number | undefined,
): FidelityLine {
  const dot = h('span', { class: 'asset-fidelity-dot', attrs: { 'aria-hidden': 'true' } });
  const summaryText = h('span', {
    class: 'asset-fidelity-text',
    testid: 'asset-fidelity-summary',
    attrs: { 'aria-live': 'polite' },
  });
  const list = h('ul', { class: 'asset-fidelity-list', testid: 'asset-fidelity-list' });
  const details = h('details', { class: 'asset-fidelity-details' }, [
    h('summary', { class: 'asset-fidelity-summary' }, [dot, summaryText]),
    list,
  ]);
  const toggle = h('input', {
    testid: 'live-assets',
    attrs: { type: 'checkbox' },
    on: {
      change: () => {
        toggle.disabled = true;
        window.location.assign(liveAssetsUrl(window.location.href, toggle.checked, currentOffset()));
      },
    },
  });
  toggle.checked = live;
  const toggleLabel = h('label', { class: 'asset-fidelity-toggle', title: 'Reloads the replay' }, [
    toggle,
    h('span', { text: 'Load missing assets from the live site' }),
  ]);
  const element = h('div', { class: 'asset-fidelity', testid: 'asset-fidelity' }, [
    details,
    toggleLabel,
  ]);

  const render = (): void => {
    const fidelity = assetFidelity(loader.assetListing, loader.assetsFound);
    element.dataset.state = loader.assetsListed ? 'listed' : 'checking';
    element.dataset.used = String(fidelity.used);
    element.dataset.missing = String(fidelity.missing.length);
    element.classList.toggle('is-complete', fidelity.missing.length === 0);
    summaryText.textContent = loader.assetsListed ? fidelitySummary(fidelity) : 'Checking the page’s assets…';
    // Nothing to load from the site: the switch stays only to turn it off again.
    toggleLabel.hidden = fidelity.missing.length === 0 && !live;
    details.classList.toggle('is-empty', fidelity.missing.length === 0);
    if (fidelity.missing.length === 0) details.open = false;
    list.replaceChildren(...missingItems(fidelity));
  };
  loader.subscribe({ assets: render });
  render();
  return { element };
}

function missingItems(fidelity: AssetFidelity): HTMLElement[] {
  return fidelity.missing.map((asset) =>
    h('li', { class: 'asset-fidelity-item', testid: 'missing-asset', dataset: { url: asset.url } }, [
      h('span', { class: 'asset-fidelity-url', text: asset.url, title: asset.url }),
      h('span', { class: 'asset-fidelity-reason', text: asset.reason }),
    ]),
  );
}

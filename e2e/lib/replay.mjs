/**
 * Replays rrweb events with rrweb's own Replayer in a blank Chromium page,
 * independently of the Playback UI.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { waitFor } from './api.mjs';
import { packageDir } from './paths.mjs';

/**
 * @typedef {object} ReplayedField
 * @property {boolean} present
 * @property {string | null} value the element's value in the replayed DOM
 */

/**
 * Opens a blank page, replays `events` up to `offsetMs` after the first one
 * and reads the state of some form fields in the replayed document.
 * @param {import('playwright-core').Browser} browser
 * @param {any[]} events
 * @param {number} offsetMs
 * @param {string[]} selectors
 * @param {string} [screenshotPath]
 * @returns {Promise<Record<string, ReplayedField>>}
 */
export async function replayAt(browser, events, offsetMs, selectors, screenshotPath) {
  const rrweb = packageDir('rrweb');
  const css = await readFile(path.join(rrweb, 'dist/style.css'), 'utf8');
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  try {
    const page = await context.newPage();
    await page.setContent('<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0"><div id="root"></div></body></html>');
    await page.addStyleTag({ content: css });
    await page.addScriptTag({ path: path.join(rrweb, 'umd/rrweb.min.js') });
    await page.evaluate(
      ({ events, offsetMs }) => {
        const { Replayer } = /** @type {any} */ (window).rrweb;
        const replayer = new Replayer(events, {
          root: document.getElementById('root'),
          showWarning: false,
          mouseTail: false,
          triggerFocus: false,
        });
        replayer.pause(offsetMs);
        /** @type {any} */ (window).__replayer = replayer;
      },
      { events, offsetMs },
    );
    const fields = await waitFor(
      () =>
        page.evaluate((selectors) => {
          const iframe = /** @type {any} */ (window).__replayer.iframe;
          const doc = /** @type {Document | null} */ (iframe?.contentDocument ?? null);
          if (doc === null || doc.querySelector(selectors[0]) === null) {
            return null;
          }
          /** @type {Record<string, {present: boolean, value: string | null}>} */
          const result = {};
          for (const selector of selectors) {
            const element = /** @type {HTMLInputElement | null} */ (doc.querySelector(selector));
            result[selector] = { present: element !== null, value: element === null ? null : element.value };
          }
          return result;
        }, selectors),
      { timeout: 15_000, interval: 100, message: `replayed document with ${selectors[0]}` },
    );
    if (screenshotPath) {
      await page.screenshot({ path: screenshotPath });
    }
    return fields;
  } finally {
    await context.close();
  }
}

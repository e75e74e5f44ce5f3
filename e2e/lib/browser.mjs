/**
 * Debian's Chromium driven by playwright-core.
 */
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

/** @returns {Promise<import('playwright-core').Browser>} */
export function launchChromium() {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/**
 * Launches Chromium for the test `t` and closes it when the test ends.
 * @param {import('node:test').TestContext} t
 * @returns {Promise<import('playwright-core').Browser>}
 */
export async function launchBrowser(t) {
  const browser = await launchChromium();
  t.after(() => browser.close());
  return browser;
}

import { launchChromium } from '/work/main/e2e/lib/browser.mjs';
import { startServer } from '/work/main/e2e/lib/server.mjs';
import { gunzipSync } from 'node:zlib';
const afters = [];
const t = { after: (f) => afters.push(f) };
const server = await startServer(t);
const browser = await launchChromium();
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable', { maxPostDataSize: 65536 * 64 });
  cdp.on('Network.requestWillBeSent', async (e) => {
    if (!e.request.url.includes('/v1/batches')) return;
    let body;
    if (e.request.postDataEntries) body = Buffer.concat(e.request.postDataEntries.map(x => Buffer.from(x.bytes ?? '', 'base64')));
    const b = body && (body[0] === 0x1f ? gunzipSync(body) : body);
    console.log('cdp', e.request.url, e.type, e.request.hasPostData, body?.length, b ? JSON.parse(b.toString()).seq : null);
  });
  context.on('request', r => { if (r.url().includes('/v1/batches')) console.log('pw', r.url(), r.postDataBuffer()?.length); });
  await page.goto(server.url + '/demo/');
  await page.waitForFunction(() => window.Playback.getSessionId());
  await new Promise(r => setTimeout(r, 1000));
  await page.click('#name'); await page.keyboard.type('hello');
  await page.click('#to-page2');
  await page.waitForURL('**/page2.html');
  await new Promise(r => setTimeout(r, 1500));
  await page.click('#page2-action');
  await page.close();
  await new Promise(r => setTimeout(r, 1000));
} finally {
  await browser.close();
  for (const f of afters) await f();
}

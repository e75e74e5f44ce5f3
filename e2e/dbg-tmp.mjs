import { recordDemoSession } from '/work/main/e2e/lib/demo.mjs';
import { launchChromium } from '/work/main/e2e/lib/browser.mjs';
import { startServer } from '/work/main/e2e/lib/server.mjs';
const afters = [];
const t = { after: (f) => afters.push(f) };
const server = await startServer(t);
const browser = await launchChromium();
try {
  const demo = await recordDemoSession(browser, server.url);
  for (const [k, b] of demo.batches) console.log(k, b.events.length, b.events.map(e => e.type + (e.type===5?':'+e.data.tag:'')).join(' ').slice(0, 200));
  const r = await (await fetch(`${server.url}/v1/sessions/${demo.sessionId}/recording`)).json();
  for (const w of r.windows) console.log('server', w.window_id, w.events.length);
} finally {
  await browser.close();
  for (const f of afters) await f();
}

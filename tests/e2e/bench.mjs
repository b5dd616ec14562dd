// Prints the µs per span (start, 4 attributes, end) of the wasm package in headless
// Chromium, from www/bench.html: `node tests/e2e/bench.mjs` after `bash www/build.sh`.
import { startReceiver, launchChromium } from './receiver.mjs';

const receiver = await startReceiver();
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.goto(`${receiver.url}/bench.html`);
  const result = await page.waitForFunction(() => window.benchResult, null, { timeout: 120_000 });
  console.log(JSON.stringify({ browser: browser.version(), ...(await result.jsonValue()) }));
} finally {
  await browser.close();
  receiver.stop();
}

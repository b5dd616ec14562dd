// Prints the µs per span (start, 4 attributes, end) of otlp-collector and of the
// OpenTelemetry JS web SDK, measured on one page in headless Chromium, rounds alternating,
// with the ratio and what the receiver got from each. Then the whole cost on the page's
// thread: each library alone on a page, profiled (Chromium's sampling profiler), the time
// the thread was busy — spans, hand-over, encoding, sending, garbage collection — per span. Needs the package tarball in
// OTLP_PKG_TARBALL (tests/run_all.sh builds it with npm/build.sh):
//   node tests/e2e/bench.mjs
import path from 'node:path';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { bundle, launchChromium, profileBusy, repoRoot, startReceiver } from './harness.mjs';

const output = path.join(repoRoot, 'www', 'compare');
await rm(output, { recursive: true, force: true });
await bundle({
  entry: path.join(import.meta.dirname, 'compare', 'entry.js'),
  outputDir: output,
  publicPath: '/compare/',
  filename: 'bench.js',
});
await mkdir(output, { recursive: true });
await writeFile(path.join(output, 'index.html'),
  '<!doctype html><meta charset="utf-8"><title>span cost</title><script src="/compare/bench.js"></script>');

// µs the page's thread was not idle, per span, while one contender ran its rounds.
async function busyMicrosPerSpan(browser, receiver, only) {
  const { busyMicros, result } = await profileBusy(browser, {
    prepare: async (page) => {
      await page.goto(`${receiver.url}/compare/index.html?only=${only}&rounds=15`);
      await page.waitForFunction(() => typeof window.go === 'function');
    },
    run: async (page) => {
      await page.evaluate(() => window.go());
      return (await page.waitForFunction(() => window.benchResult, null, { timeout: 300_000 })).jsonValue();
    },
  });
  return Number((busyMicros / result.spans).toFixed(2));
}

const receiver = await startReceiver();
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.goto(`${receiver.url}/compare/index.html`);
  const handle = await page.waitForFunction(() => window.benchResult, null, { timeout: 300_000 });
  const result = await handle.jsonValue();
  const busy = {};
  for (const only of ['otlpCollector', 'otelJs']) busy[only] = await busyMicrosPerSpan(browser, receiver, only);
  result.mainThreadUsPerSpan = busy;
  result.mainThreadOtelJsOverOtlpCollector = Number((busy.otelJs / busy.otlpCollector).toFixed(2));
  const received = await (await fetch(`${receiver.url}/received`)).json();
  const perService = {};
  for (const request of received.requests) {
    for (const resource of request.resourceSpans) {
      const name = resource.resource.attributes.find((kv) => kv.key === 'service.name').value.stringValue;
      perService[name] = (perService[name] ?? 0) + resource.scopeSpans.reduce((n, scope) => n + scope.spans.length, 0);
    }
  }
  console.log(JSON.stringify({ browser: browser.version(), ...result, received: perService }));
} finally {
  await browser.close();
  receiver.stop();
}

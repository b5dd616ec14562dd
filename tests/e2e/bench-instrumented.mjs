// Prints the main-thread cost of automatic instrumentation: a page with 50 images that then
// makes 200 fetches, with otlp-collector and all its instrumentations, with the OpenTelemetry
// JS web SDK and its equivalent set (fetch, XHR, document load, user interaction, zone
// context manager), and with neither — each alone on a page, profiled with Chromium's
// sampling profiler from navigation to the last export, rounds alternating; the median busy
// time per variant, each library's own cost above the bare page, their ratio, and the fetch
// spans the receiver got from each. Needs OTLP_PKG_TARBALL (tests/run_all.sh):
//   node tests/e2e/bench-instrumented.mjs
import path from 'node:path';
import { launchChromium, profileBusy, repoRoot, startReceiver } from './harness.mjs';
import { preparePages } from './compare/instrumented-pages.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
await preparePages(path.join(repoRoot, 'www', 'compare-instrumented'));

// Milliseconds the page's thread was busy from navigation to the last export.
async function busyMillis(browser, receiver, lib) {
  const { busyMicros } = await profileBusy(browser, {
    samplingMicros: 100,
    run: async (page) => {
      await page.goto(`${receiver.url}/compare-instrumented/${lib}.html`);
      await page.waitForFunction(() => document.readyState === 'complete' && typeof window.go === 'function');
      await page.evaluate(() => window.go());
      await page.waitForFunction(() => window.benchResult, null, { timeout: 120_000 });
    },
  });
  return busyMicros / 1000;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const receiver = await startReceiver();
const browser = await launchChromium();
try {
  const samples = { none: [], 'otlp-collector': [], 'otel-js': [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const lib of Object.keys(samples)) samples[lib].push(await busyMillis(browser, receiver, lib));
  }
  const busyMs = Object.fromEntries(Object.entries(samples).map(([lib, values]) => [lib, Number(median(values).toFixed(1))]));
  const ownMs = {
    otlpCollector: Number((busyMs['otlp-collector'] - busyMs.none).toFixed(1)),
    otelJs: Number((busyMs['otel-js'] - busyMs.none).toFixed(1)),
  };
  const received = await (await fetch(`${receiver.url}/received`)).json();
  const fetchSpans = {};
  const allSpans = {};
  for (const request of received.requests) {
    for (const resource of request.resourceSpans) {
      const service = resource.resource.attributes.find((kv) => kv.key === 'service.name').value.stringValue;
      for (const span of resource.scopeSpans.flatMap((scope) => scope.spans)) {
        allSpans[service] = (allSpans[service] ?? 0) + 1;
        if (span.attributes.some((kv) => String(kv.value.stringValue).includes('item.json'))) {
          fetchSpans[service] = (fetchSpans[service] ?? 0) + 1;
        }
      }
    }
  }
  console.log(JSON.stringify({
    browser: browser.version(), rounds: ROUNDS, busyMs, samples, ownMs,
    otlpCollectorOverOtelJs: Number((ownMs.otlpCollector / ownMs.otelJs).toFixed(2)),
    fetchSpansReceived: fetchSpans, spansReceived: allSpans,
  }));
} finally {
  await browser.close();
  receiver.stop();
}

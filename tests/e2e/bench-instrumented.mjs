// Prints the main-thread cost of automatic instrumentation: a page with 50 images that then
// makes 200 fetches, with otlp-collector and all its instrumentations, with the OpenTelemetry
// JS web SDK and its equivalent set (fetch, XHR, document load, user interaction, zone
// context manager), and with neither — each alone on a page, traced with Chromium's timeline
// from navigation to the last export, rounds alternating. The cost is the CPU time of the
// page's main thread (the thread time of its top-level tasks, compare/timeline.mjs):
// each library's own above the bare page, their ratio, and the fetch spans the receiver got
// from each. The same tasks' clock time is printed beside it: on a machine with fewer cores
// than busy processes (the browser's, the receiver's) it also holds the waits for a core,
// which swing a library's share by more than it costs. Needs OTLP_PKG_TARBALL
// (tests/run_all.sh):
//   node tests/e2e/bench-instrumented.mjs            (BENCH_ROUNDS, default 5)
import path from 'node:path';
import { launchChromium, repoRoot, startReceiver } from './harness.mjs';
import { preparePages } from './compare/instrumented-pages.mjs';
import { median, tracePage } from './compare/timeline.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
await preparePages(path.join(repoRoot, 'www', 'compare-instrumented'));

const receiver = await startReceiver();
const browser = await launchChromium();
try {
  const libs = ['none', 'otlp-collector', 'otel-js'];
  const runs = Object.fromEntries(libs.map((lib) => [lib, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const lib of libs) runs[lib].push(await tracePage(browser, receiver, lib));
  }
  const round1 = (value) => Number(value.toFixed(1));
  const medians = (measure) => Object.fromEntries(libs.map((lib) => [lib, round1(median(runs[lib].map((run) => run[measure])))]));
  const samples = (measure) => Object.fromEntries(libs.map((lib) => [lib, runs[lib].map((run) => round1(run[measure]))]));
  const own = (measured) => ({
    otlpCollector: round1(measured['otlp-collector'] - measured.none),
    otelJs: round1(measured['otel-js'] - measured.none),
  });
  const [cpuMs, busyMs] = [medians('cpu'), medians('busy')];
  const [ownCpuMs, ownBusyMs] = [own(cpuMs), own(busyMs)];
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
    browser: browser.version(), rounds: ROUNDS,
    cpuMs, cpuSamples: samples('cpu'), ownCpuMs,
    otlpCollectorOverOtelJs: Number((ownCpuMs.otlpCollector / ownCpuMs.otelJs).toFixed(2)),
    busyMs, busySamples: samples('busy'), ownBusyMs,
    otlpCollectorOverOtelJsBusy: Number((ownBusyMs.otlpCollector / ownBusyMs.otelJs).toFixed(2)),
    fetchSpansReceived: fetchSpans, spansReceived: allSpans,
  }));
} finally {
  await browser.close();
  receiver.stop();
}

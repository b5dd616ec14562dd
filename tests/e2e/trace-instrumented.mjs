// Where the main-thread time of automatic instrumentation goes, by Chromium's own timeline
// (not the sampling profiler, which books the browser's native work as "(program)"): the
// pages of bench-instrumented.mjs (50 images, then 200 fetches; otlp-collector with every
// instrumentation, the OpenTelemetry JS web SDK with its equivalent set, or neither), each
// traced from navigation to the last export, rounds alternating. Prints, per variant, the
// median of the renderer main thread's busy time (its top-level tasks, on the clock and in
// thread time) and the self time of each timeline event kind, and what each library adds
// over the bare page, kind by kind. Needs OTLP_PKG_TARBALL (tests/run_all.sh); a tool, not a
// test:
//   node tests/e2e/trace-instrumented.mjs            (TRACE_ROUNDS, default 5)
import path from 'node:path';
import { launchChromium, repoRoot, startReceiver } from './harness.mjs';
import { preparePages } from './compare/instrumented-pages.mjs';
import { median, tracePage } from './compare/timeline.mjs';

const ROUNDS = Number(process.env.TRACE_ROUNDS ?? 5);

await preparePages(path.join(repoRoot, 'www', 'compare-instrumented'));

const receiver = await startReceiver();
const browser = await launchChromium();
try {
  const libs = ['none', 'otlp-collector', 'otel-js'];
  const runs = Object.fromEntries(libs.map((lib) => [lib, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const lib of libs) runs[lib].push(await tracePage(browser, receiver, lib));
  }
  const namesOf = (kind) => [...new Set(libs.flatMap((lib) => runs[lib].flatMap((run) => Object.keys(run[kind]))))];
  const medianOf = (lib, kind) =>
    Object.fromEntries(namesOf(kind).map((name) => [name, median(runs[lib].map((run) => run[kind][name] ?? 0))]));
  const medians = Object.fromEntries(libs.map((lib) => [lib, {
    busy: median(runs[lib].map((run) => run.busy)), cpu: median(runs[lib].map((run) => run.cpu)),
    self: medianOf(lib, 'self'), tasks: medianOf(lib, 'tasks'),
  }]));
  const round1 = (value) => Number(value.toFixed(1));
  const added = (lib, kind) => Object.fromEntries(namesOf(kind)
    .map((name) => [name, medians[lib][kind][name] - medians.none[kind][name]])
    .filter(([, ms]) => Math.abs(ms) >= 0.5)
    .sort((a, b) => b[1] - a[1])
    .map(([name, ms]) => [name, round1(ms)]));
  const own = (measure) => ({
    otlpCollector: round1(medians['otlp-collector'][measure] - medians.none[measure]),
    otelJs: round1(medians['otel-js'][measure] - medians.none[measure]),
  });
  console.log(JSON.stringify({
    browser: browser.version(), rounds: ROUNDS,
    busyMs: Object.fromEntries(libs.map((lib) => [lib, round1(medians[lib].busy)])),
    busySamples: Object.fromEntries(libs.map((lib) => [lib, runs[lib].map((run) => round1(run.busy))])),
    cpuMs: Object.fromEntries(libs.map((lib) => [lib, round1(medians[lib].cpu)])),
    ownMs: own('busy'),
    ownCpuMs: own('cpu'),
    addedTaskMs: { otlpCollector: added('otlp-collector', 'tasks'), otelJs: added('otel-js', 'tasks') },
    addedSelfMs: { otlpCollector: added('otlp-collector', 'self'), otelJs: added('otel-js', 'self') },
  }, null, 1));
} finally {
  await browser.close();
  receiver.stop();
}

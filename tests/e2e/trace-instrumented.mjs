// Where the main-thread time of automatic instrumentation goes, by Chromium's own timeline
// (not the sampling profiler, which books the browser's native work as "(program)"): the
// pages of bench-instrumented.mjs (50 images, then 200 fetches; otlp-collector with every
// instrumentation, the OpenTelemetry JS web SDK with its equivalent set, or neither), each
// traced from navigation to the last export, rounds alternating. Prints, per variant, the
// median of the renderer main thread's busy time (its top-level tasks) and the self time of
// each timeline event kind, and what each library adds over the bare page, kind by kind.
// Needs OTLP_PKG_TARBALL (tests/run_all.sh); a tool, not a test:
//   node tests/e2e/trace-instrumented.mjs            (TRACE_ROUNDS, default 5)
import path from 'node:path';
import { launchChromium, repoRoot, startReceiver } from './harness.mjs';
import { preparePages } from './compare/instrumented-pages.mjs';

const ROUNDS = Number(process.env.TRACE_ROUNDS ?? 5);
const CATEGORIES = ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'v8.execute',
  'blink', 'loading', 'disabled-by-default-v8.compile'];
// Top-level tasks of the renderer's main thread.
const TASKS = new Set(['RunTask', 'ThreadControllerImpl::RunTask', 'ThreadPool_RunTask']);

await preparePages(path.join(repoRoot, 'www', 'compare-instrumented'));

// The renderer main thread's complete events of one trace: busy milliseconds (top-level
// tasks), self milliseconds by event name, and top-level task milliseconds by the name of
// the task's first event (what the task was for: a timer, a script, a network answer…).
// Only the page's own renderer counts: a trace may hold another one's work (a page closed
// before, finishing up), which once doubled a bare page's figure.
function mainThreadTime(trace, pageUrl) {
  const events = JSON.parse(trace).traceEvents;
  const renderers = new Set(events
    .filter((event) => event.ph === 'M' && event.name === 'thread_name' && event.args.name === 'CrRendererMain')
    .map((event) => `${event.pid}:${event.tid}`));
  const mains = new Set(events
    .filter((event) => renderers.has(`${event.pid}:${event.tid}`)
      && (event.args?.beginData?.url === pageUrl || event.args?.data?.url === pageUrl))
    .map((event) => `${event.pid}:${event.tid}`));
  const byThread = new Map();
  for (const event of events) {
    const thread = `${event.pid}:${event.tid}`;
    if (event.ph !== 'X' || !mains.has(thread) || !(event.dur > 0)) continue;
    if (!byThread.has(thread)) byThread.set(thread, []);
    byThread.get(thread).push(event);
  }
  let busy = 0;
  const self = {};
  const tasks = {};
  let task = null;
  for (const threadEvents of byThread.values()) {
    threadEvents.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
    const stack = [];
    const close = (until) => {
      while (stack.length > 0 && stack.at(-1).end <= until) {
        const done = stack.pop();
        self[done.name] = (self[done.name] ?? 0) + done.self / 1000;
      }
    };
    for (const event of threadEvents) {
      close(event.ts);
      const end = event.ts + event.dur;
      if (stack.length === 0) {
        task = TASKS.has(event.name) ? event : null;
        if (task !== null) busy += event.dur / 1000;
      } else {
        if (stack.length === 1 && task !== null) {
          tasks[event.name] = (tasks[event.name] ?? 0) + task.dur / 1000;
          task = null;
        }
        stack.at(-1).self -= Math.min(event.dur, stack.at(-1).end - event.ts);
      }
      stack.push({ name: event.name, end, self: event.dur });
    }
    close(Infinity);
  }
  return { busy, self, tasks };
}

async function traced(browser, receiver, lib) {
  const page = await browser.newPage();
  await browser.startTracing(page, { categories: CATEGORIES });
  const pageUrl = `${receiver.url}/compare-instrumented/${lib}.html`;
  await page.goto(pageUrl);
  await page.waitForFunction(() => document.readyState === 'complete' && typeof window.go === 'function');
  await page.evaluate(() => window.go());
  await page.waitForFunction(() => window.benchResult, null, { timeout: 120_000 });
  const trace = await browser.stopTracing();
  await page.close();
  return mainThreadTime(trace.toString('utf8'), pageUrl);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const receiver = await startReceiver();
const browser = await launchChromium();
try {
  const libs = ['none', 'otlp-collector', 'otel-js'];
  const runs = Object.fromEntries(libs.map((lib) => [lib, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const lib of libs) runs[lib].push(await traced(browser, receiver, lib));
  }
  const namesOf = (kind) => [...new Set(libs.flatMap((lib) => runs[lib].flatMap((run) => Object.keys(run[kind]))))];
  const medianOf = (lib, kind) =>
    Object.fromEntries(namesOf(kind).map((name) => [name, median(runs[lib].map((run) => run[kind][name] ?? 0))]));
  const medians = Object.fromEntries(libs.map((lib) => [lib, {
    busy: median(runs[lib].map((run) => run.busy)), self: medianOf(lib, 'self'), tasks: medianOf(lib, 'tasks'),
  }]));
  const round1 = (value) => Number(value.toFixed(1));
  const added = (lib, kind) => Object.fromEntries(namesOf(kind)
    .map((name) => [name, medians[lib][kind][name] - medians.none[kind][name]])
    .filter(([, ms]) => Math.abs(ms) >= 0.5)
    .sort((a, b) => b[1] - a[1])
    .map(([name, ms]) => [name, round1(ms)]));
  console.log(JSON.stringify({
    browser: browser.version(), rounds: ROUNDS,
    busyMs: Object.fromEntries(libs.map((lib) => [lib, round1(medians[lib].busy)])),
    busySamples: Object.fromEntries(libs.map((lib) => [lib, runs[lib].map((run) => round1(run.busy))])),
    ownMs: { otlpCollector: round1(medians['otlp-collector'].busy - medians.none.busy), otelJs: round1(medians['otel-js'].busy - medians.none.busy) },
    addedTaskMs: { otlpCollector: added('otlp-collector', 'tasks'), otelJs: added('otel-js', 'tasks') },
    addedSelfMs: { otlpCollector: added('otlp-collector', 'self'), otelJs: added('otel-js', 'self') },
  }, null, 1));
} finally {
  await browser.close();
  receiver.stop();
}

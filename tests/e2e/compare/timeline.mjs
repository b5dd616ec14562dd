// The main-thread time of a page of the instrumentation benchmarks (bench-instrumented.mjs,
// trace-instrumented.mjs), by Chromium's own timeline: the page traced from navigation to
// its last export, and the events of its renderer's main thread added up.

const CATEGORIES = ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'v8.execute',
  'blink', 'loading', 'disabled-by-default-v8.compile'];
// Top-level tasks of the renderer's main thread.
const TASKS = new Set(['RunTask', 'ThreadControllerImpl::RunTask', 'ThreadPool_RunTask']);

// The renderer main thread's complete events of one trace: `busy`, the milliseconds its
// top-level tasks took on the clock; `cpu`, the thread time they took (the CPU the thread
// used: on a machine with fewer cores than busy processes, a task's clock time also holds
// the time the thread waited for a core, which another process took); `self`, the self
// milliseconds by event name; `tasks`, the top-level task milliseconds by the name of the
// task's first event (what the task was for: a timer, a script, a network answer…).
// Only the page's own renderer counts: a trace may hold another one's work (a page closed
// before, finishing up), which once doubled a bare page's figure.
export function mainThreadTime(trace, pageUrl) {
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
  let cpu = 0;
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
        if (task !== null) {
          busy += event.dur / 1000;
          cpu += (event.tdur ?? event.dur) / 1000;
        }
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
  return { busy, cpu, self, tasks };
}

/** Opens the benchmark page of `lib` (served by `receiver`) in a new page of `browser`, runs
 * its fetches and export under Chromium's tracing, and returns its `mainThreadTime`. */
export async function tracePage(browser, receiver, lib) {
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

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

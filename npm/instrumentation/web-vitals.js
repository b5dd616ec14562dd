// Core Web Vitals as spans: `import { instrumentWebVitals } from 'otlp-collector/web-vitals'`.
//
// TTFB, FCP, LCP, CLS and INP, measured with `PerformanceObserver` the way Google's
// web-vitals library does, each reported as a span named `browser.web_vital` with the
// semantic conventions' attributes: `browser.web_vital.name`, `.value`, `.delta`, `.id`,
// `.rating` and `.navigation_type`. TTFB and FCP are final when known; LCP, CLS and INP
// change until the page is hidden, so they are reported when it is (the collector sends
// spans ended then with keepalive requests), again with a delta if they grew after the page
// came back.

// [good up to, needs improvement up to] per vital, as web.dev rates them.
const THRESHOLDS = { TTFB: [800, 1800], FCP: [1800, 3000], LCP: [2500, 4000], CLS: [0.1, 0.25], INP: [200, 500] };

function rating(name, value) {
  const [good, poor] = THRESHOLDS[name];
  return value <= good ? 'good' : value <= poor ? 'needs-improvement' : 'poor';
}

// Calls `callback(entries)` for each batch of `type` entries, including those buffered
// before; false where the browser does not support the type.
function observe(type, callback, options = {}) {
  try {
    if (!PerformanceObserver.supportedEntryTypes.includes(type)) return false;
    new PerformanceObserver((list) => callback(list.getEntries())).observe({ type, buffered: true, ...options });
    return true;
  } catch {
    return false;
  }
}

/** Reports TTFB, FCP, LCP, CLS and INP as `browser.web_vital` spans. */
export function instrumentWebVitals(collector) {
  const scope = globalThis;
  if (!scope.document || typeof scope.PerformanceObserver !== 'function') return;
  const [navigation] = scope.performance.getEntriesByType('navigation');
  const activationStart = (navigation && navigation.activationStart) || 0;
  const navigationType = !navigation ? 'navigate'
    : activationStart > 0 ? 'prerender' : navigation.type.replace('_', '-');
  const pageId = `v1-${Date.now()}-${Math.floor(Math.random() * 1e13)}`;
  const reported = {};

  function report(name, value) {
    if (!(value >= 0) || reported[name] === value) return;
    const delta = value - (reported[name] || 0);
    reported[name] = value;
    collector.startSpan('browser.web_vital', {
      attributes: {
        'browser.web_vital.name': name,
        'browser.web_vital.value': value,
        'browser.web_vital.delta': delta,
        'browser.web_vital.id': `${pageId}-${name}`,
        'browser.web_vital.rating': rating(name, value),
        'browser.web_vital.navigation_type': navigationType,
      },
    }).end();
  }

  if (navigation) report('TTFB', Math.max(navigation.responseStart - activationStart, 0));
  observe('paint', (entries) => {
    const paint = entries.find((entry) => entry.name === 'first-contentful-paint');
    if (paint) report('FCP', Math.max(paint.startTime - activationStart, 0));
  });

  // LCP: the last candidate before the first input or the page hiding.
  let lcp = -1;
  let lcpFinal = false;
  observe('largest-contentful-paint', (entries) => {
    if (!lcpFinal) lcp = Math.max(entries[entries.length - 1].startTime - activationStart, 0);
  });
  const stopLcp = () => {
    lcpFinal = true;
  };
  for (const type of ['keydown', 'click']) scope.addEventListener(type, stopLcp, { once: true, capture: true });

  // CLS: the largest burst of unexpected layout shifts (at most 5 s, gaps under 1 s).
  let cls = 0;
  let burst = 0;
  let burstStart = 0;
  let lastShift = 0;
  const clsSupported = observe('layout-shift', (entries) => {
    for (const shift of entries) {
      if (shift.hadRecentInput) continue;
      if (burst > 0 && shift.startTime - lastShift < 1000 && shift.startTime - burstStart < 5000) {
        burst += shift.value;
      } else {
        burst = shift.value;
        burstStart = shift.startTime;
      }
      lastShift = shift.startTime;
      cls = Math.max(cls, burst);
    }
  });

  // INP, as the web-vitals library measures it: of each interaction's longest event, the
  // 98th percentile (the longest, below 50 interactions); the ten longest are enough to
  // know it. Events from 40 ms (the Event Timing API's floor), and the first input however
  // quick, so a page of quick interactions still reports one. How many interactions there
  // were is the browser's count (`performance.interactionCount`), or estimated from the
  // range of interaction ids (they grow by 7) — never from the ten kept, which forget.
  const longest = [];
  let minId = Infinity;
  let maxId = 0;
  const interactionEntries = (entries) => {
    for (const entry of entries) {
      const id = entry.interactionId;
      if (!id) continue;
      minId = Math.min(minId, id);
      maxId = Math.max(maxId, id);
      const known = longest.find((interaction) => interaction.id === id);
      if (known !== undefined) known.duration = Math.max(known.duration, entry.duration);
      else longest.push({ id, duration: entry.duration });
      longest.sort((a, b) => b.duration - a.duration);
      if (longest.length > 10) longest.length = 10;
    }
  };
  observe('event', interactionEntries, { durationThreshold: 40 });
  observe('first-input', interactionEntries);
  const interactionCount = () => (typeof scope.performance.interactionCount === 'number'
    ? scope.performance.interactionCount
    : maxId > 0 ? Math.round((maxId - minId) / 7) + 1 : 0);

  scope.document.addEventListener('visibilitychange', () => {
    if (scope.document.visibilityState !== 'hidden') return;
    lcpFinal = true;
    if (lcp >= 0) report('LCP', lcp);
    if (clsSupported) report('CLS', cls);
    if (longest.length > 0) {
      report('INP', longest[Math.min(longest.length - 1, Math.floor(interactionCount() / 50))].duration);
    }
  });
}

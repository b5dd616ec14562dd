// The page load as spans: `import { instrumentDocumentLoad } from 'otlp-collector/document-load'`.
//
// Once the page has loaded, the browser's own timings (Navigation Timing and Resource
// Timing) become a `documentLoad` span (from the navigation's fetch start to the end of its
// load event, with an event per milestone), a `documentFetch` child for the document's own
// request, and a `resourceFetch` child for each script, stylesheet, image, font… the page
// loaded by then — as OpenTelemetry JS's document-load instrumentation does. `fetch` and
// XHR requests are left to the fetch instrumentation. If the server sent its own
// `traceparent` in a `Server-Timing` header (`traceparent;desc="00-…"`), the page load
// continues the server's trace.

import { redactedUrl, secretParameters } from './http.js';

// How `url.full` is recorded: credentials and signed-URL secrets (and `secrets`)
// redacted, then `redactUrl`.
function urlFullOf(redactUrl, secrets) {
  return (url) => {
    const redacted = redactedUrl(url, secrets);
    try {
      return String(redactUrl(redacted));
    } catch {
      return redacted;
    }
  };
}

// Navigation Timing milestones recorded as events of `documentLoad`, in order.
const MILESTONES = [
  'fetchStart', 'domainLookupStart', 'domainLookupEnd', 'connectStart', 'connectEnd',
  'requestStart', 'responseStart', 'responseEnd', 'domInteractive',
  'domContentLoadedEventStart', 'domContentLoadedEventEnd', 'domComplete', 'loadEventStart',
  'loadEventEnd',
];

// Attributes of one fetch the browser timed: its URL and sizes, and status where known.
function fetchAttributes(entry, urlFull) {
  const attributes = { 'url.full': urlFull(entry.name) };
  if (entry.encodedBodySize > 0) attributes['http.response.body.size'] = entry.encodedBodySize;
  if (entry.responseStatus > 0) attributes['http.response.status_code'] = entry.responseStatus;
  if (entry.initiatorType) attributes['http.request.initiator_type'] = entry.initiatorType;
  return attributes;
}

// The server's trace context from `Server-Timing: traceparent;desc="…"`, if it sent one.
function serverTraceparent(navigation) {
  const timing = (navigation.serverTiming || []).find((entry) => entry.name === 'traceparent');
  return timing ? timing.description : undefined;
}

function record(collector, urlFull) {
  const clock = globalThis.performance;
  const [navigation] = clock.getEntriesByType('navigation');
  if (!navigation) return;
  const parent = serverTraceparent(navigation);
  const load = collector.startSpan('documentLoad', {
    startTime: navigation.fetchStart,
    parent,
    attributes: { 'url.full': urlFull(globalThis.location.href) },
  });
  for (const milestone of MILESTONES) {
    const time = navigation[milestone];
    if (time > 0 || milestone === 'fetchStart') load.addEvent(milestone, time);
  }
  collector.startSpan('documentFetch', {
    parent: load, startTime: navigation.fetchStart, attributes: fetchAttributes(navigation, urlFull),
  }).end(navigation.responseEnd);
  for (const resource of clock.getEntriesByType('resource')) {
    if (resource.initiatorType === 'fetch' || resource.initiatorType === 'xmlhttprequest') continue;
    if (resource.startTime > navigation.loadEventEnd) continue;
    collector.startSpan('resourceFetch', {
      parent: load, startTime: resource.startTime, attributes: fetchAttributes(resource, urlFull),
    }).end(resource.responseEnd || resource.startTime);
  }
  load.end(navigation.loadEventEnd || clock.now());
}

/**
 * Records the page load once it has finished (at once if it already has). Options:
 * `redactQueryParameters` (query parameters whose values `url.full` hides, beside the
 * signed-URL ones the conventions name) and `redactUrl(url)`, the text recorded as
 * `url.full`.
 */
export function instrumentDocumentLoad(collector, options = {}) {
  const scope = globalThis;
  if (!scope.document || !scope.performance || typeof scope.performance.getEntriesByType !== 'function') return;
  const redactUrl = typeof options.redactUrl === 'function' ? options.redactUrl : (url) => url;
  const urlFull = urlFullOf(redactUrl, secretParameters(options.redactQueryParameters));
  // The load event's end is known only after its listeners ran: record in the next task.
  const later = () => setTimeout(() => {
    try {
      record(collector, urlFull);
    } catch {
      // The page load is not worth an error in the page.
    }
  });
  if (scope.document.readyState === 'complete') later();
  else scope.addEventListener('load', later, { once: true });
}

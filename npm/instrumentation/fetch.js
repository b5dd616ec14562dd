// Automatic client spans for `fetch`: `import { instrumentFetch } from 'otlp-collector/fetch'`.
// Nothing here runs until `instrumentFetch(collector)` is called, and a page that never
// imports it never downloads it.
//
// Each request becomes a client span named after its method, with the HTTP semantic
// conventions: `http.request.method`, `url.full` (through `redactUrl`), `server.address`,
// `server.port`, then `http.response.status_code` and `http.response.body.size` (from
// `content-length`), or `error.type` with an error status for a network failure or a 4xx/5xx
// answer (a client span's error, per the conventions). The span's `traceparent` (and
// `tracestate`) go with requests to the page's own origin and to URLs matched by
// `propagateTo`, never elsewhere by default: a cross-origin header forces a CORS preflight the
// server may refuse. The collector's own export requests are never instrumented. Whatever
// goes wrong in here, the application's request is made as it would have been.

import { endWithFailure, endWithStatus, httpOptions, isIgnored, requestUrl, startRequestSpan } from './http.js';

// Set by the collector's exporter on its own requests (exporter.js has the same symbol).
const EXPORT_REQUEST = Symbol.for('otlp-collector.export-request');
// Marks our wrapper, so a second `instrumentFetch` does not record every request twice.
const INSTRUMENTED = Symbol.for('otlp-collector.instrumented-fetch');
// The members of a RequestInit (the Fetch standard's, and Node's `dispatcher`).
const INIT_MEMBERS = [
  'method', 'headers', 'body', 'referrer', 'referrerPolicy', 'mode', 'credentials', 'cache',
  'redirect', 'integrity', 'keepalive', 'signal', 'duplex', 'priority', 'window', 'dispatcher',
  'attributionReporting', 'browsingTopics', 'privateToken',
];

// `init`'s members read once each into a plain object we may add headers to: its own
// enumerable ones (as a spread would: a framework's extra members, such as Next.js's
// `next`, go along), then the standard members it inherits or has as getters, as fetch
// reads them. A spread alone would turn a POST whose body is inherited into a GET.
function copyInit(init) {
  const copy = {};
  if (init === undefined || init === null) return copy;
  for (const key of Reflect.ownKeys(init)) {
    if (Object.prototype.propertyIsEnumerable.call(init, key)) copy[key] = init[key];
  }
  for (const member of INIT_MEMBERS) {
    if (Object.hasOwn(copy, member)) continue;
    const value = init[member];
    if (value !== undefined) copy[member] = value;
  }
  return copy;
}

/**
 * Makes a client span of every `fetch` from now on; returns a function that stops it.
 * Options: `propagateTo` (URLs — an origin, or an origin and a path, matched on `/`
 * boundaries — or RegExps: other origins that get `traceparent`), `propagateExcept` (the
 * same kind of rules: URLs that never get it, e.g. paths that redirect elsewhere),
 * `ignoreUrls` (requests left alone), `redactQueryParameters` (query parameters whose
 * values `url.full` hides, beside the signed-URL ones the conventions name), `redactUrl(url)`
 * (the text recorded as `url.full`, e.g. without its query). A request that already carries
 * a `traceparent` keeps it.
 */
export function instrumentFetch(collector, options = {}) {
  const scope = globalThis;
  const original = scope.fetch;
  if (typeof original !== 'function' || original[INSTRUMENTED]) return () => {};
  const settings = httpOptions(options);
  let active = true;

  // The span of a request (null when it is left alone) and what to call fetch with.
  function startSpan(input, init) {
    const request = typeof Request === 'function' && input instanceof Request ? input : null;
    const url = requestUrl(request ? request.url : input);
    if (isIgnored(url, settings)) return [null, init];
    const sent = copyInit(init);
    const method = sent.method !== undefined ? sent.method : request && request.method;
    const [span, propagate] = startRequestSpan(collector, method, url, settings);
    if (!propagate) return [span, init];
    try {
      const given = sent.headers !== undefined ? sent.headers : request ? request.headers : undefined;
      const traceparent = span.traceparent();
      const tracestate = span.tracestate();
      if (given === undefined) {
        // A plain object: fetch reads its members, where a Headers object it would iterate,
        // calling back into JavaScript for every entry.
        sent.headers = tracestate === '' ? { traceparent } : { traceparent, tracestate };
        return [span, sent];
      }
      const headers = new Headers(given);
      // The application's own trace context wins: ours would replace it.
      if (headers.has('traceparent')) return [span, init];
      headers.set('traceparent', traceparent);
      if (tracestate !== '') headers.set('tracestate', tracestate);
      sent.headers = headers;
      return [span, sent];
    } catch {
      // Headers fetch itself will refuse: the request goes as given (and fails as it would
      // have); the span ends with that failure.
      return [span, init];
    }
  }

  function instrumentedFetch(input, init) {
    let marked = false;
    try {
      marked = init !== undefined && init !== null && init[EXPORT_REQUEST] === true;
    } catch {
      // A hostile init: fetch will say what it makes of it.
    }
    if (!active || marked) return original.call(scope, input, init);
    let span = null;
    let sent = init;
    try {
      [span, sent] = startSpan(input, init);
    } catch {
      span = null;
      sent = init;
    }
    let answer;
    try {
      answer = original.call(scope, input, sent);
    } catch (error) {
      if (span !== null) endWithFailure(span, (error && error.name) || 'Error', error && error.message);
      throw error;
    }
    if (span === null) return answer;
    Promise.resolve(answer).then(
      (response) => endWithStatus(span, response.status, response.headers.get('content-length')),
      (error) => endWithFailure(span, (error && error.name) || 'Error', error && error.message),
    );
    return answer;
  }

  instrumentedFetch[INSTRUMENTED] = true;
  scope.fetch = instrumentedFetch;
  return function stop() {
    active = false;
    // Put the original back unless someone wrapped ours since (then ours just passes through).
    if (scope.fetch === instrumentedFetch) scope.fetch = original;
  };
}

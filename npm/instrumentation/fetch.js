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

/**
 * Makes a client span of every `fetch` from now on; returns a function that stops it.
 * Options: `propagateTo` (strings — URL prefixes — or RegExps: other origins that get
 * `traceparent`), `ignoreUrls` (the same kind of rules: requests left alone),
 * `redactUrl(url)` (the text recorded as `url.full`, e.g. without its query).
 */
export function instrumentFetch(collector, options = {}) {
  const scope = globalThis;
  const original = scope.fetch;
  if (typeof original !== 'function' || original[INSTRUMENTED]) return () => {};
  const settings = httpOptions(options);
  let active = true;

  function startSpan(input, init) {
    const request = typeof Request === 'function' && input instanceof Request ? input : null;
    const url = requestUrl(request ? request.url : input);
    if (isIgnored(url, settings)) return [null, init];
    const method = (init && init.method) || (request && request.method);
    const [span, propagate] = startRequestSpan(collector, method, url, settings);
    if (!propagate) return [span, init];
    const headers = new Headers((init && init.headers) || (request ? request.headers : undefined));
    headers.set('traceparent', span.traceparent());
    if (span.tracestate() !== '') headers.set('tracestate', span.tracestate());
    return [span, { ...init, headers }];
  }

  function instrumentedFetch(input, init) {
    if (!active || (init && init[EXPORT_REQUEST])) return original.call(scope, input, init);
    let span;
    let sent = init;
    try {
      [span, sent] = startSpan(input, init);
    } catch {
      if (span) span.end();
      return original.call(scope, input, init);
    }
    const answer = original.call(scope, input, sent);
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

// Automatic client spans for XMLHttpRequest: `import { instrumentXhr } from 'otlp-collector/xhr'`.
//
// The same spans, attributes and propagation rules as `otlp-collector/fetch` (see there):
// a client span per request from `send()` to `loadend`, `traceparent` to the page's own
// origin and to `propagateTo` only. A request that ends without a status (network failure,
// abort, timeout) gets an error status and the event's name as `error.type`.

import { endWithFailure, endWithStatus, httpOptions, isIgnored, requestUrl, startRequestSpan } from './http.js';

// Where `open()` leaves the method and URL for `send()`.
const REQUEST = Symbol('otlp-collector.xhr-request');
const INSTRUMENTED = Symbol.for('otlp-collector.instrumented-xhr');

/**
 * Makes a client span of every XMLHttpRequest sent from now on; returns a function that
 * stops it. Options as for `instrumentFetch`: `propagateTo`, `ignoreUrls`, `redactUrl`.
 */
export function instrumentXhr(collector, options = {}) {
  const scope = globalThis;
  const prototype = scope.XMLHttpRequest && scope.XMLHttpRequest.prototype;
  if (!prototype || prototype[INSTRUMENTED]) return () => {};
  const settings = httpOptions(options);
  const { open, send } = prototype;
  let active = true;

  function start(request) {
    const { method, url } = request[REQUEST];
    const [span, propagate] = startRequestSpan(collector, method, url, settings);
    if (propagate) {
      request.setRequestHeader('traceparent', span.traceparent());
      if (span.tracestate() !== '') request.setRequestHeader('tracestate', span.tracestate());
    }
    // `loadend` comes after `load`, `error`, `abort` or `timeout`: remember which.
    let failure = null;
    for (const type of ['error', 'abort', 'timeout']) request.addEventListener(type, () => { failure = type; });
    request.addEventListener('loadend', () => {
      if (failure !== null || request.status === 0) endWithFailure(span, failure || 'error');
      else endWithStatus(span, request.status, request.getResponseHeader('content-length'));
    });
  }

  function instrumentedOpen(method, url, ...rest) {
    try {
      this[REQUEST] = { method, url: requestUrl(url) };
    } catch {
      this[REQUEST] = undefined;
    }
    return open.call(this, method, url, ...rest);
  }
  function instrumentedSend(body) {
    try {
      if (active && this[REQUEST] && !isIgnored(this[REQUEST].url, settings)) start(this);
    } catch {
      // The request goes out as it would have.
    }
    return send.call(this, body);
  }
  prototype.open = instrumentedOpen;
  prototype.send = instrumentedSend;
  prototype[INSTRUMENTED] = true;
  return function stop() {
    active = false;
    // Put the originals back unless someone patched ours since (then ours pass through).
    if (prototype.open === instrumentedOpen && prototype.send === instrumentedSend) {
      prototype.open = open;
      prototype.send = send;
      delete prototype[INSTRUMENTED];
    }
  };
}

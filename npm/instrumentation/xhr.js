// Automatic client spans for XMLHttpRequest: `import { instrumentXhr } from 'otlp-collector/xhr'`.
//
// The same spans, attributes and propagation rules as `otlp-collector/fetch` (see there):
// a client span per request from `send()` to `loadend`, `traceparent` to the page's own
// origin and to `propagateTo` only. A request that ends without a status (network failure,
// abort, timeout) gets an error status and the event's name as `error.type`.

import { endWithFailure, endWithStatus, httpOptions, isIgnored, requestUrl, startRequestSpan } from './http.js';

// Where `open()` leaves the method and URL for `send()`, and whether the application set
// its own `traceparent` since.
const REQUEST = Symbol('otlp-collector.xhr-request');
// The span of the request under way, which the listeners (added once per object) end.
const SPAN = Symbol('otlp-collector.xhr-span');
const INSTRUMENTED = Symbol.for('otlp-collector.instrumented-xhr');

/**
 * Makes a client span of every XMLHttpRequest sent from now on; returns a function that
 * stops it. Options as for `instrumentFetch`: `propagateTo`, `propagateExcept`,
 * `ignoreUrls`, `redactUrl`. A request the application gave its own `traceparent` keeps it.
 */
export function instrumentXhr(collector, options = {}) {
  const scope = globalThis;
  const prototype = scope.XMLHttpRequest && scope.XMLHttpRequest.prototype;
  if (!prototype || prototype[INSTRUMENTED]) return () => {};
  const settings = httpOptions(options);
  const { open, send, setRequestHeader } = prototype;
  let active = true;

  // Listeners go on each object once, however often it is reused: they end whichever span
  // is under way. `loadend` comes after `load`, `error`, `abort` or `timeout`.
  function listen(request) {
    const failed = (event) => {
      if (request[SPAN]) request[SPAN].failure = event.type;
    };
    for (const type of ['error', 'abort', 'timeout']) request.addEventListener(type, failed);
    // A page listener before ours may already have opened the next request: this `loadend`
    // is no longer its to end (open() ended the span that completed).
    request.addEventListener('loadend', () => {
      if (request.readyState === 4) finish(request);
    });
  }

  // Ends the span of the request that completed.
  function finish(request) {
    const current = request[SPAN];
    if (!current) return;
    request[SPAN] = null;
    if (current.failure !== null || request.status === 0) endWithFailure(current.span, current.failure || 'error');
    else endWithStatus(current.span, request.status, request.getResponseHeader('content-length'));
  }

  function start(request) {
    const { method, url, ownTraceparent } = request[REQUEST];
    const [span, propagate] = startRequestSpan(collector, method, url, settings);
    if (request[SPAN] === undefined) listen(request);
    request[SPAN] = { span, failure: null };
    if (propagate && !ownTraceparent) {
      setRequestHeader.call(request, 'traceparent', span.traceparent());
      if (span.tracestate() !== '') setRequestHeader.call(request, 'tracestate', span.tracestate());
    }
  }

  // Ends the span of a `send()` that threw (the request was not open, or already sent).
  function abandon(request, error) {
    const current = request[SPAN];
    if (!current) return;
    request[SPAN] = null;
    endWithFailure(current.span, (error && error.name) || 'Error', error && error.message);
  }

  function instrumentedOpen(method, url, ...rest) {
    // The application may open the next request from an earlier `loadend` listener than
    // ours: the one that completed ends as it completed. Opening again cancels a request
    // under way without an event: its span ends here.
    if (this.readyState === 4) finish(this);
    else abandon(this, { name: 'abort', message: 'the request was opened again' });
    try {
      this[REQUEST] = { method, url: requestUrl(url), ownTraceparent: false };
    } catch {
      this[REQUEST] = undefined;
    }
    return open.call(this, method, url, ...rest);
  }
  function instrumentedSetRequestHeader(name, value) {
    try {
      if (this[REQUEST] && String(name).toLowerCase() === 'traceparent') this[REQUEST].ownTraceparent = true;
    } catch {
      // A name String() refuses: setRequestHeader will say so.
    }
    return setRequestHeader.call(this, name, value);
  }
  function instrumentedSend(body) {
    let started = false;
    try {
      // Only an opened request not yet sent gets a span: `send()` throws otherwise.
      if (active && this[REQUEST] && this.readyState === 1 && !(this[SPAN] && this[SPAN].span)
        && !isIgnored(this[REQUEST].url, settings)) {
        start(this);
        started = true;
      }
    } catch {
      // The request goes out as it would have.
    }
    try {
      return send.call(this, body);
    } catch (error) {
      if (started) abandon(this, error);
      throw error;
    }
  }
  prototype.open = instrumentedOpen;
  prototype.send = instrumentedSend;
  prototype.setRequestHeader = instrumentedSetRequestHeader;
  prototype[INSTRUMENTED] = true;
  return function stop() {
    active = false;
    // Put the originals back unless someone patched ours since (then ours pass through).
    if (prototype.open === instrumentedOpen && prototype.send === instrumentedSend
      && prototype.setRequestHeader === instrumentedSetRequestHeader) {
      prototype.open = open;
      prototype.send = send;
      prototype.setRequestHeader = setRequestHeader;
      delete prototype[INSTRUMENTED];
    }
  };
}

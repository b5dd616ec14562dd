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

// Set by the collector's exporter on its own requests (exporter.js has the same symbol).
const EXPORT_REQUEST = Symbol.for('otlp-collector.export-request');
// Marks our wrapper, so a second `instrumentFetch` does not record every request twice.
const INSTRUMENTED = Symbol.for('otlp-collector.instrumented-fetch');

// The methods the conventions name; others are reported as `_OTHER`.
const KNOWN_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];
const DEFAULT_PORTS = { 'http:': 80, 'https:': 443 };

// The URL without its user and password, which the conventions forbid recording.
function withoutCredentials(url) {
  if (url.username === '' && url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.username = 'REDACTED';
  copy.password = copy.password === '' ? '' : 'REDACTED';
  return copy.href;
}

function matches(rule, url) {
  return typeof rule === 'string' ? url.href.startsWith(rule) : rule instanceof RegExp && rule.test(url.href);
}

/**
 * Makes a client span of every `fetch` from now on; returns a function that stops it.
 * Options: `propagateTo` (strings — URL prefixes — or RegExps: other origins that get
 * `traceparent`), `redactUrl(url)` (the text recorded as `url.full`, e.g. without its query).
 */
export function instrumentFetch(collector, options = {}) {
  const scope = globalThis;
  const original = scope.fetch;
  if (typeof original !== 'function' || original[INSTRUMENTED]) return () => {};
  const propagateTo = Array.isArray(options.propagateTo) ? options.propagateTo : [];
  const redactUrl = typeof options.redactUrl === 'function' ? options.redactUrl : (url) => url;
  let active = true;

  function startSpan(input, init) {
    const request = typeof Request === 'function' && input instanceof Request ? input : null;
    const base = scope.location ? scope.location.href : undefined;
    const url = new URL(request ? request.url : String(input), base);
    const given = String((init && init.method) || (request && request.method) || 'GET').toUpperCase();
    const method = KNOWN_METHODS.includes(given) ? given : '_OTHER';
    const attributes = {
      'http.request.method': method,
      'url.full': String(redactUrl(withoutCredentials(url))),
      'server.address': url.hostname,
      'server.port': Number(url.port) || DEFAULT_PORTS[url.protocol] || 0,
    };
    if (method === '_OTHER') attributes['http.request.method_original'] = given;
    const span = collector.startSpan(method === '_OTHER' ? 'HTTP' : method, { kind: 'client', attributes });
    const sameOrigin = scope.location !== undefined && url.origin === scope.location.origin;
    if (!sameOrigin && !propagateTo.some((rule) => matches(rule, url))) return [span, init];
    const headers = new Headers((init && init.headers) || (request ? request.headers : undefined));
    headers.set('traceparent', span.traceparent());
    if (span.tracestate() !== '') headers.set('tracestate', span.tracestate());
    return [span, { ...init, headers }];
  }

  function ended(span, response) {
    try {
      const status = response.status;
      span.setAttribute('http.response.status_code', status);
      const length = Number(response.headers.get('content-length'));
      if (length > 0) span.setAttribute('http.response.body.size', length);
      if (status >= 400) span.setAttribute('error.type', String(status)).setStatus('error');
      span.end();
    } catch {
      span.end();
    }
  }

  function failed(span, error) {
    try {
      const type = (error && error.name) || 'Error';
      span.setAttribute('error.type', String(type)).setStatus('error', String(error && error.message));
    } finally {
      span.end();
    }
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
    Promise.resolve(answer).then((response) => ended(span, response), (error) => failed(span, error));
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

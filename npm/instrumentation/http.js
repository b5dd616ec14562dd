// What the fetch and XMLHttpRequest instrumentations share: a client span for a request with
// the HTTP semantic conventions, whether it may carry `traceparent`, and its outcome.

// The methods the conventions name; others are reported as `_OTHER`.
const KNOWN_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];
const DEFAULT_PORTS = { 'http:': 80, 'https:': 443 };
// The span of the user interaction being handled, if any (interactions.js sets it).
const ACTIVE = Symbol.for('otlp-collector.active-span');

// The URL without its user and password, which the conventions forbid recording.
function withoutCredentials(url) {
  if (url.username === '' && url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.username = 'REDACTED';
  copy.password = copy.password === '' ? '' : 'REDACTED';
  return copy.href;
}

// Whether `url` matches a rule: a prefix of the URL, or a RegExp.
const matches = (url) => (rule) => (typeof rule === 'string' ? url.href.startsWith(rule) : rule instanceof RegExp && rule.test(url.href));

/** Options as the instrumentations take them: `propagateTo` and `ignoreUrls` rules, `redactUrl`. */
export function httpOptions(options) {
  const rules = (value) => (Array.isArray(value) ? value : []);
  return {
    propagateTo: rules(options.propagateTo),
    ignoreUrls: rules(options.ignoreUrls),
    redactUrl: typeof options.redactUrl === 'function' ? options.redactUrl : (url) => url,
  };
}

/** Whether requests to `url` are left alone (`ignoreUrls`). */
export function isIgnored(url, { ignoreUrls }) {
  return ignoreUrls.some(matches(url));
}

/** The URL a request goes to, resolved against the page's. */
export function requestUrl(text) {
  const scope = globalThis;
  return new URL(String(text), scope.location ? scope.location.href : undefined);
}

/**
 * Starts the client span of a `method` request to `url` (a URL) — a child of the user
 * interaction being handled, if any; returns it and whether
 * `traceparent` may go with the request: to the page's own origin, or to a URL matched by a
 * `propagateTo` rule (a prefix or a RegExp).
 */
export function startRequestSpan(collector, given, url, { propagateTo, redactUrl }) {
  const upper = String(given || 'GET').toUpperCase();
  const method = KNOWN_METHODS.includes(upper) ? upper : '_OTHER';
  const attributes = {
    'http.request.method': method,
    'url.full': String(redactUrl(withoutCredentials(url))),
    'server.address': url.hostname,
    'server.port': Number(url.port) || DEFAULT_PORTS[url.protocol] || 0,
  };
  if (method === '_OTHER') attributes['http.request.method_original'] = upper;
  const parent = globalThis[ACTIVE];
  const span = collector.startSpan(method === '_OTHER' ? 'HTTP' : method, { kind: 'client', attributes, parent });
  const location = globalThis.location;
  const propagate = (location !== undefined && url.origin === location.origin)
    || propagateTo.some(matches(url));
  return [span, propagate];
}

/** Ends a request's span with its answer: a status and the `content-length` header. */
export function endWithStatus(span, status, contentLength) {
  try {
    span.setAttribute('http.response.status_code', status);
    const length = Number(contentLength);
    if (length > 0) span.setAttribute('http.response.body.size', length);
    // A client span's 4xx and 5xx answers are errors, per the conventions.
    if (status >= 400) span.setAttribute('error.type', String(status)).setStatus('error');
  } finally {
    span.end();
  }
}

/** Ends a request's span that got no answer (network failure, abort, timeout). */
export function endWithFailure(span, type, message) {
  try {
    span.setAttribute('error.type', String(type)).setStatus('error', message === undefined ? undefined : String(message));
  } finally {
    span.end();
  }
}

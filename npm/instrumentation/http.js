// What the fetch and XMLHttpRequest instrumentations share: a client span for a request with
// the HTTP semantic conventions, whether it may carry `traceparent`, and its outcome.

// The methods the conventions name; others are reported as `_OTHER`.
const KNOWN_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];
const DEFAULT_PORTS = { 'http:': 80, 'https:': 443 };
// The span of the user interaction being handled, if any (interactions.js sets it).
const ACTIVE = Symbol.for('otlp-collector.active-span');
// The endpoints collectors export to (exporter.js keeps them): their requests are the
// collector's own, whoever wraps `fetch` after us.
const EXPORT_ENDPOINTS = Symbol.for('otlp-collector.export-endpoints');
// Query parameters whose values the HTTP semantic conventions redact from `url.full` by
// default: signed-URL credentials.
const SECRET_PARAMETERS = ['AWSAccessKeyId', 'Signature', 'sig', 'X-Goog-Signature'];

/**
 * `url` (a URL or its text) as `url.full` may record it: user and password replaced by
 * `REDACTED`, as are the values of the signed-URL parameters the conventions name and of
 * `secrets` (the `redactQueryParameters` option). Every instrumentation records `url.full`
 * through this, before the application's `redactUrl`.
 */
export function redactedUrl(url, secrets = SECRET_PARAMETERS) {
  // The common case, a URL with nothing to hide, is read as is: no copy, no query parsing
  // (every instrumented request comes through here). A query with an escape goes the long
  // way, since a parameter's name may be escaped.
  if (url instanceof URL && url.username === '' && url.password === '') {
    const query = url.search;
    if (!/[%+]/.test(query) && !secrets.some((name) => query.includes(name))) return url.href;
  }
  let copy;
  try {
    copy = new URL(String(url));
  } catch {
    return String(url);
  }
  if (copy.username !== '' || copy.password !== '') {
    copy.username = 'REDACTED';
    if (copy.password !== '') copy.password = 'REDACTED';
  }
  if (copy.search !== '' && secrets.some((name) => copy.searchParams.has(name))) {
    // Rebuilt by hand: URLSearchParams would re-encode the parameters we leave alone.
    copy.search = copy.search.slice(1).split('&').map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals < 0 ? pair : pair.slice(0, equals);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // Kept as written.
      }
      return secrets.includes(decoded) ? `${name}=REDACTED` : pair;
    }).join('&');
  }
  return copy.href;
}

// A rule as given: a RegExp tested against the whole URL, or a string read as a URL
// (relative to the page's) that matches its own origin and the paths under its path, on a
// `/` boundary: `https://api.example.com` matches neither `https://api.example.com.evil.net`
// nor another port, `https://x.com/api` matches `/api` and `/api/users` but not `/apis`.
// A string that is no URL matches nothing.
function compileRule(rule) {
  if (rule instanceof RegExp) return (url) => rule.test(url.href);
  if (typeof rule !== 'string') return () => false;
  let base;
  try {
    base = new URL(rule, globalThis.location ? globalThis.location.href : undefined);
  } catch {
    return () => false;
  }
  const path = base.pathname;
  const under = path.endsWith('/') ? path : `${path}/`;
  return (url) => url.origin === base.origin
    && (path === '/' || url.pathname === path || url.pathname.startsWith(under));
}

/** The query parameters whose values `url.full` hides: the conventions' and `extra`'s
 * strings (the `redactQueryParameters` option; anything else in it is ignored). */
export function secretParameters(extra) {
  return Array.isArray(extra)
    ? [...SECRET_PARAMETERS, ...extra.filter((name) => typeof name === 'string')]
    : SECRET_PARAMETERS;
}

/**
 * Options as the instrumentations take them: `propagateTo`, `propagateExcept` and
 * `ignoreUrls` rules, `redactQueryParameters`, `redactUrl`.
 */
export function httpOptions(options) {
  const rules = (value) => (Array.isArray(value) ? value.map(compileRule) : []);
  const redactUrl = options.redactUrl;
  return {
    secrets: secretParameters(options.redactQueryParameters),
    propagateTo: rules(options.propagateTo),
    propagateExcept: rules(options.propagateExcept),
    ignoreUrls: rules(options.ignoreUrls),
    redactUrl: typeof redactUrl === 'function' ? redactUrl : (url) => url,
  };
}

/** Whether requests to `url` are left alone: the collector's own exports, and `ignoreUrls`. */
export function isIgnored(url, { ignoreUrls }) {
  const exports = globalThis[EXPORT_ENDPOINTS];
  if (exports instanceof Map && exports.has(url.href)) return true;
  return ignoreUrls.some((rule) => rule(url));
}

/** The URL a request goes to, resolved against the page's. */
export function requestUrl(text) {
  const scope = globalThis;
  return new URL(String(text), scope.location ? scope.location.href : undefined);
}

/**
 * Starts the client span of a `method` request to `url` (a URL) — a child of the user
 * interaction being handled, if any; returns it and whether `traceparent` may go with the
 * request: to the page's own origin, or to a URL matched by a `propagateTo` rule, unless a
 * `propagateExcept` rule matches it (e.g. paths that redirect to another origin, whose
 * CORS preflight would refuse the header).
 */
export function startRequestSpan(collector, given, url, { propagateTo, propagateExcept, redactUrl, secrets }) {
  const upper = String(given || 'GET').toUpperCase();
  const method = KNOWN_METHODS.includes(upper) ? upper : '_OTHER';
  let full = redactedUrl(url, secrets);
  try {
    full = String(redactUrl(full));
  } catch {
    // A throwing redactUrl: the redacted URL as we made it.
  }
  const attributes = {
    'http.request.method': method,
    'url.full': full,
    'server.address': url.hostname,
    'server.port': Number(url.port) || DEFAULT_PORTS[url.protocol] || 0,
  };
  if (method === '_OTHER') attributes['http.request.method_original'] = upper;
  const parent = globalThis[ACTIVE];
  const span = collector.startSpan(method === '_OTHER' ? 'HTTP' : method, { kind: 'client', attributes, parent });
  const location = globalThis.location;
  const propagate = ((location !== undefined && url.origin === location.origin)
    || propagateTo.some((rule) => rule(url)))
    && !propagateExcept.some((rule) => rule(url));
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

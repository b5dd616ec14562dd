// The collector's I/O, in plain JavaScript: `fetch`, timers and the page lifecycle. The
// WebAssembly core (core.rs) holds the spans and makes every decision — whether a batch is
// due, what body to send, what an answer means, how long to wait before a retry — so the
// policy is the same Rust code as in native builds; this file only does what it is told.
// Both the JavaScript `Collector` (npm/src/collector.js) and the Rust one (collector.rs)
// drive one.

// Bytes of keepalive request bodies in flight at most: under the browsers' 64 KiB, with
// room for what else a page may send with keepalive (as OpenTelemetry JS and Faro do).
const KEEPALIVE_BUDGET = 60000;
// Keepalive requests pending at most (OpenTelemetry JS's and Faro's limit).
const MAX_KEEPALIVE_REQUESTS = 9;
// The most of a response body read: an OTLP response is a few bytes, and a hostile or
// misconfigured server must not make the page buffer a huge (or endless) one.
const RESPONSE_BODY_LIMIT = 65536;
// The longest delay setTimeout honours (about 24.8 days); longer ones would fire at once.
const LONGEST_TIMEOUT_MS = 2147483647;
// What `settle` is told instead of a status (src/js_boundary.rs holds Rust to them).
const NETWORK_ERROR = -1;
const TIMED_OUT = -2;
// How much of an error response body is kept for the error message.
const ERROR_TEXT_LIMIT = 512;
const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
// Marks the collector's own requests, which the fetch instrumentation leaves alone
// (npm/instrumentation/fetch.js has the same symbol).
const EXPORT_REQUEST = Symbol.for('otlp-collector.export-request');
// The endpoints collectors export to, with how many use each: the fetch and XHR
// instrumentations leave requests to them alone even when another fetch wrapper re-wraps
// the request and the mark above is lost (npm/instrumentation/http.js reads it).
const EXPORT_ENDPOINTS = Symbol.for('otlp-collector.export-endpoints');

function exportEndpoints() {
  const scope = globalThis;
  if (!(scope[EXPORT_ENDPOINTS] instanceof Map)) {
    Object.defineProperty(scope, EXPORT_ENDPOINTS, { value: new Map(), configurable: true });
  }
  return scope[EXPORT_ENDPOINTS];
}

/** `text` with the password of every URL in it replaced: messages reach `onError`, logs
 * and `stats`, and a browser's or Node's own error text may quote the URL. */
export function redactPasswords(text) {
  return String(text).replace(/(\/\/[^\s/?#@:]*):[^\s/?#@]*@/g, '$1:<redacted>@');
}

const noop = () => {};

function timer(callback, ms) {
  return setTimeout(callback, Math.min(ms, LONGEST_TIMEOUT_MS));
}

function sleep(ms) {
  return new Promise((resolve) => timer(resolve, ms));
}

// Resolves like `promise`, or to `late()` if `ms` pass first; leaves no timer armed.
function within(promise, ms, late) {
  let id;
  const deadline = new Promise((resolve) => {
    id = timer(() => resolve(late()), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(id));
}

// At most `limit` bytes of a response body, read until `deadline` (a promise) resolves; the
// rest of the download is cancelled. Resolves to [bytes, whether the deadline cut it].
async function readPrefix(response, limit, deadline) {
  const reader = response.body && response.body.getReader();
  if (!reader) return [EMPTY, false];
  const chunks = [];
  let size = 0;
  let late = false;
  const lateRead = deadline.then(() => {
    late = true;
    return { done: true };
  });
  try {
    while (size < limit) {
      const { done, value } = await Promise.race([reader.read(), lateRead]);
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
    if (size >= limit || late) reader.cancel().catch(noop);
  } catch {
    // What arrived before the failure is all there is.
  }
  const bytes = new Uint8Array(Math.min(size, limit));
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk.subarray(0, bytes.length - at), at);
    at += chunk.length;
    if (at >= bytes.length) break;
  }
  return [bytes, late];
}

// The three HTTP-date forms (RFC 9110 §5.6.7): IMF-fixdate, RFC 850, asctime. Only
// these: `Date.parse` reads many more, and src/export/retry_after.rs reads these.
const HTTP_DATE = /^(\w{3}, \d\d \w{3} \d{4} [\d:]{8} GMT|\w+, \d\d-\w{3}-\d\d [\d:]{8} GMT|(\w{3} \w{3} [ \d]\d [\d:]{8} \d{4}))$/;

// The wait a `Retry-After` header asks for at `now`, in milliseconds (seconds or an HTTP
// date, an asctime one read as GMT); -1 when there is none or it is not readable
// (cross-origin, unless the server exposes it). tests/vectors/retry_after.json holds it to
// the Rust parser.
export function retryAfterMs(header, now = Date.now()) {
  if (header === null) return -1;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const form = HTTP_DATE.exec(text);
  const at = form ? Date.parse(form[2] ? `${text} GMT` : text) : NaN;
  return Number.isNaN(at) ? -1 : Math.max(0, at - now);
}

// POSTs one body to `endpoint` with `headers` (name-value pairs): [status, Retry-After ms,
// start of an error body as text, the first `limit` bytes of a 2xx body], or
// [NETWORK_ERROR, -1, message] or [TIMED_OUT]. The OpAMP agent posts its messages with it
// too (npm/src/opamp.js). One deadline covers the
// whole request, the response body included: a 2xx whose body stalls counts as delivered
// (the backend said so), anything else as timed out. Redirects are never followed: they
// would re-send the spans and headers elsewhere, or turn into a GET; the opaque answer
// (status 0) is refused by the core.
export async function postBody(endpoint, headers, timeoutMs, body, keepalive, limit) {
  const init = { method: 'POST', headers, body, redirect: 'manual', keepalive, [EXPORT_REQUEST]: true };
  const controller = typeof AbortController === 'function' ? new AbortController() : null;
  if (controller) init.signal = controller.signal;
  let timedOut = false;
  let deadlineTimer;
  const deadline = new Promise((resolve) => {
    deadlineTimer = timer(() => {
      timedOut = true;
      if (controller) controller.abort();
      resolve(null);
    }, timeoutMs);
  });
  try {
    const response = await Promise.race([fetch(endpoint, init), deadline]);
    if (timedOut) return [TIMED_OUT, -1, undefined, EMPTY];
    const [bytes, cut] = await readPrefix(response, limit, deadline);
    if (response.ok) return [response.status, -1, undefined, cut ? EMPTY : bytes];
    if (cut) return [TIMED_OUT, -1, undefined, EMPTY];
    const text = new TextDecoder().decode(bytes.subarray(0, ERROR_TEXT_LIMIT));
    return [response.status, retryAfterMs(response.headers.get('retry-after')), text, EMPTY];
  } catch (error) {
    if (timedOut) return [TIMED_OUT, -1, undefined, EMPTY];
    const message = error && typeof error.message === 'string' ? error.message : String(error);
    const cause = error && error.cause && typeof error.cause.message === 'string' ? `: ${error.cause.message}` : '';
    return [NETWORK_ERROR, -1, redactPasswords(message + cause), EMPTY];
  } finally {
    clearTimeout(deadlineTimer);
  }
}

// Texts and lists crossing through the core's exchange buffer (core.rs): every call into
// WebAssembly passes and returns numbers only, which need no glue code (see `handles`). `owner` is a core
// or an intake (each has `exchange(length)`); `memory` is the module's. A view of the
// memory is made after each call that may grow it.
export class Exchange {
  constructor(owner, memory) {
    this._owner = owner;
    this._memory = memory;
  }

  // Writes `text` as UTF-8, then `bytes`; returns their lengths in bytes (none once the
  // owner is freed: its exchange is at address 0, where nothing is written).
  put(text, bytes = EMPTY) {
    const room = text.length * 3 + bytes.length;
    const at = this._owner.exchange(room);
    if (at === 0) return [0, 0];
    const view = new Uint8Array(this._memory.buffer, at, room);
    const { written } = utf8.encodeInto(text, view);
    view.set(bytes, written);
    return [written, bytes.length];
  }

  // The `length` bytes of UTF-8 the core put there.
  text(length) {
    return fromUtf8.decode(new Uint8Array(this._memory.buffer, this._owner.exchange(0), length));
  }

  // The `count` numbers the core put there: u32 (`size` 4) or f64 (8), little-endian.
  numbers(count, size) {
    const view = new DataView(this._memory.buffer, this._owner.exchange(0), count * size);
    const numbers = [];
    for (let at = 0; at < count * size; at += size) {
      numbers.push(size === 4 ? view.getUint32(at, true) : view.getFloat64(at, true));
    }
    return numbers;
  }
}

// Objects over the handles a module exports (src/wasm/handle.rs: the core, the intake):
// each method calls the export `<prefix>_<method>` with the handle's address first, and
// `returns` wraps what some methods return. `free` releases one, its address zeroed first
// (a method called later gets the value for a freed handle, and a second `free` releases
// nothing); a handle the application let go of without it is released once collected.
export function handles(exports, prefix, returns = {}) {
  const release = exports[`${prefix}_free`];
  const collected = typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry(release)
    : { register: noop, unregister: noop };
  const methods = {
    free() {
      const address = this.address;
      this.address = 0;
      collected.unregister(this);
      release(address);
    },
  };
  for (const name of Object.keys(exports)) {
    const method = name.slice(prefix.length + 1);
    if (!name.startsWith(`${prefix}_`) || method === 'free') continue;
    const call = exports[name];
    const wrap = returns[method] ?? ((value) => value);
    methods[method] = function (a, b, c, d, e) {
      return wrap(call(this.address, a, b, c, d, e));
    };
  }
  return (address) => {
    const handle = Object.create(methods);
    handle.address = address;
    collected.register(handle, address, handle);
    return handle;
  };
}

// The core's handle for the Rust API (src/wasm/collector.rs), from its module's exports.
export function coreHandle(exports, address) {
  return handles(exports, 'collectorcore')(address);
}

// The export driver. Its public methods are those the collectors call (`schedule`,
// `flush`, `shutdown`, `exported`, `release`); members named with a leading underscore are
// its own, which the npm build shortens (npm/build.sh).
export class Exporter {
  // `memory` is the module's; `headers` alternate names and values; `settings` are the
  // export, flush and shutdown timeouts in milliseconds.
  constructor(core, memory, endpoint, headers, settings) {
    this._core = core;
    this._memory = memory;
    this._exchange = new Exchange(core, memory);
    this._endpoint = endpoint;
    // Pairs, not an object: no name can reach an object's prototype (`__proto__`).
    this._headers = [];
    for (let i = 0; i + 1 < headers.length; i += 2) this._headers.push([headers[i], headers[i + 1]]);
    this._endpointKey = new URL(endpoint).href;
    const endpoints = exportEndpoints();
    endpoints.set(this._endpointKey, (endpoints.get(this._endpointKey) || 0) + 1);
    // The fourth setting, 0 for `keepalive: false`: a hidden page sends ordinary requests
    // (the Rust API passes three, keeping keepalive on).
    let keepalive;
    [this._timeoutMs, this._flushTimeoutMs, this._shutdownTimeoutMs, keepalive = 1] = settings;
    this._keepalive = keepalive !== 0;
    // Told the message of each export error; the last one is kept.
    this._onError = null;
    this._lastError = '';
    // Exports run one at a time, one after another on this chain.
    this._chain = Promise.resolve();
    this._exportQueued = false;
    this._waiters = [];
    this._batchTimer = null;
    this._timerFired = false;
    this._keepaliveBytes = 0;
    this._keepaliveRequests = 0;
    // Keepalive sends under way, which flush and shutdown wait for.
    this._keepaliveSends = new Set();
    // During a page event's task: 1 hidden, 2 unloading. Spans ended meanwhile (by the
    // page's own listeners, which may run after ours) leave with keepalive at once.
    this._pageEvent = 0;
    this._keepaliveQueued = false;
    this._listening = [];
    this._watchPage();
  }

  // Spans were accepted: export a full batch now, or arm the batch timer.
  schedule() {
    if (this._pageEvent === 0) {
      this._byPolicy();
    } else if (!this._keepaliveQueued) {
      this._keepaliveQueued = true;
      queueMicrotask(() => {
        this._keepaliveQueued = false;
        if (this._pageEvent !== 0) this._sendKeepalive(this._pageEvent === 2);
        // What did not fit (the page only hidden) waits for the usual export.
        this._byPolicy();
      });
    }
  }

  _byPolicy() {
    const step = this._core.nextStep(false);
    if (step === 0) this._exportDue();
    else if (step > 0) this._armTimer(step);
  }

  _armTimer(ms) {
    if (this._batchTimer !== null || this._listening === null) return;
    this._batchTimer = timer(() => {
      this._batchTimer = null;
      this._timerFired = true;
      this._exportDue();
    }, ms);
  }

  // Queues an export of the batches due: full ones, and a partial one once its timer fired.
  _exportDue() {
    if (this._exportQueued) return;
    this._exportQueued = true;
    this._exclusive(async () => {
      this._exportQueued = false;
      for (;;) {
        const step = this._core.nextStep(this._timerFired);
        if (step !== 0) {
          if (step > 0) this._armTimer(step);
          return;
        }
        this._timerFired = false;
        for (const job of this._takeBatch()) await this._send(job, null);
      }
    });
  }

  // Runs `task` after the exports before it; resolves to its result (undefined if it threw).
  _exclusive(task) {
    const run = this._chain.then(task).catch(noop);
    this._chain = run;
    run.then(() => {
      for (const wake of this._waiters.splice(0)) wake();
    });
    return run;
  }

  // Exports what is queued now (everything when `untilEmpty`), and waits for the keepalive
  // requests a hidden page sent; resolves to the number of spans dropped meanwhile.
  async _drain(untilEmpty) {
    const core = this._core;
    const droppedBefore = core.droppedByExport();
    let remaining = core.queued();
    while (core.queued() > 0 && (untilEmpty || remaining > 0)) {
      const queued = core.queued();
      const jobs = this._takeBatch();
      remaining -= queued - core.queued();
      for (const job of jobs) await this._send(job, null);
    }
    while (this._keepaliveSends.size > 0) await Promise.all([...this._keepaliveSends]);
    return core.droppedByExport() - droppedBefore;
  }

  // The exports of up to a batch taken from the buffer (one, unless the batch is larger
  // than the request size limit); the problems taking it found are reported.
  _takeBatch() {
    const jobs = this._exchange.numbers(this._core.takeBatch(), 4);
    this._tell();
    return jobs;
  }

  // Sends export `job`'s requests until the core says it is done. `keepalive`, a function
  // called once the first attempt ends, sends that attempt with keepalive (a hidden page's,
  // counted in the budget by `sendKeepalive`). Any other request within what is left of
  // the budget is a keepalive one too, as Sentry's and Faro's transports send theirs: one
  // still under way — or waiting for a connection — when the page closes is then the
  // browser's to finish instead of cancelled with the page. After a keepalive attempt
  // fails to reach the server (a browser may refuse it for its own quota), the job's next
  // ones are ordinary requests.
  async _send(job, keepalive) {
    const core = this._core;
    let mayKeepalive = this._keepalive;
    for (let length = core.bodyLength(job); length >= 0; length = core.bodyLength(job)) {
      // A copy: the request outlives this task, and memory may grow meanwhile.
      const body = new Uint8Array(this._memory.buffer, core.body(job), length).slice();
      if (keepalive === null && mayKeepalive && this._keepaliveBytes + length <= KEEPALIVE_BUDGET
        && this._keepaliveRequests < MAX_KEEPALIVE_REQUESTS) {
        keepalive = this._holdKeepalive(length);
      }
      const [status, retryAfter, text, response] = await this._post(body, keepalive !== null);
      if (status < 200 || status > 299) this._report(this._failure(status, text));
      if (keepalive !== null) {
        keepalive();
        if (status === NETWORK_ERROR) mayKeepalive = false;
      }
      keepalive = null;
      const [textLength, responseLength] = this._exchange.put(text ?? '', response ?? EMPTY);
      const wait = core.settle(job, status, retryAfter, textLength, responseLength);
      this._tell();
      if (wait < 0) return;
      if (wait > 0) await sleep(wait);
    }
  }

  async _post(body, keepalive) {
    return postBody(this._endpoint, this._headers, this._timeoutMs, body, keepalive, RESPONSE_BODY_LIMIT);
  }

  // A failed request in words: a network error, a timeout, or an HTTP status.
  _failure(status, text) {
    if (status === NETWORK_ERROR) return `network error: ${text}`;
    if (status === TIMED_OUT) return `request timed out after ${this._timeoutMs} ms`;
    if (status === 0 || (status >= 300 && status < 400)) {
      return `HTTP ${status}: the endpoint redirected, and redirects are not followed: set the endpoint to the final URL`;
    }
    return `HTTP ${status}: ${redactPasswords(text)}`;
  }

  // Words and reports what the core noted: partial successes, spans too large.
  _tell() {
    const core = this._core;
    for (let spans = core.problem(); spans !== 0; spans = core.problem()) {
      this._report(spans > 0
        ? `the backend accepted the request but rejected ${spans} spans: ${this._exchange.text(core.problemText())}`
        : `${-spans} spans were each larger than the request size limit on their own and were dropped`);
    }
  }

  _report(message) {
    this._lastError = message;
    this._core.recordError(this._exchange.put(message)[0]);
    if (this._onError !== null) this._onError(message);
  }

  // Exports what is buffered now; resolves to the number of spans dropped, or -1 when the
  // flush timeout passes first (the export goes on).
  flush() {
    return within(this._exclusive(() => this._drain(false)), this._flushTimeoutMs, () => -1);
  }

  // Stops accepting spans and exports everything within the shutdown timeout; resolves to
  // [dropped by export, dropped at the deadline].
  shutdown() {
    this._core.close();
    this.release();
    const drained = this._exclusive(() => this._drain(true)).then((dropped) => [dropped, 0]);
    return within(drained, this._shutdownTimeoutMs, () => [0, this._core.abandon()]);
  }

  // Resolves when the export under way, or the next one, ends.
  exported() {
    const ended = new Promise((resolve) => this._waiters.push(resolve));
    this._exportDue();
    return ended;
  }

  // Page lifecycle: a page can be hidden or closed at any moment, and ordinary requests die
  // with it. On `visibilitychange` to hidden and on `pagehide`, what is buffered leaves with
  // `fetch(…, { keepalive: true })`, which the browser finishes after the page is gone. In
  // Node and workers there is no `document`: only what exists is listened to.
  _watchPage() {
    const scope = globalThis;
    const document = scope.document;
    const handler = (event) => {
      // A page that goes to the back/forward cache (`persisted`) may come back: it is
      // hidden, not unloading, and what does not fit the keepalive budget is kept.
      if (event.type === 'pagehide') this._pageGoing(event.persisted !== true);
      else if (document.visibilityState === 'hidden') this._pageGoing(false);
    };
    for (const [target, type] of [[scope, 'pagehide'], [document, 'visibilitychange']]) {
      if (target && typeof target.addEventListener === 'function') {
        target.addEventListener(type, handler);
        this._listening.push(() => target.removeEventListener(type, handler));
      }
    }
  }

  _pageGoing(unloading) {
    this._sendKeepalive(unloading);
    if (this._pageEvent === 0) {
      // A timer runs after every listener of this event, and their microtasks.
      timer(() => {
        this._pageEvent = 0;
      }, 0);
    }
    this._pageEvent = unloading ? 2 : 1;
  }

  // Sends what is buffered with keepalive requests within the browsers' budget; what does
  // not fit stays buffered (hidden) or is dropped and counted (unloading). With keepalive
  // off, sends it all with ordinary requests.
  _sendKeepalive(unloading) {
    if (!this._keepalive) {
      // `keepalive: false` (for browsers that refuse keepalive requests needing a CORS
      // preflight): everything buffered leaves now with ordinary requests, which a page
      // that is closing may not finish.
      this._exclusive(() => this._drain(true));
      return;
    }
    const budget = Math.max(0, KEEPALIVE_BUDGET - this._keepaliveBytes);
    const requests = Math.max(0, MAX_KEEPALIVE_REQUESTS - this._keepaliveRequests);
    const started = this._core.takeKeepalive(budget, requests, unloading);
    for (const job of this._exchange.numbers(started, 4)) {
      const sent = this._send(job, this._holdKeepalive(this._core.bodyLength(job))).catch(noop);
      this._keepaliveSends.add(sent);
      sent.then(() => this._keepaliveSends.delete(sent));
    }
    this._tell();
  }

  // Counts one more keepalive request of `bytes` in flight; returns what releases it.
  _holdKeepalive(bytes) {
    this._keepaliveBytes += bytes;
    this._keepaliveRequests++;
    return () => {
      this._keepaliveBytes -= bytes;
      this._keepaliveRequests--;
    };
  }

  // Removes the page listeners and the batch timer; nothing more is scheduled.
  release() {
    if (this._listening === null) return;
    for (const remove of this._listening) remove();
    this._listening = null;
    const endpoints = exportEndpoints();
    const users = (endpoints.get(this._endpointKey) || 1) - 1;
    if (users > 0) endpoints.set(this._endpointKey, users);
    else endpoints.delete(this._endpointKey);
    clearTimeout(this._batchTimer);
    this._batchTimer = null;
  }
}

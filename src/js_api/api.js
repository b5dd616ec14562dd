// The JavaScript API: `new Collector(options)` and its spans. `startSpan` and everything
// done to an open span happen here, in plain JavaScript: ids, timestamps, attributes,
// events, links and status never cross into WebAssembly, because a crossing costs more than
// the work itself. `end()` appends the span as one record to a scratch buffer in the
// module's memory (layout in span_record.rs); the intake (intake.rs) collects the pending
// records a batch per call (see `Collector._ended`), and the exporter (exporter.js) sends
// them.
//
// The contract, as OpenTelemetry's API has it: after `new Collector(options)` (which throws
// on a bad option, naming it), no method throws into the application. A bad value, a call
// on an ended span or a refused span is ignored or dropped, counted in `stats()`, and
// reported through the `onError` option (else `console.warn`), a kind at a time (see
// `Reporter`).

import { Exporter, redactPasswords } from '../wasm/js/exporter.js';

// Every number and name here that Rust reads or writes (record tags, parent states,
// statuses, refusal bits, the settings and stats orders, the defaults and header rules) is
// in src/js_boundary.rs, whose test reads this file and fails when one differs.
const KIND_CODES = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };
// OpenTelemetry JS's `SpanKind` enum: INTERNAL 0, SERVER 1, CLIENT 2, PRODUCER 3, CONSUMER 4.
const OTEL_KIND_CODES = [1, 2, 3, 4, 5];
const STATUS_UNSET = 0;
const STATUS_OK = 1;
const STATUS_ERROR = 2;
const SAMPLED = 1;

// Value tags of the record (span_record.rs reads the same numbers).
const TAG_STRING = 0;
const TAG_BOOL = 1;
const TAG_INT = 2;
const TAG_DOUBLE = 3;
const TAG_ARRAY = 4;

// Parent states of the record.
const NO_PARENT = 0;
const LOCAL_PARENT = 1;
const REMOTE_PARENT = 2;

// What `drain` reports it refused (bits; core.rs returns them).
const REFUSED_BUFFER_FULL = 1;
const REFUSED_SHUT_DOWN = 2;
const REFUSED_BAD_RECORD = 4;

// The defaults of the options (config/mod.rs has the same).
const DEFAULTS = {
  endpoint: 'http://localhost:4318/v1/traces',
  maxQueueSize: 2048,
  batchSize: 512,
  batchTimeoutMs: 5000,
  exportTimeoutMs: 10000,
};
const MAX_QUEUE_SIZE_LIMIT = 1 << 20;
const FLUSH_TIMEOUT_MS = 30000;
const SHUTDOWN_TIMEOUT_MS = 30000;
// Headers the exporter sets itself: they frame the request body.
const FRAMING_HEADERS = [
  'content-length', 'content-type', 'content-encoding', 'transfer-encoding',
  'host', 'connection', 'te', 'upgrade',
];
// Headers a browser refuses to send from a page (the Fetch standard's forbidden request
// headers): accepted, they would vanish without a word. Refused everywhere, Node included,
// so an option means the same in every runtime.
const FORBIDDEN_HEADERS = [
  'accept-charset', 'accept-encoding', 'access-control-request-headers',
  'access-control-request-method', 'access-control-request-private-network', 'cookie', 'cookie2',
  'date', 'dnt', 'expect', 'keep-alive', 'origin', 'referer', 'set-cookie', 'trailer', 'via',
];
const FORBIDDEN_HEADER_PREFIXES = ['proxy-', 'sec-'];
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

// W3C trace context level 2: `tracestate` has at most 32 list members, each
// `key=value` with a lowercase simple key (`a-z`, then up to 255 of `a-z0-9_-*/`) or a
// `tenant@system` key, and a value of up to 256 printable ASCII characters but `,` and
// `=`. src/model/trace_state.rs checks the same, against the same cases
// (tests/vectors/tracestate.json).
const TRACE_STATE_KEY = /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})$/;
const TRACE_STATE_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const MAX_TRACE_STATE_MEMBERS = 32;

// `text` as a valid `tracestate` (members joined by `,`, optional whitespace and empty
// members removed), or '' when it breaks the grammar: a header that does not parse is
// dropped whole, as the W3C text asks.
function normalizeTraceState(text) {
  if (typeof text !== 'string' || text.length > 33 * 520) return '';
  const members = [];
  const keys = new Set();
  for (const raw of text.split(',')) {
    const member = raw.replace(/^[ \t]+|[ \t]+$/g, '');
    if (member === '') continue;
    const equals = member.indexOf('=');
    if (equals < 0) return '';
    const key = member.slice(0, equals);
    const value = member.slice(equals + 1);
    if (!TRACE_STATE_KEY.test(key) || !TRACE_STATE_VALUE.test(value) || keys.has(key)) return '';
    keys.add(key);
    members.push(member);
    if (members.length > MAX_TRACE_STATE_MEMBERS) return '';
  }
  return members.join(',');
}

// Ids come from Math.random, as in the OpenTelemetry JS SDK: ids need to be unique, not
// secret, and it costs a few nanoseconds where crypto.getRandomValues costs a call into
// the browser.
function randomWord() {
  return (Math.random() * 0x100000000) >>> 0;
}

// Milliseconds since the Unix epoch with sub-millisecond precision where the platform
// gives it (`performance` exists in pages, workers and Node; `Date.now()` otherwise). The
// time origin is read once: it is fixed, and reading it is a call into the browser.
const clock = globalThis.performance;
const timeOrigin = clock && clock.timeOrigin;
const nowMs = timeOrigin ? () => timeOrigin + clock.now() : () => Date.now();

// A time as OpenTelemetry JS takes it — epoch milliseconds, a `performance.now()`-style
// value (smaller than the time origin, so relative to it), a Date, or [seconds, nanos] —
// as epoch milliseconds; undefined when it is none of those.
function epochMs(time) {
  let ms;
  if (typeof time === 'number') {
    ms = timeOrigin && time < timeOrigin ? timeOrigin + time : time;
  } else if (time instanceof Date) {
    ms = time.getTime();
  } else if (Array.isArray(time) && time.length === 2) {
    ms = time[0] * 1000 + time[1] / 1e6;
  }
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

function hex(word) {
  return word.toString(16).padStart(8, '0');
}

const HEX_ID = /^[0-9a-f]+$/;

// The 32-bit words of a lowercase hex id of `digits` digits, or null when it is not one
// (or all zeros, which the W3C format reserves for "invalid").
function idWords(text, digits) {
  if (typeof text !== 'string' || text.length !== digits || !HEX_ID.test(text)) return null;
  const words = [];
  for (let i = 0; i < digits; i += 8) words.push(parseInt(text.slice(i, i + 8), 16));
  return words.some((word) => word !== 0) ? words : null;
}

// A W3C `traceparent` header: version, trace id, span id, flags; a future version may
// append fields after a dash, version 00 may not, and version ff is invalid.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

// The words of a `traceparent` header value (trace id ×4, span id ×2, flags), or null when
// it is not a valid one.
function traceparentWords(header) {
  const match = typeof header === 'string' ? TRACEPARENT.exec(header.trim()) : null;
  if (match === null || match[1] === 'ff' || (match[1] === '00' && match[5] !== undefined)) return null;
  const trace = idWords(match[2], 32);
  const span = idWords(match[3], 16);
  if (trace === null || span === null) return null;
  return [...trace, ...span, parseInt(match[4], 16)];
}

// A value as error messages show it. Never throws: symbols and hostile objects included.
function describe(value) {
  try {
    if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
    if (typeof value === 'number') return String(value);
    if (value === null) return 'null';
    if (Array.isArray(value)) return 'an array';
    return typeof value;
  } catch {
    return 'a value';
  }
}

// An attribute value as it will be recorded (arrays copied), or undefined when it is not a
// string, number, boolean, or an array of one of those.
function attributeValue(value) {
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean') return value;
  if (!Array.isArray(value)) return undefined;
  let itemType;
  for (const item of value) {
    const type = typeof item;
    if (type !== 'string' && type !== 'number' && type !== 'boolean') return undefined;
    // OpenTelemetry's arrays are homogeneous.
    if (itemType !== undefined && type !== itemType) return undefined;
    itemType = type;
  }
  return value.slice();
}

/**
 * Reports problems to the application instead of throwing them into it: through the
 * `onError` option, called with an `Error` whose `kind` names the problem and `count` says
 * how many occurrences it stands for — at once for the first of a kind, then at most once a
 * second per kind — or, without one, `console.warn` once per kind. A throwing `onError`
 * is ignored.
 */
class Reporter {
  constructor(onError) {
    this._onError = typeof onError === 'function' ? onError : null;
    this._interval = this._onError ? 1000 : Infinity;
    // kind → { at: time of the last report, held: occurrences not reported since }
    this._kinds = new Map();
  }

  report(kind, message) {
    try {
      const now = Date.now();
      let state = this._kinds.get(kind);
      if (state === undefined) {
        state = { at: -Infinity, held: 0 };
        this._kinds.set(kind, state);
      }
      state.held++;
      if (now - state.at < this._interval) return;
      const count = state.held;
      state.at = now;
      state.held = 0;
      const error = new Error(`otlp-collector: ${message}`);
      error.kind = kind;
      error.count = count;
      if (this._onError) this._onError(error);
      else if (typeof console !== 'undefined') console.warn(`${error.message} (reported once)`);
    } catch {
      // A reporter must not become the problem.
    }
  }
}

const utf8 = new TextEncoder();

// Span names, attribute keys and event names are interned: sent to Rust once (a call into
// WebAssembly), then written as a number, which spares writing the text here and, in Rust,
// an allocation per span (symbols.rs). Rust's table is one per module and bounded, so this
// cache of its numbers is one per module too; when the table is full, texts are written as
// they are.
const MAX_SYMBOL_UNITS = 64;
const symbols = new Map();
let symbolsFull = false;

/**
 * Appends span records (layout in span_record.rs) to one collector's scratch buffer — its
 * intake's (intake.rs), in the module's memory. Views of that memory die when it grows, so
 * they are checked before each record and renewed after the buffer grows. One per
 * collector: its state is its own.
 */
class RecordWriter {
  constructor(intake, memory) {
    this.intake = intake;
    this.memory = memory;
    this.bytes = new Uint8Array(0);
    this.view = new DataView(this.bytes.buffer);
    this.length = 0;
  }

  renew() {
    this.bytes = new Uint8Array(this.memory.buffer, this.intake.scratchAddress(), this.intake.scratchLength());
    this.view = new DataView(this.memory.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  // Starts a record at byte `at` (after the pending ones); returns where its length goes.
  begin(at) {
    if (this.bytes.byteLength === 0) this.renew();
    this.length = at;
    this.u32(0);
    return at;
  }

  // Writes the record's length; returns where the next record starts.
  finish(lengthAt) {
    this.view.setUint32(lengthAt, this.length - lengthAt - 4, true);
    return this.length;
  }

  reserve(count) {
    if (this.length + count <= this.bytes.length) return;
    this.intake.growScratch(this.length + count);
    this.renew();
  }

  u8(value) {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }

  u32(value) {
    this.reserve(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
  }

  f64(value) {
    this.reserve(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  // Id words are written big-endian, so the bytes read in the order the hex is printed.
  idWord(word) {
    this.reserve(4);
    this.view.setUint32(this.length, word);
    this.length += 4;
  }

  // Length-prefixed UTF-8. ASCII is copied by hand (short strings are the common case and
  // cheaper so); anything else goes through TextEncoder, which turns a lone surrogate into
  // U+FFFD.
  string(text) {
    const units = text.length;
    this.reserve(4 + units * 3);
    const bytes = this.bytes;
    const start = this.length + 4;
    let end = start;
    for (let i = 0; i < units; i++) {
      const unit = text.charCodeAt(i);
      if (unit >= 0x80) {
        end = start + utf8.encodeInto(text, bytes.subarray(start)).written;
        break;
      }
      bytes[end++] = unit;
    }
    this.view.setUint32(this.length, end - start, true);
    this.length = end;
  }

  symbol(text) {
    const short = text.length <= MAX_SYMBOL_UNITS;
    let id = short ? symbols.get(text) : undefined;
    if (id === undefined && short && !symbolsFull) {
      id = this.intake.internSymbol(text);
      // Interning may have grown the memory, which detaches the views.
      if (this.bytes.byteLength === 0) this.renew();
      if (id < 0) {
        symbolsFull = true;
        id = undefined;
      } else {
        symbols.set(text, id);
      }
    }
    if (id !== undefined) {
      this.u32(id * 2 + 1);
      return;
    }
    // Not interned: the text, its length shifted left to leave the low bit clear.
    const lengthAt = this.length;
    this.string(text);
    this.view.setUint32(lengthAt, this.view.getUint32(lengthAt, true) * 2, true);
  }

  value(value) {
    switch (typeof value) {
      case 'string':
        this.u8(TAG_STRING);
        this.string(value);
        return;
      case 'boolean':
        this.u8(TAG_BOOL);
        this.u8(value ? 1 : 0);
        return;
      case 'number':
        // Whole numbers a double holds exactly become ints, as the Rust API's i64 would be.
        this.u8(Number.isSafeInteger(value) ? TAG_INT : TAG_DOUBLE);
        this.f64(value);
        return;
      default:
        this.u8(TAG_ARRAY);
        this.u32(value.length);
        for (const item of value) this.value(item);
    }
  }

  pairs(pairs) {
    if (pairs === null) {
      this.u32(0);
      return;
    }
    this.u32(pairs.length / 2);
    for (let i = 0; i < pairs.length; i += 2) {
      this.symbol(pairs[i]);
      this.value(pairs[i + 1]);
    }
  }
}

/** A span being recorded; `end()` hands it to its collector. No method throws. */
export class Span {
  constructor(collector, name, parent, kind, start) {
    this._collector = collector;
    this._name = name;
    this._kind = kind;
    if (parent === null) {
      this._t0 = randomWord();
      this._t1 = randomWord();
      this._t2 = randomWord();
      this._t3 = randomWord() || 1;
      this._p0 = 0;
      this._p1 = 0;
      this._parentState = NO_PARENT;
      // A new trace: the collector's samplers decide, on its trace id.
      this._flags = collector._sampleTrace(this._t2, this._t3) ? SAMPLED : 0;
      this._traceState = '';
    } else {
      this._t0 = parent.t0;
      this._t1 = parent.t1;
      this._t2 = parent.t2;
      this._t3 = parent.t3;
      this._p0 = parent.s0;
      this._p1 = parent.s1;
      this._parentState = parent.remote ? REMOTE_PARENT : LOCAL_PARENT;
      this._flags = parent.flags;
      this._traceState = parent.traceState;
    }
    this._s0 = randomWord();
    this._s1 = randomWord() || 1;
    this._start = start;
    this._attributes = null;
    // Attribute values refused (counted in the span's dropped attributes).
    this._refused = 0;
    this._events = null;
    this._links = null;
    this._status = STATUS_UNSET;
    this._message = '';
    this._ended = false;
    // An unsampled span (its trace's flags say so) records nothing: every call is a no-op.
    this._sampled = (this._flags & SAMPLED) !== 0;
  }

  // Whether the span records; a call on an ended one is counted and reported, a call on an
  // unsampled one costs nothing.
  _recording(method) {
    if (!this._ended) return this._sampled;
    this._collector._ignored(`${method}() on a span that has already ended was ignored`);
    return false;
  }

  // `[key, value, …]` of the valid entries of an attributes object; the others are
  // counted and reported.
  _pairs(attributes) {
    if (attributes === undefined || attributes === null) return null;
    if (typeof attributes !== 'object' || Array.isArray(attributes)) {
      this._collector._refused(`attributes must be an object of key: value pairs, got ${describe(attributes)}`);
      return null;
    }
    const pairs = [];
    for (const key of Object.keys(attributes)) {
      const value = attributeValue(attributes[key]);
      if (value === undefined) this._refuse(key, attributes[key]);
      else pairs.push(key, value);
    }
    return pairs;
  }

  _refuse(key, value) {
    this._refused++;
    this._collector._refused(
      `attribute ${describe(key)} was dropped: values must be a string, number, boolean or an array of one of those, got ${describe(value)}`,
    );
  }

  /** Sets one attribute: a string, number, boolean or an array of one of those. */
  setAttribute(key, value) {
    try {
      if (!this._recording('setAttribute')) return this;
      if (typeof key !== 'string' || key === '') {
        this._refuse(key, value);
        return this;
      }
      const checked = attributeValue(value);
      if (checked === undefined) this._refuse(key, value);
      else if (this._attributes === null) this._attributes = [key, checked];
      else this._attributes.push(key, checked);
    } catch (error) {
      this._collector._internal(error);
    }
    return this;
  }

  /** Sets every property of `attributes`. */
  setAttributes(attributes) {
    try {
      if (!this._recording('setAttributes')) return this;
      const pairs = this._pairs(attributes);
      if (pairs === null) return this;
      if (this._attributes === null) this._attributes = pairs;
      // A loop, not push(...pairs): spreading a very large object would overflow the stack.
      else for (const item of pairs) this._attributes.push(item);
    } catch (error) {
      this._collector._internal(error);
    }
    return this;
  }

  /** `addEvent(name, attributes?, time?)`, or `addEvent(name, time)`. */
  addEvent(name, attributesOrTime, time) {
    try {
      if (!this._recording('addEvent')) return this;
      let attributes = attributesOrTime;
      if (epochMs(attributesOrTime) !== undefined) {
        time = attributesOrTime;
        attributes = undefined;
      }
      this._addEvent(this._text(name, 'event name'), attributes, time);
    } catch (error) {
      this._collector._internal(error);
    }
    return this;
  }

  _addEvent(name, attributes, time) {
    const event = { name, time: this._collector._time(time), pairs: this._pairs(attributes) };
    if (this._events === null) this._events = [event];
    else this._events.push(event);
  }

  // `text` as a name: a string as is, anything else reported and turned into one.
  _text(text, what) {
    if (typeof text === 'string') return text;
    this._collector._refused(`${what} must be a string, got ${describe(text)}`);
    return typeof text === 'number' ? String(text) : 'unnamed';
  }

  /**
   * `setStatus('ok' | 'error' | 'unset', message?)`, or OpenTelemetry's
   * `setStatus({ code: 0 | 1 | 2, message? })`. `ok` is final; `unset` is ignored.
   */
  setStatus(code, message) {
    try {
      if (!this._recording('setStatus')) return this;
      if (code !== null && typeof code === 'object') {
        message = code.message;
        code = ['unset', 'ok', 'error'][code.code];
      }
      if (code !== 'unset' && code !== 'ok' && code !== 'error') {
        this._collector._refused(`status must be 'unset', 'ok' or 'error', got ${describe(code)}`);
        return this;
      }
      if (this._status === STATUS_OK || code === 'unset') return this;
      if (code === 'ok') {
        this._status = STATUS_OK;
        this._message = '';
      } else {
        this._status = STATUS_ERROR;
        this._message = typeof message === 'string' ? message : '';
      }
    } catch (error) {
      this._collector._internal(error);
    }
    return this;
  }

  /** Renames the span. */
  updateName(name) {
    try {
      if (this._recording('updateName')) this._name = this._text(name, 'span name');
    } catch (error) {
      this._collector._internal(error);
    }
    return this;
  }

  /**
   * Records an exception as an `exception` event with the semantic conventions'
   * `exception.type`, `exception.message` and `exception.stacktrace`. Takes an Error, a
   * string, or an object with `name`/`code`, `message` and `stack`; sets no status.
   */
  recordException(exception, time) {
    try {
      if (!this._recording('recordException')) return;
      const attributes = {};
      if (typeof exception === 'string') {
        attributes['exception.message'] = exception;
      } else if (exception !== null && typeof exception === 'object') {
        const type = exception.name ?? exception.code;
        if (typeof type === 'string' || typeof type === 'number') attributes['exception.type'] = String(type);
        if (typeof exception.message === 'string') attributes['exception.message'] = exception.message;
        if (typeof exception.stack === 'string') attributes['exception.stacktrace'] = exception.stack;
      } else {
        attributes['exception.message'] = describe(exception);
      }
      this._addEvent('exception', attributes, time);
    } catch (error) {
      this._collector._internal(error);
    }
  }

  /**
   * Links another span: `addLink({ context, attributes? })`, where `context` is one of our
   * spans' `spanContext()` (or OpenTelemetry's: `traceId`, `spanId`, `traceFlags`,
   * `traceState`).
   */
  addLink(link) {
    try {
      if (!this._recording('addLink')) return this;
      const context = link !== null && typeof link === 'object' ? this._collector._context(link.context) : null;
      if (context === null) {
        this._collector._refused('a link was dropped: it needs { context: { traceId, spanId } } with valid hex ids');
        return this;
      }
      const entry = { context, pairs: this._pairs(link.attributes) };
      if (this._links === null) this._links = [entry];
      else this._links.push(entry);
    } catch (error) {
      this._collector._internal(error);
    }
    return this;
  }

  /** Links every span of `links` (see `addLink`). */
  addLinks(links) {
    if (Array.isArray(links)) for (const link of links) this.addLink(link);
    else this._collector._refused('addLinks takes an array of links');
    return this;
  }

  /** Whether the span still records: it is sampled and has not ended. */
  isRecording() {
    return this._sampled && !this._ended;
  }

  /** `{ traceId, spanId, traceFlags, traceState, isRemote }`, as OpenTelemetry has it. */
  spanContext() {
    return {
      traceId: `${hex(this._t0)}${hex(this._t1)}${hex(this._t2)}${hex(this._t3)}`,
      spanId: `${hex(this._s0)}${hex(this._s1)}`,
      traceFlags: this._flags,
      traceState: this._traceState === '' ? undefined : this._traceState,
      isRemote: false,
    };
  }

  /** The W3C `traceparent` header value for outgoing requests made within this span. */
  traceparent() {
    const flags = this._flags.toString(16).padStart(2, '0');
    return `00-${hex(this._t0)}${hex(this._t1)}${hex(this._t2)}${hex(this._t3)}-${hex(this._s0)}${hex(this._s1)}-${flags}`;
  }

  /** The W3C `tracestate` header value carried from the parent ('' when none). */
  tracestate() {
    return this._traceState;
  }

  /**
   * Ends the span (now, or at `endTime`) and hands it to the collector. A refused span (a
   * full buffer, a shut-down collector) is counted as dropped and reported.
   */
  end(endTime) {
    try {
      if (!this._sampled && !this._ended) {
        this._ended = true;
        this._collector._sampledOut++;
        return;
      }
      if (!this._recording('end')) return;
      this._ended = true;
      const collector = this._collector;
      let endMs = collector._time(endTime);
      if (endMs < this._start) endMs = this._start;
      if (!collector._accepting()) return;
      this._write(collector, endMs);
      collector._ended();
    } catch (error) {
      this._collector._internal(error);
    }
  }

  _write(collector, endMs) {
    const w = collector._writer;
    const lengthAt = w.begin(collector._pending);
    w.u8(this._kind);
    w.u8(this._flags);
    w.u8(this._parentState);
    w.u8(this._status);
    w.idWord(this._t0);
    w.idWord(this._t1);
    w.idWord(this._t2);
    w.idWord(this._t3);
    w.idWord(this._s0);
    w.idWord(this._s1);
    if (this._parentState !== NO_PARENT) {
      w.idWord(this._p0);
      w.idWord(this._p1);
    }
    w.string(this._traceState);
    w.f64(this._start);
    w.f64(endMs);
    w.symbol(this._name);
    if (this._status === STATUS_ERROR) w.string(this._message);
    w.pairs(this._attributes);
    w.u32(this._refused);
    const events = this._events;
    if (events === null) {
      w.u32(0);
    } else {
      w.u32(events.length);
      for (const event of events) {
        w.symbol(event.name);
        w.f64(event.time);
        w.pairs(event.pairs);
      }
    }
    const links = this._links;
    if (links === null) {
      w.u32(0);
    } else {
      w.u32(links.length);
      for (const { context, pairs } of links) {
        w.idWord(context.t0);
        w.idWord(context.t1);
        w.idWord(context.t2);
        w.idWord(context.t3);
        w.idWord(context.s0);
        w.idWord(context.s1);
        w.u8(context.flags);
        w.string(context.traceState);
        w.pairs(pairs);
      }
    }
    collector._pending = w.finish(lengthAt);
  }
}

// The specification's consistent probability sampling (TraceIdRatioBased, OTEP 235), as
// src/sampling.rs computes it: a trace is kept when the 56 random bits of its id reach
// 2^56 - round(ratio × 2^56); returned as [high 24 bits, low 32 bits]. Exact: scaling by a
// power of two loses nothing, and BigInt does the subtraction. The cases of
// tests/vectors/sampling.json hold both languages (and the Collector's pkg/sampling) to it.
function rejectionThreshold(ratio) {
  if (!(ratio > 0)) return [0x1000000, 0];
  if (ratio >= 1) return [0, 0];
  const threshold = (1n << 56n) - BigInt(Math.round(ratio * 2 ** 56));
  return [Number(threshold >> 32n), Number(threshold & 0xffffffffn)];
}

// Pending records above this many bytes are collected at once rather than after the
// ending code returns, so a long synchronous loop keeps the scratch buffer small.
const DRAIN_BYTES = 1 << 20;

/** Collects spans and exports them over OTLP/HTTP; `new Collector(options)` makes one. */
export class Collector {
  // `options` is the snapshot `readOptions` made: each option was read once, there.
  constructor(core, intake, memory, options) {
    this._core = core;
    this._intake = intake;
    this._writer = new RecordWriter(intake, memory);
    // Bytes of records appended and not yet collected.
    this._pending = 0;
    // Spans the buffer takes before a record is collected at once (to count a refusal
    // when the span ends, not later).
    this._room = core.room();
    this._maxQueueSize = options.maxQueueSize;
    this._reporter = new Reporter(options.onError);
    // Counted here, merged into stats(): attribute values and arguments refused, and
    // calls ignored (on ended spans, after shutdown or free).
    this._refusedValues = 0;
    this._ignoredCalls = 0;
    // Unsampled spans ended here (never handed to the core).
    this._sampledOut = 0;
    // What a new trace must pass to be sampled: the 56 random bits of its trace id at or
    // over the rejection threshold of `sampleRatio` (held as its high 24 and low 32 bits:
    // a double cannot hold 56), and every condition added with `sampleIf` (the session
    // sampling adds one).
    [this._thresholdHigh, this._thresholdLow] = rejectionThreshold(options.sampleRatio);
    this._sampleConditions = [];
    this._shutdown = null;
    this._freed = false;
    // Called with each span as it starts (`onSpanStart`).
    this._startHooks = [];
    this._drainQueued = false;
    this._queuedDrain = () => {
      this._drainQueued = false;
      this._drain();
    };
    this._writeResource(options.resource);
    const headers = ['content-type', options.json ? 'application/json' : 'application/x-protobuf'];
    if (options.gzip) headers.push('content-encoding', 'gzip');
    for (const [name, value] of options.headers) headers.push(name, value);
    this._exporter = new Exporter(core, options.endpoint, headers, [
      options.exportTimeoutMs, FLUSH_TIMEOUT_MS, SHUTDOWN_TIMEOUT_MS,
    ]);
    this._exporter.onError = (message) => this._reporter.report('export-failed', `export failed: ${message}`);
  }

  // The resource's `[key, value, …]` pairs, as an attributes block in the scratch buffer.
  _writeResource(pairs) {
    if (pairs.length === 0) return;
    const writer = this._writer;
    writer.begin(0);
    writer.length = 0;
    writer.pairs(pairs);
    this._intake.setResource(writer.length);
  }

  /**
   * `startSpan(name, { kind, attributes, parent, links, startTime })`. `parent` is a span,
   * a `traceparent` string, `{ traceparent, tracestate }`, or a span context
   * (`{ traceId, spanId, traceFlags, traceState }`).
   */
  startSpan(name, options) {
    let span;
    try {
      span = this._startSpan(name, options);
    } catch (error) {
      this._internal(error);
    }
    if (span !== undefined) {
      // Each hook on its own: one that throws must not keep the others from the span.
      for (const hook of this._startHooks) {
        try {
          hook(span);
        } catch (error) {
          this._internal(error);
        }
      }
    }
    return span || new Span(this, 'unnamed', null, KIND_CODES.internal, nowMs());
  }

  /**
   * Adds a condition every new trace must meet to be sampled (`condition()` is asked as its
   * root span starts); returns a function that removes it. Spans of an unsampled trace
   * record nothing and cost next to nothing; children follow their parent's decision.
   */
  sampleIf(condition) {
    return this._register('_sampleConditions', condition, 'sampleIf');
  }

  // Adds `callback` to the list in property `list` (replaced, never changed in place, so a
  // loop over it is unaffected); returns a function that removes it. A non-function is
  // refused, counted and reported.
  _register(list, callback, method) {
    if (typeof callback !== 'function') {
      this._refused(`${method} takes a function, got ${describe(callback)}`);
      return () => {};
    }
    this[list] = [...this[list], callback];
    return () => {
      this[list] = this[list].filter((kept) => kept !== callback);
    };
  }

  // Whether a new trace whose id ends with the words `t2`, `t3` is sampled: its 56 random
  // bits reach the ratio's rejection threshold (see `rejectionThreshold`), and every
  // condition holds.
  _sampleTrace(t2, t3) {
    const high = t2 & 0xffffff;
    if (high < this._thresholdHigh || (high === this._thresholdHigh && t3 < this._thresholdLow)) return false;
    for (const condition of this._sampleConditions) {
      try {
        if (!condition()) return false;
      } catch (error) {
        this._internal(error);
      }
    }
    return true;
  }

  /**
   * Calls `callback(span)` as each span starts, before its caller gets it — e.g. to set
   * attributes every span carries (the session instrumentation does). Returns a function
   * that stops it.
   */
  onSpanStart(callback) {
    return this._register('_startHooks', callback, 'onSpanStart');
  }

  _startSpan(name, options) {
    const spanName = typeof name === 'string' ? name : this._nameFrom(name);
    if (options === undefined || options === null) {
      return new Span(this, spanName, null, KIND_CODES.internal, nowMs());
    }
    if (typeof options !== 'object') {
      this._refused(`startSpan options must be an object, got ${describe(options)}`);
      return new Span(this, spanName, null, KIND_CODES.internal, nowMs());
    }
    const { kind, attributes, parent, links, startTime } = options;
    let kindCode = KIND_CODES.internal;
    if (typeof kind === 'string' && Object.hasOwn(KIND_CODES, kind)) kindCode = KIND_CODES[kind];
    else if (typeof kind === 'number' && OTEL_KIND_CODES[kind] !== undefined) kindCode = OTEL_KIND_CODES[kind];
    else if (kind !== undefined && kind !== null) {
      this._refused(`option kind must be 'internal', 'server', 'client', 'producer' or 'consumer', got ${describe(kind)}`);
    }
    let context = null;
    if (parent !== undefined && parent !== null) {
      context = this._context(parent);
      if (context === null) this._refused('option parent must be a span, a traceparent string or a span context; the span starts a new trace');
    }
    const span = new Span(this, spanName, context, kindCode, this._time(startTime));
    if (attributes !== undefined && attributes !== null) span.setAttributes(attributes);
    if (links !== undefined && links !== null) span.addLinks(links);
    return span;
  }

  _nameFrom(name) {
    this._refused(`span names must be strings, got ${describe(name)}`);
    return typeof name === 'number' ? String(name) : 'unnamed';
  }

  /**
   * Exports everything collected so far. Resolves to true when all of it was delivered,
   * false otherwise (what went wrong is reported and counted); never rejects.
   */
  flush() {
    if (this._shutdown !== null) return this._shutdown;
    if (this._freed) return Promise.resolve(false);
    this._drain();
    return this._exporter.flush().then((dropped) => {
      if (dropped === 0) return true;
      this._reporter.report('export-failed', dropped > 0
        ? `flush: ${dropped} spans were not delivered; last error: ${this._exporter.lastError}`
        : `flush timed out after ${FLUSH_TIMEOUT_MS} ms with spans still being exported`);
      return false;
    });
  }

  /** Stops accepting spans and exports what is buffered; resolves like `flush`. Calling it
   * again returns the first call's promise. */
  shutdown() {
    if (this._shutdown !== null) return this._shutdown;
    if (this._freed) return Promise.resolve(false);
    this._drain();
    this._room = 0;
    this._shutdown = this._exporter.shutdown().then(([dropped, late]) => {
      if (dropped === 0 && late === 0) return true;
      this._reporter.report('export-failed', late > 0
        ? `shutdown timed out after ${SHUTDOWN_TIMEOUT_MS} ms: ${late} spans were dropped`
        : `shutdown: ${dropped} spans were not delivered; last error: ${this._exporter.lastError}`);
      return false;
    });
    return this._shutdown;
  }

  /** The counters: collected, exported, dropped by reason, batches, retries, bytesSent,
   * buffered, and the calls refused (`refusedValues`) or ignored (`ignoredCalls`). */
  stats() {
    const stats = {};
    try {
      if (!this._freed) {
        this._drain();
        const counts = this._core.stats();
        STATS.forEach((name, i) => {
          stats[name] = counts[i];
        });
        stats.droppedExportFailed = stats.droppedRetriesExhausted + stats.droppedRejected + stats.droppedTimedOut;
        stats.dropped = stats.droppedBufferFull + stats.droppedExportFailed + stats.droppedTooLarge
          + stats.droppedShutdown + stats.droppedPageUnload;
      }
    } catch (error) {
      this._internal(error);
    }
    stats.sampledOut = (stats.sampledOut || 0) + this._sampledOut;
    stats.refusedValues = this._refusedValues;
    stats.ignoredCalls = this._ignoredCalls;
    return stats;
  }

  /** Releases the WebAssembly side now instead of when garbage-collected; later calls are
   * ignored and counted. */
  free() {
    if (this._freed) return;
    try {
      this._drain();
      this._freed = true;
      this._exporter.release();
      this._core.free();
      this._intake.free();
    } catch (error) {
      this._internal(error);
    }
  }

  // The span end time (or any time option) `time`, or now when it is absent or invalid.
  _time(time) {
    if (time === undefined || time === null) return nowMs();
    const ms = epochMs(time);
    if (ms !== undefined) return ms;
    this._refused(`times must be epoch or performance.now() milliseconds, a Date or [seconds, nanoseconds], got ${describe(time)}; now was used`);
    return nowMs();
  }

  // Whether an ending span can be recorded; after free() it is only counted.
  _accepting() {
    if (!this._freed) return true;
    this._ignored('a span ended after free() was dropped');
    return false;
  }

  _refused(message) {
    this._refusedValues++;
    this._reporter.report('invalid-argument', message);
  }

  _ignored(message) {
    this._ignoredCalls++;
    this._reporter.report('ignored-call', message);
  }

  // A bug of ours (or a hostile object's getter) met inside a method: reported, not thrown.
  _internal(error) {
    this._reporter.report('internal', `an internal error was caught: ${error && error.message}`);
  }

  // A span's record was appended. Collect it later with the others, unless the buffer may
  // be full or the pending records are many: then now, so a refusal is counted at once.
  _ended() {
    if (this._room > 0 && this._pending < DRAIN_BYTES) {
      this._room--;
      if (!this._drainQueued) {
        this._drainQueued = true;
        queueMicrotask(this._queuedDrain);
      }
      return;
    }
    this._drain();
  }

  // Collects the pending records, and reports what was refused.
  _drain() {
    if (this._pending === 0 || this._freed) return;
    const refused = this._intake.drain(this._pending);
    this._pending = 0;
    this._room = this._core.room();
    this._exporter.schedule();
    if (refused & REFUSED_BUFFER_FULL) {
      this._reporter.report(
        'buffer-full',
        `the span buffer is full (maxQueueSize ${this._maxQueueSize}): spans were dropped and counted in stats().droppedBufferFull; raise maxQueueSize or lower batchTimeoutMs`,
      );
    }
    if (refused & REFUSED_SHUT_DOWN) {
      this._reporter.report('shut-down', 'spans ended after shutdown() were dropped and counted in stats().droppedShutdown');
    }
    if (refused & REFUSED_BAD_RECORD) {
      this._reporter.report('internal', 'a span record could not be read (a bug: please report it)');
    }
  }

  // The parent or link context of `value`: one of our spans, a `traceparent` string (or an
  // object with a `traceparent()` method), `{ traceparent, tracestate }`, or a span context
  // `{ traceId, spanId, traceFlags, traceState }`; null when it is none of those.
  _context(value) {
    if (value instanceof Span) {
      return {
        t0: value._t0, t1: value._t1, t2: value._t2, t3: value._t3,
        s0: value._s0, s1: value._s1, flags: value._flags, traceState: value._traceState, remote: false,
      };
    }
    if (typeof value === 'string') return this._parseTraceparent(value, '');
    if (value === null || typeof value !== 'object') return null;
    const traceparent = value.traceparent;
    if (typeof traceparent === 'string') {
      const tracestate = value.tracestate;
      return this._parseTraceparent(traceparent, typeof tracestate === 'string' ? tracestate : '');
    }
    if (typeof traceparent === 'function') {
      const tracestate = typeof value.tracestate === 'function' ? value.tracestate() : '';
      return this._parseTraceparent(traceparent.call(value), typeof tracestate === 'string' ? tracestate : '');
    }
    const trace = idWords(value.traceId, 32);
    const span = idWords(value.spanId, 16);
    if (trace === null || span === null) return null;
    const flags = Number.isInteger(value.traceFlags) ? value.traceFlags & 0xff : SAMPLED;
    let traceState = value.traceState;
    if (traceState !== undefined && traceState !== null && typeof traceState !== 'string') {
      traceState = typeof traceState.serialize === 'function' ? traceState.serialize() : '';
    }
    return {
      t0: trace[0], t1: trace[1], t2: trace[2], t3: trace[3], s0: span[0], s1: span[1],
      flags, traceState: normalizeTraceState(traceState), remote: value.isRemote !== false,
    };
  }

  _parseTraceparent(header, traceState) {
    const words = traceparentWords(header);
    if (words === null) return null;
    return {
      t0: words[0], t1: words[1], t2: words[2], t3: words[3],
      s0: words[4], s1: words[5], flags: words[6], traceState: normalizeTraceState(traceState), remote: true,
    };
  }
}

// The settings the core is made from, in the order `readOptions` hands them over.
const SETTINGS = ['maxQueueSize', 'batchSize', 'batchTimeoutMs', 'exportTimeoutMs', 'json', 'gzip'];

// The names of the counters `core.stats()` returns, in its order.
const STATS = [
  'collected', 'exported', 'droppedBufferFull', 'droppedRetriesExhausted', 'droppedRejected',
  'droppedTimedOut', 'droppedTooLarge', 'droppedShutdown', 'droppedPageUnload', 'batches',
  'retries', 'bytesSent', 'buffered', 'sampledOut',
];

function optionError(message) {
  return new Error(`otlp-collector: ${message}`);
}

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Checks the options of `new Collector(options)`, throwing an Error that names a bad one;
 * returns a snapshot of them — each option is read once, here, so a getter cannot answer
 * one thing to the check and another to the collector — with `settings`, what the core
 * needs: [maxQueueSize, batchSize, batchTimeoutMs, exportTimeoutMs, JSON (1) or protobuf
 * (0), gzip (1) or none (0)]. */
export function readOptions(options) {
  if (options === undefined || options === null) options = {};
  if (!isObject(options)) {
    throw optionError("Collector options must be an object, e.g. { endpoint: 'http://localhost:4318/v1/traces' }");
  }
  // Every option, read once.
  const given = {};
  for (const key of ['endpoint', 'serviceName', 'protocol', 'compression', 'maxQueueSize', 'batchSize',
    'batchTimeoutMs', 'exportTimeoutMs', 'headers', 'resourceAttributes', 'sampleRatio', 'onError']) {
    given[key] = options[key];
  }
  const text = (key, choices) => {
    const value = given[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw optionError(`option ${key} must be a string`);
    if (choices && !choices.includes(value)) {
      throw optionError(`option ${key} must be '${choices.join("' or '")}', got ${describe(value)}`);
    }
    return value;
  };
  const count = (key) => {
    const value = given[key];
    if (value === undefined || value === null) return DEFAULTS[key];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw optionError(`option ${key} must be a positive whole number, got ${describe(value)}`);
    }
    return value;
  };
  // Own enumerable [key, value] pairs, each value read once.
  const entries = (key) => {
    const value = given[key];
    if (value === undefined || value === null) return [];
    if (!isObject(value)) throw optionError(`option ${key} must be an object`);
    return Object.entries(value);
  };
  const endpoint = text('endpoint') ?? DEFAULTS.endpoint;
  let url = null;
  try {
    url = new URL(endpoint);
  } catch {
    // Reported below.
  }
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:') || !/^https?:\/\//.test(endpoint)) {
    throw optionError(`option endpoint '${redactPasswords(endpoint)}' is not a usable URL: it must be an absolute http:// or https:// URL`);
  }
  if (url.username !== '' || url.password !== '') {
    throw optionError(`option endpoint '${redactPasswords(endpoint)}' holds credentials, which fetch refuses to send from a URL: give them in the headers option instead (e.g. headers: { Authorization: 'Basic …' })`);
  }
  const serviceName = text('serviceName');
  const protocol = text('protocol', ['http/protobuf', 'http/json']);
  const compression = text('compression', ['gzip', 'none']);
  const maxQueueSize = count('maxQueueSize');
  const batchSize = count('batchSize');
  const batchTimeoutMs = count('batchTimeoutMs');
  const exportTimeoutMs = count('exportTimeoutMs');
  if (maxQueueSize > MAX_QUEUE_SIZE_LIMIT) {
    throw optionError(`option maxQueueSize (${maxQueueSize}) must be at most ${MAX_QUEUE_SIZE_LIMIT}`);
  }
  if (batchSize > maxQueueSize) {
    throw optionError(`option batchSize (${batchSize}) must not exceed maxQueueSize (${maxQueueSize})`);
  }
  const headers = [];
  for (const [name, value] of entries('headers')) {
    if (typeof value !== 'string') throw optionError(`option headers.${name} must be a string`);
    const lower = name.toLowerCase();
    const problem = !HEADER_NAME.test(name) || lower === '__proto__'
      ? "names may hold only letters, digits and !#$%&'*+-.^_`|~ (and not __proto__)"
      : FRAMING_HEADERS.includes(lower)
        ? 'the exporter sets this header itself (it frames the request body)'
        : FORBIDDEN_HEADERS.includes(lower) || FORBIDDEN_HEADER_PREFIXES.some((prefix) => lower.startsWith(prefix))
          ? 'browsers refuse to send it from a page (a forbidden request header)'
          : !HEADER_VALUE.test(value) ? 'values may hold only printable ASCII and tabs' : null;
    if (problem !== null) throw optionError(`option headers: header '${name}' is invalid: ${problem}`);
    headers.push([name, value]);
  }
  const resource = [];
  if (serviceName !== undefined) resource.push('service.name', serviceName);
  for (const [key, value] of entries('resourceAttributes')) {
    const checked = attributeValue(value);
    if (checked === undefined) {
      throw optionError(`attribute ${key} must be a string, number, boolean or an array of those, got ${describe(value)}`);
    }
    resource.push(key, checked);
  }
  const ratio = given.sampleRatio;
  if (ratio !== undefined && ratio !== null && !(typeof ratio === 'number' && ratio >= 0 && ratio <= 1)) {
    throw optionError(`option sampleRatio must be a number from 0 to 1, got ${describe(ratio)}`);
  }
  const onError = given.onError;
  if (onError !== undefined && onError !== null && typeof onError !== 'function') {
    throw optionError(`option onError must be a function, got ${describe(onError)}`);
  }
  const json = protocol === 'http/json';
  const gzip = compression === 'gzip';
  const values = { maxQueueSize, batchSize, batchTimeoutMs, exportTimeoutMs, json: json ? 1 : 0, gzip: gzip ? 1 : 0 };
  return {
    settings: SETTINGS.map((name) => values[name]),
    endpoint, headers, resource, json, gzip, maxQueueSize, exportTimeoutMs,
    sampleRatio: ratio ?? 1, onError,
  };
}

/** Called by `new Collector(options)` (binding.rs) with the core, its intake, the module's
 * memory and the options `readOptions` accepted. */
export function createCollector(core, intake, memory, options) {
  return new Collector(core, intake, memory, options);
}

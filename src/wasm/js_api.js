// The JavaScript half of the JavaScript API (js_api.rs has the Rust half). `startSpan` and
// everything done to an open span happen here, in plain JavaScript: ids, timestamps,
// attributes, events and status never cross into WebAssembly, because a crossing costs
// more than the work itself. `end()` appends the span as one record to a scratch buffer in
// the module's memory (layout in span_record.rs); Rust collects the pending records a batch
// per call (see `Collector._ended`). Bad values are refused here, at the call that passed
// them, with an Error naming the attribute or option.

const KIND_CODES = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };
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

function hex(word) {
  return word.toString(16).padStart(8, '0');
}

function describe(value) {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number') return String(value);
  return typeof value;
}

// An attribute value as given (arrays copied), or a thrown Error naming the attribute.
function checkedValue(key, value) {
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean') return value;
  if (Array.isArray(value)) {
    for (const item of value) {
      if (Array.isArray(item)) throw new Error(`attribute ${key}: arrays may not nest`);
      checkedValue(key, item);
    }
    return value.slice();
  }
  throw new Error(
    `attribute ${key} must be a string, number, boolean or an array of those, got ${describe(value)}`,
  );
}

// `[key, value, key, value, …]` from an attributes object, every value checked first so
// a bad one leaves the span unchanged.
function checkedPairs(attributes) {
  if (attributes === undefined || attributes === null) return [];
  if (typeof attributes !== 'object' || Array.isArray(attributes)) {
    throw new Error('attributes must be an object of key: value pairs');
  }
  const pairs = [];
  for (const key of Object.keys(attributes)) {
    pairs.push(key, checkedValue(key, attributes[key]));
  }
  return pairs;
}

// Records are appended to the scratch buffer of the ending span's collector, in the
// module's memory. Views of that memory die when it grows, so they are checked before each
// record and renewed after the buffer grows.
let core = null;
let memory = null;
let bytes = new Uint8Array(0);
let view = new DataView(bytes.buffer);
let length = 0;
const utf8 = new TextEncoder();

function viewScratch() {
  bytes = new Uint8Array(memory.buffer, core.scratchAddress(), core.scratchLength());
  view = new DataView(memory.buffer, bytes.byteOffset, bytes.byteLength);
}

// Starts a record after the collector's pending ones; returns where its length goes.
function beginRecord(collector) {
  if (core !== collector._core || bytes.byteLength === 0) {
    core = collector._core;
    memory = collector._memory;
    viewScratch();
  }
  length = collector._pending;
  writeU32(0);
  return length - 4;
}

function finishRecord(collector, lengthAt) {
  view.setUint32(lengthAt, length - lengthAt - 4, true);
  collector._pending = length;
}

function reserve(count) {
  if (length + count <= bytes.length) return;
  core.growScratch(length + count);
  viewScratch();
}

function writeU8(value) {
  reserve(1);
  bytes[length++] = value;
}

function writeU32(value) {
  reserve(4);
  view.setUint32(length, value, true);
  length += 4;
}

function writeF64(value) {
  reserve(8);
  view.setFloat64(length, value, true);
  length += 8;
}

// Id words are written big-endian, so the bytes read in the order the hex is printed.
function writeIdWord(word) {
  reserve(4);
  view.setUint32(length, word);
  length += 4;
}

// Length-prefixed UTF-8. ASCII is copied by hand (short strings are the common case and
// cheaper so); anything else goes through TextEncoder, which turns a lone surrogate into
// U+FFFD.
function writeString(text) {
  const units = text.length;
  reserve(4 + units * 3);
  const start = length + 4;
  let end = start;
  for (let i = 0; i < units; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x80) {
      end = start + utf8.encodeInto(text, bytes.subarray(start)).written;
      break;
    }
    bytes[end++] = unit;
  }
  view.setUint32(length, end - start, true);
  length = end;
}

// Span names, attribute keys and event names are interned: sent to Rust once (a call into
// WebAssembly), then written as a number, which spares writing the text here and, in Rust,
// an allocation per span (symbols.rs). Rust bounds the table; when it is full, texts are
// written as they are.
const MAX_SYMBOL_UNITS = 64;
const symbols = new Map();
let symbolsFull = false;

function writeSymbol(text) {
  const short = text.length <= MAX_SYMBOL_UNITS;
  let id = short ? symbols.get(text) : undefined;
  if (id === undefined && short && !symbolsFull) {
    id = core.internSymbol(text);
    // Interning may have grown the memory, which detaches the views.
    if (bytes.byteLength === 0) viewScratch();
    if (id < 0) {
      symbolsFull = true;
      id = undefined;
    } else {
      symbols.set(text, id);
    }
  }
  if (id !== undefined) {
    writeU32(id * 2 + 1);
    return;
  }
  // Not interned: the text, its length shifted left to leave the low bit clear.
  const lengthAt = length;
  writeString(text);
  view.setUint32(lengthAt, view.getUint32(lengthAt, true) * 2, true);
}

function writeValue(value) {
  switch (typeof value) {
    case 'string':
      writeU8(TAG_STRING);
      writeString(value);
      return;
    case 'boolean':
      writeU8(TAG_BOOL);
      writeU8(value ? 1 : 0);
      return;
    case 'number':
      // Whole numbers a double holds exactly become ints, as the Rust API's i64 would be.
      writeU8(Number.isSafeInteger(value) ? TAG_INT : TAG_DOUBLE);
      writeF64(value);
      return;
    default:
      writeU8(TAG_ARRAY);
      writeU32(value.length);
      for (const item of value) writeValue(item);
  }
}

function writePairs(pairs) {
  if (pairs === null) {
    writeU32(0);
    return;
  }
  writeU32(pairs.length / 2);
  for (let i = 0; i < pairs.length; i += 2) {
    writeSymbol(pairs[i]);
    writeValue(pairs[i + 1]);
  }
}

/** A span being recorded; `end()` hands it to its collector. */
export class Span {
  constructor(collector, name, parent, kind, attributes) {
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
      this._flags = SAMPLED;
    } else {
      this._t0 = parent.t0;
      this._t1 = parent.t1;
      this._t2 = parent.t2;
      this._t3 = parent.t3;
      this._p0 = parent.s0;
      this._p1 = parent.s1;
      this._parentState = parent.remote ? REMOTE_PARENT : LOCAL_PARENT;
      this._flags = parent.flags;
    }
    this._s0 = randomWord();
    this._s1 = randomWord() || 1;
    this._start = nowMs();
    this._attributes = attributes;
    this._events = null;
    this._status = STATUS_UNSET;
    this._message = '';
    this._ended = false;
  }

  _recording() {
    if (this._ended) throw new Error('the span has already ended');
  }

  /** Sets one attribute: a string, number, boolean or an array of those. */
  setAttribute(key, value) {
    this._recording();
    if (typeof key !== 'string') throw new Error(`attribute keys must be strings, got ${describe(key)}`);
    const checked = checkedValue(key, value);
    if (this._attributes === null) this._attributes = [key, checked];
    else this._attributes.push(key, checked);
  }

  /** Sets every property of `attributes`. */
  setAttributes(attributes) {
    this._recording();
    const pairs = checkedPairs(attributes);
    if (this._attributes === null) this._attributes = pairs;
    // A loop, not push(...pairs): spreading a very large object would overflow the stack.
    else for (const item of pairs) this._attributes.push(item);
  }

  /** Records an event now, with optional attributes. */
  addEvent(name, attributes) {
    this._recording();
    if (typeof name !== 'string') throw new Error(`event names must be strings, got ${describe(name)}`);
    const event = { name, time: nowMs(), pairs: checkedPairs(attributes) };
    if (this._events === null) this._events = [event];
    else this._events.push(event);
  }

  /** `setStatus('unset' | 'ok' | 'error', message?)`; `ok` is final, `unset` is ignored. */
  setStatus(code, message) {
    this._recording();
    if (code !== 'unset' && code !== 'ok' && code !== 'error') {
      throw new Error(`status must be 'unset', 'ok' or 'error', got ${describe(code)}`);
    }
    if (this._status === STATUS_OK || code === 'unset') return;
    if (code === 'ok') {
      this._status = STATUS_OK;
      this._message = '';
    } else {
      this._status = STATUS_ERROR;
      this._message = message === undefined || message === null ? '' : String(message);
    }
  }

  /** The W3C `traceparent` header value for outgoing requests made within this span. */
  traceparent() {
    const flags = this._flags.toString(16).padStart(2, '0');
    return `00-${hex(this._t0)}${hex(this._t1)}${hex(this._t2)}${hex(this._t3)}-${hex(this._s0)}${hex(this._s1)}-${flags}`;
  }

  /** Ends the span and hands it to the collector. Throws if the collector refused it
   * (a full buffer, a shut-down collector); the span is counted as dropped either way. */
  end() {
    this._recording();
    this._ended = true;
    const endMs = nowMs();
    const collector = this._collector;
    const lengthAt = beginRecord(collector);
    writeU8(this._kind);
    writeU8(this._flags);
    writeU8(this._parentState);
    writeU8(this._status);
    writeIdWord(this._t0);
    writeIdWord(this._t1);
    writeIdWord(this._t2);
    writeIdWord(this._t3);
    writeIdWord(this._s0);
    writeIdWord(this._s1);
    if (this._parentState !== NO_PARENT) {
      writeIdWord(this._p0);
      writeIdWord(this._p1);
    }
    writeF64(this._start);
    writeF64(endMs);
    writeSymbol(this._name);
    if (this._status === STATUS_ERROR) writeString(this._message);
    writePairs(this._attributes);
    const events = this._events;
    if (events === null) {
      writeU32(0);
    } else {
      writeU32(events.length);
      for (const event of events) {
        writeSymbol(event.name);
        writeF64(event.time);
        writePairs(event.pairs);
      }
    }
    finishRecord(collector, lengthAt);
    collector._ended();
  }
}

// Pending records above this many bytes are collected at once rather than after the
// ending code returns, so a long synchronous loop keeps the scratch buffer small.
const DRAIN_BYTES = 1 << 20;

/** Collects spans and exports them over OTLP/HTTP; `new Collector(options)` makes one. */
export class Collector {
  constructor(core, memory) {
    this._core = core;
    this._memory = memory;
    // Bytes of records appended and not yet collected.
    this._pending = 0;
    // Spans the buffer takes before a record must be collected at once (to learn
    // whether it fits, so `end()` can throw when it does not).
    this._room = core.room();
    this._drainQueued = false;
    this._queuedDrain = () => {
      this._drainQueued = false;
      this._drain();
    };
  }

  /** `startSpan(name, { kind, attributes, parent })`. */
  startSpan(name, options) {
    if (typeof name !== 'string') throw new Error(`span names must be strings, got ${describe(name)}`);
    if (options === undefined || options === null) {
      return new Span(this, name, null, KIND_CODES.internal, null);
    }
    if (typeof options !== 'object') throw new Error('startSpan options must be an object');
    const { kind, attributes, parent } = options;
    let kindCode = KIND_CODES.internal;
    if (kind !== undefined && kind !== null) {
      if (typeof kind !== 'string') throw new Error('option kind must be a string');
      if (!Object.hasOwn(KIND_CODES, kind)) {
        throw new Error(
          `option kind must be 'internal', 'server', 'client', 'producer' or 'consumer', got '${kind}'`,
        );
      }
      kindCode = KIND_CODES[kind];
    }
    const pairs = attributes === undefined || attributes === null ? null : checkedPairs(attributes);
    const context = parent === undefined || parent === null ? null : this._parentContext(parent);
    return new Span(this, name, context, kindCode, pairs);
  }

  /** Exports everything collected so far; resolves when done, rejects with what was lost. */
  flush() {
    this._drain();
    return this._core.flush();
  }

  /** Stops accepting spans and exports what is buffered. */
  shutdown() {
    this._drain();
    const done = this._core.shutdown();
    this._room = 0;
    return done;
  }

  /** The counters: collected, exported, dropped by reason, batches, retries, bytesSent, buffered. */
  stats() {
    this._drain();
    return this._core.stats();
  }

  /** Releases the WebAssembly side now instead of when garbage-collected. */
  free() {
    this._drain();
    if (core === this._core) core = null;
    this._core.free();
  }

  // A span's record was appended. Collect it later with the others, unless the buffer may
  // be full or the pending records are many: then now, and throw if it was refused.
  _ended() {
    if (this._room > 0 && this._pending < DRAIN_BYTES) {
      this._room--;
      if (!this._drainQueued) {
        this._drainQueued = true;
        queueMicrotask(this._queuedDrain);
      }
      return;
    }
    const problem = this._drain();
    if (problem !== undefined) throw new Error(problem);
  }

  // Collects the pending records; returns why the last one was refused, if it was.
  _drain() {
    if (this._pending === 0) return undefined;
    const problem = this._core.drain(this._pending);
    this._pending = 0;
    this._room = this._core.room();
    return problem;
  }

  // The parent's ids: from one of our spans directly, else from a `traceparent` header
  // (a string, or what the object's `traceparent()` returns), parsed in Rust.
  _parentContext(parent) {
    if (parent instanceof Span) {
      return {
        t0: parent._t0, t1: parent._t1, t2: parent._t2, t3: parent._t3,
        s0: parent._s0, s1: parent._s1, flags: parent._flags, remote: false,
      };
    }
    let header = parent;
    if (typeof parent !== 'string') {
      if (typeof parent.traceparent !== 'function') {
        throw new Error('option parent must be a Span or a traceparent string');
      }
      header = parent.traceparent();
      if (typeof header !== 'string') throw new Error("option parent's traceparent() must return a string");
    }
    const words = this._core.parseTraceparent(header);
    if (typeof words === 'string') throw new Error(`option parent: ${words}`);
    return {
      t0: words[0], t1: words[1], t2: words[2], t3: words[3],
      s0: words[4], s1: words[5], flags: words[6], remote: true,
    };
  }
}

/** Called by `new Collector(options)` (js_api.rs) with the Rust core and the module's memory. */
export function createCollector(core, memory) {
  return new Collector(core, memory);
}

// The JavaScript half of the JavaScript API (js_api.rs has the Rust half). `startSpan` and
// everything done to an open span happen here, in plain JavaScript: ids, timestamps,
// attributes, events and status never cross into WebAssembly, because a crossing costs
// more than the work itself. `end()` writes the span as one record straight into a scratch
// buffer in the module's memory (layout in span_record.rs) and hands it over with a single
// call. Bad values are refused here, at the call that passed them, with an Error naming
// the attribute or option.

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

// Random 32-bit words for ids, drawn a thousand at a time.
const randomWords = new Uint32Array(1024);
let nextRandomWord = randomWords.length;

function randomWord() {
  if (nextRandomWord === randomWords.length) {
    if (globalThis.crypto && globalThis.crypto.getRandomValues) {
      globalThis.crypto.getRandomValues(randomWords);
    } else {
      for (let i = 0; i < randomWords.length; i++) {
        randomWords[i] = (Math.random() * 0x100000000) >>> 0;
      }
    }
    nextRandomWord = 0;
  }
  return randomWords[nextRandomWord++];
}

// Milliseconds since the Unix epoch with sub-millisecond precision where the platform
// gives it (`performance` exists in pages, workers and Node; `Date.now()` otherwise).
const clock = globalThis.performance;
const nowMs = clock && clock.timeOrigin
  ? () => clock.timeOrigin + clock.now()
  : () => Date.now();

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

// The record being written: a view of the ending span's collector's scratch buffer in the
// module's memory. Views die when the memory grows, so they are checked before each record.
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

function beginRecord(collector) {
  if (core !== collector._core || bytes.byteLength === 0) {
    core = collector._core;
    memory = collector._memory;
    viewScratch();
  }
  length = 0;
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
  writeU32(pairs.length / 2);
  for (let i = 0; i < pairs.length; i += 2) {
    writeString(pairs[i]);
    writeValue(pairs[i + 1]);
  }
}

/** A span being recorded; `end()` hands it to its collector. */
export class Span {
  constructor(collector, name, parent) {
    this._collector = collector;
    this._name = name;
    this._kind = KIND_CODES.internal;
    if (parent) {
      this._trace = parent.trace;
      this._parentWords = parent.span;
      this._parentState = parent.remote ? REMOTE_PARENT : LOCAL_PARENT;
      this._flags = parent.flags;
    } else {
      this._trace = [randomWord(), randomWord(), randomWord(), randomWord() || 1];
      this._parentWords = null;
      this._parentState = NO_PARENT;
      this._flags = SAMPLED;
    }
    this._span0 = randomWord();
    this._span1 = randomWord() || 1;
    this._start = nowMs();
    this._attributes = [];
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
    this._attributes.push(key, checkedValue(key, value));
  }

  /** Sets every property of `attributes`. */
  setAttributes(attributes) {
    this._recording();
    const pairs = checkedPairs(attributes);
    for (const item of pairs) this._attributes.push(item);
  }

  /** Records an event now, with optional attributes. */
  addEvent(name, attributes) {
    this._recording();
    if (typeof name !== 'string') throw new Error(`event names must be strings, got ${describe(name)}`);
    const event = { name, time: nowMs(), pairs: checkedPairs(attributes) };
    (this._events || (this._events = [])).push(event);
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
    const trace = this._trace;
    const flags = this._flags.toString(16).padStart(2, '0');
    return `00-${hex(trace[0])}${hex(trace[1])}${hex(trace[2])}${hex(trace[3])}-${hex(this._span0)}${hex(this._span1)}-${flags}`;
  }

  /** Ends the span and hands it to the collector. Throws if the collector refused it
   * (a full buffer, a shut-down collector); the span is counted as dropped either way. */
  end() {
    this._recording();
    this._ended = true;
    const endMs = nowMs();
    beginRecord(this._collector);
    writeU8(this._kind);
    writeU8(this._flags);
    writeU8(this._parentState);
    writeU8(this._status);
    for (const word of this._trace) writeIdWord(word);
    writeIdWord(this._span0);
    writeIdWord(this._span1);
    if (this._parentWords) {
      writeIdWord(this._parentWords[0]);
      writeIdWord(this._parentWords[1]);
    }
    writeF64(this._start);
    writeF64(endMs);
    writeString(this._name);
    if (this._status === STATUS_ERROR) writeString(this._message);
    writePairs(this._attributes);
    const events = this._events || [];
    writeU32(events.length);
    for (const event of events) {
      writeString(event.name);
      writeF64(event.time);
      writePairs(event.pairs);
    }
    const problem = core.collect(length);
    if (problem !== undefined) throw new Error(problem);
  }
}

/** Collects spans and exports them over OTLP/HTTP; `new Collector(options)` makes one. */
export class Collector {
  constructor(core, memory) {
    this._core = core;
    this._memory = memory;
  }

  /** `startSpan(name, { kind, attributes, parent })`. */
  startSpan(name, options) {
    if (typeof name !== 'string') throw new Error(`span names must be strings, got ${describe(name)}`);
    if (options === undefined || options === null) return new Span(this, name, null);
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
    const pairs = checkedPairs(attributes);
    const context = parent === undefined || parent === null ? null : this._parentContext(parent);
    const span = new Span(this, name, context);
    span._kind = kindCode;
    span._attributes = pairs;
    return span;
  }

  /** Exports everything collected so far; resolves when done, rejects with what was lost. */
  flush() {
    return this._core.flush();
  }

  /** Stops accepting spans and exports what is buffered. */
  shutdown() {
    return this._core.shutdown();
  }

  /** The counters: collected, exported, dropped by reason, batches, retries, bytesSent, buffered. */
  stats() {
    return this._core.stats();
  }

  /** Releases the WebAssembly side now instead of when garbage-collected. */
  free() {
    if (core === this._core) core = null;
    this._core.free();
  }

  // The parent's ids: from one of our spans directly, else from a `traceparent` header
  // (a string, or what the object's `traceparent()` returns), parsed in Rust.
  _parentContext(parent) {
    if (parent instanceof Span) {
      return { trace: parent._trace, span: [parent._span0, parent._span1], flags: parent._flags, remote: false };
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
    return { trace: [words[0], words[1], words[2], words[3]], span: [words[4], words[5]], flags: words[6], remote: true };
  }
}

/** Called by `new Collector(options)` (js_api.rs) with the Rust core and the module's memory. */
export function createCollector(core, memory) {
  return new Collector(core, memory);
}

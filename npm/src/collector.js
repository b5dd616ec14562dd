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
//
// A collector is made in one crossing: `readOptions` checks the options here, and
// `openCollector` (src/js_api/open.rs) makes the core from the named settings and returns
// its intake. Every call into WebAssembly passes numbers only: texts and lists cross through
// the core's exchange buffer (`Exchange`, in exporter.js), which needs no glue code.

import { Exchange, Exporter } from 'otlp-collector-exporter';
import {
  KIND_CODES, OTEL_KIND_CODES, SAMPLED, REFUSED_BAD_RECORD, REFUSED_BUFFER_FULL, REFUSED_SHUT_DOWN,
  SPEAKS_GZIP, SPEAKS_JSON, STATS,
} from './boundary.js';
import { epochMs, idWords, normalizeTraceState, nowMs, traceparentWords } from './context.js';
import { FLUSH_TIMEOUT_MS, SHUTDOWN_TIMEOUT_MS, readOptions } from './options.js';
import { RecordWriter } from './record-writer.js';
import { memory, openCollector, speaks } from './module.js';
import { Reporter } from './reporter.js';
import { Span } from './span.js';
import { describe } from './values.js';

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

const RESOLVED = Promise.resolve();

// Pending records above this many bytes are collected at once rather than after the
// ending code returns, so a long synchronous loop keeps the scratch buffer small.
const DRAIN_BYTES = 1 << 20;

// The OTTL rules engine: set by the entry of `otlp-collector/rules` (npm/src/rules.js),
// whose module has it; the main entry's has not, so a page without rules loads nothing
// of it.
let rulesEngine = null;

export function useRules(engine) {
  rulesEngine = engine;
}

// The OpAMP agent: set by the entry of `otlp-collector/opamp` (npm/src/opamp.js).
let opampEngine = null;

export function useOpamp(engine) {
  opampEngine = engine;
}

/** Collects spans and exports them over OTLP/HTTP; `new Collector(options)` makes one. */
export class Collector {
  constructor(givenOptions) {
    // Each option read once, checked (a bad one throws, naming it): the snapshot below is
    // all the collector is made from.
    const options = readOptions(givenOptions);
    if (!rulesEngine && options.rules.some((rules) => rules != null && rules.length !== 0)) {
      throw new Error("otlp-collector: transform and dropSpans need 'otlp-collector/rules'");
    }
    if (options.opamp != null && !opampEngine) throw new Error("otlp-collector: opamp needs 'otlp-collector/opamp'");
    if (options.json && !(speaks() & SPEAKS_JSON)) {
      throw new Error("otlp-collector: protocol 'http/json' needs 'otlp-collector/json' (the main entry writes http/protobuf only)");
    }
    if (options.gzip && !(speaks() & SPEAKS_GZIP)) {
      throw new Error("otlp-collector: compression 'gzip' needs 'otlp-collector/gzip' (or '/json'; the main entry sends bodies uncompressed)");
    }
    const opamp = options.opamp != null ? opampEngine.read(options.opamp) : null;
    const intake = openCollector(...options.core);
    const core = intake.core();
    // The rules engine, when rules are given (it throws naming a bad one, or one that does
    // not compile), else null.
    this._rules = rulesEngine && rulesEngine.start(core, intake, options.rules);
    this._core = core;
    this._intake = intake;
    this._writer = new RecordWriter(intake, memory);
    this._exchange = new Exchange(core, memory);
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
    this._shutdown = null;
    this._freed = false;
    // The callbacks added with `sampleIf` (conditions) and `onSpanStart` (called with each
    // span as it starts), by the method's name.
    this._hooks = { sampleIf: [], onSpanStart: [] };
    this._drainQueued = false;
    this._queuedDrain = () => {
      this._drainQueued = false;
      try {
        this._drain();
      } catch (error) {
        this._internal(error);
      }
    };
    this._writeResource(options.resource);
    const headers = ['content-type', options.json ? 'application/json' : 'application/x-protobuf'];
    if (options.gzip) headers.push('content-encoding', 'gzip');
    for (const [name, value] of options.headers) headers.push(name, value);
    this._exporter = new Exporter(core, memory, options.endpoint, headers, [
      options.exportTimeoutMs, FLUSH_TIMEOUT_MS, SHUTDOWN_TIMEOUT_MS, options.keepalive ? 1 : 0,
    ]);
    this._exporter._onError = (message) => this._reporter.report('export-failed', `export failed: ${message}`);
    this._opamp = opamp && opampEngine.start(this, intake, opamp, options);
  }

  // The share of new traces kept from now on (an OpAMP server's sampler).
  _setSampleRatio(ratio) {
    [this._thresholdHigh, this._thresholdLow] = rejectionThreshold(ratio);
  }

  // The resource's `[key, value, …]` pairs, as an attributes block in the scratch buffer.
  _writeResource(pairs) {
    if (pairs.length === 0) return;
    const writer = this._writer;
    writer._begin(0);
    writer._length = 0;
    writer._pairs(pairs);
    this._intake.setResource(writer._length);
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
      for (const hook of this._hooks.onSpanStart) {
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
    return this._register('sampleIf', condition);
  }

  // Adds `callback` to the hooks of `method` (the list is replaced, never changed in place,
  // so a loop over it is unaffected); returns a function that removes it. A non-function
  // is refused, counted and reported.
  _register(method, callback) {
    if (typeof callback !== 'function') {
      this._refused(`${method} takes a function, got ${describe(callback)}`);
      return () => {};
    }
    const hooks = this._hooks;
    hooks[method] = [...hooks[method], callback];
    return () => {
      hooks[method] = hooks[method].filter((kept) => kept !== callback);
    };
  }

  // Whether a new trace whose id ends with the words `t2`, `t3` is sampled: its 56 random
  // bits reach the ratio's rejection threshold (see `rejectionThreshold`), and every
  // condition holds.
  _sampleTrace(t2, t3) {
    const high = t2 & 0xffffff;
    if (high < this._thresholdHigh || (high === this._thresholdHigh && t3 < this._thresholdLow)) return false;
    for (const condition of this._hooks.sampleIf) {
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
    return this._register('onSpanStart', callback);
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
      // Freed meanwhile: what was in flight was let go, delivered or not.
      if (this._freed) return false;
      if (this._rules) this._rules.report(this._intake, this._reporter);
      if (dropped === 0) return true;
      this._reporter.report('export-failed', dropped > 0
        ? `flush: ${dropped} spans were not delivered; last error: ${this._exporter._lastError}`
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
    const goodbye = this._opamp && this._opamp.stop();
    this._shutdown = Promise.all([this._exporter.shutdown(), goodbye]).then(([[dropped, late]]) => {
      if (this._freed) return false;
      if (dropped === 0 && late === 0) return true;
      this._reporter.report('export-failed', late > 0
        ? `shutdown timed out after ${SHUTDOWN_TIMEOUT_MS} ms: ${late} spans were dropped`
        : `shutdown: ${dropped} spans were not delivered; last error: ${this._exporter._lastError}`);
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
        const counts = this._exchange.numbers(this._core.stats(), 8);
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
      if (this._opamp) this._opamp.cancel();
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
        // A promise reaction, not queueMicrotask: that one reaches the function through the
        // browser's callback machinery, a call from native code for every batch of ended
        // spans (in a page awaiting one fetch at a time: for every span).
        RESOLVED.then(this._queuedDrain);
      }
      return;
    }
    this._drain();
  }

  // Collects the pending records, and reports what was refused.
  _drain() {
    if (this._rules && !this._freed) this._rules.report(this._intake, this._reporter);
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

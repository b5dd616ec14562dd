// A span being recorded, in plain JavaScript until `end()` writes it as one record.

import {
  LOCAL_PARENT, NO_PARENT, REMOTE_PARENT, SAMPLED, STATUS_ERROR, STATUS_OK, STATUS_UNSET,
} from './boundary.js';
import { epochMs, hex, randomWord } from './context.js';
import { attributeValue, describe } from './values.js';

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
    const lengthAt = w._begin(collector._pending);
    w._u8(this._kind);
    w._u8(this._flags);
    w._u8(this._parentState);
    w._u8(this._status);
    w._idWord(this._t0);
    w._idWord(this._t1);
    w._idWord(this._t2);
    w._idWord(this._t3);
    w._idWord(this._s0);
    w._idWord(this._s1);
    if (this._parentState !== NO_PARENT) {
      w._idWord(this._p0);
      w._idWord(this._p1);
    }
    w._string(this._traceState);
    w._f64(this._start);
    w._f64(endMs);
    w._symbol(this._name);
    if (this._status === STATUS_ERROR) w._string(this._message);
    w._pairs(this._attributes);
    w._u32(this._refused);
    const events = this._events;
    if (events === null) {
      w._u32(0);
    } else {
      w._u32(events.length);
      for (const event of events) {
        w._symbol(event.name);
        w._f64(event.time);
        w._pairs(event.pairs);
      }
    }
    const links = this._links;
    if (links === null) {
      w._u32(0);
    } else {
      w._u32(links.length);
      for (const { context, pairs } of links) {
        w._idWord(context.t0);
        w._idWord(context.t1);
        w._idWord(context.t2);
        w._idWord(context.t3);
        w._idWord(context.s0);
        w._idWord(context.s1);
        w._u8(context.flags);
        w._string(context.traceState);
        w._pairs(pairs);
      }
    }
    collector._pending = w._finish(lengthAt);
  }
}

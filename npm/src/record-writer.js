// The writing half of the span record (span_record.rs reads it): values, ids and interned
// names appended to a collector's scratch buffer in the module's memory.

import { Exchange } from 'otlp-collector-exporter';
import { TAG_STRING, TAG_BOOL, TAG_INT, TAG_DOUBLE, TAG_ARRAY } from './boundary.js';

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
 * collector: its state is its own. Every member is private to the package (a leading
 * underscore: the npm build shortens it).
 */
export class RecordWriter {
  constructor(intake, memory) {
    this._intake = intake;
    this._memory = memory;
    this._exchange = new Exchange(intake, memory);
    this._bytes = new Uint8Array(0);
    this._view = new DataView(this._bytes.buffer);
    this._length = 0;
  }

  _renew() {
    this._bytes = new Uint8Array(this._memory.buffer, this._intake.scratchAddress(), this._intake.scratchLength());
    this._view = new DataView(this._memory.buffer, this._bytes.byteOffset, this._bytes.byteLength);
  }

  // Starts a record at byte `at` (after the pending ones); returns where its length goes.
  _begin(at) {
    if (this._bytes.byteLength === 0) this._renew();
    this._length = at;
    this._u32(0);
    return at;
  }

  // Writes the record's length; returns where the next record starts.
  _finish(lengthAt) {
    this._view.setUint32(lengthAt, this._length - lengthAt - 4, true);
    return this._length;
  }

  _reserve(count) {
    if (this._length + count <= this._bytes.length) return;
    this._intake.growScratch(this._length + count);
    this._renew();
  }

  _u8(value) {
    this._reserve(1);
    this._bytes[this._length++] = value;
  }

  _u32(value) {
    this._reserve(4);
    this._view.setUint32(this._length, value, true);
    this._length += 4;
  }

  _f64(value) {
    this._reserve(8);
    this._view.setFloat64(this._length, value, true);
    this._length += 8;
  }

  // Id words are written big-endian, so the bytes read in the order the hex is printed.
  _idWord(word) {
    this._reserve(4);
    this._view.setUint32(this._length, word);
    this._length += 4;
  }

  // Length-prefixed UTF-8. ASCII is copied by hand (short strings are the common case and
  // cheaper so); anything else goes through TextEncoder, which turns a lone surrogate into
  // U+FFFD.
  _string(text) {
    const units = text.length;
    this._reserve(4 + units * 3);
    const bytes = this._bytes;
    const start = this._length + 4;
    let end = start;
    for (let i = 0; i < units; i++) {
      const unit = text.charCodeAt(i);
      if (unit >= 0x80) {
        end = start + utf8.encodeInto(text, bytes.subarray(start)).written;
        break;
      }
      bytes[end++] = unit;
    }
    this._view.setUint32(this._length, end - start, true);
    this._length = end;
  }

  _symbol(text) {
    const short = text.length <= MAX_SYMBOL_UNITS;
    let id = short ? symbols.get(text) : undefined;
    if (id === undefined && short && !symbolsFull) {
      id = this._intake.internSymbol(this._exchange.put(text)[0]);
      // Interning may have grown the memory, which detaches the views.
      if (this._bytes.byteLength === 0) this._renew();
      if (id < 0) {
        symbolsFull = true;
        id = undefined;
      } else {
        symbols.set(text, id);
      }
    }
    if (id !== undefined) {
      this._u32(id * 2 + 1);
      return;
    }
    // Not interned: the text, its length shifted left to leave the low bit clear.
    const lengthAt = this._length;
    this._string(text);
    this._view.setUint32(lengthAt, this._view.getUint32(lengthAt, true) * 2, true);
  }

  _value(value) {
    switch (typeof value) {
      case 'string':
        this._u8(TAG_STRING);
        this._string(value);
        return;
      case 'boolean':
        this._u8(TAG_BOOL);
        this._u8(value ? 1 : 0);
        return;
      case 'number':
        // Whole numbers a double holds exactly become ints, as the Rust API's i64 would be.
        this._u8(Number.isSafeInteger(value) ? TAG_INT : TAG_DOUBLE);
        this._f64(value);
        return;
      default:
        this._u8(TAG_ARRAY);
        this._u32(value.length);
        for (const item of value) this._value(item);
    }
  }

  _pairs(pairs) {
    if (pairs === null) {
      this._u32(0);
      return;
    }
    this._u32(pairs.length / 2);
    for (let i = 0; i < pairs.length; i += 2) {
      this._symbol(pairs[i]);
      this._value(pairs[i + 1]);
    }
  }
}

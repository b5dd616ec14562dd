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
 * collector: its state is its own.
 */
export class RecordWriter {
  constructor(intake, memory) {
    this.intake = intake;
    this.memory = memory;
    this.exchange = new Exchange(intake, memory);
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
      id = this.intake.internSymbol(this.exchange.put(text)[0]);
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

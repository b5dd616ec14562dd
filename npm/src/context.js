// Ids, times and the W3C trace context: random ids, the clock, `traceparent` and
// `tracestate` parsing (src/propagation.rs and src/model/trace_state.rs do the same in
// Rust, held equal by the cases in tests/vectors/).

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
export function normalizeTraceState(text) {
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
export function randomWord() {
  return (Math.random() * 0x100000000) >>> 0;
}

// Milliseconds since the Unix epoch with sub-millisecond precision where the platform
// gives it (`performance` exists in pages, workers and Node; `Date.now()` otherwise). The
// time origin is read once: it is fixed, and reading it is a call into the browser.
const clock = globalThis.performance;
const timeOrigin = clock && clock.timeOrigin;
export const nowMs = timeOrigin ? () => timeOrigin + clock.now() : () => Date.now();

// A time as OpenTelemetry JS takes it — epoch milliseconds, a `performance.now()`-style
// value (smaller than the time origin, so relative to it), a Date, or [seconds, nanos] —
// as epoch milliseconds; undefined when it is none of those.
export function epochMs(time) {
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

export function hex(word) {
  return word.toString(16).padStart(8, '0');
}

const HEX_ID = /^[0-9a-f]+$/;

// The 32-bit words of a lowercase hex id of `digits` digits, or null when it is not one
// (or all zeros, which the W3C format reserves for "invalid").
export function idWords(text, digits) {
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
export function traceparentWords(header) {
  const match = typeof header === 'string' ? TRACEPARENT.exec(header.trim()) : null;
  if (match === null || match[1] === 'ff' || (match[1] === '00' && match[5] !== undefined)) return null;
  const trace = idWords(match[2], 32);
  const span = idWords(match[3], 16);
  if (trace === null || span === null) return null;
  return [...trace, ...span, parseInt(match[4], 16)];
}

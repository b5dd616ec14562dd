//! OTLP/protobuf: `ExportTraceServiceRequest` written straight from our span model.
//!
//! Spans are not first converted into generated message structs, so encoding allocates
//! nothing per span, and it is one pass: a nested message reserves room for its length,
//! writes its fields, then patches the length in (moving the fields only in the rare case
//! the guess was wrong). Proto3 defaults are omitted, as prost does; oneof values are
//! always written.

use prost::encoding::{encoded_len_varint, WireType};

use super::{BatchSpan, Protocol, ScopeGroup};
use crate::model::{otlp_flags, Event, KeyValue, Link, Scope, Span, SpanStatus, Value};

/// Appends `value` as a protobuf varint.
#[inline]
pub(crate) fn put_varint(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Appends a field key (tag and wire type).
#[inline]
pub(crate) fn put_key(tag: u32, wire_type: WireType, out: &mut Vec<u8>) {
    put_varint(u64::from(tag << 3 | wire_type as u32), out);
}

/// Appends a length-delimited field whose payload `write` appends. `expected_len_bytes` is
/// the guess for the length's varint size (1 for payloads under 128 bytes, 2 under 16 KiB,
/// 3 under 2 MiB); a wrong guess costs one move of the payload.
#[inline]
pub(crate) fn put_nested(
    tag: u32,
    expected_len_bytes: usize,
    out: &mut Vec<u8>,
    write: impl FnOnce(&mut Vec<u8>),
) {
    put_key(tag, WireType::LengthDelimited, out);
    let start = out.len();
    out.resize(start + expected_len_bytes, 0);
    write(out);
    let payload_start = start + expected_len_bytes;
    let len = out.len() - payload_start;
    let len_bytes = encoded_len_varint(len as u64);
    if len_bytes > expected_len_bytes {
        let extra = len_bytes - expected_len_bytes;
        out.resize(out.len() + extra, 0);
        out.copy_within(payload_start..payload_start + len, payload_start + extra);
    } else if len_bytes < expected_len_bytes {
        let fewer = expected_len_bytes - len_bytes;
        out.copy_within(payload_start..payload_start + len, payload_start - fewer);
        out.truncate(out.len() - fewer);
    }
    let mut value = len as u64;
    for byte in &mut out[start..start + len_bytes] {
        *byte = (value as u8) | 0x80;
        value >>= 7;
    }
    out[start + len_bytes - 1] &= 0x7f;
}

/// A bytes or string field, always written.
#[inline]
pub(crate) fn put_bytes(tag: u32, bytes: &[u8], out: &mut Vec<u8>) {
    put_key(tag, WireType::LengthDelimited, out);
    put_varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

/// A bytes or string field, omitted when empty.
#[inline]
pub(crate) fn put_optional_bytes(tag: u32, bytes: &[u8], out: &mut Vec<u8>) {
    if !bytes.is_empty() {
        put_bytes(tag, bytes, out);
    }
}

#[inline]
pub(crate) fn put_optional_varint(tag: u32, value: u64, out: &mut Vec<u8>) {
    if value != 0 {
        put_key(tag, WireType::Varint, out);
        put_varint(value, out);
    }
}

#[inline]
pub(crate) fn put_optional_fixed64(tag: u32, value: u64, out: &mut Vec<u8>) {
    if value != 0 {
        put_key(tag, WireType::SixtyFourBit, out);
        out.extend_from_slice(&value.to_le_bytes());
    }
}

#[inline]
pub(crate) fn put_optional_fixed32(tag: u32, value: u32, out: &mut Vec<u8>) {
    if value != 0 {
        put_key(tag, WireType::ThirtyTwoBit, out);
        out.extend_from_slice(&value.to_le_bytes());
    }
}

/// `AnyValue`: a oneof, so the chosen field is written even when it holds a default.
fn write_any_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::String(text) => put_bytes(1, text.as_bytes(), out),
        Value::Bool(flag) => {
            put_key(2, WireType::Varint, out);
            out.push(u8::from(*flag));
        }
        Value::Int(int) => {
            put_key(3, WireType::Varint, out);
            put_varint(*int as u64, out);
        }
        Value::Double(double) => {
            put_key(4, WireType::SixtyFourBit, out);
            out.extend_from_slice(&double.to_le_bytes());
        }
        // ArrayValue { repeated AnyValue values = 1 }
        Value::Array(values) => put_nested(5, 1, out, |out| {
            for item in values {
                put_nested(1, 1, out, |out| write_any_value(item, out));
            }
        }),
        // KeyValueList { repeated KeyValue values = 1 }
        Value::KvList(pairs) => put_nested(6, 1, out, |out| write_key_values(1, pairs, out)),
        Value::Bytes(bytes) => put_bytes(7, bytes, out),
        // An AnyValue with no field set.
        Value::Empty => {}
    }
}

/// The exact encoded size of a scalar `AnyValue` (arrays and lists: `None`, they are
/// measured by writing them).
fn scalar_any_value_len(value: &Value) -> Option<usize> {
    let bytes_field = |len: usize| 1 + encoded_len_varint(len as u64) + len;
    match value {
        Value::String(text) => Some(bytes_field(text.len())),
        Value::Bytes(bytes) => Some(bytes_field(bytes.len())),
        Value::Bool(_) => Some(2),
        Value::Int(int) => Some(1 + encoded_len_varint(*int as u64)),
        Value::Double(_) => Some(9),
        Value::Empty => Some(0),
        Value::Array(_) | Value::KvList(_) => None,
    }
}

/// A repeated `KeyValue { key = 1; value = 2 }` field numbered `tag`. Attributes are
/// nearly always scalars, whose sizes are known up front: their lengths are written
/// directly instead of being reserved and patched.
pub(crate) fn write_key_values(tag: u32, pairs: &[KeyValue], out: &mut Vec<u8>) {
    for pair in pairs {
        let key = pair.key.as_bytes();
        let Some(value_len) = scalar_any_value_len(&pair.value) else {
            put_nested(tag, 1, out, |out| {
                put_optional_bytes(1, key, out);
                put_nested(2, 1, out, |out| write_any_value(&pair.value, out));
            });
            continue;
        };
        let key_len = if key.is_empty() {
            0
        } else {
            1 + encoded_len_varint(key.len() as u64) + key.len()
        };
        let pair_len = key_len + 1 + encoded_len_varint(value_len as u64) + value_len;
        let header_len =
            encoded_len_varint(u64::from(tag << 3)) + encoded_len_varint(pair_len as u64);
        // The size is exact: grow once and fill the slice, with no capacity check per byte.
        let start = out.len();
        out.resize(start + header_len + pair_len, 0);
        let mut slice = SliceWriter {
            bytes: &mut out[start..],
            at: 0,
        };
        slice.varint(u64::from(tag << 3 | WireType::LengthDelimited as u32));
        slice.varint(pair_len as u64);
        if !key.is_empty() {
            slice.byte(1 << 3 | WireType::LengthDelimited as u8);
            slice.varint(key.len() as u64);
            slice.copy(key);
        }
        slice.byte(2 << 3 | WireType::LengthDelimited as u8);
        slice.varint(value_len as u64);
        slice.scalar_any_value(&pair.value);
    }
}

/// Writes into a slice already sized for exactly what goes in.
struct SliceWriter<'a> {
    bytes: &'a mut [u8],
    at: usize,
}

impl SliceWriter<'_> {
    #[inline]
    fn byte(&mut self, byte: u8) {
        self.bytes[self.at] = byte;
        self.at += 1;
    }

    #[inline]
    fn varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.byte((value as u8) | 0x80);
            value >>= 7;
        }
        self.byte(value as u8);
    }

    #[inline]
    fn copy(&mut self, bytes: &[u8]) {
        self.bytes[self.at..self.at + bytes.len()].copy_from_slice(bytes);
        self.at += bytes.len();
    }

    /// A scalar `AnyValue`'s fields (see `scalar_any_value_len`).
    fn scalar_any_value(&mut self, value: &Value) {
        let mut bytes_field = |tag: u8, bytes: &[u8]| {
            self.byte(tag << 3 | WireType::LengthDelimited as u8);
            self.varint(bytes.len() as u64);
            self.copy(bytes);
        };
        match value {
            Value::String(text) => bytes_field(1, text.as_bytes()),
            Value::Bytes(bytes) => bytes_field(7, bytes),
            Value::Bool(flag) => {
                self.byte(2 << 3);
                self.byte(u8::from(*flag));
            }
            Value::Int(int) => {
                self.byte(3 << 3);
                self.varint(*int as u64);
            }
            Value::Double(double) => {
                self.byte(4 << 3 | WireType::SixtyFourBit as u8);
                self.copy(&double.to_le_bytes());
            }
            Value::Empty => {}
            // Not scalars: `write_key_values` writes them with `write_any_value` instead.
            Value::Array(_) | Value::KvList(_) => {}
        }
    }
}

/// `InstrumentationScope { name = 1; version = 2; attributes = 3 }`.
pub(crate) fn write_scope(scope: &Scope, out: &mut Vec<u8>) {
    put_optional_bytes(1, scope.name().as_bytes(), out);
    put_optional_bytes(2, scope.version().unwrap_or_default().as_bytes(), out);
    write_key_values(3, scope.attributes(), out);
}

/// `Span.Event { time = 1; name = 2; attributes = 3; dropped_attributes_count = 4 }`.
fn write_event(event: &Event, out: &mut Vec<u8>) {
    put_optional_fixed64(1, event.time_unix_nano, out);
    put_optional_bytes(2, event.name.as_bytes(), out);
    write_key_values(3, event.attributes.as_slice(), out);
    put_optional_varint(4, u64::from(event.attributes.dropped_count()), out);
}

/// `Span.Link { trace_id = 1; span_id = 2; trace_state = 3; attributes = 4; dropped = 5;
/// flags = 6 }`.
fn write_link(link: &Link, out: &mut Vec<u8>) {
    let context = &link.context;
    put_bytes(1, context.trace_id.as_bytes(), out);
    put_bytes(2, context.span_id.as_bytes(), out);
    put_optional_bytes(
        3,
        context
            .trace_state
            .as_deref()
            .unwrap_or_default()
            .as_bytes(),
        out,
    );
    write_key_values(4, link.attributes.as_slice(), out);
    put_optional_varint(5, u64::from(link.attributes.dropped_count()), out);
    let flags = otlp_flags(context.trace_flags, Some(context.is_remote));
    put_optional_fixed32(6, flags, out);
}

/// `Status { message = 2; code = 3 }`, omitted while unset.
fn write_status(status: &SpanStatus, out: &mut Vec<u8>) {
    if *status == SpanStatus::Unset {
        return;
    }
    put_nested(15, 1, out, |out| {
        if let SpanStatus::Error { message } = status {
            put_optional_bytes(2, message.as_bytes(), out);
        }
        put_optional_varint(3, status.otlp_code() as u64, out);
    });
}

/// Fixed-size fields gathered on the stack and appended in one copy: a span's ids, kind and
/// timestamps would otherwise cost a capacity check and a small copy each. Only fields
/// numbered below 16 fit (their keys are one byte).
struct FixedFields {
    bytes: [u8; 64],
    len: usize,
}

impl FixedFields {
    fn new() -> Self {
        FixedFields {
            bytes: [0; 64],
            len: 0,
        }
    }

    fn key(&mut self, tag: u8, wire_type: WireType) {
        self.bytes[self.len] = tag << 3 | wire_type as u8;
        self.len += 1;
    }

    /// A bytes field of a fixed size (an id).
    fn id<const N: usize>(&mut self, tag: u8, id: &[u8; N]) {
        self.key(tag, WireType::LengthDelimited);
        self.bytes[self.len] = N as u8;
        self.bytes[self.len + 1..self.len + 1 + N].copy_from_slice(id);
        self.len += 1 + N;
    }

    fn optional_fixed64(&mut self, tag: u8, value: u64) {
        if value != 0 {
            self.key(tag, WireType::SixtyFourBit);
            self.bytes[self.len..self.len + 8].copy_from_slice(&value.to_le_bytes());
            self.len += 8;
        }
    }

    /// A small enum value (under 128).
    fn optional_small_varint(&mut self, tag: u8, value: u8) {
        if value != 0 {
            self.key(tag, WireType::Varint);
            self.bytes[self.len] = value;
            self.len += 1;
        }
    }

    fn append_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.bytes[..self.len]);
    }
}

/// The fields of one `Span` message, in field order.
pub(crate) fn write_span(span: &Span, out: &mut Vec<u8>) {
    let mut ids = FixedFields::new();
    ids.id(1, span.trace_id.as_bytes());
    ids.id(2, span.span_id.as_bytes());
    let trace_state = span.trace_state().unwrap_or_default();
    if !trace_state.is_empty() {
        ids.append_to(out);
        put_bytes(3, trace_state.as_bytes(), out);
        ids = FixedFields::new();
    }
    if let Some(parent) = &span.parent_span_id {
        ids.id(4, parent.as_bytes());
    }
    ids.append_to(out);
    put_optional_bytes(5, span.name.as_bytes(), out);
    let mut times = FixedFields::new();
    times.optional_small_varint(6, span.kind.otlp_code() as u8);
    times.optional_fixed64(7, span.start_time_unix_nano);
    times.optional_fixed64(8, span.end_time_unix_nano);
    times.append_to(out);
    write_key_values(9, span.attributes.as_slice(), out);
    put_optional_varint(10, u64::from(span.attributes.dropped_count()), out);
    for event in span.events() {
        put_nested(11, 1, out, |out| write_event(event, out));
    }
    put_optional_varint(12, u64::from(span.dropped_events_count()), out);
    for link in span.links() {
        put_nested(13, 1, out, |out| write_link(link, out));
    }
    put_optional_varint(14, u64::from(span.dropped_links_count()), out);
    write_status(span.status(), out);
    put_optional_fixed32(16, span.otlp_flags(), out);
}

/// The encoded size of one `Span` message (without its field header): a measure of its
/// weight, e.g. for fitting spans into a keepalive budget.
pub(crate) fn span_len(span: &Span) -> usize {
    let mut scratch = Vec::with_capacity(256);
    write_span(span, &mut scratch);
    scratch.len()
}

/// Appends an `ExportTraceServiceRequest` holding one `ResourceSpans` with a `ScopeSpans`
/// per scope group.
pub(crate) fn write_request<T: BatchSpan>(
    resource: &T::Resource,
    groups: &[ScopeGroup<'_, T>],
    out: &mut Vec<u8>,
) {
    let protocol = Protocol::HttpProtobuf;
    // ResourceSpans { resource = 1; repeated ScopeSpans scope_spans = 2 }
    put_nested(1, 3, out, |out| {
        // Resource { repeated KeyValue attributes = 1 }
        put_nested(1, 1, out, |out| T::write_resource(resource, protocol, out));
        for group in groups {
            // ScopeSpans { scope = 1; repeated Span spans = 2 }
            put_nested(2, 3, out, |out| {
                put_nested(1, 1, out, |out| T::write_scope(group.scope, protocol, out));
                for span in &group.spans {
                    put_nested(2, 2, out, |out| span.write_span(protocol, out));
                }
            });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes the varint length after a one-byte key at `out[0]`.
    fn nested_len(out: &[u8]) -> (usize, usize) {
        let mut value = 0usize;
        for (index, byte) in out[1..].iter().enumerate() {
            value |= usize::from(byte & 0x7f) << (7 * index);
            if byte & 0x80 == 0 {
                return (value, index + 1);
            }
        }
        panic!("unterminated varint");
    }

    #[test]
    fn nested_lengths_are_minimal_whatever_the_guess() {
        for payload in [0usize, 1, 127, 128, 300, 16_383, 16_384, 70_000] {
            for guess in 1..=3 {
                let mut out = Vec::new();
                put_nested(1, guess, &mut out, |out| {
                    out.extend(std::iter::repeat_n(7u8, payload))
                });
                let (len, len_bytes) = nested_len(&out);
                assert_eq!(len, payload);
                assert_eq!(
                    len_bytes,
                    encoded_len_varint(payload as u64),
                    "{payload} {guess}"
                );
                assert_eq!(out.len(), 1 + len_bytes + payload);
                assert!(out[1 + len_bytes..].iter().all(|byte| *byte == 7));
            }
        }
    }
}
